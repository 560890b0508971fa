"""The theme's pages: home, article, lists, archives, 404, navigation.

Parses the built output with lxml. `site` is the real content (one story);
`filler_site` adds neutral filler stories, enough to paginate.
"""

from __future__ import annotations

import posixpath
import re

import pytest

from helpers.building import ARTICLE_URL, FILLER_ARTICLES, ROOT

import pelicanconf
from newsroom.core.settings import DEFAULTS

PER_PAGE = pelicanconf.DEFAULT_PAGINATION


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content().replace("\xa0", " ")).strip()


def resolve(page_url: str, href: str) -> str:
    """Site-relative URL that ``href`` on ``page_url`` points at."""
    base = page_url if page_url.endswith("/") or page_url == "" else posixpath.dirname(page_url) + "/"
    resolved = posixpath.normpath(posixpath.join(base, href))
    return "" if resolved == "." else resolved.rstrip("/") + "/"


def story_urls(site, page_url: str) -> list[str]:
    """Headline links of the stories a list page shows, in order."""
    doc = site.page(page_url)
    hrefs = doc.xpath(
        "//main//*[contains(@class,'lead-story__headline') or contains(@class,'card__headline')]/a/@href"
    )
    return [resolve(page_url, href) for href in hrefs]


def filler_url(site, number: int) -> str:
    (path,) = site.output.glob(f"*/*/filler-story-{number}/index.html")
    return str(path.parent.relative_to(site.output)) + "/"


# --- Home ---------------------------------------------------------------------

def test_home_leads_with_the_newest_story_and_its_photo(site):
    doc = site.page("")
    (lead,) = doc.xpath("//main//article[contains(@class,'lead-story')]")
    (headline,) = lead.xpath(".//h2[contains(@class,'lead-story__headline')]/a")
    assert resolve("", headline.get("href")) == ARTICLE_URL
    assert lead.xpath(".//figure//img[@alt]"), "the lead story shows its lead photo"
    assert lead.xpath(".//*[contains(@class,'card__section')]/a")[0].text == "Politics"


def test_home_with_one_story_has_no_empty_grid_or_pagination(site):
    doc = site.page("")
    assert not doc.xpath("//main//ol[contains(@class,'story-grid')]")
    assert not doc.xpath("//nav[contains(@class,'pagination')]")


def test_home_paginates_every_story_once(filler_site):
    pages = ["", "page/2/", "page/3/"]
    seen = [url for page in pages for url in story_urls(filler_site, page)]
    assert len(seen) == FILLER_ARTICLES + 1
    assert len(set(seen)) == len(seen)
    assert seen[0] == ARTICLE_URL  # the newest story leads
    assert len(story_urls(filler_site, "")) == PER_PAGE
    assert not filler_site.exists("page/4/")


def test_pagination_links_newer_and_older_pages(filler_site):
    expected = {"": (None, "page/2/"), "page/2/": ("", "page/3/"), "page/3/": ("page/2/", None)}
    for page, (newer, older) in expected.items():
        doc = filler_site.page(page)
        (nav,) = doc.xpath("//nav[contains(@class,'pagination')]")
        number = 1 if page == "" else int(page.split("/")[1])
        assert f"Page {number} of 3" in text(nav)
        prev = nav.xpath("./a[@rel='prev']/@href")
        nxt = nav.xpath("./a[@rel='next']/@href")
        assert [resolve(page, h) for h in prev] == ([newer] if newer is not None else [])
        assert [resolve(page, h) for h in nxt] == ([older] if older else [])


def test_only_the_first_home_page_has_a_lead_story(filler_site):
    assert filler_site.page("").xpath("//*[contains(@class,'lead-story')]")
    assert not filler_site.page("page/2/").xpath("//*[contains(@class,'lead-story')]")
    # Page 2 still has exactly one h1, naming the page.
    (h1,) = filler_site.page("page/2/").xpath("//h1")
    assert "page 2" in text(h1)


def test_cards_are_labelled_by_section(filler_site):
    doc = filler_site.page("")
    cards = doc.xpath("//main//ol[contains(@class,'story-grid')]//article[contains(@class,'card')]")
    assert len(cards) == PER_PAGE - 1
    for card in cards:
        label = card.xpath(".//*[contains(@class,'card__section')]/a")[0]
        assert label.text in pelicanconf.SECTIONS
        assert resolve("", label.get("href")).startswith("section/")
        assert card.xpath(".//h3/a"), "cards under 'Latest stories' (h2) are h3"


# --- Article ------------------------------------------------------------------

def test_article_header_has_section_headline_standfirst_byline(site):
    doc = site.page(ARTICLE_URL)
    (header,) = doc.xpath("//main//article/header")
    section = header.xpath(".//*[contains(@class,'story__section')]/a")[0]
    assert section.text == "Politics"
    assert resolve(ARTICLE_URL, section.get("href")) == "section/politics/"
    assert "garnered additional crucial support" in text(header.xpath(".//*[contains(@class,'story__standfirst')]")[0])
    byline = header.xpath(".//*[contains(@class,'byline')]")[0]
    author = byline.xpath(".//a[@rel='author']")[0]
    assert resolve(ARTICLE_URL, author.get("href")) == "author/staff-reporter/"
    assert byline.xpath(".//time/@datetime") == ["2024-06-15T00:00:00+03:00"]
    assert "Updated" not in text(byline)  # no Modified in the source


def test_article_shows_reading_time(site):
    from newsroom.core.filters import reading_minutes

    doc = site.page(ARTICLE_URL)
    body = doc.xpath("//main//article//*[contains(@class,'story__body')]")[0]
    from lxml import html as lxml_html

    minutes = reading_minutes(lxml_html.tostring(body, encoding="unicode"))
    reading = doc.xpath("//*[contains(@class,'byline__reading')]")[0]
    assert text(reading) == f"{minutes} min read"


def test_standfirst_is_printed_once(site):
    doc = site.page(ARTICLE_URL)
    article = text(doc.xpath("//main//article")[0])
    assert article.count("has garnered additional crucial support") == 1


def test_updated_date_when_modified(filler_site):
    url = filler_url(filler_site, 5)  # every fifth filler story has Modified
    doc = filler_site.page(url)
    (updated,) = doc.xpath("//*[contains(@class,'byline__updated')]")
    assert text(updated).startswith("Updated ")
    published = doc.xpath("//*[contains(@class,'byline__date')]/time/@datetime")[0]
    modified = updated.xpath("./time/@datetime")[0]
    assert modified > published and modified.endswith("+03:00")
    assert not filler_site.page(filler_url(filler_site, 4)).xpath("//*[contains(@class,'byline__updated')]")


def test_article_tags_link_topic_pages(site):
    doc = site.page(ARTICLE_URL)
    tags = doc.xpath("//main//article//a[@rel='tag']")
    assert [t.text for t in tags] == ["Kenya", "France", "Haiti", "G7", "William Ruto", "Emmanuel Macron"]
    for tag in tags:
        assert site.exists(resolve(ARTICLE_URL, tag.get("href")))


def test_share_links_are_plain_links_with_the_public_url(site, published_site):
    # Development builds share the live address (LIVE_SITEURL; SHARE_SITEURL is derived).
    for build, public in ((site, pelicanconf.LIVE_SITEURL), (published_site, "https://news.example.org")):
        doc = build.page(ARTICLE_URL)
        links = doc.xpath("//*[contains(@class,'story__share')]//a")
        assert [a.text for a in links] == [name for name, _ in pelicanconf.SHARE_LINKS]
        encoded = (public + "/" + ARTICLE_URL).replace(":", "%3A")
        for link in links:
            href = link.get("href")
            assert encoded in href, href
            assert href.startswith(("mailto:", "https://")), href
            assert "<" not in href and "span" not in href  # the title is plain text
        assert not doc.xpath("//*[contains(@class,'story__share')]//script")


# --- Neighbours and related stories on the page --------------------------------

def test_article_links_older_and_newer_story(filler_site):
    doc = filler_site.page(filler_url(filler_site, 10))
    (nav,) = doc.xpath("//nav[contains(@class,'story-nav')]")
    older = nav.xpath(".//*[contains(@class,'story-nav__older')]/a/@href")
    newer = nav.xpath(".//*[contains(@class,'story-nav__newer')]/a/@href")
    url = filler_url(filler_site, 10)
    assert [resolve(url, h) for h in older] == [filler_url(filler_site, 9)]
    assert [resolve(url, h) for h in newer] == [filler_url(filler_site, 11)]
    # The newest story has no newer neighbour.
    newest = filler_site.page(ARTICLE_URL)
    assert not newest.xpath("//*[contains(@class,'story-nav__newer')]")
    assert newest.xpath("//*[contains(@class,'story-nav__older')]/a")


def test_related_stories_share_a_topic(filler_site):
    url = filler_url(filler_site, 7)
    doc = filler_site.page(url)
    own_tags = set(doc.xpath("//main//article//a[@rel='tag']/text()"))
    related = doc.xpath("//section[contains(@class,'related')]//a[contains(@class,'related-list__title')]/@href")
    assert 1 <= len(related) <= DEFAULTS["RELATED_STORIES_MAX"]
    for href in related:
        target = resolve(url, href)
        assert target != url
        tags = set(filler_site.page(target).xpath("//main//article//a[@rel='tag']/text()"))
        assert own_tags & tags, target
    # Related stories are outside the story itself (which holds its photos only).
    assert not doc.xpath("//main//article//section[contains(@class,'related')]")


# --- Section, topic and writer pages; archives ----------------------------------

@pytest.mark.parametrize("page,kind", [("section/politics/", "Section"), ("tag/haiti/", "Topic"), ("author/staff-reporter/", "Writer")])
def test_list_pages_name_what_they_list(site, page, kind):
    doc = site.page(page)
    assert text(doc.xpath("//*[contains(@class,'list-header__kind')]")[0]) == kind
    assert story_urls(site, page) == [ARTICLE_URL]


def test_archives_by_year_and_month(filler_site):
    doc = filler_site.page("archives/")
    headings = {text(h): resolve("archives/", h.get("href")) for h in doc.xpath("//main//h2/a|//main//h3/a")}
    assert headings == {"2024": "2024/", "June 2024": "2024/06/", "2023": "2023/", "January 2023": "2023/01/"}
    month = filler_site.page("2023/01/")
    assert text(month.xpath("//h1")[0]) == "Archives: January 2023"
    listed = {resolve("2023/01/", h) for h in month.xpath("//main//ul[contains(@class,'archive-list')]//a/@href")}
    assert listed == {filler_url(filler_site, n) for n in range(1, FILLER_ARTICLES + 1)}
    year = filler_site.page("2024/")
    assert text(year.xpath("//h1")[0]) == "Archives: 2024"
    assert [text(h) for h in year.xpath("//main//h2")] == ["June 2024"]
    for item in month.xpath("//main//ul[contains(@class,'archive-list')]/li"):
        assert item.xpath("./time/@datetime")


# --- Navigation and 404 ------------------------------------------------------------

def test_navigation_lists_sections_from_settings_in_order(filler_site):
    doc = filler_site.page("")
    labels = [a.text for a in doc.xpath("//nav[contains(@class,'section-nav')]//a")]
    assert labels == ["Home"] + list(pelicanconf.SECTIONS)
    # No template names a section: they come from SECTIONS.
    for template in (ROOT / "theme" / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        for section in pelicanconf.SECTIONS:
            assert f">{section}<" not in source, (template.name, section)


def test_current_section_is_marked(site):
    doc = site.page("section/politics/")
    assert doc.xpath("//nav[contains(@class,'section-nav')]//a[@aria-current='page']/text()") == ["Politics"]


def test_404_links_and_stylesheet_work_at_any_depth(site, published_site):
    doc = site.page("404.html")
    urls = doc.xpath("//a/@href|//link/@href")
    assert urls
    for url in urls:
        assert url.startswith(("/", "#")), url  # root-relative in development builds
    doc = published_site.page("404.html")
    for url in doc.xpath("//a/@href|//link[@rel='stylesheet']/@href"):
        assert url.startswith(("https://news.example.org/", "#")), url


def test_sections_index_follows_settings_order(filler_site):
    doc = filler_site.page("section/")
    names = [a.text for a in doc.xpath("//main//ul[contains(@class,'term-list')]//a")]
    assert names == list(pelicanconf.SECTIONS)
