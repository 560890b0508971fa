"""Shared fixtures: one build of the real site per settings variant, per session.

Builds run ``python -m newsroom.build``, the code path behind ``invoke
build`` (tests/helpers/building.py). Every build here is made once per test
process (with pytest-xdist, once per worker) and only read by the tests:
a test that changes a site works on a copy of it.

* ``site``: the development build (relative URLs, drafts shown, no feeds);
* ``published_site``: the publishing build (publishconf.py: absolute URLs,
  feeds, sitemaps, JSON-LD, fingerprinted assets, .gz/.br copies);
* ``filler_site``: the development build of the real content plus 30 filler
  stories (pagination, neighbours, related stories), without search;
* ``in_process``: Pelican in this process with only the plugins a test names.

(The plugin tests' publishing build with hostile and dated stories,
``discovery_site``, is in tests/plugins/conftest.py.) Browser tests share one Chromium per process (``browser``); ``serve_site``
serves a folder over HTTP.
"""

from __future__ import annotations

import pytest

from helpers.browser import CHROMIUM_ARGS, require_chromium
from helpers.building import PUBLISHING, BuildResult, filler_content, run_build, run_pelican
from helpers.serving import ServedSite

SLOW_MARKS = ("browser", "validator", "slow", "server")


def pytest_configure(config):
    """Compile the project's Python files once, before any test starts a build.

    The suite starts well over a hundred Python processes (builds, preview
    workers, scripts). Where PYTHONDONTWRITEBYTECODE is set, as in many CI
    images, none of them keeps the compiled form of newsroom/ and plugins/,
    so each compiled them again (about 0.13 CPU seconds a process, measured).
    ``compileall`` writes the ``__pycache__`` files Python would have written
    itself; the processes then only read them.
    """
    if hasattr(config, "workerinput"):  # an xdist worker: the controller did it
        return
    import compileall
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for folder in ("newsroom", "plugins", "bench", "scripts"):
        compileall.compile_dir(root / folder, quiet=1)
    for name in ("pelicanconf.py", "publishconf.py", "tasks.py"):
        compileall.compile_file(root / name, quiet=1)


def pytest_collection_modifyitems(items):
    """Browser files (``*_browser.py``) first, then files with other slow tests.

    The README's test command hands the files to two pytest-xdist workers in
    this order (``--dist loadfile --no-loadscope-reorder`` in pyproject.toml:
    each file on one worker, so its module-scoped builds are made once), so
    the longest start at once and short ones fill in at the end.
    """
    def rank(item) -> int:
        if item.nodeid.split("::", 1)[0].endswith("_browser.py"):
            return 0
        for number, mark in enumerate(SLOW_MARKS, start=1):
            if item.get_closest_marker(mark):
                return number
        return len(SLOW_MARKS) + 1

    files: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        files[path] = min(files.get(path, len(SLOW_MARKS) + 1), rank(item))
    order = {path: number for number, path in enumerate(sorted(files, key=files.get))}
    items.sort(key=lambda item: order[item.nodeid.split("::", 1)[0]])


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with all ``*_browser.py`` files on one worker.

    Browser tests spend much of their time waiting for Chromium; on two
    cores they run best beside the other worker's CPU-bound builds rather
    than beside each other (measured: about 8 % less wall time for the
    suite). pytest-xdist's own way to say so, ``--dist loadgroup`` with
    ``xdist_group`` marks, silently stops grouping with pytest 9.2
    (pytest-xdist issue #1386), hence this subclass of its file scheduler,
    which overrides a private method (``_split_scope``, how it maps a test
    to a unit of work). If pytest-xdist moves that class, this falls back to
    plain ``--dist loadfile``; if it renames the method, the override is
    simply never called.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    try:
        from xdist.scheduler import LoadFileScheduling
    except ImportError:
        return None

    class BrowserFilesTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "*_browser.py" if path.endswith("_browser.py") else path

    return BrowserFilesTogether(config, log)


def _built(result: BuildResult) -> BuildResult:
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> BuildResult:
    """The development build of the real content, built once per session."""
    return _built(run_build(tmp_path_factory.mktemp("site") / "output"))


@pytest.fixture(scope="session")
def published_site(tmp_path_factory) -> BuildResult:
    """The publishconf build (absolute URLs, feeds), built once per session."""
    return _built(run_build(tmp_path_factory.mktemp("published") / "output",
                            settings=PUBLISHING))


@pytest.fixture(scope="session")
def filler_site(tmp_path_factory) -> BuildResult:
    """The real content plus neutral filler articles, built once per session."""
    base = tmp_path_factory.mktemp("filler")
    content = filler_content(base)
    return _built(run_build(base / "output", overrides={"PATH": str(content)}, search=False))


@pytest.fixture
def in_process(tmp_path):
    """in_process(plugins, content=..., **options) -> PelicanRun, in ``tmp_path``/output.

    Pelican in this process with only ``plugins`` (see
    helpers.building.run_pelican); ``content`` is the content folder.
    """
    runs = 0

    def run(plugins: list[str], content, **options):
        nonlocal runs
        runs += 1
        overrides = {"PATH": str(content), **options.pop("overrides", {})}
        return run_pelican(tmp_path / f"output-{runs}", plugins, overrides=overrides, **options)

    return run


# --- Browser and server ------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (no browser download)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def serve_site():
    """Factory: serve_site(path) -> ServedSite; all are stopped at the end."""
    servers: list[ServedSite] = []

    def start(root) -> ServedSite:
        server = ServedSite(root)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def served_site(site, serve_site) -> ServedSite:
    """The development build, served over HTTP."""
    return serve_site(site.output)

