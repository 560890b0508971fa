"""Checks that hostile text in content came out as text, never as markup.

Shared by the escaping tests and the property-based tests. Each check walks
every built file of one kind and raises AssertionError naming the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

# Typogrify turns straight quotes into curly ones, "--" into a dash and
# spaces before the last word into no-break spaces; undo that to compare.
_TYPOGRAPHY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
                             "\u00a0": " ", "\u2013": "--", "\u2014": "---", "\u2026": "..."})
# Element names that only our templates may create. A hostile string that
# contains one of them and shows up as an element means it was not escaped.
INJECTABLE = ("script", "b", "img", "iframe", "svg", "style", "object")
INJECTION_MARK = "xss"  # hostile strings put this into class names or ids


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_TYPOGRAPHY)).strip()


def html_files(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))


def _entities(text: str) -> set[str]:
    return set(re.findall(r"&(?:amp|lt|gt|quot|#\d+);", text))


def check_html_page(path: Path, source_text: str = "") -> None:
    """``source_text``: what editors wrote; entities typed there are text too."""
    document = lxml_html.fromstring(path.read_bytes())
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        assert not any(name.lower().startswith("on") for name in element.attrib), (
            f"{path}: event handler on <{element.tag}>")
        # Only class and id: URLs legitimately carry the text URL-encoded.
        marks = " ".join(element.attrib.get(a, "") for a in ("class", "id"))
        assert INJECTION_MARK not in marks, f"{path}: injected <{element.tag} {marks}>"
    for script in document.xpath("//script"):
        if script.get("src"):
            continue
        assert script.get("type") == "application/ld+json", f"{path}: inline script"
        raw = script.text or ""
        assert not re.search(r"</script|<!--", raw, re.IGNORECASE), f"{path}: JSON-LD breaks out"
        json.loads(raw)  # still valid JSON
    for element in document.xpath("//b|//iframe|//svg|//object|//style"):
        raise AssertionError(f"{path}: injected <{element.tag}>")
    head_text = " ".join(
        [document.findtext(".//title") or ""]
        + document.xpath("//meta/@content")
        + document.xpath("//@alt|//@title|//@aria-label")
    )
    # Text contexts must not carry markup or entities meant for HTML text.
    assert "<span" not in head_text, f"{path}: markup in <title>/meta/attributes"
    assert _entities(head_text) <= _entities(source_text), f"{path}: double-escaped"


def check_json_ld(path: Path, source_text: str = "") -> list[dict]:
    document = lxml_html.fromstring(path.read_bytes())
    blocks = [json.loads(s.text) for s in document.xpath('//script[@type="application/ld+json"]')]
    for block in blocks:
        dumped = json.dumps(block, ensure_ascii=False)
        assert "<span" not in dumped, f"{path}: markup in JSON-LD"
        assert _entities(dumped) <= _entities(source_text), f"{path}: entities in JSON-LD"
    return blocks


def check_xml_files(output: Path, source_text: str = "") -> int:
    """Feeds and sitemaps: well-formed, titles are text, embedded HTML is inert."""
    count = 0
    for path in sorted(output.rglob("*.xml")):
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False))
        count += 1
        for element in tree.iter():
            if isinstance(element.tag, str):
                _check_xml_element(path, element, source_text)
    return count


# Elements whose text is HTML: RSS <description> and <content:encoded>, Atom
# <content>/<summary> with type="html". Everything else is plain text.
_HTML_ELEMENTS = {(None, "description"), ("http://purl.org/rss/1.0/modules/content/", "encoded")}


def _check_xml_element(path: Path, element, source_text: str) -> None:
    name = etree.QName(element)
    text = element.text or ""
    is_html = (name.namespace, name.localname) in _HTML_ELEMENTS or element.get("type") == "html"
    if not is_html:
        if name.localname in ("title", "name", "description", "credit", "creator", "keywords"):
            assert "<span" not in text, f"{path}: markup in <{name.localname}>"
            assert _entities(text) <= _entities(source_text), f"{path}: <{name.localname}> {text}"
        return
    if "<" not in text:
        return
    fragment = lxml_html.fragment_fromstring(text, create_parent="div")
    # Article bodies legitimately hold <img>; never scripts, <b> or marked elements.
    injected = [e.tag for e in fragment.iter() if isinstance(e.tag, str) and (
        (e.tag in INJECTABLE and e.tag != "img") or INJECTION_MARK in e.get("class", ""))]
    assert not injected, f"{path}: injected {injected} inside <{name.localname}>"
    for element in fragment.iter():
        if isinstance(element.tag, str):
            assert not any(a.lower().startswith("on") for a in element.attrib), (
                f"{path}: event handler inside <{name.localname}>")
