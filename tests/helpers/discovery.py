"""A publishing build with hostile and dated test stories, shared by the
Discovery tests (JSON-LD escaping, headline length, news sitemap window).

The session fixture ``discovery_site`` (tests/plugins/conftest.py) builds it
once per test process with ``build_discovery_site``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpers.building import PUBLIC_SITEURL, PUBLISHING, BuildResult, copy_content, run_build

# The build's clock: 16 June 2024, 12:00 UTC (SOURCE_DATE_EPOCH).
BUILD_TIME = datetime(2024, 6, 16, 12, 0, tzinfo=UTC)
NEWS_WINDOW_DAYS = 1

HOSTILE_TITLE = 'Breaking </script><script>alert(1)</script> <!-- news & "quotes" --> done'
LONG_TITLE = (
    "Parliament debates the supplementary budget for roads, railways, schools, "
    "hospitals and water projects in every county after a long and heated night"
)

STORIES = {
    # Inside the one-day window before the build time: in the news sitemap.
    "2024-06-16-hostile.md": f"""Title: {HOSTILE_TITLE}
Date: 2024-06-16 10:00
Category: News
Tags: Escaping, <!-- comment </script> tag
Authors: Jane Wanjiru, Staff Reporter
Summary: A headline that tries to end the script element.
Slug: hostile-headline

Body text of the hostile story.
""",
    # Outside the window (published four days before the build).
    "2024-06-12-long.md": f"""Title: {LONG_TITLE}
Date: 2024-06-12 09:00
Category: Business
Tags: Budget
Authors: Staff Reporter
Summary: The budget debate ran late.
Slug: long-headline

Body text of the long story.
""",
    # After the build time: never in the news sitemap.
    "2024-06-17-future.md": """Title: Tomorrow's story
Date: 2024-06-17 09:00
Category: News
Authors: Staff Reporter
Summary: Scheduled for tomorrow.
Slug: future-story

Body text of the future story.
""",
}


def build_discovery_site(work: Path) -> BuildResult:
    """The real content plus STORIES, published at PUBLIC_SITEURL at BUILD_TIME."""
    content = copy_content(work)
    for name, text in STORIES.items():
        (content / "articles" / name).write_text(text, encoding="utf-8")
    return run_build(
        work / "output",
        settings=PUBLISHING,
        overrides={"PATH": str(content), "NEWS_SITEMAP_WINDOW_DAYS": NEWS_WINDOW_DAYS},
        search=False,
        env={"SOURCE_DATE_EPOCH": str(int(BUILD_TIME.timestamp())), "SITEURL": PUBLIC_SITEURL},
    )
