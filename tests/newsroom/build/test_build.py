"""Atomic publishing: a failed build leaves the previous output byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import search_bundles
from helpers.building import (ARTICLE_URL, SEED, copy_content, hash_tree, leftovers,
                              run_build)


@pytest.fixture
def previous_site(site, tmp_path) -> Path:
    """A copy of a full build (pages, images, search index) to build over."""
    output = tmp_path / "output"
    shutil.copytree(site.output, output, symlinks=True)
    return output


def test_failed_build_keeps_previous_output_byte_for_byte(previous_site, tmp_path):
    before = hash_tree(previous_site)
    # The comparison covers the search index and the photos, not only pages.
    assert any(name.startswith("pagefind/") for name in before)
    assert any(name.startswith("images/") for name in before)
    assert f"{ARTICLE_URL}index.html" in before

    content = copy_content(tmp_path)
    seed = content / "articles" / SEED
    seed.write_text(seed.read_text().replace("Date: 2024-06-15", "Date: 2024-06-31"))
    result = run_build(previous_site, overrides={"PATH": str(content)})

    assert result.returncode == 1
    assert f"content/articles/{SEED}:2: Date \"2024-06-31\" is not a date" in result.stderr
    assert "was left as it was" in result.stderr
    assert hash_tree(previous_site) == before
    assert leftovers(previous_site) == []


def test_crash_keeps_previous_output(previous_site):
    """A real bug (here a nonsense setting) fails loudly but loses nothing."""
    before = hash_tree(previous_site)
    result = run_build(previous_site, overrides={"DEFAULT_PAGINATION": "many"}, search=False)
    assert result.returncode != 0
    assert "Traceback" in result.stderr  # bugs keep their traceback for developers
    assert hash_tree(previous_site) == before
    assert leftovers(previous_site) == []


def test_successful_build_replaces_output_whole(previous_site, tmp_path):
    content = copy_content(tmp_path)
    (content / "articles" / "2024-06-20-new.md").write_text(
        "Title: Fresh story about zebras\nDate: 2024-06-20\nCategory: News\n\n"
        "Zebras crossed the river.\n",
        encoding="utf-8",
    )
    stale = previous_site / "stale.html"
    stale.write_text("from an older build")
    result = run_build(previous_site, overrides={"PATH": str(content)})
    assert result.returncode == 0, result.stderr
    assert (previous_site / "2024/06/fresh-story-about-zebras/index.html").is_file()
    assert not stale.exists()  # a swap, not a copy over the old files
    # Pagefind indexed the staging folder, so the new story is searchable.
    assert any(b"Zebras crossed the river" in fragment
               for fragment in search_bundles.fragments(previous_site))
    assert leftovers(previous_site) == []


def test_bad_source_date_epoch_is_a_clear_error(previous_site):
    before = hash_tree(previous_site)
    result = run_build(previous_site, search=False, env={"SOURCE_DATE_EPOCH": "last tuesday"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert ("error: SOURCE_DATE_EPOCH='last tuesday' is not a Unix timestamp in seconds; "
            "unset it, or set it to") in result.stderr
    assert hash_tree(previous_site) == before
