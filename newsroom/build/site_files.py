"""Which files of a built site never change under their name.

A file whose name carries a hash of its content can be cached for ever
(``Cache-Control: public, max-age=31536000, immutable``): a new version
gets a new name. In this site those are

* the theme's CSS and JS in the publishing build (``theme/css/site.<hash>.css``,
  plugins/asset_fingerprints);
* Pagefind's index: ``pagefind/fragment/*.pf_fragment``,
  ``pagefind/index/*.pf_index``, ``pagefind/filter/*.pf_filter`` and
  ``pagefind/pagefind.<lang>_<hash>.pf_meta``, and the same in each part's
  folder ``pagefind/part-<n>/`` (newsroom/build/search_parts.py);
* the photo renditions, ``images/renditions/<name>-<width>w-<hash>.<ext>``.

Not immutable: every other file, among them Pagefind's loader and UI
(``pagefind/pagefind*.js``, ``pagefind-ui.css``), ``pagefind-entry.json``
(which names the current ``.pf_meta``), ``pagefind/wasm.*.pagefind``, the
favicon and the publisher logo.

The publishing build writes the list of its own immutable files to
``immutable.txt`` at the root of the site (``IMMUTABLE_LIST``): comment lines
start with ``#``; then one path per line, relative to the site root (the URL
is SITEURL + "/" + path), sorted. A listed file's ``.gz`` and ``.br`` beside
it, when present, are immutable too. ``invoke publish`` reads it to carry a
release's hashed files into later releases (newsroom/publish/releases.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from newsroom.compat.pagefind import CONTENT_NAMED as PAGEFIND_CONTENT_NAMED

IMMUTABLE_LIST = "immutable.txt"
PRECOMPRESSED_SUFFIXES = (".gz", ".br")
FINGERPRINT_PATTERN = r"[^/]+\.[0-9a-f]{10}\.(?:css|js)"  # plugins/asset_fingerprints

_HEADER = """\
# Files whose names carry a hash of their content: a new version always gets
# a new name, so servers and CDNs may cache these for a year
# (Cache-Control: public, max-age=31536000, immutable).
# One path per line, relative to the site root (URL: SITEURL/path), sorted.
# Each file's .gz and .br beside it, when present, are immutable too.
# Written by the publishing build (newsroom/build/site_files.py).
"""


def immutable_pattern(theme_dir: str = "theme",
                      photo_dir: str = "images/renditions") -> re.Pattern:
    """A regular expression matching the site-relative path of every content-named file.

    Theme files match by their name's shape (``<stem>.<10 hex>.css|js``);
    ``immutable_files`` uses the fingerprint plugin's own list when it has it.
    """
    theme = re.escape(theme_dir.strip("/"))
    photos = re.escape(photo_dir.strip("/"))
    return re.compile(
        "^(?:"
        f"pagefind/(?:part-[0-9]+/)?{PAGEFIND_CONTENT_NAMED}"
        f"|{photos}/[^/]+"
        f"|{theme}/(?:[^/]+/)*{FINGERPRINT_PATTERN}"
        ")$"
    )


def site_paths(site: Path) -> list[str]:
    """Every file under ``site`` as a sorted site-relative POSIX path (links not followed)."""
    paths = []
    root = os.fspath(site)
    for folder, folders, names in os.walk(root):
        folders.sort()
        # (os.path.relpath, not Path.relative_to: a publishing build lists
        # about 6,000 files, and pathlib took a tenth of a second for them.)
        prefix = os.path.relpath(folder, root)
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        paths += [prefix + name for name in names]
    return sorted(paths)


def _paths_under(site: Path, folders: Iterable[str]) -> list[str]:
    """``site_paths`` of the files in these site folders only, sorted (the
    whole site if one of them is the site itself or not a plain folder).

    Content-named files are in three folders: listing them alone saves a
    walk of every story's folder (1,500 folders at 1,000 stories).
    """
    names = []
    for folder in folders:
        name = folder.strip("/")
        parts = name.split("/")
        if not name or any(part in ("", ".", "..") for part in parts):
            return site_paths(site)
        names.append(name)
    found = set()
    for name in names:
        root = Path(site, *name.split("/"))
        if root.is_dir() and not root.is_symlink():
            found.update(f"{name}/{path}" for path in site_paths(root))
    return sorted(found)


def immutable_files(site: Path, fingerprinted: Iterable[str] | None = None,
                    theme_dir: str = "theme", photo_dir: str = "images/renditions") -> list[str]:
    """The content-named files of ``site``, precompressed copies left out.

    ``fingerprinted``: the theme's hashed paths (the values of the
    ``ASSET_FINGERPRINTS`` setting that differ from their keys); without it,
    theme files are recognised by the shape of their name.
    """
    pattern = immutable_pattern(theme_dir, photo_dir)
    theme_prefix = theme_dir.strip("/") + "/"
    known = set(fingerprinted) if fingerprinted is not None else None
    found = []
    for path in _paths_under(site, ("pagefind", theme_dir, photo_dir)):
        if path.endswith(PRECOMPRESSED_SUFFIXES):
            continue
        if known is not None and path.startswith(theme_prefix):
            if path in known:
                found.append(path)
        elif pattern.match(path):
            found.append(path)
    return found


def write_immutable_list(site: Path, files: Iterable[str]) -> Path:
    path = site / IMMUTABLE_LIST
    path.write_text(_HEADER + "".join(f"{name}\n" for name in sorted(files)), encoding="utf-8")
    return path


def read_immutable_list(site: Path) -> list[str] | None:
    """The paths ``site``'s ``immutable.txt`` lists, or None when it has none."""
    try:
        text = (site / IMMUTABLE_LIST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]
