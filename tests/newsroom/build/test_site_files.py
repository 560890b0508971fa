"""newsroom/build/site_files.py: the content-named files, found in their own folders only."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsroom.build.site_files import (PRECOMPRESSED_SUFFIXES, immutable_files,
                                      immutable_pattern, site_paths)

FILES = [
    "index.html", "2024/06/story/index.html", "2024/06/story/index.html.gz",
    "pagefind/fragment/en_1a2b.pf_fragment", "pagefind/fragment/en_1a2b.pf_fragment.br",
    "pagefind/part-2/index/en_3c4d.pf_index", "pagefind/pagefind-entry.json",
    "pagefind/pagefind.en_5e6f7a8b9c.pf_meta", "images/renditions/photo-400w-0123456789ab.jpg",
    "images/originals/photo.jpg", "theme/css/site.0123456789.css", "theme/js/search.abcdef0123.js",
    "theme/css/site.css", "assets/look/site.0123456789.css", "story/theme/x.0123456789.css",
    "static/images/renditions/copy-400w-0123456789ab.jpg",
]


def whole_site(site: Path, fingerprinted, theme_dir: str, photo_dir: str) -> list[str]:
    """What a walk of every folder of the site finds (the earlier way)."""
    pattern = immutable_pattern(theme_dir, photo_dir)
    theme = theme_dir.strip("/") + "/"

    def content_named(path: str) -> bool:
        if path.endswith(PRECOMPRESSED_SUFFIXES):
            return False
        if fingerprinted is not None and path.startswith(theme):
            return path in fingerprinted  # the fingerprint plugin's own list
        return pattern.match(path) is not None

    return list(filter(content_named, site_paths(site)))


@pytest.mark.parametrize("theme_dir, photo_dir", [
    ("theme", "images/renditions"), ("/theme/", "/images/renditions/"),
    ("assets/look", "images/renditions"), ("theme", "images"), ("theme", ""),
    ("", "images/renditions"), ("theme", "missing/folder"), ("theme/css", "theme")])
@pytest.mark.parametrize("fingerprinted", [None, ["theme/css/site.0123456789.css"]])
def test_content_named_files_are_those_a_walk_of_the_whole_site_finds(
        tmp_path, theme_dir, photo_dir, fingerprinted):
    for name in FILES:
        path = tmp_path.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name, encoding="utf-8")
    found = immutable_files(tmp_path, fingerprinted, theme_dir=theme_dir, photo_dir=photo_dir)
    assert found == whole_site(tmp_path, fingerprinted, theme_dir, photo_dir)
    assert "pagefind/fragment/en_1a2b.pf_fragment" in found
