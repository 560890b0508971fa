"""Read a built site's search index, which comes in parts (newsroom/build/search_parts.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

MAGIC = b"pagefind_dcd"

# Invented words, one per harbour story: each is in exactly one page of the
# index, and the stories' pages fall into every part of a 4-part index.
PART_WORDS = ["quillomax", "brandivore", "tesselunk", "vorpalite", "glimmerant", "sproketine",
              "murvanish", "zelquorin"]


def harbour_story(number: int, word: str) -> str:
    """A story whose only uncommon word is ``word`` (page ``2024/05/harbour-report-<n>/``)."""
    return (f"Title: Harbour report number {number}\nDate: 2024-05-{number + 1:02d} 09:00\n"
            f"Category: News\nTags: Harbour\nAuthors: Staff Reporter\n"
            f"Summary: The harbour authority's report number {number}.\n"
            f"Slug: harbour-report-{number}\n\n"
            f"The harbour authority published report {number}, which mentions {word}.\n")


def bundles(output: Path) -> list[Path]:
    """``pagefind/`` and every part folder ``pagefind/parts.json`` names."""
    primary = Path(output) / "pagefind"
    names = json.loads((primary / "parts.json").read_text(encoding="utf-8"))
    return [primary] + [primary / name for name in names]


def bundle_fragments(bundle: Path) -> list[bytes]:
    """The fragments of one bundle, decompressed (Pagefind's magic prefix dropped)."""
    return [gzip.decompress(path.read_bytes()).removeprefix(MAGIC)
            for path in sorted((bundle / "fragment").glob("*.pf_fragment"))]


def fragments(output: Path) -> list[bytes]:
    """Every indexed page's fragment, decompressed, from every bundle."""
    return [fragment for bundle in bundles(output) for fragment in bundle_fragments(bundle)]


def fragment_urls(output: Path) -> list[str]:
    """The URL of each indexed page, sorted."""
    return sorted(json.loads(fragment)["url"] for fragment in fragments(output))


def page_count(output: Path) -> int:
    """Pages in the whole index, by every bundle's ``pagefind-entry.json``."""
    total = 0
    for bundle in bundles(output):
        entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
        total += sum(language["page_count"] for language in entry["languages"].values())
    return total
