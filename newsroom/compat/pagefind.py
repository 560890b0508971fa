"""Everything that knows Pagefind's internal index format (read from Pagefind 1.5.2).

Pagefind documents its CLI and its search API, not the files of its index;
``newsroom/build/search_index.py`` rewrites some of them (reproducible builds) and
touches them only through this module. pyproject.toml pins Pagefind to
``PINNED_VERSION`` exactly; tests/newsroom/compat/test_compat.py indexes a small
site with the installed Pagefind and checks every point below.

* ``pagefind-entry.json``: compact JSON (no spaces),
  ``{"version": "1.5.2", "languages": {"en": {"hash": "en_<hash>",
  "wasm": ..., "page_count": N}}, ...}``, naming the version that wrote the
  index and each language's metadata file.
* Index files are gzip of ``MAGIC`` followed by one CBOR item (RFC 8949)
  in shortest, definite-length form (``decode`` refuses anything it would
  not write back byte for byte). Fragments are JSON after ``MAGIC``.
* ``pagefind.<lang>_<hash>.pf_meta`` (``meta_path``): the language's
  metadata, whose nested lists name each filter file as a pair
  ``[filter name, "<lang>_<hash>"]``.
* ``filter/<lang>_<hash>.pf_filter`` (``filter_paths``): one filter,
  ``[name, [[value, [page number, ...]], ...]]`` (``filter_values``).
* The ``<hash>`` of a file name only has to change with its content: ours
  is the start of the SHA-256 of the uncompressed file, as long as
  Pagefind's (``write_index_file``).
* Which files are named after their content (``CONTENT_NAMED``: servers may
  cache them for ever, newsroom/build/site_files.py) and which keep their name
  from build to build (``FIXED_NAMES``).

CBOR is read and written with ``cbor2`` (PyPI), which writes Pagefind's
bytes back exactly with its default (non-canonical) options: integers and
lengths in shortest form, definite lengths, maps in their order (the index
has none).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import cbor2

#: The Pagefind release this module was checked against (pyproject.toml pins it).
PINNED_VERSION = "1.5.2"
#: Pagefind's prefix of every decompressed index file.
MAGIC = b"pagefind_dcd"
ENTRY_FILE = "pagefind-entry.json"
FILTER_FOLDER = "filter"
#: Paths inside the bundle folder of the files named after their content.
CONTENT_NAMED = (r"(?:fragment/[^/]+\.pf_fragment|index/[^/]+\.pf_index"
                 r"|filter/[^/]+\.pf_filter|pagefind\.[^/]+\.pf_meta)")
#: Paths inside the bundle folder of the files whose names never change.
FIXED_NAMES = r"(?:pagefind-entry\.json|pagefind[\w-]*\.(?:js|css)|wasm\.[^/]+\.pagefind)"


# --- CBOR ---------------------------------------------------------------------------

def encode(value) -> bytes:
    """CBOR as Pagefind writes it (shortest, definite lengths)."""
    try:
        return cbor2.dumps(value, canonical=False, value_sharing=False,
                           string_referencing=False, indefinite_containers=False)
    except cbor2.CBORError as error:
        raise ValueError(f"cannot write as CBOR: {error}") from None


def decode(data: bytes):
    """The CBOR item ``data`` holds; ValueError unless ``encode`` gives ``data`` back."""
    try:
        value = cbor2.loads(data, allow_indefinite=False)
    except cbor2.CBORError as error:
        raise ValueError(f"not CBOR as Pagefind writes it: {error}") from None
    if encode(value) != data:  # trailing bytes, floats, tags, long forms...
        raise ValueError("not in the shortest definite-length CBOR form Pagefind writes")
    return value


# --- files --------------------------------------------------------------------------

def read_index_file(path: Path):
    """The value stored in a ``.pf_meta`` or ``.pf_filter`` file."""
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(MAGIC):
        raise ValueError(f"{path.name} does not start with {MAGIC!r}")
    try:
        return decode(data[len(MAGIC):])
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None


def write_index_file(folder: Path, prefix: str, digits: int, suffix: str, value) -> str:
    """Write ``value`` as ``{prefix}{hash}{suffix}``; return ``{prefix}{hash}``.

    The hash is ``digits`` hex digits of the content's SHA-256, so equal
    content gets an equal name; gzip without a timestamp.
    """
    data = MAGIC + encode(value)
    name = prefix + hashlib.sha256(data).hexdigest()[:digits]
    (folder / f"{name}{suffix}").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


def read_entry(bundle: Path) -> tuple[dict, str]:
    """``pagefind-entry.json``: (its value, its text)."""
    raw = (bundle / ENTRY_FILE).read_text(encoding="utf-8")
    entry = json.loads(raw)
    if _entry_text(entry) != raw.strip():
        raise ValueError(f"{ENTRY_FILE} is not in the expected form")
    return entry, raw


def write_entry(bundle: Path, entry: dict, raw: str) -> None:
    """Write ``entry`` back as Pagefind did (``raw``: the text read, for its line end)."""
    (bundle / ENTRY_FILE).write_text(_entry_text(entry) + raw[len(raw.rstrip()):],
                                     encoding="utf-8")


def _entry_text(entry: dict) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def languages(entry: dict) -> dict[str, dict]:
    """Language -> its entry (``info["hash"]`` names its metadata file)."""
    return entry["languages"]


def meta_path(bundle: Path, language_hash: str) -> Path:
    return bundle / f"pagefind.{language_hash}.pf_meta"


def meta_name(language: str) -> tuple[str, str]:
    """(prefix, suffix) of a language's metadata file, for ``write_index_file``."""
    return f"pagefind.{language}_", ".pf_meta"


def language_hash(meta_file_name: str) -> str:
    """``en_<hash>`` from the name ``write_index_file`` returned for a metadata file."""
    return meta_file_name.removeprefix("pagefind.")


def filter_folder(bundle: Path) -> Path:
    return bundle / FILTER_FOLDER


def filter_paths(bundle: Path, language: str) -> list[Path]:
    """The language's filter files, in name order."""
    folder = filter_folder(bundle)
    return sorted(folder.glob(f"{language}_*.pf_filter")) if folder.is_dir() else []


def filter_name(path: Path) -> str:
    """``en_<hash>``, as the metadata file names a filter file."""
    return path.name.removesuffix(".pf_filter")


def filter_values(value) -> tuple[str, list]:
    """(filter name, [[value, [page numbers]], ...]) of a filter file's value."""
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], list):
        raise ValueError(f"a filter file holds {type(value).__name__}, not [name, values]")
    name, entries = value
    if not isinstance(name, str) or not all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[1], list) for e in entries
    ):
        raise ValueError(f"filter {name!r} has an unexpected shape")
    return name, entries


def filter_value(name: str, entries: list) -> list:
    """A filter file's value (the inverse of ``filter_values``)."""
    return [name, entries]


def is_filter_reference(item, filter_names: set[str]) -> bool:
    """An item of the metadata file that names a filter file: [filter name, file name]."""
    return (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)
            and item[1] in filter_names)
