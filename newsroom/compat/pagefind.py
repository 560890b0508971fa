"""Everything that knows Pagefind's internals (read from Pagefind 1.5.2): its index
format, and how it is run.

Pagefind documents its CLI and its search API, not the files of its index;
``newsroom/build/search_index.py`` rewrites some of them (reproducible builds) and
touches them only through this module. pyproject.toml pins Pagefind to
``PINNED_VERSION`` exactly; tests/newsroom/compat/test_compat.py indexes a small
site with the installed Pagefind and checks every point below.

* ``command``: how the build (``newsroom.build.driver``) and the preview
  (``newsroom.dev.incremental``) start Pagefind. Pagefind keeps every page it
  reads in memory, twice over for the pages it indexes: at 10,000 stories
  it peaked at 1.5 GB, far more than the build itself. Two things bring
  that under 1 GB without changing a byte of the index:
  ``indexed_pages_glob`` gives it only the pages it can index (Pagefind
  drops every page without ``data-pagefind-body`` once one page has it, but
  only after reading them all: the tag, section and archive lists), and
  ``ALLOCATOR_OPTIONS`` has its memory allocator give freed memory back at
  once (the Linux binary uses jemalloc, built with the ``_rjem_`` prefix:
  it reads ``_RJEM_MALLOC_CONF``; another binary ignores the variable).

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

import functools
import gzip
import hashlib
import importlib
import json
import os
import re
import shutil
import sys
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


# --- running it ---------------------------------------------------------------------

#: The environment variable Pagefind's memory allocator reads its options from.
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
#: Return freed memory to the system at once, not ten seconds later: Pagefind
#: frees and allocates in waves (each page read, then the index built), and
#: without this the freed pages of one wave stay resident under the next
#: (at 10,000 stories about 380 MB of its peak). No slower in our measurements.
ALLOCATOR_OPTIONS = "dirty_decay_ms:0,muzzy_decay_ms:0"
#: The attribute that marks what Pagefind indexes (the theme's story pages).
BODY_ATTRIBUTE = b"data-pagefind-body"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+")


def mentions_body(data: bytes) -> bool:
    """Whether a page's bytes name the attribute at all (a cheap superset of ``has_body``)."""
    # HTML attribute names are case-insensitive: a page that spells it in
    # capitals still counts (a page that merely mentions it costs nothing).
    return BODY_ATTRIBUTE in data or BODY_ATTRIBUTE in data.lower()


# A start tag up to and including an attribute named data-pagefind-body:
# the tag's name, then attributes with quoted or bare values, so that the
# words inside a value (an alt text, a description) never count.
_TAG_WITH_BODY = re.compile(
    rb"<[a-zA-Z][^\s/>]*"
    rb"(?:\s+(?!data-pagefind-body(?:[\s/>=]|$))[^\s\"'>/=]+"
    rb"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?|\s*/(?!>))*"
    rb"\s+data-pagefind-body(?=[\s/>=])",
    re.IGNORECASE)


def has_body(data: bytes) -> bool:
    """Whether a page marks something for Pagefind to index: a tag with ``data-pagefind-body``.

    A page that only mentions the attribute (in its text, a comment, or the
    value of another attribute) does not: indexed on its own, Pagefind
    would take its whole ``<body>``.
    """
    if not mentions_body(data):
        return False
    lowered = data.lower()
    start = lowered.find(BODY_ATTRIBUTE)
    while start != -1:
        tag = lowered.rfind(b"<", 0, start)
        if (tag != -1 and lowered.find(b">", tag, start) == -1
                and not _inside_raw_text(lowered, tag) and _TAG_WITH_BODY.match(lowered, tag)):
            return True
        start = lowered.find(BODY_ATTRIBUTE, start + 1)
    return False


# Where a "<" starts no tag: in a comment, or in a script's or style's text.
_RAW_TEXT = ((b"<!--", b"-->"), (b"<script", b"</script"), (b"<style", b"</style"))


def _inside_raw_text(lowered: bytes, position: int) -> bool:
    for opening, closing in _RAW_TEXT:
        opened = lowered.rfind(opening, 0, position + 1)
        if opened != -1 and (opened == position and opening == b"<!--"
                             or opened < position
                             and lowered.find(closing, opened + len(opening), position) == -1):
            return True
    return False


def _mentions_body(path: Path) -> bool:
    return mentions_body(path.read_bytes())


def installed_version() -> str:
    """The installed Pagefind package's version ("" when it cannot be told)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pagefind")
    except PackageNotFoundError:
        return ""


def indexed_pages_glob(site: Path) -> str | None:
    """A ``--glob`` matching every page of ``site`` that Pagefind can index, or None.

    Pagefind's default glob (``**/*.{html}``) has it read every page; once a
    page has ``data-pagefind-body``, the pages without it are dropped from
    the index (they only cost memory and time). The glob returned matches
    each page with that attribute by its depth and file name
    (``*/*/*/index.html`` for the stories), which may match other pages
    too: harmless, they are dropped as before. None (read everything, as
    Pagefind does by default) when no page has it: Pagefind then indexes
    every page's ``<body>``.
    """
    shapes = set()
    for folder, _subfolders, names in os.walk(site):
        for name in names:
            if name.endswith(".html") and _mentions_body(Path(folder, name)):
                depth = len(Path(folder).relative_to(site).parts)
                # A name with a glob character in it would need escaping:
                # any .html file at that depth is a safe superset.
                shown = name if _PLAIN_NAME.fullmatch(name) else "*.html"
                shapes.add("/".join(["*"] * depth + [shown]))
    if not shapes:
        return None
    return next(iter(shapes)) if len(shapes) == 1 else "{" + ",".join(sorted(shapes)) + "}"


@functools.cache
def executable() -> tuple[str, ...]:
    """How to start Pagefind: its binary, found as the pagefind package finds it.

    ``python -m pagefind`` does the same search and then runs the binary,
    after a Python start-up (0.09 s) that an index in parts pays per part;
    it stays the way when the package's finder is not there.
    """
    try:
        found = _binary()
    except OSError:
        found = None
    if found is None:
        return (sys.executable, "-m", "pagefind")
    return (str(Path(found).resolve()),)


def _binary() -> Path | None:
    """The binary ``pagefind.service.get_executable`` finds, in its order: the
    variable, the extended package, the plain package, the PATH.

    Looked for here: importing ``pagefind.service`` (asyncio and the
    service's types) costs every build 17 ms for this.
    """
    named = os.environ.get("PAGEFIND_BINARY_PATH")
    if named is not None:
        return Path(named)
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        return Path(module.get_executable())
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    return Path(found) if found else None


def command(site: Path, output_path: Path | None = None,
            glob: str | None = None) -> tuple[list[str], dict[str, str]]:
    """(arguments, environment) that index ``site`` quietly, into ``output_path`` if given.

    The same index as plain ``pagefind --site SITE``, with about a third
    less memory at its peak (see the module's docstring). ``glob``: the
    pages to index (default: ``indexed_pages_glob``).
    """
    arguments = [*executable(), "--site", str(site), "--silent"]
    if output_path is not None:
        arguments += ["--output-path", str(output_path)]
    if glob is None:
        glob = indexed_pages_glob(site)
    if glob is not None:
        arguments += ["--glob", glob]
    environment = dict(os.environ)
    environment.setdefault(ALLOCATOR_VARIABLE, ALLOCATOR_OPTIONS)  # an editor's own wins
    return arguments, environment
