"""Paths inside the content folder: the one rule every plugin applies to a target.

A content file names other files (photos, documents, stories) by paths that
an attacker controls; only files really inside content/ may be read or
published.
"""

from __future__ import annotations

import os
from pathlib import Path


# Extensions that promise an image: a {static} link to one must open in
# Pillow (content_checks), so a story's read depends on such a file's bytes
# (newsroom/build/read_cache.py).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".tif", ".tiff"})


def is_within(root: str, path: str) -> bool:
    return os.path.commonpath([root, path]) == root


def inside_content(content_root, target_path) -> bool:
    """True if ``target_path`` (absolute, or relative to content/) stays in content/.

    Rejects paths that climb out with ``..``, paths through a symbolic link
    (the file or any folder between content/ and it) and paths whose real
    location is elsewhere. The target need not exist.
    """
    root = os.path.abspath(str(content_root))
    target = os.path.normpath(os.path.join(root, str(target_path)))
    if not is_within(root, target):
        return False
    current = root
    for part in Path(os.path.relpath(target, root)).parts:
        if part == os.curdir:
            continue
        current = os.path.join(current, part)
        if os.path.islink(current):
            return False
    real_root = os.path.realpath(root)
    return is_within(real_root, os.path.realpath(target))
