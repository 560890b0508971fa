"""The search page and the Pagefind index, on the built site (no browser)."""

from __future__ import annotations

import posixpath

from helpers import search_bundles
from helpers.building import ARTICLE_URL


def resolve(page_url: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(page_url, href)).lstrip("./") + "/"


def test_search_page_loads_pagefind_from_files(site):
    doc = site.page("search/")
    assert doc.xpath("//main//div[@id='search']")
    # Every script is a file (no inline script, no handler: test_security_meta.py;
    # none blocks rendering: test_theme_budgets.py).
    sources = doc.xpath("//script/@src")
    assert len(sources) == len(doc.xpath("//script")), "the search page's scripts are files"
    for src in sources:
        assert (site.output / posixpath.normpath(posixpath.join("search", src))).is_file(), src
    assert [posixpath.basename(src) for src in sources] == ["pagefind-ui.js", "search.js"]
    styles = [posixpath.basename(h) for h in doc.xpath("//head/link[@rel='stylesheet']/@href")]
    assert "pagefind-ui.css" in styles and "search.css" in styles


def test_search_page_tells_readers_without_javascript_what_to_do(site):
    doc = site.page("search/")
    noscript = doc.xpath("//main//noscript")
    assert len(noscript) == 1
    message = noscript[0]
    text = " ".join(message.text_content().split())
    assert "JavaScript" in text
    targets = {resolve("search/", href) for href in message.xpath(".//a/@href")}
    assert {"archives/", "section/", "tag/"} <= targets
    for target in targets:
        assert site.exists(target), target


def test_every_page_links_to_search(site):
    for url in ("", ARTICLE_URL, "tag/haiti/", "about/", "404.html"):
        doc = site.page(url)
        base = url if url.endswith("/") or url == "" else ""
        hrefs = doc.xpath("//header//a[normalize-space()='Search']/@href")
        assert len(hrefs) == 1, url
        assert resolve(base, hrefs[0]) == "search/", (url, hrefs)


def test_only_article_bodies_are_indexed(site):
    for page in site.output.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        doc = site.page(str(page.relative_to(site.output)))
        bodies = doc.xpath("//*[@data-pagefind-body]")
        if str(page.relative_to(site.output)) == ARTICLE_URL + "index.html":
            assert [b.tag for b in bodies] == ["article"], page
        else:
            assert bodies == [], page
    assert search_bundles.page_count(site.output) == 1


def test_article_carries_search_metadata_and_filter(site):
    doc = site.page(ARTICLE_URL)
    article = doc.xpath("//article[@data-pagefind-body]")[0]
    assert article.xpath(".//h1[@data-pagefind-meta='title']")
    section = article.xpath(".//*[@data-pagefind-filter='section']")
    assert [s.text_content() for s in section] == ["Politics"]
    assert section[0].get("data-pagefind-meta") == "section"
    # Shown in results as printed on the page; sorted by the ISO date.
    dates = article.xpath(".//time[@data-pagefind-meta='date']")
    assert [d.text_content() for d in dates] == ["15 June 2024"]
    assert dates[0].get("data-pagefind-sort") == "date[datetime]"
    assert dates[0].get("datetime") == "2024-06-15T00:00:00+03:00"
    # Share links, tags and neighbours are not story text.
    for footer in article.xpath(".//footer"):
        assert footer.get("data-pagefind-ignore") is not None


def test_lead_thumbnail_is_the_result_image(site):
    article = site.page(ARTICLE_URL).xpath("//article[@data-pagefind-body]")[0]
    image = article.get("data-pagefind-meta") or ""
    assert image.startswith("image:"), "the lead thumbnail is the result image"
    thumbnail = posixpath.normpath(posixpath.join(ARTICLE_URL, image[len("image:"):]))
    assert (site.output / thumbnail).is_file(), thumbnail
