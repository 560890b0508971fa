"""Typogrify's markup never leaks into text-only places."""

from __future__ import annotations

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


def test_meta_and_attributes_hold_no_markup(site):
    for page in site.output.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        raw = page.read_text(encoding="utf-8")
        doc = site.page(str(page.relative_to(site.output)))
        for meta in doc.xpath("//meta[@content]"):
            content = meta.get("content")
            assert "<" not in content and "&#" not in content, (page, content)
        for element in doc.iter():
            for name, value in element.attrib.items():
                assert "<span" not in value, (page, name, value)
        assert "&amp;amp;" not in raw, page
