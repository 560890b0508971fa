"""Corrections and updates (issue 10, part 3), on real publishing builds.

A story's ``Correction: YYYY-MM-DD HH:MM | text`` lines become "Correction"
boxes at the end of the story; "Updated" in the byline, JSON-LD
``dateModified`` and the feed entry's ``updated`` follow the latest of
Modified and the corrections, while the feed entry's id stays the same.
Malformed lines, and Modified before Date, fail the build naming file and line.
"""

from __future__ import annotations

import json
import re

import feedparser
import pytest

from helpers.building import ROOT, copy_content, error_lines, run_build

PUBLIC = "https://news.example.org"
URL = "2024/06/council-passes-budget/"
LINK = f"{PUBLIC}/{URL}"
SECOND_URL = "2024/06/water-tariffs/"

STORY = """Title: Council passes budget
Date: 2024-06-20 09:00
Category: News
Tags: Budget
Authors: Staff Reporter
Summary: The county council passed the budget on Thursday.
{corrections}
The county council passed the budget on Thursday.

Members debated the roads programme for three hours.
"""
CORRECTIONS = """Correction: 2024-06-21 10:05 | An earlier version said the vote was "unanimous"; two members abstained.
Correction: 2024-06-22 08:30 | The speaker's name is <b>Atieno</b> -- not Otieno & co.
"""
# Modified later than its only correction: "Updated" follows Modified.
SECOND = """Title: Water tariffs
Date: 2024-06-18 07:00
Modified: 2024-06-25 16:45
Category: Business
Summary: Water tariffs rise in July.
Correction: 2024-06-19 11:00 | The rise is 8 per cent, not 18.

Water tariffs rise in July.
"""


def build(tmp_path_factory, name: str, corrections: str):
    folder = tmp_path_factory.mktemp(name)
    content = copy_content(folder)
    (content / "articles" / "2024-06-20-budget.md").write_text(
        STORY.format(corrections=corrections), encoding="utf-8")
    if corrections:
        (content / "articles" / "2024-06-18-water.md").write_text(SECOND, encoding="utf-8")
    result = run_build(folder / "output", settings=ROOT / "publishconf.py",
                       overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    return build(tmp_path_factory, "corrected", CORRECTIONS)


@pytest.fixture(scope="module")
def uncorrected(tmp_path_factory):
    """The same story before any correction."""
    return build(tmp_path_factory, "uncorrected", "")


def text(element) -> str:
    return re.sub(r"\s+", " ", element.text_content().replace("\xa0", " ")).strip()


def news_article(site, url: str) -> dict:
    doc = site.page(url)
    found = [json.loads(s.text) for s in doc.xpath("//script[@type='application/ld+json']")]
    (article,) = [item for item in found if item["@type"] == "NewsArticle"]
    return article


def entry(site, feed: str, link: str = LINK):
    parsed = feedparser.parse((site.output / feed).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    (found,) = [item for item in parsed.entries if item.link == link]
    return found


# --- the page -----------------------------------------------------------------

def test_each_correction_is_a_box_at_the_end_of_the_story(corrected):
    doc = corrected.page(URL)
    (story,) = doc.xpath("//main/article[contains(@class,'story')]")
    boxes = story.xpath(".//div[@class='correction']")
    assert len(boxes) == 2
    for box in boxes:
        assert text(box.xpath(".//h2")[0]) == "Correction"
    first, second = boxes
    assert first.xpath(".//time/@datetime") == ["2024-06-21T10:05:00+03:00"]
    assert text(first.xpath(".//time")[0]) == "21 June 2024, 10:05"
    assert text(first.xpath(".//*[@class='correction__text']")[0]) == (
        "An earlier version said the vote was \u201cunanimous\u201d; two members abstained.")
    assert second.xpath(".//time/@datetime") == ["2024-06-22T08:30:00+03:00"]
    assert text(second.xpath(".//time")[0]) == "22 June 2024, 08:30"
    # Plain text: the tag is shown, not obeyed; typography as in headlines.
    assert text(second.xpath(".//*[@class='correction__text']")[0]) == (
        "The speaker\u2019s name is <b>Atieno</b> \u2013 not Otieno & co.")
    assert not story.xpath(".//b")
    # After the body, before the story's footer (topics and sharing).
    children = [child.get("class") for child in story]
    assert children.index("story__corrections") == children.index("story__body") + 1
    assert children[-1] == "story__footer"


def test_byline_shows_updated_with_date_and_time(corrected):
    (updated,) = corrected.page(URL).xpath("//*[contains(@class,'byline__updated')]")
    assert text(updated) == "Updated 22 June 2024, 08:30"
    assert updated.xpath("./time/@datetime") == ["2024-06-22T08:30:00+03:00"]
    # A Modified later than every correction is the update time.
    (updated,) = corrected.page(SECOND_URL).xpath("//*[contains(@class,'byline__updated')]")
    assert text(updated) == "Updated 25 June 2024, 16:45"


def test_a_story_without_corrections_has_no_box_and_no_update(uncorrected):
    doc = uncorrected.page(URL)
    assert not doc.xpath("//*[contains(@class,'correction')]")
    assert not doc.xpath("//*[contains(@class,'byline__updated')]")
    assert "correction" not in news_article(uncorrected, URL)


# --- structured data and feeds --------------------------------------------------

def test_json_ld_has_date_modified_and_the_corrections(corrected, uncorrected):
    article = news_article(corrected, URL)
    assert article["datePublished"] == "2024-06-20T09:00:00+03:00"
    assert article["dateModified"] == "2024-06-22T08:30:00+03:00"
    assert article["correction"] == [
        {"@type": "CorrectionComment",
         "text": "An earlier version said the vote was \u201cunanimous\u201d; two members abstained.",
         "datePublished": "2024-06-21T10:05:00+03:00"},
        {"@type": "CorrectionComment",
         "text": "The speaker\u2019s name is <b>Atieno</b> \u2013 not Otieno & co.",
         "datePublished": "2024-06-22T08:30:00+03:00"},
    ]
    assert news_article(corrected, SECOND_URL)["dateModified"] == "2024-06-25T16:45:00+03:00"
    assert news_article(uncorrected, URL)["dateModified"] == "2024-06-20T09:00:00+03:00"
    # The <script> stays inert: the tag in the text is JSON-escaped.
    page = (corrected.output / URL / "index.html").read_text(encoding="utf-8")
    assert "<b>Atieno" not in page and "\\u003cb\\u003eAtieno" in page
    meta = corrected.page(URL).xpath("//meta[@property='article:modified_time']/@content")
    assert meta == ["2024-06-22T08:30:00+03:00"]


@pytest.mark.parametrize("feed", ["feeds/all.atom.xml", "feeds/all.rss.xml",
                                  "feeds/section/news.atom.xml", "feeds/tag/budget.rss.xml"])
def test_feed_entry_updated_moves_and_its_id_stays(corrected, uncorrected, feed):
    before, after = entry(uncorrected, feed), entry(corrected, feed)
    assert after.id == before.id
    assert after.id.startswith("tag:news.example.org,2024-06-20:")
    assert after.published == before.published
    if feed.endswith(".atom.xml"):
        assert before.updated == "2024-06-20T09:00:00+03:00"
        assert after.updated == "2024-06-22T08:30:00+03:00"
    else:  # RSS carries it as <atom:updated>
        raw = (corrected.output / feed).read_text(encoding="utf-8")
        assert "<atom:updated>2024-06-22T08:30:00+03:00</atom:updated>" in raw
    assert after.updated_parsed > before.updated_parsed


# --- mistakes -------------------------------------------------------------------

GOOD = "Title: {title}\nDate: 2024-06-20 09:00\nCategory: News\n{extra}\nBody text.\n"
# file name -> (metadata lines after Category, expected message); all in ONE build.
BROKEN = {
    "no-bar.md": (
        "Correction: 2024-06-21 10:00 The name was wrong.",
        r'^content/articles/no-bar\.md:4: "Correction: 2024-06-21 10:00 The name was wrong\." has '
        r'no "\|" between the date and the text; write it as "Correction: YYYY-MM-DD HH:MM \| '
        r'what was corrected"',
    ),
    "empty-correction.md": (
        "Correction:",
        r'^content/articles/empty-correction\.md:4: "Correction:" is empty; write it as "Correction: '
        r'YYYY-MM-DD HH:MM \| what was corrected"',
    ),
    "bad-date.md": (
        "Correction: 2024-02-30 10:00 | The name was wrong.",
        r'^content/articles/bad-date\.md:4: Correction date "2024-02-30 10:00" is not a date and '
        r'time; write it as "Correction: YYYY-MM-DD HH:MM \| what was corrected"',
    ),
    "no-time.md": (
        "Correction: 2024-06-21 | The name was wrong.",
        r'^content/articles/no-time\.md:4: Correction date "2024-06-21" is not a date and time',
    ),
    "words-date.md": (
        "Correction: yesterday | The name was wrong.",
        r'^content/articles/words-date\.md:4: Correction date "yesterday" is not a date and time',
    ),
    "empty-text.md": (
        "Correction: 2024-06-21 10:00 |   ",
        r'^content/articles/empty-text\.md:4: Correction of 2024-06-21 10:00 has no text after "\|"',
    ),
    "out-of-order.md": (
        "Correction: 2024-06-22 10:00 | Second.\nCorrection: 2024-06-21 10:00 | First.",
        r"^content/articles/out-of-order\.md:5: Correction of 2024-06-21 10:00 is earlier than the "
        r"one on line 4 \(2024-06-22 10:00\); list corrections in date order, newest last$",
    ),
    "before-date.md": (
        "Correction: 2024-06-20 08:59 | Too early.",
        r"^content/articles/before-date\.md:4: Correction date 2024-06-20 08:59 is before the "
        r'story\'s Date "2024-06-20 09:00" \(line 2\)',
    ),
    "modified-before-date.md": (
        "Modified: 2024-06-19",
        r'^content/articles/modified-before-date\.md:4: Modified "2024-06-19" is earlier than '
        r'Date "2024-06-20 09:00" \(line 2\)',
    ),
    # The third line is wrong; the first two are fine and not reported.
    "third-line.md": (
        "Correction: 2024-06-21 10:00 | One.\nCorrection: 2024-06-21 10:00 | Two, same minute.\n"
        "Correction: 2024-06-23 | Three.",
        r'^content/articles/third-line\.md:6: Correction date "2024-06-23" is not a date and time',
    ),
}


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken-corrections")
    content = copy_content(folder)
    for name, (extra, _pattern) in BROKEN.items():
        (content / "articles" / name).write_text(
            GOOD.format(title=f"Story {name}", extra=extra), encoding="utf-8")
    return run_build(folder / "output", overrides={"PATH": str(content)}, search=False)



def test_malformed_corrections_fail_the_build_without_a_traceback(broken_build):
    assert broken_build.returncode == 1
    assert "Traceback" not in broken_build.stderr + broken_build.stdout
    assert not broken_build.output.exists()


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_mistake_is_one_line_naming_file_and_line(broken_build, name):
    pattern = re.compile(BROKEN[name][1])
    lines = error_lines(broken_build)
    assert [line for line in lines if pattern.search(line)] != [], "\n".join(lines)
    about_file = [line for line in lines if line.split(":")[0].endswith("/" + name)]
    assert len(about_file) == 1 and pattern.search(about_file[0]), "\n".join(about_file)


def test_only_the_mistakes_are_reported(broken_build):
    assert len(error_lines(broken_build)) == len(BROKEN), "\n".join(error_lines(broken_build))


def test_filler_corpus_has_a_corrected_story_for_the_browser_and_validator_tests(filler_site):
    # tests/theme/test_theme_browser.py runs axe on this page ("corrected"),
    # and the validator checks every page of the filler build.
    doc = filler_site.page("2023/01/filler-story-10/")
    (box,) = doc.xpath("//main//div[@class='correction']")
    assert box.xpath(".//time/@datetime") == ["2023-01-05T11:00:00+03:00"]
    (updated,) = doc.xpath("//*[contains(@class,'byline__updated')]")
    assert text(updated) == "Updated 5 January 2023, 11:00"
