"""Corrections and updates: ``Modified:`` and ``Correction:`` lines, checked.

A story may carry any number of corrections, one per line, oldest first::

    Correction: 2024-06-16 10:00 | An earlier version misspelt the minister's name.

The reader (``reader.StoryReader``) calls ``check_updates`` with the fields
and line numbers Python-Markdown parsed (``metadata_lines``). It reports,
each naming the file and line:

* ``Modified`` earlier than ``Date``;
* a ``Correction`` line without ``|``, with a date that is not
  ``YYYY-MM-DD HH:MM``, or with no text after the ``|``;
* corrections out of date order, or dated before the story's ``Date``.

On a good story it puts ``corrections`` in the metadata (a list of
``Correction``: ``date`` with the site's time zone, ``text`` as HTML made
from plain text: escaped, then typogrified like headlines; ``line``) and
moves ``modified`` to the latest of ``Modified`` and the corrections, so the
byline's "Updated", ``article:modified_time``, JSON-LD ``dateModified``, the
feed entry's ``updated`` and the sitemap's ``lastmod`` all follow. The raw
``correction`` field never reaches Pelican.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape

from pelican.utils import set_date_tzinfo

from .fields import _is_date
from .report import report

FIELD = "correction"
_WHEN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
EXAMPLE = "Correction: 2024-06-16 10:00 | An earlier version misspelt the minister's name."
FORM = 'write it as "Correction: YYYY-MM-DD HH:MM | what was corrected"'


@dataclass(frozen=True)
class Correction:
    date: datetime  # with the site's time zone
    text: str  # HTML made from plain text (escaped, typogrified): print with |safe
    line: int


def typographic(text: str, settings) -> str:
    """Plain text as HTML, with the typography headlines get (``TYPOGRIFY``)."""
    html = escape(text, quote=False)
    if not settings.get("TYPOGRIFY"):
        return html
    from typogrify.filters import typogrify

    from newsroom.compat.smartypants import set_pelican_dashes

    # The same set-up as Pelican's reader uses for titles and summaries.
    set_pelican_dashes(settings)
    omit = dict.fromkeys(settings.get("TYPOGRIFY_OMIT_FILTERS") or (), False)
    return typogrify(html, settings.get("TYPOGRIFY_IGNORE_TAGS") or [], **omit)


def _written_date(fields, name: str, timezone: str):
    """(line, value, datetime) of a Date or Modified line, or None if unusable."""
    entry = fields.get(name)
    if entry is None or not entry.values[0] or not _is_date(entry.values[0]):
        return None  # missing or not a date: fields.check_fields reports it
    value = entry.values[0]
    return entry.line, value, set_date_tzinfo(datetime.fromisoformat(value.replace(" ", "T")), timezone)


def _shown(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def check_updates(fields, metadata: dict, where: str, settings, covers) -> None:
    """Check Modified and the Correction lines; see the module docstring."""
    timezone = settings.get("TIMEZONE")
    metadata.pop(FIELD, None)
    date = _written_date(fields, "date", timezone)
    modified = _written_date(fields, "modified", timezone)
    good = True
    if date and modified and modified[2] < date[2]:
        good = False
        report(where, modified[0],
               f'Modified "{modified[1]}" is earlier than Date "{date[1]}" (line {date[0]}); '
               "an update comes after publication: fix the date or remove the Modified line",
               *covers)
    entry = fields.get(FIELD) if FIELD in settings["STORY_METADATA"] else None
    corrections: list[Correction] = []
    for line, value in zip(entry.lines, entry.values) if entry else ():
        when, bar, text = value.partition("|")
        when, text = when.strip(), text.strip()
        if not bar:
            good = False
            what = (f'"{entry.written}: {value}" has no "|" between the date and the text'
                    if value else f'"{entry.written}:" is empty')
            report(where, line, f'{what}; {FORM}, e.g. "{EXAMPLE}"', *covers)
            continue
        if not _WHEN.match(when) or not _is_date(when):
            good = False
            report(where, line,
                   f'Correction date "{when}" is not a date and time; {FORM} '
                   "(24-hour clock, the site's time zone)", *covers)
            continue
        if not text:
            good = False
            report(where, line,
                   f'Correction of {when} has no text after "|"; say what was wrong and '
                   "what is right now", *covers)
            continue
        moment = set_date_tzinfo(datetime.fromisoformat(when.replace(" ", "T")), timezone)
        if date and moment < date[2]:
            good = False
            report(where, line,
                   f'Correction date {when} is before the story\'s Date "{date[1]}" '
                   f"(line {date[0]}); a correction comes after publication: fix its date",
                   *covers)
            continue
        if corrections and moment < corrections[-1].date:
            good = False
            report(where, line,
                   f"Correction of {when} is earlier than the one on line "
                   f"{corrections[-1].line} ({_shown(corrections[-1].date)}); list corrections "
                   "in date order, newest last", *covers)
            continue
        corrections.append(Correction(moment, typographic(text, settings), line))
    if not good or not corrections:
        return
    metadata["corrections"] = corrections
    latest = corrections[-1].date
    if modified is None or modified[2] < latest:
        metadata["modified"] = latest
