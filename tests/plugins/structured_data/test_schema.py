"""plugins/structured_data/schema.py: the JSON-LD headline is plain text, cut on a word."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.structured_data.schema import HEADLINE_MAX, headline

PUNCTUATION = " ,;:.-\u2013\u2014"


@pytest.mark.parametrize("title, expected", [
    # Typogrify's markup and entities: the text a reader sees.
    ('Ruto <span class="amp">&amp;</span> Macron', "Ruto & Macron"),
    ("  spaced \n  out  ", "spaced out"),
    (None, ""),
    # Exactly the limit: kept whole.
    ("a" * HEADLINE_MAX, "a" * HEADLINE_MAX),
])
def test_short_headlines_are_the_plain_title(title, expected):
    assert headline(title) == expected


def test_a_long_headline_is_cut_on_a_word_with_an_ellipsis():
    title = ("Parliament debates the supplementary budget for roads, railways, schools, "
             "hospitals and water projects in every county after a long and heated night")
    cut = headline(title)
    assert len(title) > HEADLINE_MAX >= len(cut)
    assert cut.endswith("\u2026") and title.startswith(cut[:-1])
    assert title[len(cut) - 1] == " ", "cut inside a word"
    assert cut.startswith("Parliament debates the supplementary budget for roads, railways, ")


@pytest.mark.parametrize("title, limit, expected", [
    # Punctuation before the cut goes too.
    ("one, two, three four", 12, "one, two\u2026"),
    ("one \u2013 two three", 9, "one\u2026"),
    # A cut that falls just after a word keeps that word.
    ("one two three", 8, "one two\u2026"),
    ("one two, three", 9, "one two\u2026"),
    # One word longer than the limit: cut inside it, the only place there is.
    ("x" * 20, 10, "x" * 9 + "\u2026"),
])
def test_the_cut_drops_trailing_punctuation(title, limit, expected):
    assert headline(title, limit) == expected


@given(words=st.lists(st.text(st.characters(exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
                              min_size=1, max_size=15), min_size=1, max_size=20),
       limit=st.integers(min_value=5, max_value=120))
def test_any_headline_fits_the_limit_and_starts_the_title(words, limit):
    text = " ".join(words)
    plain = re.sub(r"\s+", " ", text).strip()
    result = headline(text.replace("&", "&amp;").replace("<", "&lt;"), limit)
    assert len(result) <= limit
    if len(plain) <= limit:
        assert result == plain
    else:
        assert result.endswith("\u2026")
        kept = result[:-1]
        assert plain.startswith(kept)
        # Cut where a word ends, unless the first word alone is too long.
        assert plain[len(kept)] in PUNCTUATION or " " not in plain[:limit - 1]
