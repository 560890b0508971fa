"""plugins/news_feeds/absolute_urls.py: URLs in feed HTML become absolute, nothing else changes."""

from __future__ import annotations

import pytest

from plugins.news_feeds.absolute_urls import absolutize

BASE = "https://news.example.org/2024/06/story/"


def test_absolute_urls_keep_the_rest_of_the_html_as_is():
    html = (
        '<p>A &amp; B&#8217;s <a href="../other/">link</a> <!-- note --></p>'
        '<figure class="photo"><picture>'
        '<source type="image/avif" srcset="../../../images/a-800.avif 800w, ../../../images/a-1600.avif 1600w" sizes="100vw">'
        '<img src="/images/a.jpg" alt="Say &quot;hi&quot; &lt;now&gt;" width="800" height="450">'
        "</picture></figure><br/>"
    )
    assert absolutize(html, BASE) == (
        '<p>A &amp; B&#8217;s <a href="https://news.example.org/2024/06/other/">link</a> <!-- note --></p>'
        '<figure class="photo"><picture>'
        '<source type="image/avif" srcset="https://news.example.org/images/a-800.avif 800w, '
        'https://news.example.org/images/a-1600.avif 1600w" sizes="100vw">'
        '<img src="https://news.example.org/images/a.jpg" alt="Say &quot;hi&quot; &lt;now&gt;" width="800" height="450">'
        "</picture></figure><br/>"
    )


@pytest.mark.parametrize("html, expected", [
    # Every URL attribute: href, src, poster, cite; relative, root and fragment.
    ('<a href="#notes">n</a>', f'<a href="{BASE}#notes">n</a>'),
    ('<blockquote cite="../../src/">q</blockquote>',
     '<blockquote cite="https://news.example.org/2024/src/">q</blockquote>'),
    ('<video controls poster="p.jpg"></video>', f'<video controls poster="{BASE}p.jpg"></video>'),
    # Spaces around a URL are not part of it.
    ('<a href=" ../other/ ">o</a>', '<a href="https://news.example.org/2024/06/other/">o</a>'),
    # A query keeps its "&", escaped once.
    ('<a href="?q=1&amp;r=2">q</a>', f'<a href="{BASE}?q=1&amp;r=2">q</a>'),
    # srcset: each candidate resolved, descriptors kept, stray commas and spaces dropped.
    ('<img src="a.jpg" srcset=" a-480.jpg 480w ,a-800.jpg  800w," />',
     f'<img src="{BASE}a.jpg" srcset="{BASE}a-480.jpg 480w, {BASE}a-800.jpg 800w" />'),
    # Already absolute, another scheme, another host: unchanged (a scheme-relative
    # URL gets the site's scheme, as a reader would).
    ('<a href="https://other.example/a">a</a>', '<a href="https://other.example/a">a</a>'),
    ('<a href="mailto:desk@example.org">m</a>', '<a href="mailto:desk@example.org">m</a>'),
    ('<a href="//cdn.example.com/x.js">x</a>', '<a href="https://cdn.example.com/x.js">x</a>'),
    # Tags without URL attributes, text, entities and declarations: as written.
    ('<p class="x" title="&quot;">t &lt; u &#8217;</p>', '<p class="x" title="&quot;">t &lt; u &#8217;</p>'),
    ("<!doctype html><?pi x?>", "<!doctype html><?pi x?>"),
])
def test_each_url_attribute_is_resolved_against_the_story(html, expected):
    assert absolutize(html, BASE) == expected


@pytest.mark.parametrize("empty", ["", None])
def test_no_html_is_an_empty_string(empty):
    assert absolutize(empty, BASE) == ""


@pytest.mark.parametrize("html", [
    "<p>a<![CDATA[x<y]]>b</p>",
    "<p>a<![if !IE]>b<![endif]>c</p>",
])
def test_marked_sections_come_back_whole(html):
    assert absolutize(html, "https://example.org/") == html
