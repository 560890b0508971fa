"""The article renders in a real browser with its lead photo."""

from __future__ import annotations

import pytest

from helpers.building import ARTICLE_URL

pytestmark = pytest.mark.browser


def test_article_opens_in_chromium(browser, served_site):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(served_site.url + ARTICLE_URL)
    assert page.locator("h1").inner_text().startswith("Ruto & Macron")
    assert all(url.startswith(served_site.url) for url in requests), requests
    page.close()
