"""The seed article is published whole, verbatim and in order."""

from __future__ import annotations

import re
import unicodedata

from helpers.building import ARTICLE_URL, FIXTURES

SOURCE = (FIXTURES / "seed_article.txt").read_text(encoding="utf-8").splitlines()
HEADLINE = SOURCE[0]
# Body paragraphs by line number (1-based) per shared/README.md.
BODY_LINES = [7, 9, 11, 13, 18, 20, 22, 24, 26, 28, 30, 32]
QUOTE_LINES = [13, 20, 26, 28]


def normalise(text: str) -> str:
    """Compare text, not typography: straighten quotes, fold spaces."""
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'")):
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip()


def article_text(site) -> str:
    doc = site.page(ARTICLE_URL)
    (article,) = doc.xpath("//main//article")
    return normalise(article.text_content())


def test_article_url_exists(site):
    assert site.exists(ARTICLE_URL)


def test_headline_is_the_only_h1(site):
    doc = site.page(ARTICLE_URL)
    h1s = doc.xpath("//h1")
    assert len(h1s) == 1
    assert normalise(h1s[0].text_content()) == normalise(HEADLINE)


def test_byline_and_date(site):
    doc = site.page(ARTICLE_URL)
    byline = doc.xpath("//main//*[contains(@class,'byline')]")[0]
    assert "Staff Reporter" in byline.text_content()
    author_links = byline.xpath(".//a[@rel='author']/@href")
    assert author_links and author_links[0].endswith("author/staff-reporter/")
    times = byline.xpath(".//time/@datetime")
    assert times[0] == "2024-06-15T00:00:00+03:00"


def test_every_paragraph_and_quote_in_source_order(site):
    text = article_text(site)
    position = 0
    for number in BODY_LINES:
        sentence = normalise(SOURCE[number - 1])
        found = text.find(sentence, position)
        assert found >= 0, f"line {number} missing or out of order: {sentence[:60]}"
        position = found + len(sentence)


def test_lead_alt_text_is_not_a_heading(site):
    doc = site.page(ARTICLE_URL)
    alt = normalise(SOURCE[2])
    for heading in doc.xpath("//h1|//h2|//h3|//h4"):
        assert alt not in normalise(heading.text_content())


def test_quotes_and_apostrophes_are_curly(site):
    doc = site.page(ARTICLE_URL)
    body = doc.xpath("//main//article")[0].text_content()
    for number in QUOTE_LINES:
        start = normalise(SOURCE[number - 1]).strip('"')[:30]
        assert f"\u201c{start}" in body.replace("\xa0", " "), f"line {number} lacks an opening curly quote"
    assert "France\u2019s support" in body
    assert '"' not in body and "'" not in body


def test_article_shows_the_three_photos(site):
    doc = site.page(ARTICLE_URL)
    images = doc.xpath("//main//article//img")
    assert len(images) == 3
    for img in images:
        assert img.get("alt"), "every photo has alt text"
