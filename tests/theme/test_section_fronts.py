"""Section fronts (issue 10, part 5), on real builds.

``SECTIONS`` is a list of names or a dict of name -> description. The
description stands under the section page's heading and is its meta
description; page 1 of a section leads with its newest story, as the home
page does.
"""

from __future__ import annotations

import posixpath
import re

import pytest

from helpers.building import ARTICLE_URL, ROOT, copy_content, run_build

import pelicanconf

WORLD = "International news and the region\u2019s place in the world & beyond."
SECTIONS = {"News": "", "Politics": "Parliament and government.", "World": WORLD,
            "Business": "", "Sport": "", "Culture": ""}
# World stories, oldest first; the newest must lead the section page.
WORLD_STORIES = [(f"world-{n}", f"2024-06-{10 + n:02d} 08:00") for n in range(1, 6)]


def story(title: str, date: str, category: str) -> str:
    return (f"Title: {title}\nDate: {date}\nCategory: {category}\nTags: Region\n"
            f"Summary: Standfirst of {title}.\n\nBody of {title}.\n")


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content().replace("\xa0", " ")).strip()


def resolve(page_url: str, href: str) -> str:
    if href.startswith("https://"):
        return href.split("/", 3)[3]
    return posixpath.normpath(posixpath.join(page_url, href)).rstrip("/") + "/"


def headlines(site, page_url: str, kind: str) -> list[str]:
    hrefs = site.page(page_url).xpath(f"//main//*[contains(@class,'{kind}')]/a/@href")
    return [resolve(page_url, href) for href in hrefs]


def world_url(slug: str, date: str) -> str:
    return f"{date[:4]}/{date[5:7]}/{slug}/"


@pytest.fixture(scope="module")
def fronts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fronts")
    content = copy_content(folder)
    for slug, date in WORLD_STORIES:
        (content / "articles" / f"{slug}.md").write_text(story(slug, date, "World"), encoding="utf-8")
    # A newer story in another section must not lead the World page.
    (content / "articles" / "news-1.md").write_text(
        story("news-1", "2024-06-30 08:00", "News"), encoding="utf-8")
    result = run_build(folder / "output", settings=ROOT / "publishconf.py",
                       overrides={"PATH": str(content), "SECTIONS": SECTIONS,
                                  "DEFAULT_PAGINATION": 3}, search=False)
    assert result.returncode == 0, result.stderr
    return result


def test_description_is_shown_under_the_heading(fronts):
    doc = fronts.page("section/world/")
    (header,) = doc.xpath("//main/header[contains(@class,'list-header')]")
    assert text(header.xpath("./h1")[0]) == "World"
    (description,) = header.xpath("./p[contains(@class,'list-header__description')]")
    assert text(description) == WORLD
    # Plain text, escaped once.
    raw = (fronts.output / "section/world/index.html").read_text(encoding="utf-8")
    assert "the world &amp; beyond." in raw


def test_description_is_the_meta_description(fronts):
    for url in ("section/world/", "section/world/page/2/"):
        doc = fronts.page(url)
        assert doc.xpath("//head/meta[@name='description']/@content") == [WORLD]
        assert doc.xpath("//head/meta[@property='og:description']/@content") == [WORLD]


def test_section_without_description_keeps_the_default(fronts):
    doc = fronts.page("section/news/")
    assert not doc.xpath("//*[contains(@class,'list-header__description')]")
    assert doc.xpath("//head/meta[@name='description']/@content") == [
        "Section: News. Latest stories from The Ledger."]


def test_section_page_leads_with_its_newest_story(fronts):
    newest = world_url(*WORLD_STORIES[-1])
    (lead,) = fronts.page("section/world/").xpath("//main/article[contains(@class,'lead-story')]")
    assert headlines(fronts, "section/world/", "lead-story__headline") == [newest]
    assert text(lead.xpath(".//*[contains(@class,'lead-story__standfirst')]")[0]) == (
        f"Standfirst of {WORLD_STORIES[-1][0]}.")
    # The section's own page does not repeat its name on the story.
    assert not lead.xpath(".//*[contains(@class,'card__section')]")
    # The rest of page 1 follows as cards, newest first.
    assert headlines(fronts, "section/world/", "card__headline") == [
        world_url(*WORLD_STORIES[-2]), world_url(*WORLD_STORIES[-3])]


def test_only_page_one_has_a_lead_and_every_story_appears_once(fronts):
    assert not fronts.page("section/world/page/2/").xpath("//*[contains(@class,'lead-story')]")
    seen = []
    for url in ("section/world/", "section/world/page/2/"):
        seen += headlines(fronts, url, "lead-story__headline")
        seen += headlines(fronts, url, "card__headline")
    assert seen == [world_url(*item) for item in reversed(WORLD_STORIES)]
    assert not fronts.exists("section/world/page/3/")
    # One h1 per page, headings in order: the lead and the cards are h2.
    doc = fronts.page("section/world/")
    assert len(doc.xpath("//h1")) == 1
    assert doc.xpath("//main//article//*[self::h2 or self::h3 or self::h4]/@class") == [
        "lead-story__headline", "card__headline", "card__headline"]


def test_home_page_is_unchanged_by_section_fronts(fronts):
    # The home page still leads with the newest story of any section.
    assert headlines(fronts, "", "lead-story__headline") == ["2024/06/news-1/"]


def test_real_site_sections_have_their_descriptions(site):
    doc = site.page("section/politics/")
    (description,) = doc.xpath("//*[contains(@class,'list-header__description')]")
    assert text(description) == pelicanconf.SECTIONS["Politics"]
    assert doc.xpath("//head/meta[@name='description']/@content") == [pelicanconf.SECTIONS["Politics"]]
    # With one story, the section page is that story, leading; no empty grid.
    assert headlines(site, "section/politics/", "lead-story__headline") == [ARTICLE_URL]
    assert not doc.xpath("//main//ol[contains(@class,'story-grid')]")


def test_plain_list_of_sections_still_works(tmp_path):
    content = copy_content(tmp_path)
    names = list(pelicanconf.SECTIONS)
    result = run_build(tmp_path / "output", overrides={"PATH": str(content), "SECTIONS": names},
                       search=False)
    assert result.returncode == 0, result.stderr
    doc = result.page("section/politics/")
    assert not doc.xpath("//*[contains(@class,'list-header__description')]")
    assert doc.xpath("//head/meta[@name='description']/@content") == [
        "Section: Politics. Latest stories from The Ledger."]
    labels = [a.text for a in result.page("").xpath("//nav[contains(@class,'section-nav')]//a")]
    assert labels == ["Home", "Politics"]  # only sections with stories are linked
    assert headlines(result, "section/politics/", "lead-story__headline") == [ARTICLE_URL]


def test_sections_in_another_form_fail_the_build(tmp_path):
    content = copy_content(tmp_path)
    pairs = [["News", "The news."], ["Politics", "Parliament."]]
    result = run_build(tmp_path / "output", overrides={"PATH": str(content), "SECTIONS": pairs},
                       search=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"^error: pelicanconf\.py: SECTIONS entry \['News', 'The news\.'\] is not a "
                     r"section; write SECTIONS as a list of names", result.stderr, re.MULTILINE), (
        result.stderr)
