"""Two builds of the same content at different times are byte-identical.

Publishing builds, so this covers every file the site has: pages, feeds,
sitemaps, the search index, photo renditions, fingerprinted assets and the
.gz/.br copies.
"""

from __future__ import annotations

import time

import pytest

from helpers.building import EPOCH, PUBLISHING, copy_content, hash_tree, run_build
from newsroom.core import clock

# Same-date stories sharing tags: ties in every ordering (lists, tags,
# feeds, sitemaps, related stories, the search index) must break the same way.
TIED_STORIES = {
    f"2024-06-15-tied-{n}.md": (
        f"Title: Tied story number {n}\nDate: 2024-06-15\nCategory: {section}\n"
        f"Tags: Kenya, Haiti, Topic {n % 2}\nAuthors: Staff Reporter, Writer {n}\n"
        f"Summary: Story {n} shares a date and tags with the others.\n\n"
        f"Paragraph {n} of a story that ties with the others.\n"
    )
    for n, section in enumerate(["Politics", "World", "Politics"], start=1)
}


@pytest.mark.slow
def test_builds_at_different_times_are_identical(tmp_path):
    content = copy_content(tmp_path)
    for name, text in TIED_STORIES.items():
        (content / "articles" / name).write_text(text, encoding="utf-8")
    trees, started = [], []
    for run, hash_seed in enumerate(("1", "2")):
        started.append(int(time.time()))
        result = run_build(
            tmp_path / f"output-{run}",
            settings=PUBLISHING,
            # A fresh photo cache per build, so every rendition is encoded
            # twice (AVIF, WebP, JPEG); small renditions, crops and
            # thumbnails keep that quick.
            overrides={"PATH": str(content), "PHOTO_CACHE_PATH": str(tmp_path / f"cache-{run}"),
                       "PHOTO_WIDTHS": [480], "PHOTO_CROP_WIDTH": 480,
                       "PHOTO_THUMBNAIL_WIDTHS": [400]},
            # Same SOURCE_DATE_EPOCH; a different hash seed shakes out any
            # ordering that depends on set or dict iteration of strings.
            env={"SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": hash_seed},
        )
        assert result.returncode == 0, result.stderr
        trees.append(hash_tree(result.output))
    first, second = trees
    assert started[0] != started[1], "the builds ran in the same wall-clock second"
    assert any(name.startswith("pagefind/") for name in first)
    assert any(name.endswith(".avif") for name in first)
    assert any(name.endswith(".webp") for name in first)
    assert any(name.startswith("feeds/") for name in first)
    assert sum(name.endswith(".br") for name in first) > 30
    assert sum(name.endswith(".gz") for name in first) > 30
    differing = sorted(name for name in first.keys() | second.keys()
                       if first.get(name) != second.get(name))
    assert differing == []


def test_build_time_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718640000")
    assert clock.build_time().isoformat() == "2024-06-17T16:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(clock.InvalidSourceDateEpoch, match="SOURCE_DATE_EPOCH='yesterday'"):
        clock.build_time()
