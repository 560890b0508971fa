"""plugins/sitemaps/documents.py: the text of sitemap.xml, news-sitemap.xml and robots.txt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from lxml import etree

from plugins.sitemaps.documents import news_sitemap, recent, robots_txt, sitemap

SITE = "https://news.example.org"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "news": "http://www.google.com/schemas/sitemap-news/0.9"}
NAIROBI = timezone(timedelta(hours=3))
NOW = datetime(2024, 6, 17, 16, 0, tzinfo=UTC)  # SOURCE_DATE_EPOCH below
SETTINGS = {"PUBLISHER_NAME": "The Ledger & Co", "SITE_LANGUAGE": "en-KE",
            "SITENAME": "The Ledger & Co", "DEFAULT_LANG": "en", "DRAFT_URL": "drafts/{slug}/"}


@pytest.fixture(autouse=True)
def build_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))


def story(url: str, hours_before: float, title: str = "A story") -> SimpleNamespace:
    return SimpleNamespace(url=url, title=title,
                           date=(NOW - timedelta(hours=hours_before)).astimezone(NAIROBI))


def parse(text: str):
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return etree.fromstring(text.encode("utf-8"))


def test_sitemap_lists_pages_sorted_with_absolute_escaped_urls():
    pages = {"tag/a&b/": None, "": datetime(2024, 6, 15, tzinfo=NAIROBI),
             "2024/06/story/": datetime(2024, 6, 15, 9, 30, tzinfo=NAIROBI)}
    root = parse(sitemap(SITE + "/news", pages))
    assert root.xpath("s:url/s:loc/text()", namespaces=NS) == [
        "https://news.example.org/news/", "https://news.example.org/news/2024/06/story/",
        "https://news.example.org/news/tag/a&b/"]
    # lastmod only where a date is known, in W3C date-time format.
    assert root.xpath("s:url/s:lastmod/text()", namespaces=NS) == [
        "2024-06-15T00:00:00+03:00", "2024-06-15T09:30:00+03:00"]


def test_an_empty_sitemap_is_an_empty_urlset():
    root = parse(sitemap(SITE, {}))
    assert root.tag == f"{{{NS['s']}}}urlset" and len(root) == 0


def test_recent_keeps_the_window_before_the_build_time_newest_first():
    stories = [story("old/", 49), story("edge/", 48), story("new/", 1), story("future/", -1),
               story("also-new/", 1)]
    chosen = recent(stories, timedelta(days=2))
    # Ties on the date go by URL, newest (largest) first; the edge is inside.
    assert [s.url for s in chosen] == ["new/", "also-new/", "edge/"]


def test_news_sitemap_names_publication_language_date_and_plain_title():
    stories = [story("2024/06/a/", 2, title='Ruto &amp; <span class="caps">UN</span> "deal"'),
               story("2024/06/old/", 100)]
    root = parse(news_sitemap(SITE, stories, timedelta(days=2), SETTINGS))
    (url,) = root.xpath("s:url", namespaces=NS)
    assert url.findtext("s:loc", namespaces=NS) == f"{SITE}/2024/06/a/"
    news = url.find("news:news", namespaces=NS)
    assert news.findtext("news:publication/news:name", namespaces=NS) == "The Ledger & Co"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en-KE"
    assert news.findtext("news:publication_date", namespaces=NS) == "2024-06-17T17:00:00+03:00"
    # The title is the headline's text: markup gone, entities decoded once.
    assert news.findtext("news:title", namespaces=NS) == 'Ruto & UN "deal"'


def test_news_sitemap_without_recent_stories_is_valid_and_empty():
    root = parse(news_sitemap(SITE, [story("2024/06/old/", 100)], timedelta(days=2), SETTINGS))
    assert root.nsmap["news"] == NS["news"] and len(root) == 0


@pytest.mark.parametrize("site_url, disallow, prefix", [
    (SITE, "/drafts/", SITE),
    (SITE + "/news", "/news/drafts/", SITE + "/news"),
])
def test_robots_txt_hides_drafts_and_names_both_sitemaps(site_url, disallow, prefix):
    assert robots_txt(site_url, SETTINGS) == (
        "User-agent: *\n"
        f"Disallow: {disallow}\n"
        "\n"
        f"Sitemap: {prefix}/sitemap.xml\n"
        f"Sitemap: {prefix}/news-sitemap.xml\n")
