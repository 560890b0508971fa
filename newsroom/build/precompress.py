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

**The cache.** Brotli at quality 11 is slow (about half a megabyte a second),
and most files of a build are the same bytes as in the last one. The
compressed bytes are therefore kept in ``COMPRESSION_CACHE_PATH`` (derived:
``compressed`` inside ``CACHE_PATH``, newsroom/core/settings.py), one folder
per way of compressing, named after everything that decides the bytes
(``codec_folders``: algorithm, level or quality, mode and window, the zlib or
Brotli version, Python's version for the gzip header, and ``ENTRY_FORMAT``),
so a change there starts a new folder instead of reusing other bytes. An
entry is named by the SHA-256 of the original file's bytes
(``<folder>/<first 2 hex digits>/<64 hex digits>``) and holds a SHA-256 of
that name and the compressed bytes, then the compressed bytes; an entry whose
check fails (truncated, changed, zeros appended by a crash) is never used:
the file is compressed again and the entry rewritten. Entries are written to
a temporary file and renamed into place, so builds side by side may share
the folder; the output gets its own new files, never links to the cache.

Old entries: an entry's modification time says when a build last wrote or
used it (a build that uses one marks it again when the mark is over a day
old). At most once a day (``.pruned`` in the cache folder records when) the
build deletes every entry not used for ``PRUNE_AFTER_DAYS`` (30) days, in
every folder, those of older compressor versions included (an emptied folder
goes too), and temporary files left by killed builds. A cache folder that
cannot be made or written (a read-only checkout) only means compressing
without storing; an unreadable entry is a miss, never a failure.

**Both cores.** The files the cache lacks are compressed in forked worker
processes (one per CPU the build may use), in batches, largest files first;
the build process writes the cache entries and then every ``.gz`` and
``.br`` in sorted order, so parallel and serial builds give the same files.
Workers die with the build (``newsroom.build.driver`` gives every forked
child a parent-death signal); a build stopped by SIGTERM or SIGINT kills
them before it removes its staging folder.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import sys
import tempfile
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

MIN_SIZE = 1024  # bytes: files of this size or smaller are not worth a request header
TEXT_SUFFIXES = (".html", ".css", ".js", ".mjs", ".json", ".xml", ".txt", ".svg", ".map",
                 ".webmanifest", ".wasm")

GZIP_LEVEL = 9
BROTLI_QUALITY = 11
BROTLI_MODE = "text"  # MODE_TEXT of the brotli package
BROTLI_WINDOW = 22  # lgwin: the package's default, stated so that it is in the cache key
# Bump when the layout of a cache entry changes.
ENTRY_FORMAT = 1
CHECK_SIZE = 32  # bytes of SHA-256 before each entry's compressed bytes
PRUNE_AFTER_DAYS = 30
DAY = 24 * 3600
TEMPORARY_PREFIX = ".tmp-"
PRUNE_STAMP = ".pruned"


def gzip_bytes(data: bytes) -> bytes:
    """gzip level 9 with time 0 and no name in the header: reproducible."""
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def brotli_bytes(data: bytes) -> bytes:
    import brotli  # a dependency (pyproject.toml); imported here so dev builds never need it

    mode = {"text": brotli.MODE_TEXT, "generic": brotli.MODE_GENERIC,
            "font": brotli.MODE_FONT}[BROTLI_MODE]
    return brotli.compress(data, mode=mode, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW)


# The copies written beside each file, in the order they are written.
SUFFIXES = (".gz", ".br")
_COMPRESSORS = {".gz": gzip_bytes, ".br": brotli_bytes}


def codec_folders() -> dict[str, str]:
    """The cache folder's name for each suffix: everything that decides its bytes.

    gzip's header is written by Python's gzip module (the OS byte differs
    between Python versions), its deflate stream by the zlib the process runs
    with; Brotli's bytes come from the library the brotli package carries.
    """
    import brotli

    python = "{}.{}".format(*sys.version_info[:2])
    return {
        ".gz": f"gzip-l{GZIP_LEVEL}-mtime0-zlib{zlib.ZLIB_RUNTIME_VERSION}-py{python}"
               f"-e{ENTRY_FORMAT}",
        ".br": f"brotli-q{BROTLI_QUALITY}-{BROTLI_MODE}-w{BROTLI_WINDOW}"
               f"-brotli{brotli.__version__}-e{ENTRY_FORMAT}",
    }


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
    temporary = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=TEMPORARY_PREFIX)
        with os.fdopen(handle, "wb") as out:
            out.write(_entry_check(digest, payload) + payload)
        os.replace(temporary, path)  # atomic: builds side by side see all or nothing
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

def _compress_batch(batch: list[tuple[str, str]]) -> list[tuple[str, dict[str, bytes]]]:
    """(digest, {suffix: compressed bytes}) for each (digest, path); in a worker process."""
    results = []
    for digest, path in batch:
        data = Path(path).read_bytes()
        results.append((digest, {suffix: _COMPRESSORS[suffix](data) for suffix in SUFFIXES}))
    return results


def _batches(jobs: list[tuple[str, str, int]], workers: int) -> list[list[tuple[str, str]]]:
    """Jobs (digest, path, size) in batches of similar total size, largest files first."""
    total = sum(size for _, _, size in jobs)
    target = min(4 << 20, max(64 << 10, total // (workers * 8)))
    batches: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    filled = 0
    for digest, path, size in sorted(jobs, key=lambda job: (-job[2], job[1])):
        current.append((digest, path))
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


def _compress_all(batches, workers: int, take) -> None:
    """Run every batch, serially or in forked workers; ``take(results)`` in this process."""
    if workers <= 1 or len(batches) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            take(_compress_batch(batch))
        return
    known = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(min(workers, len(batches)),
                               mp_context=multiprocessing.get_context("fork"))
    try:
        pending = {pool.submit(_compress_batch, batch) for batch in batches}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                take(future.result())
    except BaseException:
        # Stopped (SIGTERM, SIGINT) or a worker failed: the workers must not
        # finish their batches first. Only this pool's processes are killed.
        for process in set(multiprocessing.active_children()) - known:
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _text_files(root: str, min_size: int, prefix: str = ""):
    """(site-relative path, path) of each file to compress, in sorted order; no symlinks."""
    with os.scandir(root) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _text_files(entry.path, min_size, f"{prefix}{entry.name}/")
        elif (entry.is_file(follow_symlinks=False)
              and wants_precompression(entry.name, entry.stat(follow_symlinks=False).st_size,
                                       min_size)):
            yield f"{prefix}{entry.name}", entry.path


def precompress(site: Path, min_size: int = MIN_SIZE, cache: Path | None = None,
                workers: int | None = None) -> list[str]:
    """Write ``.gz`` and ``.br`` beside each text file of ``site`` over ``min_size`` bytes.

    ``cache``: the folder of compressed bytes kept between builds (None: no
    cache). ``workers``: processes for the files the cache lacks (None: one
    per CPU; 1: all in this process). Returns the site-relative paths of the
    files compressed, sorted.
    """
    site = Path(site)
    files: list[tuple[str, str, str]] = []  # (relative path, path, digest)
    sizes: dict[str, tuple[str, int]] = {}  # digest -> (one path with those bytes, size)
    for relative, path in _text_files(str(site), min_size):
        with open(path, "rb") as handle:
            data = handle.read()
        digest = hashlib.sha256(data).hexdigest()
        files.append((relative, path, digest))
        sizes.setdefault(digest, (path, len(data)))
    files.sort()

    folders_by_suffix: dict[str, str] = {}
    if cache is not None and files:
        folders_by_suffix = {suffix: os.path.join(cache, name)
                             for suffix, name in codec_folders().items()}
    compressed: dict[tuple[str, str], bytes] = {}
    now = time.time()
    missing = []
    for digest, (path, size) in sorted(sizes.items()):
        for suffix, folder in folders_by_suffix.items():
            payload = read_entry(folder, digest, now)
            if payload is not None:
                compressed[digest, suffix] = payload
        if any((digest, suffix) not in compressed for suffix in SUFFIXES):
            missing.append((digest, path, size))

    writable = bool(folders_by_suffix)

    def take(results) -> None:
        nonlocal writable
        for digest, by_suffix in results:
            for suffix, payload in by_suffix.items():
                if (digest, suffix) in compressed:
                    continue  # a good entry was there already
                compressed[digest, suffix] = payload
                if writable:
                    writable = write_entry(folders_by_suffix[suffix], digest, payload)

    workers = default_workers() if workers is None else max(1, workers)
    _compress_all(_batches(missing, workers), workers, take)

    for _, path, digest in files:
        for suffix in SUFFIXES:
            with open(path + suffix, "wb") as out:  # a new file of the output's own
                out.write(compressed[digest, suffix])
    if cache is not None and files:
        prune(Path(cache), now)
    return [relative for relative, _, _ in files]
