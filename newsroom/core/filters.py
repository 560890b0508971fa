"""Jinja filters used by the theme, one small function per job.

Registered through ``JINJA_FILTERS`` in pelicanconf.py.
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import datetime

from markupsafe import Markup

WORDS_PER_MINUTE = 230  # a common adult silent-reading speed for news prose


def plain(value) -> str:
    """HTML (e.g. a typogrified title) to plain text, entities decoded.

    The result is a plain ``str``: with autoescaping on, Jinja escapes it
    again wherever it is printed, so it is safe in text and attributes.
    """
    if value is None:
        return ""
    return _plain_text(str(value))


@functools.lru_cache(maxsize=4096)
def _plain_text(html: str) -> str:
    # Pure in the text; a headline is made plain on every page that lists it.
    text = Markup(html).striptags()
    return re.sub(r"\s+", " ", text).strip()


def isodate(value: datetime) -> str:
    """W3C/ISO 8601 date-time with its UTC offset, e.g. 2024-06-15T00:00:00+03:00."""
    return value.isoformat(timespec="seconds")


def date_and_time(value: datetime) -> str:
    """A date with its time as readers see it, e.g. 16 June 2024, 10:05."""
    return f"{value.day} {value:%B %Y, %H:%M}"


def reading_minutes(html: str) -> int:
    """Whole minutes to read an article body, at least one."""
    words = len(plain(html).split())
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def _escape_json_for_script(text: str) -> str:
    # Inside <script> the HTML parser ends the element at "</script" and can
    # enter odd states at "<!--"; escaping every <, > and & as JSON \u
    # sequences keeps the JSON valid and the parser inert.
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def script_json(value) -> Markup:
    """Serialise ``value`` as JSON that is safe inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False, indent=None)
    return Markup(_escape_json_for_script(text))


_FIRST_PARAGRAPH = re.compile(r"^\s*<p>(.*?)</p>\s*", re.DOTALL)


def without_standfirst(content: str, summary: str | None) -> str:
    """Drop the body's first paragraph when it is the standfirst itself.

    News style often uses the first paragraph as the standfirst; the article
    page shows it once, styled as the standfirst, not twice in a row.
    """
    match = _FIRST_PARAGRAPH.match(content or "")
    if summary and match and plain(match.group(1)) == plain(summary):
        return content[match.end():]
    return content


JINJA_FILTERS = {
    "without_standfirst": without_standfirst,
    "plain": plain,
    "isodate": isodate,
    "date_and_time": date_and_time,
    "reading_minutes": reading_minutes,
    "script_json": script_json,
}
