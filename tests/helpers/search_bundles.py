"""Read a built site's search index, which comes in parts (newsroom/build/search_parts.py)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

MAGIC = b"pagefind_dcd"


def bundles(output: Path) -> list[Path]:
    """``pagefind/`` and every part folder ``pagefind/parts.json`` names."""
    primary = Path(output) / "pagefind"
    names = json.loads((primary / "parts.json").read_text(encoding="utf-8"))
    return [primary] + [primary / name for name in names]


def fragments(output: Path) -> list[bytes]:
    """Every indexed page's fragment, decompressed (Pagefind's magic prefix dropped)."""
    found = []
    for bundle in bundles(output):
        for path in sorted((bundle / "fragment").glob("*.pf_fragment")):
            found.append(gzip.decompress(path.read_bytes()).removeprefix(MAGIC))
    return found


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
