"""Atom and RSS feeds of the publishing build: valid, complete, absolute."""

from __future__ import annotations

import calendar
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html
from PIL import Image

from helpers.building import ARTICLE_URL, PUBLIC_SITEURL
from helpers.parsing import site_file

ARTICLE_LINK = f"{PUBLIC_SITEURL}/{ARTICLE_URL}"
TITLE = "Ruto & Macron Discuss Infrastructure Projects and France\u2019s Support for Kenya-Led Mission in Haiti"
FEEDS = [
    "feeds/all.atom.xml",
    "feeds/all.rss.xml",
    "feeds/section/politics.atom.xml",
    "feeds/section/politics.rss.xml",
    "feeds/tag/haiti.atom.xml",
    "feeds/tag/haiti.rss.xml",
]


def parse(site, name: str):
    path = site.output / name
    assert path.is_file(), name
    return feedparser.parse(path.read_bytes())


def article_entry(feed):
    entries = [e for e in feed.entries if e.link == ARTICLE_LINK]
    assert len(entries) == 1, [e.link for e in feed.entries]
    return entries[0]


@pytest.mark.parametrize("name", FEEDS)
def test_feed_is_well_formed_and_lists_the_article(published_site, name):
    feed = parse(published_site, name)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version in ("atom10", "rss20")
    assert feed.feed.title.startswith("The Ledger")
    assert feed.feed.get("language") == "en"
    entry = article_entry(feed)
    assert entry.title == TITLE


def test_every_section_and_tag_has_both_feeds(published_site):
    tags = [p.name for p in (published_site.output / "tag").iterdir() if p.is_dir()]
    assert tags
    for slug in tags:
        for kind in ("atom", "rss"):
            assert (published_site.output / f"feeds/tag/{slug}.{kind}.xml").is_file(), slug


@pytest.mark.parametrize("name", ["feeds/all.atom.xml", "feeds/all.rss.xml"])
def test_titles_are_plain_text(published_site, name):
    tree = etree.parse(str(published_site.output / name))
    titles = tree.xpath("//*[local-name()='entry' or local-name()='item']/*[local-name()='title']")
    assert titles
    for title in titles:
        assert title.text == TITLE
        assert "<" not in title.text and "&" not in title.text.replace(" & ", "")


def raw_body(site, name: str) -> str:
    """The article's full-content HTML as written (feedparser would sanitise
    it, dropping <picture> and srcset)."""
    tree = etree.parse(str(site.output / name))
    entry = tree.xpath(
        "//*[local-name()='entry' or local-name()='item']"
        f"[*[local-name()='link'][@href='{ARTICLE_LINK}' or text()='{ARTICLE_LINK}']]"
    )
    assert len(entry) == 1
    bodies = entry[0].xpath("*[local-name()='content' or local-name()='encoded']/text()")
    assert len(bodies) == 1
    return bodies[0]


@pytest.mark.parametrize("name", ["feeds/all.atom.xml", "feeds/all.rss.xml"])
def test_full_content_with_absolute_urls(published_site, name):
    assert "garnered additional crucial support" in article_entry(parse(published_site, name)).summary
    fragment = lxml_html.fragment_fromstring(raw_body(published_site, name), create_parent="div")
    # The whole story, to its last paragraph, with its photos.
    assert "church service in Nakuru" in fragment.text_content()
    assert fragment.xpath("//figure//picture/source[@srcset]"), "responsive photos reach the feed"
    assert fragment.xpath("//figure//img[@srcset]")
    urls = fragment.xpath("//@href|//@src")
    for srcset in fragment.xpath("//@srcset"):
        urls += [candidate.split()[0] for candidate in srcset.split(",")]
    assert len(urls) > 10
    for url in urls:
        assert url.startswith(PUBLIC_SITEURL + "/") or url.startswith(("https://", "mailto:")), url
        if url.startswith(PUBLIC_SITEURL + "/"):
            assert site_file(published_site.output, url).is_file(), url


@pytest.mark.parametrize("name", ["feeds/all.atom.xml", "feeds/all.rss.xml"])
def test_authors_dates_and_stable_id(published_site, name):
    entry = article_entry(parse(published_site, name))
    assert [a.get("name") for a in entry.authors] == ["Staff Reporter"]
    if name.endswith(".atom.xml"):
        assert entry.authors[0]["href"] == f"{PUBLIC_SITEURL}/author/staff-reporter/"
    # 15 June 2024, 00:00 in Nairobi (UTC+3) is 14 June, 21:00 UTC.
    published = calendar.timegm(entry.published_parsed)
    assert published == calendar.timegm((2024, 6, 14, 21, 0, 0))
    assert calendar.timegm(entry.updated_parsed) >= published
    assert entry.id == "tag:news.example.org,2024-06-15:/2024/06/ruto-macron-infrastructure-haiti-mission/"
    terms = {tag.term for tag in entry.tags}
    assert {"Politics", "Haiti", "Kenya"} <= terms


@pytest.mark.parametrize("name", ["feeds/all.atom.xml", "feeds/all.rss.xml"])
def test_lead_photo_is_enclosure_and_media_content(published_site, name):
    entry = article_entry(parse(published_site, name))
    enclosures = entry.enclosures
    assert len(enclosures) == 1, enclosures
    enclosure = enclosures[0]
    path = site_file(published_site.output, enclosure.href)
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == path.stat().st_size
    media = entry.media_content
    assert len(media) == 1
    assert media[0]["url"] == enclosure.href
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert (int(media[0]["width"]), int(media[0]["height"])) == image.size
    assert entry.get("media_credit"), "the photo credit travels with the image"


def test_head_links_to_the_feeds(published_site):
    doc = published_site.page("")
    links = {
        link.get("type"): link.get("href")
        for link in doc.xpath("//head/link[@rel='alternate']")
    }
    assert links["application/atom+xml"] == f"{PUBLIC_SITEURL}/feeds/all.atom.xml"
    assert links["application/rss+xml"] == f"{PUBLIC_SITEURL}/feeds/all.rss.xml"
    section = published_site.page("section/politics/")
    hrefs = section.xpath("//head/link[@rel='alternate']/@href")
    assert f"{PUBLIC_SITEURL}/feeds/section/politics.atom.xml" in hrefs
    for href in hrefs + list(links.values()):
        assert site_file(published_site.output, href).is_file(), href


def test_development_build_has_no_feeds(site):
    assert not (site.output / "feeds").exists()
    assert not site.page("").xpath("//link[@rel='alternate']")


def test_feeds_are_reproducible(published_site):
    # Dates come from the stories, never from the clock.
    text = Path(published_site.output / "feeds/all.atom.xml").read_text(encoding="utf-8")
    assert "<updated>2024-06-15T00:00:00+03:00</updated>" in text
