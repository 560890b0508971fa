"""Property-based tests: generated article fields, hostile strings included.

Each example renders a small site with every plugin and the publishing
settings (feeds, JSON-LD), with Pelican in this process (the build's own
``newsroom.build.run_pelican``: the problems are the lines the build would
print), so the number of examples is small and the search is derandomised:
CI runs the same examples every time. The property: the site either renders
with every field shown as text, or the problems are clear messages naming
the file; never a crash (a traceback), never unescaped output.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

import pelicanconf

from helpers.building import EPOCH, PUBLISHING, ROOT, run_pelican
from helpers.escaping import check_html_page, check_json_ld, check_xml_files, html_files, normalise

HOSTILE = [
    "<script>alert(1)</script>", "</script>", "<!--", "-->", "&", "&amp;", "&lt;", "&#x3c;",
    '"', "'", "`", "<b class=\"xss\">", "</b>", "<img src=x onerror=alert(1) class=xss>",
    "]]>", "<![CDATA[", "{{ 7*7 }}", "{% raw %}", "javascript:alert(1)", "\\", "*", "_", "#",
    "--", "...", "é", "\u00a0", "\u2028", "\U0001f600", "\x0b", "\x85", "%s", "%(x)s", ":",
]
# Mostly ordinary words, sometimes hostile fragments, sometimes any character.
WORDS = st.sampled_from(["Kenya", "budget", "vote", "AU", "UN", "Nairobi", " ", " ", "-"])
piece = st.one_of(
    WORDS,
    WORDS,
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"),
                          exclude_characters="\n\r,;"), max_size=4),
)
line = st.lists(piece, min_size=1, max_size=8).map("".join)
tag = st.lists(piece, min_size=1, max_size=3).map("".join).filter(
    lambda t: t.strip() and not {",", ";"} & set(t))  # commas and semicolons separate tags

FILE = "content/articles/generated.md"
PLUGINS = list(pelicanconf.PLUGINS)  # all of them


def story(title: str, summary: str, tags: list[str], paragraphs: list[str]) -> str:
    # Commas and semicolons separate tags, so generated tags have none.
    return (
        f"Title: {title}\nDate: 2024-06-14 08:00\nCategory: World\n"
        f"Tags: {', '.join(tags)}\nAuthors: Staff Reporter\nSummary: {summary}\n"
        "Slug: generated-story\n\n" + "\n\n".join(paragraphs) + "\n"
    )


@pytest.fixture(scope="module")
def pages_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("property-pages")
    shutil.copytree(ROOT / "content" / "pages", folder / "pages")
    return folder / "pages"


def letters(text: str) -> str:
    return re.sub(r"\W", "", normalise(text))


def assert_escaped(output: Path, title: str, tags: list[str], source_text: str) -> None:
    for path in html_files(output):
        check_html_page(path, source_text)
        check_json_ld(path, source_text)
    check_xml_files(output, source_text)
    page = output / "2024" / "06" / "generated-story" / "index.html"
    document = lxml_html.fromstring(page.read_bytes())
    headline = document.xpath("string(//h1)")
    # Every letter and every markup character of the title is shown as text.
    assert letters(headline) == letters(title)
    for character in "<>&\"'":
        assert normalise(headline).count(character) <= normalise(title).count(character)
    assert normalise(headline).count("<") == normalise(title).count("<")
    # Tags are plain text (no Markdown, no typography): shown exactly.
    shown_tags = {normalise(t) for t in document.xpath('//a[@rel="tag"]/text()')}
    assert shown_tags and shown_tags <= {normalise(t) for t in tags}


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=line, summary=line, tags=st.lists(tag, min_size=1, max_size=3),
       paragraphs=st.lists(line, min_size=1, max_size=3))
def test_generated_articles_are_escaped_or_rejected_clearly(
    tmp_path_factory, pages_folder, title, summary, tags, paragraphs
):
    work = tmp_path_factory.mktemp("property")
    content = work / "content"
    (content / "articles").mkdir(parents=True)
    shutil.copytree(pages_folder, content / "pages")
    source_text = story(title, summary, tags, paragraphs)
    (content / "articles" / "generated.md").write_text(source_text, encoding="utf-8")
    run = run_pelican(work / "output", PLUGINS, settings=PUBLISHING,
                      overrides={"PATH": str(content)}, env={"SOURCE_DATE_EPOCH": EPOCH})
    if not run.problems:
        event("built")
        assert_escaped(run.output, title, tags, source_text)
    else:
        assert all(line.startswith(FILE) for line in run.problems), run.problems
        event("rejected: " + re.sub(r"^\S+ |\"[^\"]*\"|U\+\w+|\d+", "", run.problems[0])[:60])
    shutil.rmtree(work)
