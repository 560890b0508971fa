"""Canonical URL, Open Graph and Twitter tags on the built pages."""

from __future__ import annotations

import pytest
from PIL import Image

from helpers.building import ARTICLE_URL, PUBLIC_SITEURL
from helpers.parsing import site_file

TITLE = "Ruto & Macron Discuss Infrastructure Projects and France\u2019s Support for Kenya-Led Mission in Haiti"
STANDFIRST = (
    "President William Ruto has garnered additional crucial support for deploying "
    "Kenyan troops to the multinational mission in Haiti."
)


def meta(doc, key: str) -> list[str]:
    return doc.xpath(f"//head/meta[@property='{key}' or @name='{key}']/@content")


def one(doc, key: str) -> str:
    values = meta(doc, key)
    assert len(values) == 1, (key, values)
    return values[0]


@pytest.fixture(scope="module")
def article(published_site):
    return published_site.page(ARTICLE_URL)


def test_canonical_and_description(article):
    assert article.xpath("//head/link[@rel='canonical']/@href") == [f"{PUBLIC_SITEURL}/{ARTICLE_URL}"]
    assert one(article, "description") == STANDFIRST


def test_open_graph_article(article):
    assert one(article, "og:type") == "article"
    assert one(article, "og:title") == TITLE
    assert one(article, "og:description") == STANDFIRST
    assert one(article, "og:url") == f"{PUBLIC_SITEURL}/{ARTICLE_URL}"
    assert one(article, "og:site_name") == "The Ledger"
    assert one(article, "article:published_time") == "2024-06-15T00:00:00+03:00"
    assert one(article, "article:modified_time") == "2024-06-15T00:00:00+03:00"
    assert one(article, "article:section") == "Politics"
    assert meta(article, "article:tag") == ["Kenya", "France", "Haiti", "G7", "William Ruto", "Emmanuel Macron"]
    assert meta(article, "article:author") == [f"{PUBLIC_SITEURL}/author/staff-reporter/"]


def test_og_image_is_large_and_exists_at_its_stated_size(published_site, article):
    url = one(article, "og:image")
    width, height = int(one(article, "og:image:width")), int(one(article, "og:image:height"))
    assert width >= 1200
    assert one(article, "og:image:alt").startswith("UN Security Council")
    with Image.open(site_file(published_site.output, url)) as image:
        assert image.size == (width, height)
        assert Image.MIME[image.format] == one(article, "og:image:type")


def test_twitter_large_image_card(article):
    assert one(article, "twitter:card") == "summary_large_image"
    assert one(article, "twitter:title") == TITLE
    assert one(article, "twitter:image") == one(article, "og:image")
    assert one(article, "twitter:image:alt") == one(article, "og:image:alt")


def test_list_pages_are_websites_with_canonical_urls(published_site):
    for url in ("", "section/politics/", "archives/"):
        doc = published_site.page(url)
        assert doc.xpath("//head/link[@rel='canonical']/@href") == [f"{PUBLIC_SITEURL}/{url}"]
        assert one(doc, "og:type") == "website"
        assert one(doc, "og:url") == f"{PUBLIC_SITEURL}/{url}"
    assert one(published_site.page(""), "og:title") == "The Ledger"


def test_404_page_has_no_canonical(published_site):
    assert not published_site.page("404.html").xpath("//link[@rel='canonical']")


def test_development_build_leaves_out_absolute_metadata(site):
    doc = site.page(ARTICLE_URL)
    assert not doc.xpath("//link[@rel='canonical']")
    assert not meta(doc, "og:url") and not meta(doc, "og:image")
    assert not doc.xpath("//script[@type='application/ld+json']")
