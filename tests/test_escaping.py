"""Hostile text in every field comes out as text: HTML, attributes, JSON-LD, feeds."""

from __future__ import annotations

from xml.sax.saxutils import escape as xml_escape

import pytest
from lxml import etree
from PIL import Image

from helpers.building import EPOCH, PUBLISHING, copy_content, run_build
from helpers.escaping import (
    check_html_page,
    check_json_ld,
    check_xml_files,
    html_files,
    normalise,
)

HOSTILE = (
    '</script><script class="xss">alert(1)</script> <b class="xss">bold</b> '
    "Tom & Jerry's \"quote\" <!-- comment --> <img src=x class=xss onerror=alert(2)>"
)
TAG = 'Tag <b class="xss">x</b> & "q" </script> -->'
AUTHOR = "Jane <script class=\"xss\">alert(3)</script> O'Brien & Co -->"
SLUG = "hostile-story"
ARTICLE = f"""Title: Title {HOSTILE}
Date: 2024-06-14 08:00
Category: World
Tags: {TAG}, Kenya
Authors: {AUTHOR}
Summary: Summary {HOSTILE}
Slug: {SLUG}
Image: {{static}}/images/hostile-photo.jpg

Body {HOSTILE}

![Inline alt " onerror="alert(4)" class="xss]({{static}}/images/ruto-conille.jpg)

![]({{static}}/images/hostile-photo.jpg)

<div class="xss">raw HTML block</div>
"""
URL = f"2024/06/{SLUG}/"
# Photo metadata comes from outside the newsroom: every field is hostile.
PHOTO_TEXT = {name: f"{name} {HOSTILE}" for name in ("alt", "caption", "credit", "creator", "rights")}


def hostile_photo(path) -> None:
    """A JPEG whose XMP alt text, caption, credit, creator and rights are hostile."""
    text = {name: xml_escape(value) for name, value in PHOTO_TEXT.items()}
    xmp = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text["caption"]}</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>{text["creator"]}</rdf:li></rdf:Seq></dc:creator>
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{text["rights"]}</rdf:li></rdf:Alt></dc:rights>
<photoshop:Credit>{text["credit"]}</photoshop:Credit>
<Iptc4xmpCore:AltTextAccessibility><rdf:Alt><rdf:li xml:lang="x-default">{text["alt"]}</rdf:li></rdf:Alt></Iptc4xmpCore:AltTextAccessibility>
</rdf:Description></rdf:RDF></x:xmpmeta>"""
    Image.new("RGB", (1600, 1000), (90, 110, 130)).save(path, "JPEG", xmp=xmp.encode("utf-8"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    content = copy_content(work)
    hostile_photo(content / "images" / "hostile-photo.jpg")
    (content / "articles" / "2024-06-14-hostile.md").write_text(ARTICLE, encoding="utf-8")
    result = run_build(
        work / "output", settings=PUBLISHING,
        overrides={"PATH": str(content)}, search=False,
        env={"SOURCE_DATE_EPOCH": EPOCH},
    )
    assert result.returncode == 0, result.stderr
    return result


def test_no_page_carries_injected_markup(hostile_site):
    pages = html_files(hostile_site.output)
    assert len(pages) > 10
    for path in pages:
        check_html_page(path)


def test_article_text_round_trips(hostile_site):
    page = hostile_site.page(URL)
    assert normalise(page.xpath("string(//h1)")) == normalise(f"Title {HOSTILE}")
    assert normalise(page.findtext(".//title")).startswith(normalise(f"Title {HOSTILE}"))
    description = page.xpath('//meta[@name="description"]/@content')[0]
    assert normalise(description) == normalise(f"Summary {HOSTILE}")
    body = normalise(page.xpath('string(//div[contains(@class, "story__body")])'))
    assert normalise(f"Body {HOSTILE}") in body
    # Raw HTML in the body is shown as text, not rendered.
    assert '<div class="xss">raw HTML block</div>' in body
    tags = [normalise(t) for t in page.xpath('//a[@rel="tag"]/text()')]
    assert normalise(TAG) in tags
    authors = [normalise(a) for a in page.xpath('//a[@rel="author"]/text()')]
    assert normalise(AUTHOR) in authors


def test_attributes_hold_the_text_not_markup(hostile_site):
    page = hostile_site.page(URL)
    alts = page.xpath("//img/@alt")
    assert any(alt.startswith('Inline alt " onerror="alert(4)" class="xss') for alt in alts), alts
    og_title = page.xpath('//meta[@property="og:title"]/@content')
    assert og_title and normalise(og_title[0]).startswith(normalise(f"Title {HOSTILE}"))


def test_photo_metadata_is_text(hostile_site):
    page = hostile_site.page(URL)
    figures = page.xpath('//figure[contains(@class, "photo")][.//img[contains(@src, "hostile-photo")]]')
    assert len(figures) >= 2  # the lead photo and the one in the body
    for figure in figures:
        alts = figure.xpath(".//img/@alt")
        assert alts == [PHOTO_TEXT["alt"]]
        caption = normalise(figure.xpath('string(.//*[contains(@class, "caption")])'))
        assert caption == normalise(PHOTO_TEXT["caption"])
        credit = normalise(figure.xpath('string(.//*[contains(@class, "credit")])'))
        assert normalise(PHOTO_TEXT["credit"]) in credit


def test_json_ld_holds_the_text(hostile_site):
    blocks = check_json_ld(hostile_site.output / URL / "index.html")
    article = next(b for b in blocks if "headline" in b)
    # Long headlines are shortened with an ellipsis for search engines.
    headline = normalise(article["headline"]).removesuffix("...")
    assert normalise(f"Title {HOSTILE}").startswith(headline)
    assert len(headline) > 40
    names = [a.get("name") for a in article.get("author", [])]
    assert AUTHOR in names
    for path in html_files(hostile_site.output):
        check_json_ld(path)


def test_feeds_and_sitemaps_hold_the_text(hostile_site):
    assert check_xml_files(hostile_site.output) >= 3
    atom = etree.parse(str(hostile_site.output / "feeds" / "all.atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [normalise(t) for t in atom.xpath("//a:entry/a:title/text()", namespaces=ns)]
    assert normalise(f"Title {HOSTILE}") in titles
    names = atom.xpath("//a:entry/a:author/a:name/text()", namespaces=ns)
    assert AUTHOR in names
