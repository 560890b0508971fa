"""Precompressed copies of the site's text files, for servers that send them as they are.

With ``PRECOMPRESS = True`` (publishconf.py) the build writes beside every
text file larger than ``MIN_SIZE`` (1024) bytes

* ``<file>.gz``: gzip, level 6 (``GZIP_LEVEL``), header time 0 and no file name;
* ``<file>.br``: Brotli (the ``brotli`` package), quality 7 (``BROTLI_QUALITY``),
  text mode, window 22,

so nginx (``gzip_static``, ``brotli_static``) and Caddy (``precompressed``)
serve them to clients that accept them without compressing on every request.
Both are reproducible: the same bytes give the same ``.gz`` and ``.br`` (with
the same zlib and Brotli versions), so two builds of the same content stay
byte-identical.

Text files are those ending in ``TEXT_SUFFIXES`` (HTML, CSS, JS, JSON, XML
feeds and sitemaps, plain text, SVG, source and nginx ``.map`` files, web
manifests, WebAssembly). Pagefind's ``.pf_*`` index files and its
``wasm.*.pagefind`` are gzip already and are left alone, as are images.

**Why level 6 and quality 7.** A cold publishing build is to take no longer
than stock Pelican's, which leaves this step about a second on two cores.
Measured on a 1,000-story build (1,496 files, 44 MB; CPU seconds on one core
of the development machine; the bytes of all copies, and of a typical story
page of 14,181 bytes)::

                 CPU s    all copies          story page
    gzip 9        1.55    9,549,869 (21.6%)   3,817
    gzip 6        1.09    9,592,234 (21.7%)   3,818
    Brotli 11     ~56     8,089,596 (18.3%)   3,278
    Brotli 10     23.6    8,327,026 (18.9%)   3,362
    Brotli 9      10.0    8,749,762 (19.8%)   3,533
    Brotli 8      1.07    8,860,885 (20.1%)   3,538
    Brotli 7      0.90    9,042,887 (20.5%)   3,538
    Brotli 5      0.69    9,478,832 (21.5%)   3,558

gzip 9 saves 0.4 % (a byte on the page) for 40 % more time: 6. Brotli
above 8 costs ten (9) to sixty (11) times as much. From 5 to 8 a page
differs by 20 bytes in 3,500; the difference is in the big XML feeds, whose
Brotli copies below 7 are bigger than their gzip ones: 7 is the lowest
quality that beats gzip on every kind of file (the feeds: 18.8 % of their
size, gzip 9 19.1 %, Brotli 5 20.6 %). 8 saves 2 % more, of the feeds
alone, for 19 % more time, which would take gzip and Brotli together past
two CPU seconds (a second on two cores). The price: a page's ``.br`` is
about 8 % bigger than at quality 11 (the real site's article 3,942 bytes
instead of 3,479), for 2 CPU seconds of compressing instead of 57. The
window (``lgwin`` 22, 4 MB) is bigger than any file of the site: 24 gives
the same bytes. (In a cold build the workers also spend a second or two
of system time creating the 4,500 files: copies and cache entries.)

**The cache.** Most files of a build are the same bytes as in the last
one, so the copies are kept in ``COMPRESSION_CACHE_PATH`` (derived:
``compressed`` inside ``CACHE_PATH``, newsroom/core/settings.py), in a
folder named after everything that decides their bytes (``cache_folder``:
level, quality, mode and window, the zlib and Brotli versions, Python's
version for the gzip header, and ``ENTRY_FORMAT``), so a change there starts
a new folder instead of reusing other bytes. An entry is named by the
SHA-256 of the original file's bytes (``<folder>/<first 2 hex digits>/<64
hex digits>``) and holds a SHA-256 of that name and the payload, then the
payload: both copies, each after its length (``pack``); one file per
original, not two, because creating files is a good part of this step's
time. An entry whose check fails (truncated, changed, zeros appended by a
crash) is never used: the file is compressed again and the entry rewritten.
Entries are written to a temporary file and renamed into place, so builds
side by side may share the folder; the output gets its own new files, never
links to the cache.

Old entries: an entry's modification time says when a build last wrote or
used it (a build that uses one marks it again when the mark is over a day
old). At most once a day (``.pruned`` in the cache folder records when) the
build deletes every entry not used for ``PRUNE_AFTER_DAYS`` (30) days, in
every folder, those of older compressor versions included (an emptied folder
goes too), and temporary files left by killed builds. A cache folder that
cannot be made or written (a read-only checkout) only means compressing
without storing; an unreadable entry is a miss, never a failure.

**Both cores, and beside Pagefind.** The files are handed in batches,
largest first, to forked worker processes (one per CPU the build may use),
each of which reads its files, takes their copies from the cache or
compresses and stores them, and writes the ``.gz`` and ``.br``: the same
files whichever process does it. ``Precompression.hand_out`` takes files
as Pelican writes them (``newsroom.build.driver.CompressWhileWriting``; its
workers run at a lower priority, ``nice``, so that they use only what
Pelican's two processes leave of the CPU); ``start`` hands out the files
Pelican wrote that are not out yet and returns, so that the build runs
Pagefind meanwhile; ``finish`` hands out the files written since
(Pagefind's, ``immutable.txt``) and waits. A file that changed or went
away after it was handed out (size, modification time or inode) is
compressed again, or its copies removed, by ``finish``. Workers die with the build (the
driver gives every forked child a parent-death signal); a build that fails
or is stopped by SIGTERM or SIGINT kills them (``stop``) before it removes
its staging folder.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import multiprocessing
import os
import stat
import sys
import tempfile
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

from newsroom.core.output_files import write_new_file

MIN_SIZE = 1024  # bytes: files of this size or smaller are not worth a request header
TEXT_SUFFIXES = (".html", ".css", ".js", ".mjs", ".json", ".xml", ".txt", ".svg", ".map",
                 ".webmanifest", ".wasm")

GZIP_LEVEL = 6
BROTLI_QUALITY = 7
BROTLI_MODE = "text"  # MODE_TEXT of the brotli package
BROTLI_WINDOW = 22  # lgwin: the package's default, stated so that it is in the cache key
# Bump when the layout of a cache entry changes (2: one entry holds both copies).
ENTRY_FORMAT = 2
CHECK_SIZE = 32  # bytes of SHA-256 before each entry's compressed bytes
PRUNE_AFTER_DAYS = 30
DAY = 24 * 3600
TEMPORARY_PREFIX = ".tmp-"
PRUNE_STAMP = ".pruned"


def gzip_bytes(data: bytes) -> bytes:
    """gzip at ``GZIP_LEVEL`` with time 0 and no name in the header: reproducible."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def brotli_bytes(data: bytes) -> bytes:
    import brotli  # a dependency (pyproject.toml); imported here so dev builds never need it

    mode = {"text": brotli.MODE_TEXT, "generic": brotli.MODE_GENERIC,
            "font": brotli.MODE_FONT}[BROTLI_MODE]
    return brotli.compress(data, mode=mode, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW)


# The copies written beside each file, in the order they are written.
SUFFIXES = (".gz", ".br")
_COMPRESSORS = {".gz": gzip_bytes, ".br": brotli_bytes}


def cache_folder() -> str:
    """The cache folder's name: everything that decides the bytes of both copies.

    gzip's header is written by Python's gzip module (the OS byte differs
    between Python versions), its deflate stream by the zlib the process runs
    with; Brotli's bytes come from the library the brotli package carries.
    """
    import brotli

    python = "{}.{}".format(*sys.version_info[:2])
    return (f"gzip-l{GZIP_LEVEL}-mtime0-zlib{zlib.ZLIB_RUNTIME_VERSION}-py{python}"
            f"+brotli-q{BROTLI_QUALITY}-{BROTLI_MODE}-w{BROTLI_WINDOW}"
            f"-brotli{brotli.__version__}-e{ENTRY_FORMAT}")


def compression_key(min_size: int = MIN_SIZE) -> str:
    """Everything that decides which files get copies and what their bytes are.

    A copy published by a build with the same key is the copy this build
    would make of the same file (newsroom/build/published_links.py).
    """
    return f"{cache_folder()}+min{min_size}+{','.join(SUFFIXES)}+{','.join(TEXT_SUFFIXES)}"


def pack(copies: list[bytes]) -> bytes:
    """A cache entry's payload: each copy (in ``SUFFIXES`` order) after its length."""
    return b"".join(len(copy).to_bytes(4, "big") + copy for copy in copies)


def unpack(payload: bytes) -> list[bytes] | None:
    """The copies ``pack`` stored, or None when ``payload`` does not hold them all exactly."""
    copies, offset = [], 0
    for _ in SUFFIXES:
        size = int.from_bytes(payload[offset:offset + 4], "big")
        copy = payload[offset + 4:offset + 4 + size]
        if offset + 4 > len(payload) or len(copy) != size:
            return None
        copies.append(copy)
        offset += 4 + size
    return copies if offset == len(payload) else None


def wants_precompression(path: str | Path, size: int, min_size: int = MIN_SIZE) -> bool:
    return str(path).endswith(TEXT_SUFFIXES) and size > min_size


# --- the cache ----------------------------------------------------------------------

def _entry_check(digest: str, payload: bytes) -> bytes:
    check = hashlib.sha256(bytes.fromhex(digest))
    check.update(payload)
    return check.digest()


def entry_path(folder: str | Path, digest: str) -> str:
    return os.path.join(folder, digest[:2], digest)


def read_entry(folder: str | Path, digest: str, now: float | None = None) -> bytes | None:
    """The cached compressed bytes of the file whose SHA-256 is ``digest``; None if unusable."""
    path = entry_path(folder, digest)
    try:
        with open(path, "rb") as handle:
            entry = handle.read()
            used = os.fstat(handle.fileno()).st_mtime
    except OSError:
        return None
    check, payload = entry[:CHECK_SIZE], entry[CHECK_SIZE:]
    if not payload or _entry_check(digest, payload) != check:
        return None  # truncated or changed: compress again (and rewrite it)
    if (now or time.time()) - used > DAY:
        try:
            os.utime(path)  # used: keep it from being pruned
        except OSError:
            pass
    return payload


def write_entry(folder: str | Path, digest: str, payload: bytes) -> bool:
    """Store ``payload`` atomically; False when the cache cannot be written."""
    path = entry_path(folder, digest)
    shard = os.path.dirname(path)
    temporary = None
    try:
        try:
            handle, temporary = tempfile.mkstemp(dir=shard, prefix=TEMPORARY_PREFIX)
        except FileNotFoundError:  # the shard's first entry
            os.makedirs(shard, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=shard, prefix=TEMPORARY_PREFIX)
        try:
            view = memoryview(_entry_check(digest, payload) + payload)
            while view:
                view = view[os.write(handle, view):]
        finally:
            os.close(handle)
        os.replace(temporary, path)  # atomic: builds side by side see all or nothing
        temporary = None
        return True
    except OSError:
        return False
    finally:
        if temporary is not None and os.path.lexists(temporary):
            try:
                os.unlink(temporary)
            except OSError:
                pass


def prune(cache: Path, now: float | None = None, max_age_days: float = PRUNE_AFTER_DAYS,
          force: bool = False) -> int:
    """Delete entries not used for ``max_age_days``; at most once a day unless ``force``.

    Returns how many files were deleted. Errors only mean less is deleted.
    """
    now = now or time.time()
    stamp = cache / PRUNE_STAMP
    try:
        if not force and now - stamp.stat().st_mtime < DAY:
            return 0
    except FileNotFoundError:
        pass
    except OSError:
        return 0
    try:
        stamp.touch()  # first, so that a build beside this one does not prune too
        os.utime(stamp, (now, now))
    except OSError:
        return 0  # read-only: nothing can be deleted either
    removed = 0
    oldest = now - max_age_days * DAY
    try:
        folders = [entry for entry in os.scandir(cache) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return 0
    for folder in folders:
        try:
            shards = [entry for entry in os.scandir(folder.path)
                      if entry.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for shard in shards:
            try:
                entries = list(os.scandir(shard.path))
            except OSError:
                continue
            for entry in entries:
                try:
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                    temporary = entry.name.startswith(TEMPORARY_PREFIX)
                    if mtime < oldest or (temporary and mtime < now - 3600):
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass
            try:
                os.rmdir(shard.path)  # only when empty
            except OSError:
                pass
        try:
            os.rmdir(folder.path)
        except OSError:
            pass
    return removed


# --- compressing ---------------------------------------------------------------------

def _read(path: str) -> bytes:
    with open(path, "rb", buffering=0) as handle:
        return handle.readall()


def _finish_batch(batch: list[str], folder: str | None, now: float) -> None:
    """Write ``.gz`` and ``.br`` beside each file of ``batch``; in a worker process.

    The copies come from the cache entry in ``folder`` (None: no cache) or,
    on a miss, are compressed here and stored there, until storing fails
    once (a read-only cache).
    """
    writable = folder is not None
    for path in batch:
        data = _read(path)
        copies = None
        if folder is not None:
            digest = hashlib.sha256(data).hexdigest()
            payload = read_entry(folder, digest, now)
            copies = None if payload is None else unpack(payload)
        if copies is None:
            copies = [_COMPRESSORS[suffix](data) for suffix in SUFFIXES]
            if writable:
                writable = write_entry(folder, digest, pack(copies))
        for suffix, copy in zip(SUFFIXES, copies):
            # A new file: one there may be a link to a published copy.
            write_new_file(path + suffix, copy)


def _batches(files: list[tuple[str, int]], workers: int) -> list[list[str]]:
    """Files (path, size) in batches of similar total size, largest files first."""
    total = sum(size for _, size in files)
    target = min(4 << 20, max(64 << 10, total // (workers * 8)))
    batches: list[list[str]] = []
    current: list[str] = []
    filled = 0
    for path, size in sorted(files, key=lambda file: (-file[1], file[0])):
        current.append(path)
        filled += size
        if filled >= target:
            batches.append(current)
            current, filled = [], 0
    if current:
        batches.append(current)
    return batches


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def available() -> bool:
    """Whether the brotli package (a dependency, pyproject.toml) can be imported."""
    try:
        import brotli  # noqa: F401
    except ImportError:
        return False
    return True


def _text_files(root: str, min_size: int, prefix: str = "", skip=frozenset(),
                hidden: bool = True):
    """(site-relative path, path, stat) of each file to compress, sorted; no symlinks.

    ``skip``: site-relative paths left out (handed out already: not even
    stat'ed). ``hidden`` False: the top level's hidden entries are left out.
    """
    with os.scandir(root) as scan:
        entries = sorted((entry for entry in scan if hidden or not entry.name.startswith(".")),
                         key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _text_files(entry.path, min_size, f"{prefix}{entry.name}/", skip)
        elif entry.name.endswith(TEXT_SUFFIXES) and f"{prefix}{entry.name}" not in skip \
                and entry.is_file(follow_symlinks=False):
            info = entry.stat(follow_symlinks=False)
            if wants_precompression(entry.name, info.st_size, min_size):
                yield f"{prefix}{entry.name}", entry.path, info


def _identity(info: os.stat_result) -> tuple[int, int, int]:
    return info.st_size, info.st_mtime_ns, info.st_ino


def _lower_priority(nice: int) -> None:
    """In a worker: leave the CPU to the build's own processes while they need it."""
    with contextlib.suppress(OSError):
        os.nice(nice)


class WorkerPool:
    """Compression workers forked early in a build, for its ``Precompression``.

    A fork copies the build process's page tables, and every page either
    process then writes is copied: forked late in a build (once the
    workers are first needed, in the middle of writing pages) that cost the
    build process more than a tenth of a second. Forked before the stories
    are read, the process is small. ``close()`` ends them (killed if busy).
    """

    def __init__(self, workers: int | None = None, nice: int = 0):
        self.workers = default_workers() if workers is None else max(1, workers)
        self.nice = nice
        self.known = set(multiprocessing.active_children())  # not this pool's
        self.executor = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("fork"),
            initializer=_lower_priority if nice else None, initargs=(nice,) if nice else ())
        # With "fork", the first job starts every worker: now, not when needed.
        self.executor.submit(int).result()

    @classmethod
    def start(cls, nice: int = 0) -> "WorkerPool | None":
        """Workers for a build on more than one core (None: no pool, or no fork)."""
        if default_workers() < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        try:
            return cls(nice=nice)
        except OSError:
            return None

    def close(self) -> None:
        executor, self.executor = self.executor, None
        if executor is None:
            return
        for process in set(multiprocessing.active_children()) - self.known:
            process.kill()
        executor.shutdown(wait=True, cancel_futures=True)


class Precompression:
    """Writing the ``.gz`` and ``.br`` copies of a site's text files, in worker processes.

    ``hand_out(paths)`` hands these files to the workers at once (a build
    still writing; ``nice`` lowers the workers' priority). ``start()``
    hands the text files ``site`` holds now, not yet handed out, to the
    workers and
    returns at once (without workers it compresses them first), so that the
    build can run Pagefind meanwhile; ``finish()`` hands out the text files
    written since (Pagefind's, ``immutable.txt``), waits for all and returns
    their site-relative paths, sorted: the same files as compressing the
    finished site in one go (a file handed out that changed since is
    compressed again, one that is gone loses its copies). ``stop()`` kills the workers at once (a build
    that failed or was stopped; also done by ``finish()`` when it fails).
    Only new files are looked for: a file must not change once handed out.
    """

    def __init__(self, site: Path, min_size: int = MIN_SIZE, cache: Path | None = None,
                 workers: int | None = None, nice: int = 0, pool: WorkerPool | None = None):
        self.site = Path(site)
        self.min_size = min_size
        self.cache = None if cache is None else Path(cache)
        self.workers = default_workers() if workers is None else max(1, workers)
        # ``pool``: workers forked already (``WorkerPool``), used instead of new ones.
        self.given = pool if pool is not None and pool.executor is not None else None
        if self.given is not None:
            self.workers = self.given.workers
        self.folder = None if cache is None else os.path.join(cache, cache_folder())
        self.now = time.time()
        self.nice = nice
        self.handed_out: set[str] = set()  # site-relative paths
        # (size, modification time, inode) of each file when handed out
        self._seen: dict[str, tuple[int, int, int]] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._known: set = set()  # child processes that are not this pool's
        self._pending: set = set()
        if self.given is not None:
            self._pool, self._known = self.given.executor, self.given.known

    def start(self, hidden: bool = True) -> "Precompression":
        """Hand out the site's text files now (``hidden`` False: not those in a
        hidden entry of the site's top level, where Pagefind may be writing;
        ``finish`` hands them out)."""
        self._hand_out(hidden)
        return self

    def _new_files(self, paths):
        """(site path, path, stat) of each of these files (absolute paths) not handed out yet."""
        root = str(self.site)
        prefix = root + os.sep
        for path in paths:
            path = os.fspath(path)
            # (paths under the site, as the build gives them: no relpath,
            # which costs more than the rest of this loop)
            if path.startswith(prefix) and os.path.normpath(path) == path:
                relative = path[len(prefix):].replace(os.sep, "/")
            else:
                relative = os.path.relpath(path, root).replace(os.sep, "/")
            if relative in self.handed_out or relative.startswith("../"):
                continue
            try:
                info = os.stat(path, follow_symlinks=False)
            except OSError:
                continue
            yield relative, path, info

    def hand_out(self, paths) -> None:
        """Hand out these files of the site (absolute paths) now, if they are to be compressed.

        For a build that is still writing: the files must be written in
        full. One that changes or goes away afterwards is seen by
        ``finish()``, which compresses it again or removes its copies.
        """
        self._submit([(relative, path, info) for relative, path, info in self._new_files(paths)
                      if stat.S_ISREG(info.st_mode)
                      and wants_precompression(path, info.st_size, self.min_size)])

    def adopt(self, paths) -> None:
        """Take these files of the site (absolute paths) as compressed already.

        Their ``.gz`` and ``.br`` are in place (linked from the published
        site, newsroom/build/published_links.py): they are not handed out, and
        ``finish()`` compresses one again only if it changes.
        """
        for relative, _, info in self._new_files(paths):
            self.handed_out.add(relative)
            self._seen[relative] = _identity(info)

    def _hand_out(self, hidden: bool = True) -> None:
        files = list(_text_files(str(self.site), self.min_size, skip=self.handed_out,
                                 hidden=hidden))
        self._submit(files)

    def _submit(self, files: list) -> None:
        for relative, _, info in files:
            self.handed_out.add(relative)
            self._seen[relative] = _identity(info)
        batches = _batches([(path, info.st_size) for _, path, info in files], self.workers)
        if (self._pool is None and self.workers > 1 and batches
                and (len(batches) > 1 or self.nice)
                and "fork" in multiprocessing.get_all_start_methods()):
            self._known = set(multiprocessing.active_children())
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_lower_priority if self.nice else None,
                initargs=(self.nice,) if self.nice else ())
        for batch in batches:
            if self._pool is None:
                _finish_batch(batch, self.folder, self.now)
            else:
                self._pending.add(self._pool.submit(_finish_batch, batch, self.folder,
                                                    self.now))

    def _compress_changed(self) -> None:
        """Compress again the handed-out files that changed since; drop copies of gone ones."""
        changed = []
        for relative, seen in self._seen.items():
            path = os.path.join(self.site, relative)
            try:
                info = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                info = None
            if info is not None and _identity(info) == seen:
                continue
            if info is not None and wants_precompression(path, info.st_size, self.min_size):
                changed.append(path)
            else:  # gone, or no longer worth compressing: no copies either
                for suffix in SUFFIXES:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path + suffix)
                self.handed_out.discard(relative)
        if changed:
            _finish_batch(changed, self.folder, self.now)

    def finish(self, meanwhile=None) -> list[str]:
        """Hand out what is left, wait for all (``meanwhile()`` runs first, while
        the workers compress), compress what changed since; the files, sorted."""
        try:
            self._hand_out()
            if meanwhile is not None:
                meanwhile()
            while self._pending:
                done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # a worker's error (a full disk) is raised here
            self._compress_changed()
        except BaseException:
            # Stopped (SIGTERM, SIGINT) or a worker failed: the workers must
            # not finish their batches first.
            self.stop()
            raise
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
            if self.given is not None:
                self.given.executor = None
        if self.cache is not None and self.handed_out:
            prune(self.cache, self.now)
        return sorted(self.handed_out)

    def stop(self) -> None:
        """Kill this pool's workers and wait for them; nothing else. Again: nothing."""
        pool = self._pool
        if pool is None:
            return
        for process in set(multiprocessing.active_children()) - self._known:
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        self._pending = set()
        self._pool = None
        if self.given is not None:
            self.given.executor = None


def precompress(site: Path, min_size: int = MIN_SIZE, cache: Path | None = None,
                workers: int | None = None) -> list[str]:
    """Write ``.gz`` and ``.br`` beside each text file of ``site`` over ``min_size`` bytes.

    ``cache``: the folder of compressed bytes kept between builds (None: no
    cache). ``workers``: processes for the files (None: one per CPU; 1: all
    in this process). Returns the site-relative paths of the files
    compressed, sorted.
    """
    return Precompression(site, min_size, cache, workers).start().finish()
