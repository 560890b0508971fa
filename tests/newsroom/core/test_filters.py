"""newsroom/core/filters.py: the theme's Jinja filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from newsroom.core.filters import (WORDS_PER_MINUTE, date_and_time, isodate, plain, reading_minutes,
                              script_json, without_standfirst)

NAIROBI = timezone(timedelta(hours=3))


@pytest.mark.parametrize("value, expected", [
    # Typogrify's markup goes, entities are decoded once, spaces fold.
    ('Ruto <span class="amp">&amp;</span> Macron', "Ruto & Macron"),
    ("A &lt;b&gt; tag, France&#8217;s\n  support ", "A <b> tag, France\u2019s support"),
    (Markup("<em>Already</em> markup"), "Already markup"),
    (None, ""),
    (3, "3"),
])
def test_plain_is_the_text_a_reader_sees(value, expected):
    result = plain(value)
    assert result == expected
    assert type(result) is str  # escaped again wherever a template prints it


def test_isodate_is_w3c_with_the_offset_and_whole_seconds():
    assert isodate(datetime(2024, 6, 15, tzinfo=NAIROBI)) == "2024-06-15T00:00:00+03:00"
    assert isodate(datetime(2024, 6, 15, 1, 2, 3, 456, tzinfo=UTC)) == "2024-06-15T01:02:03+00:00"


def test_date_and_time_as_readers_see_it():
    assert date_and_time(datetime(2024, 6, 5, 8, 7, tzinfo=NAIROBI)) == "5 June 2024, 08:07"
    assert date_and_time(datetime(2024, 12, 25, 23, 59)) == "25 December 2024, 23:59"


@pytest.mark.parametrize("words, minutes", [(0, 1), (1, 1), (WORDS_PER_MINUTE, 1),
                                            (WORDS_PER_MINUTE + 1, 2), (10 * WORDS_PER_MINUTE, 10)])
def test_reading_minutes_rounds_up_and_counts_words_not_markup(words, minutes):
    body = "<p>" + ' <a href="x">word</a>' * words + "</p>"
    assert reading_minutes(body) == minutes


def test_script_json_cannot_end_the_script_element():
    value = {"headline": "</script><script>alert(1)</script> <!-- & \u2028\u2029 caf\u00e9",
             "n": [1, None, True]}
    text = script_json(value)
    assert isinstance(text, Markup)  # not escaped again by Jinja
    for unsafe in ("<", ">", "&", "\u2028", "\u2029"):
        assert unsafe not in text, unsafe
    assert "caf\u00e9" in text  # other text stays readable
    assert json.loads(str(text)) == value


@pytest.mark.parametrize("content, summary, expected", [
    ("<p>The standfirst.</p>\n<p>Body</p>", "The standfirst.", "<p>Body</p>"),
    # Compared as text: markup and typography in either do not matter.
    ("<p>The <em>standfirst</em>.</p><p>Body</p>", "The standfirst.", "<p>Body</p>"),
    ("<p>Other.</p><p>Body</p>", "The standfirst.", "<p>Other.</p><p>Body</p>"),
    # Only the first paragraph, and only a paragraph.
    ("<p>Body</p><p>The standfirst.</p>", "The standfirst.", "<p>Body</p><p>The standfirst.</p>"),
    ("<h2>The standfirst.</h2>", "The standfirst.", "<h2>The standfirst.</h2>"),
    ("<p>Body</p>", None, "<p>Body</p>"),
    ("", "The standfirst.", ""),
])
def test_without_standfirst_drops_a_first_paragraph_that_repeats_it(content, summary, expected):
    assert without_standfirst(content, summary) == expected
