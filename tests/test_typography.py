"""Typogrify's markup never leaks into text-only places."""

from __future__ import annotations

import pytest

from helpers.building import ARTICLE_URL

MARKUP_SIGNS = ("<span", "class=\"caps\"", "class=\"amp\"", "&lt;span", "&amp;amp;", "&#8217;", "&nbsp;")


def test_typogrify_runs_on_the_body(site):
    raw = (site.output / ARTICLE_URL / "index.html").read_text(encoding="utf-8")
    assert '<span class="amp">' in raw  # the headline's "&"


def test_title_is_plain_text(site):
    doc = site.page(ARTICLE_URL)
    title = doc.xpath("//title")[0]
    assert len(title) == 0, "no elements inside <title>"
    assert title.text.startswith("Ruto & Macron Discuss")
    raw = (site.output / ARTICLE_URL / "index.html").read_text(encoding="utf-8")
    raw_title = raw.split("<title>")[1].split("</title>")[0]
    assert "span" not in raw_title and "&amp;amp;" not in raw_title


@pytest.mark.parametrize("build_name", ["site", "published_site"])
def test_meta_and_attributes_hold_no_markup(build_name, request):
    """Every page of both builds: <title>, meta content (Open Graph, Twitter,
    description) and attributes are plain text, escaped once."""
    build = request.getfixturevalue(build_name)
    for page in build.output.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        raw = page.read_text(encoding="utf-8")
        doc = build.page(str(page.relative_to(build.output)))
        for value in doc.xpath("//meta/@content|//title/text()"):
            assert "<" not in value and "&#" not in value and "&amp;" not in value, (page, value)
        for element in doc.iter():
            for name, value in element.attrib.items():
                assert "<span" not in value, (page, name, value)
        assert "&amp;amp;" not in raw, page
