"""The build's notion of "now", reproducible.

Anything time-dependent in the output (the news sitemap's window, a build
date) must call ``build_time()`` instead of ``datetime.now()``: it honours
``SOURCE_DATE_EPOCH`` (https://reproducible-builds.org/specs/source-date-epoch/)
so two builds of the same content produce identical files.

Whatever compares a date with ``build_time()`` also says when its answer
will change (``output_changes_at``): an embargo lifts, a story leaves the
news sitemap's window. The build driver keeps the earliest such moment with
the build (``output_valid_until``), so that a later build of unchanged
sources is skipped only while the output it would write is still the same
(newsroom/build/up_to_date.py).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


class InvalidSourceDateEpoch(ValueError):
    pass


_changes: list[datetime] = []  # moments at which this build's output would differ


def output_changes_at(moment: datetime) -> None:
    """A build at ``moment`` or later would write other output than this one."""
    _changes.append(moment)


def output_valid_until() -> datetime | None:
    """The earliest moment given to ``output_changes_at`` since the last reset; None if none."""
    return min(_changes) if _changes else None


def output_changes_count() -> int:
    """How many moments ``output_changes_at`` was given since the last reset."""
    return len(_changes)


def reset_output_changes() -> None:
    _changes.clear()


def build_time() -> datetime:
    """Aware UTC datetime: SOURCE_DATE_EPOCH if set, else the current time."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return datetime.fromtimestamp(int(raw.strip()), UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise InvalidSourceDateEpoch(
            f"SOURCE_DATE_EPOCH={raw!r} is not a Unix timestamp in seconds"
        ) from error
