"""Home, list pages, About and 404 exist and link the article.

That no page loads anything from another site: tests/theme/test_theme_budgets.py.
"""

from __future__ import annotations

import posixpath

import pytest

from helpers.building import ARTICLE_URL


def links_to(site, page_url: str, target: str) -> bool:
    doc = site.page(page_url)
    if page_url == "" or page_url.endswith("/"):
        base = page_url
    else:
        base = posixpath.dirname(page_url) + "/"
    for href in doc.xpath("//a/@href"):
        resolved = posixpath.normpath(posixpath.join(base, href))
        if resolved.rstrip("/") == target.rstrip("/"):
            return True
    return False


@pytest.mark.parametrize(
    "page",
    ["", "section/politics/", "tag/haiti/", "tag/william-ruto/", "author/staff-reporter/", "archives/", "2024/", "2024/06/"],
)
def test_list_pages_link_the_article(site, page):
    assert site.exists(page or "index.html")
    assert links_to(site, page, ARTICLE_URL)


@pytest.mark.parametrize("page", ["section/", "tag/", "author/", "about/"])
def test_index_pages_exist(site, page):
    assert site.exists(page)


def test_404_page(site):
    assert site.exists("404.html")
    doc = site.page("404.html")
    assert "not found" in doc.xpath("//h1")[0].text_content().replace("\xa0", " ").lower()


def test_every_page_is_semantic_html(site):
    for page in site.output.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        doc = site.page(str(page.relative_to(site.output)))
        assert doc.get("lang") == "en", page
        assert doc.xpath("//meta[@name='viewport']"), page
        assert len(doc.xpath("//h1")) == 1, page
        for landmark in ("header", "nav", "main", "footer"):
            assert doc.xpath(f"//{landmark}"), (page, landmark)
