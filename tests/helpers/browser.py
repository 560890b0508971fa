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
