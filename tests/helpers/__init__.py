"""Helpers shared by the tests: plain functions and classes, no fixtures.

Fixtures live in the conftest.py files; they call these. The pytest
configuration (``pythonpath`` in pyproject.toml) puts ``tests/`` and the
project root on ``sys.path``, so tests import ``helpers.building`` (and
``newsroom``, ``plugins``, ``pelicanconf``) by their full names and never
``conftest`` or another test module.

* ``building``: run the real build (``python -m newsroom.build``) or Pelican
  in-process with chosen plugins; copy content; read error lines.
* ``serving``: serve a built folder over HTTP on a free loopback port.
* ``browser``: Debian's Chromium for Playwright.
* ``parsing``: read built pages, feeds and URLs; the escaping checks.
* ``photo_files``: photo files with crafted metadata.
* ``discovery``: the stories of the shared "discovery" publishing build.
* ``validator``: the Nu Html Checker (vnu.jar on the system Java).
"""
