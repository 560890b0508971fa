"""sitemap.xml, news-sitemap.xml and robots.txt of the publishing build."""

from __future__ import annotations

import re

from lxml import etree

from helpers.building import ARTICLE_URL, EPOCH, PUBLIC_SITEURL, PUBLISHING, write_files
from helpers.discovery import HOSTILE_TITLE
from helpers.parsing import site_file

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d|Z))?$")


def load(site, name: str):
    return etree.parse(str(site.output / name)).getroot()


def test_sitemap_lists_every_public_page(published_site):
    root = load(published_site, "sitemap.xml")
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    locs = root.xpath("s:url/s:loc/text()", namespaces=NS)
    assert f"{PUBLIC_SITEURL}/{ARTICLE_URL}" in locs
    for url in ("", "section/politics/", "tag/haiti/", "author/staff-reporter/", "archives/", "about/"):
        assert f"{PUBLIC_SITEURL}/{url}" in locs, url
    assert len(locs) == len(set(locs))
    for loc in locs:
        assert site_file(published_site.output, loc).is_file(), loc
    # Not for search engines: the 404 page and the search page.
    assert not [loc for loc in locs if "404" in loc or "/search/" in loc]


def test_sitemap_lastmod_is_w3c_datetime(published_site):
    root = load(published_site, "sitemap.xml")
    article = root.xpath(f"s:url[s:loc='{PUBLIC_SITEURL}/{ARTICLE_URL}']", namespaces=NS)[0]
    assert article.findtext("s:lastmod", namespaces=NS) == "2024-06-15T00:00:00+03:00"
    lastmods = root.xpath("s:url/s:lastmod/text()", namespaces=NS)
    assert lastmods
    for value in lastmods:
        assert W3C_DATETIME.match(value), value


def test_empty_news_sitemap_is_valid(published_site):
    # The seed story is from 2024; the build runs now: nothing is recent.
    root = load(published_site, "news-sitemap.xml")
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    assert root.nsmap.get("news") == NS["news"]
    assert len(root) == 0


def test_news_sitemap_holds_only_stories_inside_the_window(discovery_site):
    root = load(discovery_site, "news-sitemap.xml")
    urls = root.xpath("s:url", namespaces=NS)
    locs = [url.findtext("s:loc", namespaces=NS) for url in urls]
    # Build time 16 June 12:00 UTC, window one day: only the hostile story
    # (16 June 10:00 Nairobi). The seed (15 June 00:00 Nairobi) is 39 hours
    # old, the long story older, the future story not yet out.
    assert locs == [f"{PUBLIC_SITEURL}/2024/06/hostile-headline/"]
    news = urls[0].find("news:news", namespaces=NS)
    assert news.findtext("news:publication/news:name", namespaces=NS) == "The Ledger"
    assert news.findtext("news:publication/news:language", namespaces=NS) == "en"
    published = news.findtext("news:publication_date", namespaces=NS)
    assert published == "2024-06-16T10:00:00+03:00"
    title = news.findtext("news:title", namespaces=NS)
    assert "</script><script>alert(1)</script>" in title
    assert title.startswith("Breaking ") and title.endswith("done")
    assert HOSTILE_TITLE.split(" ")[0] in title


def test_default_news_window_is_two_days(in_process, tmp_path):
    """Without NEWS_SITEMAP_WINDOW_DAYS a story stays in it for two days (the plugin alone)."""
    content = tmp_path / "content"
    # The build time (EPOCH) is 17 June 2024, 19:00 in Nairobi.
    write_files(content / "articles", {
        f"{slug}.md": f"Title: {slug}\nDate: {date}\nCategory: News\nSlug: {slug}\n\nBody.\n"
        for slug, date in (("two-days-less-an-hour", "2024-06-15 20:00"),
                           ("two-days-and-an-hour", "2024-06-15 18:00"))})
    run = in_process(["sitemaps"], content, settings=PUBLISHING,
                     env={"SOURCE_DATE_EPOCH": EPOCH, "SITEURL": PUBLIC_SITEURL})
    assert run.problems == []
    assert "sitemaps" in run.settings["PLUGINS"] and "news_feeds" not in run.settings["PLUGINS"]
    locs = load(run, "news-sitemap.xml").xpath("s:url/s:loc/text()", namespaces=NS)
    assert locs == [f"{PUBLIC_SITEURL}/2024/06/two-days-less-an-hour/"]


def test_robots_txt_names_both_sitemaps(published_site):
    lines = (published_site.output / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {PUBLIC_SITEURL}/sitemap.xml" in lines
    assert f"Sitemap: {PUBLIC_SITEURL}/news-sitemap.xml" in lines
    assert "Disallow: /drafts/" in lines


def test_development_build_has_no_sitemaps(site):
    for name in ("sitemap.xml", "news-sitemap.xml", "robots.txt"):
        assert not (site.output / name).exists(), name
