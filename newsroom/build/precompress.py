"""Precompressed copies of the site's text files, for servers that send them as they are.

With ``PRECOMPRESS = True`` (publishconf.py) the build driver, after Pagefind,
writes beside every text file larger than ``MIN_SIZE`` (1024) bytes

* ``<file>.gz``: gzip, level 9, header time 0 and no file name;
* ``<file>.br``: Brotli (the ``brotli`` package), quality 11, text mode,

so nginx (``gzip_static``, ``brotli_static``) and Caddy (``precompressed``)
serve them to clients that accept them without compressing on every request.
Both are reproducible: the same bytes give the same ``.gz`` and ``.br`` (with
the same zlib and Brotli versions), so two builds of the same content stay
byte-identical.

Text files are those ending in ``TEXT_SUFFIXES`` (HTML, CSS, JS, JSON, XML
feeds and sitemaps, plain text, SVG, source and nginx ``.map`` files, web
manifests, WebAssembly). Pagefind's ``.pf_*`` index files and its
``wasm.*.pagefind`` are gzip already and are left alone, as are images.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

MIN_SIZE = 1024  # bytes: files of this size or smaller are not worth a request header
TEXT_SUFFIXES = (".html", ".css", ".js", ".mjs", ".json", ".xml", ".txt", ".svg", ".map",
                 ".webmanifest", ".wasm")


def gzip_bytes(data: bytes) -> bytes:
    """gzip level 9 with time 0 and no name in the header: reproducible."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def brotli_bytes(data: bytes) -> bytes:
    import brotli  # a dependency (pyproject.toml); imported here so dev builds never need it

    return brotli.compress(data, mode=brotli.MODE_TEXT, quality=11)


def wants_precompression(path: str | Path, size: int, min_size: int = MIN_SIZE) -> bool:
    return str(path).endswith(TEXT_SUFFIXES) and size > min_size


def precompress(site: Path, min_size: int = MIN_SIZE) -> list[str]:
    """Write ``.gz`` and ``.br`` beside each text file of ``site`` over ``min_size`` bytes.

    Returns the site-relative paths of the files compressed, sorted.
    """
    done = []
    for folder, folders, names in os.walk(site):
        folders.sort()
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_symlink() or not wants_precompression(name, path.stat().st_size, min_size):
                continue
            data = path.read_bytes()
            Path(f"{path}.gz").write_bytes(gzip_bytes(data))
            Path(f"{path}.br").write_bytes(brotli_bytes(data))
            done.append(path.relative_to(site).as_posix())
    return sorted(done)
