"""Which pages mark something for Pagefind to index (newsroom/compat/pagefind.py ``has_body``).

With the index in parts, each part is a Pagefind run of its own, and a run
whose pages have no ``data-pagefind-body`` indexes every page's whole
``<body>``: a page that only mentions the attribute must not count. The
answer is compared with Python's HTML parser on written cases and on
generated pages that put the attribute's name in tags, attribute values,
text, comments, scripts and styles.
"""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest

from newsroom.compat.pagefind import has_body

NAME = "data-pagefind-body"


class _Marked(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = False

    def handle_starttag(self, tag, attrs):
        self.found = self.found or any(name == NAME for name, _value in attrs)

    handle_startendtag = handle_starttag


def parsed(html: str) -> bool:
    parser = _Marked()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize("html, expected", [
    ('<article class="story" data-pagefind-body>', True),
    ("<ARTICLE DATA-PAGEFIND-BODY>", True),
    ('<div data-pagefind-body="">', True),
    ("<div\ndata-pagefind-body\n>", True),
    ("<img src=a/b.png data-pagefind-body>", True),
    ('<article data-pagefind-ignore="all">', False),
    ("<p>Use &lt;div data-pagefind-body&gt; to mark</p>", False),
    ("<p>use data-pagefind-body here</p>", False),
    ('<img alt="see data-pagefind-body here" src=x>', False),
    ("<img alt='x data-pagefind-body' src=x>", False),
    ('<meta content="a > data-pagefind-body">', False),
    ("<!-- <div data-pagefind-body> -->", False),
    ('<script>var a = "<div data-pagefind-body>";</script>', False),
    ("<style>/* <div data-pagefind-body> */</style>", False),
    ('<script type="application/ld+json">{}</script><main data-pagefind-body>', True),
    ("<div data-pagefind-bodyx>", False),
])
def test_written_cases(html, expected):
    assert has_body(html.encode()) is expected
    assert parsed(html) is expected


def _piece(rng: random.Random) -> str:
    word = rng.choice(["news", NAME, NAME.upper(), "data-pagefind-ignore", "x", "a > b"])
    quote = rng.choice(['"', "'"])
    return rng.choice([
        f"<p>{word}</p>",
        f"<div class={quote}{word}{quote}>",
        f"<img alt={quote}{word}{quote} src=a.png>",
        f"<div {NAME}>",
        f"<section id=s {NAME}=\"\">",
        f"<!-- {word} <div {NAME}> -->",
        f"<script>var s = '<div {word}>';</script>",
        f"<style>/* <b {word}> */</style>",
        f"<a href={quote}/{word}{quote} title=t>",
        "</div>",
        f"text {word} &lt;div {NAME}&gt;",
    ])


def test_generated_pages_agree_with_an_html_parser():
    rng = random.Random(20261204)
    disagreements = []
    for _ in range(4000):
        html = "<!doctype html><html><body>" + "".join(
            _piece(rng) for _ in range(rng.randint(1, 8))) + "</body></html>"
        if has_body(html.encode()) != parsed(html):
            disagreements.append(html)
    assert disagreements == []
