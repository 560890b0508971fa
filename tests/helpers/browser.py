"""Debian's Chromium, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> Path:
    """Debian's Chromium, or a skip (a failure in CI, where it must exist)."""
    path = Path(os.environ.get("CHROMIUM_PATH", CHROMIUM))
    if path.exists():
        return path
    message = f"Chromium not found at {path}: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def record_requests(page) -> list[str]:
    """Every URL ``page`` requests from now on, in a list that grows."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    return requests


def off_site(requests: list[str], base: str) -> list[str]:
    """The requests that left the site served at ``base`` (data: URLs stay)."""
    return [url for url in requests if not url.startswith((base, "data:"))]


# --- Pagefind's search page ------------------------------------------------------------

# Done when the message counts the results and that many result links
# (Pagefind shows five at first) have loaded, or says there are none.
RESULTS_SETTLED = """() => {
    const message = document.querySelector('.pagefind-ui__message');
    if (!message || !message.textContent.trim()) return false;
    if (/^No results/.test(message.textContent)) return true;
    const count = parseInt(message.textContent, 10);
    const links = document.querySelectorAll('.pagefind-ui__result-link').length;
    return count > 0 && links >= Math.min(count, 5)
        && !document.querySelector('.pagefind-ui__result.pagefind-ui__loading');
}"""


def search_field(page, base_url: str):
    """The search page's field, on ``page`` (opened unless it is there already)."""
    if page.url != base_url + "search/":
        page.goto(base_url + "search/")
    field = page.locator(".pagefind-ui__search-input")
    field.wait_for()
    return field


def search(page, base_url: str, term: str) -> list[str]:
    """Open the search page, type ``term``; the result links' hrefs once shown."""
    page.goto(base_url + "search/")
    search_field(page, base_url).fill(term)
    page.wait_for_function(RESULTS_SETTLED)
    return page.locator(".pagefind-ui__result-link").evaluate_all(
        "links => links.map(a => a.href)"
    )
