"""The search index in parts, and only the parts whose pages changed indexed again.

Pagefind has no way to update an index for one page: it reads and indexes
every page each time (0.7 s at 1,000 stories, a third of what a publishing
build with one story changed may take). So the indexed pages are split
into ``SEARCH_INDEX_PARTS`` parts, each a Pagefind bundle of its own, and
the search page merges them (Pagefind's ``mergeIndex``; the merged bundles
share the first one's WebAssembly, so a search loads a few small files more
per part, no more code):

* **the recent part** (part 0): the ``SEARCH_RECENT_PAGES`` newest pages, by
  the date Pagefind sorts them by (``data-pagefind-sort="date[datetime]"``
  or ``"date:VALUE"``; equal dates by path). Most edits are to the newest
  stories, and this part is small (50 pages: 0.08 s of Pagefind against
  0.3 s for a quarter of 1,000 stories);
* **the other parts** (1 to ``SEARCH_INDEX_PARTS`` - 1): every other page,
  by a hash of its path, so a page stays in its part from build to build.

What goes where depends on the pages alone, so a build that follows another
makes the same index as a clean one. A new story moves the oldest of the
recent ones into its hashed part, which is indexed again too (as is every
part with a page that now links to the new story). With one part, or
``SEARCH_RECENT_PAGES`` 0, every page goes by its hash.

Layout in the site:

* ``pagefind/``: the bundle of the lowest-numbered part that has pages
  (the search UI's own files come from here);
* ``pagefind/part-<n>/``: the bundle of each other part with pages;
* ``pagefind/parts.json``: the folders to merge, relative to ``pagefind/``
  (``["part-2/", "part-3/"]``), which theme/static/js/search.js reads.

A part is indexed again only when its pages (their paths and bytes) or
Pagefind changed. Otherwise its files are hard-linked from the output
folder the last build published, after checking that each is still the
file that build wrote (size, time, inode and mode, kept in a record in the
cache: ``search/<hash of the output path>.json``). Nothing writes into a
linked file afterwards: Pagefind and the sorting of its filters work in a
fresh folder per part, and compressed copies are new files beside them. Where
files cannot be linked, the part is indexed again.

With no page marked ``data-pagefind-body``, Pagefind indexes every page's
``<body>``: then one bundle as before, and ``parts.json`` lists none.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from newsroom.build import up_to_date
from newsroom.compat import pagefind

RECORD_VERSION = 2
MAX_PARTS = 64
#: The largest SEARCH_RECENT_PAGES (it is a count of pages, not a size).
MAX_RECENT = 100_000
BUNDLE = "pagefind"
PARTS_FILE = "parts.json"
PART_PREFIX = "part-"
#: The longest ``--glob`` handed to Pagefind (Linux allows 128 KiB per
#: argument); more pages go through a folder of links instead.
GLOB_LIMIT = 100_000
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._/-]+")


def part_of(relative: str, parts: int) -> int:
    """The part (0 .. ``parts`` - 1) a page belongs to, by a hash of its site path."""
    if parts <= 1:
        return 0
    digest = hashlib.blake2b(relative.encode("utf-8", "surrogateescape"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % parts


def assign_parts(pages: dict[str, float | None], parts: int, recent: int) -> dict[str, int]:
    """{page: its part}: the ``recent`` newest pages in part 0, the others by path.

    ``pages``: {site path: its date as a timestamp, or None (no date: never
    recent)}. With one part, or ``recent`` 0, every page goes by ``part_of``.
    """
    if parts <= 1:
        return dict.fromkeys(pages, 0)
    if recent <= 0:
        return {path: part_of(path, parts) for path in pages}
    dated = sorted(((when, path) for path, when in pages.items() if when is not None),
                   reverse=True)
    newest = {path for _when, path in dated[:recent]}
    return {path: 0 if path in newest else 1 + part_of(path, parts - 1) for path in pages}


_SORT_DATE = re.compile(rb"""data-pagefind-sort\s*=\s*["']date(?:\[([a-z-]+)\]|:([^"']*))["']""")
_ATTRIBUTE = rb"""\s%s\s*=\s*["']([^"']*)["']"""


def sort_date(data: bytes) -> float | None:
    """The date a page is sorted by in search (a timestamp), or None if it has none.

    The first ``data-pagefind-sort="date[attribute]"`` (the attribute's value,
    as our byline's ``<time datetime>``) or ``"date:VALUE"``, read as an ISO
    date; without a time zone, as UTC.
    """
    found = _SORT_DATE.search(data)
    if found is None:
        return None
    attribute, value = found.groups()
    if attribute is not None:
        start = data.rfind(b"<", 0, found.start())
        end = data.find(b">", found.end())
        if start == -1 or end == -1:
            return None
        own = re.search(_ATTRIBUTE % re.escape(attribute), data[start:end])
        if own is None:
            return None
        value = own.group(1)
    try:
        when = datetime.fromisoformat(html.unescape(value.decode("utf-8").strip()))
    except (UnicodeDecodeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def indexed_pages(site: Path, dates: dict[str, float | None] | None = None,
                  known: dict | None = None, seen: dict | None = None) -> dict[str, str]:
    """{site path: SHA-256} of every page Pagefind indexes (``data-pagefind-body``).

    ``dates``, if given, gets each such page's ``sort_date``. ``known``: what
    an earlier call put in ``seen``, {site path: [size, mtime_ns, inode,
    SHA-256 or None (not indexed), date]}; a page whose file still has that
    size, time and inode (a page the build linked from the published site)
    is not read again. The bundle folder and hidden folders (the build's
    own) are not looked in.
    """
    found = {}
    known = known if isinstance(known, dict) else {}
    for folder, folders, names in os.walk(site):
        relative_folder = os.path.relpath(folder, site)
        if relative_folder == ".":
            folders[:] = [name for name in folders if name != BUNDLE]
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in names:
            if not name.endswith(".html"):
                continue
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            relative = (name if relative_folder == "." else
                        f"{relative_folder}/{name}").replace(os.sep, "/")
            identity = [info.st_size, info.st_mtime_ns, info.st_ino]
            entry = known.get(relative)
            if (isinstance(entry, list) and len(entry) == 5 and entry[:3] == identity
                    and (entry[3] is None or isinstance(entry[3], str))
                    and (entry[4] is None or type(entry[4]) in (int, float))):
                digest, when = entry[3], entry[4]
            else:
                with open(path, "rb") as handle:
                    data = handle.read()
                digest = hashlib.sha256(data).hexdigest() if pagefind.has_body(data) else None
                when = sort_date(data) if digest is not None else None
            if seen is not None:
                seen[relative] = identity + [digest, when]
            if digest is not None:
                found[relative] = digest
                if dates is not None:
                    dates[relative] = when
    return dict(sorted(found.items()))


def folder_name(part: int, primary: int) -> str:
    """Where a part's bundle goes, relative to ``pagefind/`` ("" for the primary)."""
    return "" if part == primary else f"{PART_PREFIX}{part}"


def _pages_digest(pages: dict[str, str]) -> str:
    text = "\n".join(f"{path}\t{digest}" for path, digest in sorted(pages.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _bundle_files(bundle: Path) -> dict[str, list[int]]:
    """{path in the bundle: [size, mtime_ns, inode, mode]} of Pagefind's own files.

    Compressed copies (``.gz``, ``.br``) and the other parts' folders are not
    Pagefind's files of this bundle.
    """
    found = {}
    for folder, folders, names in os.walk(bundle):
        relative_folder = os.path.relpath(folder, bundle)
        if relative_folder == ".":
            folders[:] = [name for name in folders if not name.startswith(PART_PREFIX)]
        folders.sort()
        for name in names:
            if name.endswith((".gz", ".br")) or (relative_folder == "." and name == PARTS_FILE):
                continue
            info = os.lstat(os.path.join(folder, name))
            if not stat.S_ISREG(info.st_mode):
                continue
            relative = name if relative_folder == "." else f"{relative_folder}/{name}"
            found[relative.replace(os.sep, "/")] = [info.st_size, info.st_mtime_ns,
                                                    info.st_ino, stat.S_IMODE(info.st_mode)]
    return found


@dataclass
class Part:
    number: int
    folder: str  # relative to pagefind/
    pages: dict[str, str]
    digest: str = ""
    reused: bool = False
    files: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class SearchIndex:
    """What one build did to the search index (``index_site``'s answer)."""

    parts: list[Part]
    problems: list[str]
    record: dict | None = None  # to keep once the site is published (``save_record``)

    @property
    def indexed(self) -> list[str]:
        """Folders (relative to ``pagefind/``) that Pagefind indexed in this build."""
        return [part.folder for part in self.parts if not part.reused]


def record_path(cache: Path, output: Path) -> Path:
    return up_to_date.record_path(cache, Path(os.path.abspath(output)), "search")


def load_record(path: Path | None) -> dict:
    return up_to_date.load_json(path, RECORD_VERSION)


def save_record(path: Path | None, record: dict | None) -> None:
    """Keep ``record`` at ``path``; a cache that cannot be written only costs time."""
    if path is not None and record is not None:
        up_to_date.save_json(path, record)


#: Configuration files Pagefind reads from the folder it runs in.
PAGEFIND_CONFIG_FILES = ("pagefind.json", "pagefind.yml", "pagefind.yaml", "pagefind.toml")
#: Our code that decides what a part's files are.
_OWN_CODE = (Path(__file__), Path(__file__).with_name("search_index.py"),
             Path(pagefind.__file__))


def _tool_key(parts: int, recent: int = 0) -> str:
    """Everything besides the pages that makes Pagefind write other files.

    The number of parts and of recent pages, the Pagefind package and the binary it runs (by
    path, size, time and inode), Pagefind's environment variables and
    configuration files, and our code around it.
    """
    digest = hashlib.sha256()
    feed = functools.partial(up_to_date._feed, digest)
    feed(RECORD_VERSION, parts, recent, pagefind.installed_version(), pagefind.PINNED_VERSION,
         *pagefind.executable())
    try:
        info = os.stat(pagefind.executable()[0])
        feed(info.st_size, info.st_mtime_ns, info.st_ino)
    except OSError:
        feed("no binary")
    for name, value in sorted(os.environ.items()):
        if name.upper().startswith("PAGEFIND_"):
            feed(name, value)
    for path in [Path(name) for name in PAGEFIND_CONFIG_FILES] + list(_OWN_CODE):
        try:
            feed(path, path.read_bytes())
        except OSError:
            feed(path, "missing")
    return digest.hexdigest()


def valid_parts(value) -> bool:
    """Whether ``value`` is a number of parts the index can have (1 to ``MAX_PARTS``)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PARTS


def valid_recent(value) -> bool:
    """Whether ``value`` is a number of recent pages (0 to ``MAX_RECENT``)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RECENT


def _may_reuse(part: Part, previous: dict, live: Path | None) -> bool:
    """Whether the last build's bundle of ``part`` was made from the same pages."""
    if live is None:
        return False
    kept = (previous.get("folders") or {}).get(part.folder)
    if not isinstance(kept, dict) or kept.get("pages") != part.digest:
        return False
    files = kept.get("files")
    return isinstance(files, dict) and bool(files)


def _reusable(part: Part, previous: dict, live: Path | None, mode: int | None) -> bool:
    """Whether the published bundle of ``part`` is what Pagefind would write now."""
    if not _may_reuse(part, previous, live):
        return False
    files = previous["folders"][part.folder]["files"]
    try:
        now = _bundle_files(live / part.folder if part.folder else live)
    except OSError:
        return False
    if now != files:
        return False  # a file changed, went or came since that build
    # Files linked into the new site keep their mode: it must already be the
    # one the build gives (chmod would change the published file too).
    return mode is None or all(entry[3] == mode for entry in now.values())


class _Meanwhile:
    """``functions`` run one after the other in a thread; ``join`` waits, and
    raises what one of them raised (the others still run)."""

    def __init__(self, functions: list[Callable[[], None]]):
        import threading

        self.error: BaseException | None = None
        self.thread = None
        if functions:
            self.thread = threading.Thread(target=self._run, args=(functions,),
                                           name="while-pagefind-runs", daemon=True)
            self.thread.start()

    def _run(self, functions) -> None:
        for function in functions:
            try:
                function()
            except BaseException as error:  # noqa: BLE001 - raised again by join
                if self.error is None:
                    self.error = error

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _link_bundle(source: Path, target: Path, files: Iterable[str]) -> None:
    for relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.link(source / relative, destination)


def _glob_or_farm(site: Path, pages: Iterable[str], farm: Path) -> tuple[Path, str | None]:
    """(folder, glob) for Pagefind to index exactly ``pages`` of ``site``.

    A ``--glob`` listing them when their paths need no escaping and the list
    is short enough; else a folder of hard links to them, in the same places
    (the same URLs), indexed whole.
    """
    pages = sorted(pages)
    glob = "{" + ",".join(pages) + "}" if len(pages) > 1 else pages[0]
    if all(_PLAIN_PATH.fullmatch(page) for page in pages) and len(glob) <= GLOB_LIMIT:
        return site, glob
    for page in pages:
        destination = farm / page
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.link(site / page, destination)
    return farm, None


Runner = Callable[[list[tuple[list[str], dict[str, str], str]]], list[str]]


def index_site(site: Path, parts: int, run: Runner, previous_record: Path | None = None,
               live: Path | None = None, mode: int | None = None,
               bundle: Path | None = None, check_pages: bool = False,
               recent: int = 0, meanwhile: Callable[[], None] | None = None) -> SearchIndex:
    """Index ``site`` into ``bundle`` (``site/pagefind``) in ``parts`` parts; only changed parts run.

    ``recent``: how many of the newest pages make the recent part (``assign_parts``).
    ``meanwhile``: work of the caller's to do in a thread while Pagefind runs
    (it must leave the search bundle alone).

    ``run`` starts Pagefind for each (arguments, environment, label) and
    returns the problems (the build driver's, which stops them with the
    build). ``live``: the ``pagefind/`` folder the last build published,
    whose unchanged bundles are linked; ``mode``: the file mode the build
    gives. ``check_pages``: the pages may change meanwhile (the preview's
    output): read them again after Pagefind and keep nothing if they did.
    """
    parts = max(1, int(parts))
    recent = max(0, int(recent))
    previous = load_record(previous_record)
    tool = _tool_key(parts, recent)
    if previous.get("tool") != tool:
        previous = {}
    dates: dict[str, float | None] = {}
    seen: dict[str, list] = {}
    pages = indexed_pages(site, dates, previous.get("pages"), seen)
    bundle = site / BUNDLE if bundle is None else bundle
    if not pages:
        # No page is marked for search: Pagefind indexes every page's <body>, in one bundle.
        arguments, environment = pagefind.command(site, bundle)
        helper = _Meanwhile([meanwhile] if meanwhile is not None else [])
        try:
            problems = run([(arguments, environment, "")])
        finally:
            helper.join()
        if not problems:
            problems = _sorted_or_problem(bundle)
        if not problems:
            _write_parts_file(bundle, [])
        return SearchIndex([], problems, None)
    grouped: dict[int, dict[str, str]] = {}
    for path, part in assign_parts(dates, parts, recent).items():
        grouped.setdefault(part, {})[path] = pages[path]
    primary = min(grouped)
    found = [Part(number, folder_name(number, primary), grouped[number],
                  _pages_digest(grouped[number])) for number in sorted(grouped)]
    # Each part's bundle is made (or linked) in a folder of its own first,
    # then moved into place: the primary first, the others inside it.
    bundle.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{bundle.name}-parts-", dir=bundle.parent))
    try:
        def job(part: Part):
            # Pagefind writes into a folder of its own, never one with links in it.
            made = work / f"part-{part.number}" / "indexed"
            folder, glob = _glob_or_farm(site, part.pages, made.parent / "pages")
            arguments, environment = pagefind.command(folder, made, glob=glob)
            return arguments, environment, part.folder

        def link(part: Part) -> None:
            part.reused = False
            if not _reusable(part, previous, live, mode):
                return
            linked = work / f"part-{part.number}" / "linked"
            files = previous["folders"][part.folder]["files"]
            try:
                _link_bundle(live / part.folder if part.folder else live, linked, files)
                # Still the files checked (nothing replaced them meanwhile)?
                part.reused = _bundle_files(linked) == files
            except OSError:  # no hard links here (or a file just went): index it
                part.reused = False

        # The parts made from the same pages as last time are checked and
        # linked (system calls: Python's lock is free) while Pagefind indexes
        # the others; ``meanwhile`` runs then too. A part that turns out not
        # to be reusable after all is indexed after.
        candidates, jobs = [], []
        for part in found:
            if _may_reuse(part, previous, live):
                candidates.append(part)
            else:
                jobs.append(job(part))
        helper = _Meanwhile([functools.partial(link, part) for part in candidates]
                            + ([meanwhile] if meanwhile is not None else []))
        try:
            problems = run(jobs) if jobs else []
        finally:
            helper.join()
        again = [job(part) for part in candidates if not part.reused]
        if again and not problems:
            problems = run(again)
        if not problems and check_pages and indexed_pages(site) != pages:
            problems = ["search index: pages changed while Pagefind read them"]
        for part in found:
            if problems:
                break
            made = work / f"part-{part.number}" / ("linked" if part.reused else "indexed")
            if not part.reused:
                problems += _sorted_or_problem(made)
                if problems:
                    break
            target = bundle / part.folder if part.folder else bundle
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(made, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        return SearchIndex(found, problems, None)
    _write_parts_file(bundle, [part.folder for part in found if part.folder])
    folders = {}
    for part in found:
        part.files = _bundle_files(bundle / part.folder if part.folder else bundle)
        folders[part.folder] = {"pages": part.digest, "files": part.files}
    return SearchIndex(found, [], {"version": RECORD_VERSION, "tool": tool, "pages": seen,
                                   "folders": folders})


def _sorted_or_problem(bundle: Path) -> list[str]:
    """Pagefind's filter values in a stable order (newsroom/build/search_index.py)."""
    from newsroom.build.search_index import sort_filter_values

    try:
        sort_filter_values(bundle)
    except (OSError, ValueError, KeyError) as error:
        return [f"search index: cannot put Pagefind's index in a stable order ({error}); "
                "a Pagefind other than the one pinned in pyproject.toml may have changed "
                "its format: install the pinned one, or see newsroom/compat/pagefind.py "
                "and run tests/newsroom/compat/test_compat.py"]
    return []


def _write_parts_file(bundle: Path, folders: list[str]) -> None:
    bundle.mkdir(parents=True, exist_ok=True)
    (bundle / PARTS_FILE).write_text(json.dumps([f"{folder}/" for folder in folders]) + "\n",
                                     encoding="utf-8")
