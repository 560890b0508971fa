"""The build's notion of "now", reproducible.

Anything time-dependent in the output (the news sitemap's window, a build
date) must call ``build_time()`` instead of ``datetime.now()``: it honours
``SOURCE_DATE_EPOCH`` (https://reproducible-builds.org/specs/source-date-epoch/)
so two builds of the same content produce identical files.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


class InvalidSourceDateEpoch(ValueError):
    pass


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
