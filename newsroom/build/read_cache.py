"""What the story reader and typogrify make of each story, kept between builds and made on both cores.

Reading is half of a full build: Python-Markdown, the newsroom's checks
(plugins/content_checks/reader.py) and typogrify, story after story, on one
core. ``ReadCache`` (installed by ``newsroom.build.driver.run_pelican`` for
full builds; the preview keeps its own in memory, newsroom/dev/incremental.py)
does two things:

* **Keeps each answer.** What the story reader returned for a file (the HTML,
  the metadata, the parsed fields that later checks quote line numbers
  from, the site paths it links to) and typogrify's answer for its body,
  headline and summary are stored in ``READ_CACHE_PATH`` (``reads`` inside
  ``CACHE_PATH``), one entry per story, named by a SHA-256 of:

  - the file's bytes and its path in the content folder;
  - ``environment_key``: every setting (after overrides; not the output
    folder), the settings files, the code of the plugins and of
    ``newsroom/`` (any plugin path too), every installed package and its
    version, Python's version and ``FORMAT``;
  - ``listing_key``: the name and type of every file and folder in the
    content folder, and the size, times and inode of every image, because
    the reader checks that link targets exist, stay inside the folder and
    are whole images.

  The theme is not part of the key: templates never change what a story
  reads as. A read that logged a warning or an error is never kept, so a
  broken story is read (and reported) on every build until it is fixed.
  An entry holds a SHA-256 of its name and bytes; one that fails the check
  is read again and rewritten. Entries are pickles written by this module
  into the project's own cache folder, the same trust as the code beside
  it; the content never chooses what is unpickled. Entries not used for 30
  days are deleted (at most once a day, as the compression cache does).

* **Reads on every core.** When Pelican starts reading stories (the first
  ``article_generator_preread``), the stories the cache lacks are handed,
  in batches, to forked worker processes (one per CPU the build may use).
  A worker runs the same reader and typogrify on the same settings and
  sends back the pickled entry; the build process, reading stories in
  Pelican's order, takes each answer as it arrives instead of computing
  it. A worker's read that logged anything, failed or changed under it is
  sent back as "not read": the build process then reads that story itself,
  so every problem is reported by the build, once, as without workers.

Same output, byte for byte (tests/newsroom/build/test_read_cache.py builds
with and without the cache and compares every file).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import stat
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from newsroom.build import up_to_date
from newsroom.build.precompress import default_workers, prune, read_entry, write_entry
from newsroom.compat.smartypants import set_pelican_dashes
from newsroom.core.content_paths import IMAGE_SUFFIXES
from newsroom.core.problems import WarningCounter

#: Bump when what an entry holds changes.
FORMAT = 1
#: Stories per batch handed to a worker.
BATCH = 12
#: Fewer stories to read than this: no workers (forking costs more than it saves).
MIN_PARALLEL = 24

_SETTINGS = "settings"
_DISCARD = "discard"

_active: "ReadCache | None" = None


# --- keys ----------------------------------------------------------------------

def environment_key(settings: dict, settings_files: list[Path], code_roots: list[Path]) -> str:
    """Everything but the content that decides what a story reads as."""
    digest = hashlib.sha256()
    # Not where the content and output are: a story's path inside the
    # content folder is part of its own key, and nothing a reader returns
    # holds the folder's absolute path.
    shown = {name: value for name, value in settings.items()
             if name not in ("OUTPUT_PATH", "PATH")}
    up_to_date._feed(digest, "reads", FORMAT, sys.version, up_to_date.stable_text(shown))
    for path in sorted(settings_files):
        up_to_date._feed(digest, "settings file", path.name, path.read_bytes())
    for root in code_roots:
        up_to_date._feed_tree(digest, Path(root), "code", None)
    up_to_date._feed(digest, "distributions", *up_to_date._distributions())
    return digest.hexdigest()


def listing_key(content_root: str) -> str:
    """Names and types of everything in the content folder; an image's size, times, inode."""
    digest = hashlib.sha256()
    for folder, folders, files in os.walk(content_root):
        folders.sort()
        relative = os.path.relpath(folder, content_root)
        for name in sorted(files) + folders:
            info = os.lstat(os.path.join(folder, name))
            facts = [os.path.join(relative, name), stat.S_IFMT(info.st_mode)]
            if os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                facts += [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
            up_to_date._feed(digest, *facts)
    return digest.hexdigest()


# --- entries ---------------------------------------------------------------------

class _Pickler(pickle.Pickler):
    """Pickles a read with the build's settings and Pelican's "discard" marker by name."""

    def __init__(self, file, settings, discard):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._settings, self._discard = settings, discard

    def persistent_id(self, obj):
        if obj is self._settings:
            return _SETTINGS
        if obj is self._discard:
            return _DISCARD
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, settings, discard):
        super().__init__(file)
        self._settings, self._discard = settings, discard

    def persistent_load(self, pid):
        if pid == _SETTINGS:
            return self._settings
        if pid == _DISCARD:
            return self._discard
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")


def _discard():
    from newsroom.compat.pelican import DISCARD
    return DISCARD


def dump_entry(entry: tuple, settings: dict) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, settings, _discard()).dump(entry)
    return buffer.getvalue()


def load_entry(payload: bytes, settings: dict) -> tuple | None:
    try:
        entry = _Unpickler(io.BytesIO(payload), settings, _discard()).load()
    except Exception:  # noqa: BLE001 - any unreadable entry is only a miss
        return None
    return entry if isinstance(entry, tuple) and len(entry) == 5 else None


# --- typogrify, as Pelican's reader calls it ---------------------------------------

def _typogrify_arguments(settings: dict) -> tuple:
    return (settings["TYPOGRIFY_IGNORE_TAGS"],
            dict.fromkeys(settings["TYPOGRIFY_OMIT_FILTERS"], False))


def _typogrify_key(text: str, ignore_tags, options: dict) -> tuple:
    import smartypants

    return (text, tuple(ignore_tags or ()), tuple(sorted(options.items())),
            int(smartypants.Attr.default))


_original_typogrify = None


def _install_typogrify_memo() -> None:
    """typogrify answers from the active cache's memo when it has them."""
    global _original_typogrify
    import typogrify.filters

    current = typogrify.filters.typogrify
    if getattr(current, "__newsroom_read_cache__", False):
        return
    _original_typogrify = current

    def typogrify_(text, ignore_tags=None, **options):
        cache = _active
        if cache is not None and cache.typogrify and isinstance(text, str):
            found = cache.typogrify.pop(_typogrify_key(text, ignore_tags, options), None)
            if found is not None:
                return found
        return current(text, ignore_tags, **options)

    typogrify_.__newsroom_read_cache__ = True
    typogrify_.__wrapped__ = current
    typogrify.filters.typogrify = typogrify_


def _typogrify_answers(settings: dict, content, metadata: dict) -> dict:
    """typogrify's answers for what Pelican will pass it after this read."""
    if not settings["TYPOGRIFY"]:
        return {}
    set_pelican_dashes(settings)
    ignore_tags, options = _typogrify_arguments(settings)
    answers = {}
    for text in (content, metadata.get("title"), metadata.get("summary")):
        if isinstance(text, str) and text:
            key = _typogrify_key(text, ignore_tags, options)
            if key not in answers:
                answers[key] = _original_typogrify(text, ignore_tags, **options)
    return answers


# --- the reader -------------------------------------------------------------------

def _links_module(reader_class):
    return sys.modules[reader_class.__module__.rpartition(".")[0] + ".links"]


def _wrap_reader(reader_class) -> None:
    """The story reader's ``read`` asks the active cache first."""
    original = reader_class.read
    if getattr(original, "__newsroom_read_cache__", False):
        return

    def read(reader, source_path):
        cache = _active
        if cache is None:
            return original(reader, source_path)
        return cache.read(original, reader, source_path)

    read.__newsroom_read_cache__ = True
    read.__wrapped__ = original
    reader_class.read = read


def _on_readers(readers) -> None:
    for reader_class in set(readers.reader_classes.values()):
        if reader_class is not None and hasattr(reader_class, "_check_keys"):
            _wrap_reader(reader_class)


def _on_preread(generator) -> None:
    cache = _active
    if cache is None or cache._started:
        return
    try:
        cache.start_workers(generator)
    except Exception:  # noqa: BLE001 - no workers (cannot fork, ...): the build reads them
        cache.stop_workers()


# The worker's view: set in the build process just before the pool forks.
_worker_job = None


def _worker_start() -> None:
    """In a forked worker: nothing it logs reaches the terminal or the build's report."""
    root = logging.getLogger()
    for logger in [root, *logging.root.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
    counter = WarningCounter()
    root.addHandler(counter)
    _worker_job["counter"] = counter


def _worker_read(paths: list[str]) -> list[tuple[str, str | None, bytes | None]]:
    """(path, key, entry bytes) for each story; None when the build must read it itself."""
    job = _worker_job
    cache, readers, counter = job["cache"], job["readers"], job["counter"]
    results = []
    for path in paths:
        reader = readers.get(os.path.splitext(path)[1].lstrip("."))
        try:
            key, payload, _answer = cache.compute(job["original"], reader, path, counter)
        except Exception:  # noqa: BLE001 - the build reads it and reports why
            key, payload = None, None
        if payload is not None:
            cache._store(key, payload)  # atomic: the build may find it there too
        results.append((path, key, payload))
    return results


def _stamp(path: str) -> list[int]:
    """Size, modification and change times, inode and device of ``path``."""
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


class ReadCache:
    """One full build's reads: from ``folder`` when kept, else made (on every core)."""

    def __init__(self, folder: Path | str | None, workers: int | None = None,
                 settings_files: list[Path] = (), code_roots: list[Path] = ()):
        self.root = Path(folder) if folder else None
        self.workers = default_workers() if workers is None else max(1, workers)
        self.settings_files = list(settings_files)
        self.code_roots = list(code_roots)
        self.typogrify: dict[tuple, str] = {}
        self.hits = self.made = self.from_workers = 0
        self._folder: str | None = None
        self._listing = ""
        self._settings = None
        self._counter = WarningCounter()
        self._pool = None
        self._pending: dict[str, object] = {}  # path -> future of its batch
        self._futures: list = []  # every batch handed out
        self._known: set = set()  # processes that were there before the pool
        self._started = False
        self._writable = True
        # Each story's key by the stamp of its file (size, times, inode,
        # device): a file whose stamp is as recorded has the bytes it had
        # (writing to a file changes its ctime, which nobody can set), so
        # its key is known without reading and hashing it (twice a build).
        self._stamps: dict[str, list] = {}  # path -> [stamp, key], as kept
        self._stamps_now: dict[str, list] = {}  # ... as this build found them

    @classmethod
    def for_build(cls, settings: dict, settings_path: Path, project_root: Path,
                  workers: int | None = None) -> "ReadCache":
        """The cache a full build with these (resolved) settings uses."""
        code = up_to_date.code_roots(settings, project_root, theme=False)
        folder = settings["READ_CACHE_PATH"] if settings["READ_CACHE"] else None
        if workers is None:
            workers = settings["READ_WORKERS"]
        return cls(folder, workers, sorted(Path(settings_path).parent.glob("*.py")), code)

    # -- lifetime --
    def install(self) -> None:
        """Active for the builds that run until ``close``."""
        global _active
        from pelican import signals

        _install_typogrify_memo()
        signals.readers_init.connect(_on_readers)
        signals.article_generator_preread.connect(_on_preread)
        logging.getLogger().addHandler(self._counter)
        _active = self

    def close(self) -> None:
        """Stop the workers (killed if still busy), forget this build, prune old entries."""
        global _active
        if _active is self:
            _active = None
        logging.getLogger().removeHandler(self._counter)
        self.stop_workers()
        self.typogrify.clear()
        if self.root is not None and self._folder is not None:
            self._save_stamps()
            prune(self.root)

    def stop_workers(self) -> None:
        """End the worker processes; those still reading are killed, not waited for."""
        import multiprocessing

        pool, self._pool = self._pool, None
        if pool is not None:
            if self._futures and all(future.done() for future in self._futures):
                pool.shutdown(wait=True)  # idle workers: they end on their own
            else:
                # Stopped (SIGTERM, SIGINT, an error) while workers read, or
                # while the pool was still starting: every process it started
                # goes now (else Python would wait for them at exit).
                pool.shutdown(wait=False, cancel_futures=True)
                ours = set(multiprocessing.active_children()) - self._known
                for process in ours:
                    process.kill()
                for process in ours:
                    process.join()
        self._pending.clear()
        self._futures.clear()

    # -- keys --
    def _prepare(self, settings: dict) -> bool:
        """Work out this build's keys (once); False when there is no cache to use."""
        if self._settings is settings:
            return self._folder is not None
        self._settings = settings
        self._folder = None
        if self.root is None:
            return False
        try:
            environment = environment_key(settings, self.settings_files, self.code_roots)
            self._listing = listing_key(os.path.abspath(settings["PATH"]))
        except OSError:
            return False
        # A folder per environment: entries of old settings or code are
        # never looked at again and age out (``prune``).
        self._folder = str(self.root / f"f{FORMAT}-{environment[:24]}")
        self._environment = environment
        self._load_stamps()
        return True

    # -- keys by stamp --
    def _stamps_path(self) -> str:
        content = hashlib.sha256(os.path.abspath(self._settings["PATH"]).encode(
            "utf-8", "surrogateescape")).hexdigest()[:24]
        return os.path.join(self._folder, f"stamps-{content}.json")

    def _load_stamps(self) -> None:
        data = up_to_date.load_json(Path(self._stamps_path()), FORMAT)
        stamps = data.get("stamps")
        if data.get("listing") == self._listing and isinstance(stamps, dict):
            self._stamps = stamps
        else:
            self._stamps = {}
        self._stamps_now = {}

    def _save_stamps(self) -> None:
        """Keep the stamps this build found, if they differ from those kept."""
        if self._stamps_now and self._stamps_now != self._stamps and self._writable:
            up_to_date.save_json(Path(self._stamps_path()), {
                "version": FORMAT, "listing": self._listing, "stamps": self._stamps_now})

    def key_of(self, source_path: str, again: bool = False) -> str:
        """The key of ``source_path``'s bytes now: from its stamp, else read and hashed.

        ``again`` False: the key this build found for it already, if any (the
        stories are listed, stamped and read within a moment; a story saved
        again meanwhile is read anew by the next build, whose stamp differs).
        """
        if not again:
            found = self._stamps_now.get(source_path)
            if found is not None:
                return found[1]
        stamp = _stamp(source_path)
        known = self._stamps.get(source_path)
        if (isinstance(known, list) and len(known) == 2 and known[0] == stamp
                and isinstance(known[1], str)):
            self._stamps_now[source_path] = known
            return known[1]
        with open(source_path, "rb") as handle:
            key = self.entry_key(source_path, handle.read())
        if _stamp(source_path) == stamp:  # (not saved again while it was read)
            self._stamps_now[source_path] = [stamp, key]
        return key

    def entry_key(self, source_path: str, data: bytes) -> str:
        relative = os.path.relpath(source_path, os.path.abspath(self._settings["PATH"]))
        digest = hashlib.sha256()
        up_to_date._feed(digest, self._environment, self._listing, relative)
        digest.update(data)
        return digest.hexdigest()

    # -- reading --
    def compute(self, original, reader, source_path: str, counter=None) -> tuple:
        """Run the reader on ``source_path``: (key, entry bytes or None, its answer).

        The entry is None when the read is not to be kept (it logged a
        problem, or the file changed while it was read).
        """
        counter = counter or self._counter
        settings = reader.settings
        with open(source_path, "rb") as handle:
            data = handle.read()
        key = self.entry_key(source_path, data) if self._folder else None
        links = _links_module(type(reader))
        before = counter.count
        content, metadata = original(reader, source_path)
        answers = _typogrify_answers(settings, content, metadata)
        answer = (content, metadata, answers)
        if counter.count != before or key is None:
            return key, None, answer
        with open(source_path, "rb") as handle:
            if handle.read() != data:
                return key, None, answer  # saved again while being read: not kept
        entry = (content, dict(metadata), links.parsed_sources.get(source_path),
                 list(links.site_links.get(source_path, ())), answers)
        return key, dump_entry(entry, settings), answer

    def _use(self, reader, source_path: str, payload: bytes):
        entry = load_entry(payload, reader.settings)
        if entry is None:
            return None
        content, metadata, source, site_links, answers = entry
        links = _links_module(type(reader))
        if source is not None:
            links.parsed_sources[source_path] = source
        if site_links:
            links.site_links[source_path] = list(site_links)
        self.typogrify.update(answers)
        return content, metadata

    def _store(self, key: str, payload: bytes) -> None:
        if self._writable and self._folder:
            self._writable = write_entry(self._folder, key, payload)

    def read(self, original, reader, source_path: str):
        """What ``original`` would return for ``source_path``, from the cache when it can."""
        if not self._prepare(reader.settings):
            return original(reader, source_path)
        try:
            key = self.key_of(source_path)
        except OSError:
            return original(reader, source_path)  # Pelican reports what is wrong
        future = self._pending.pop(source_path, None)
        if future is not None:
            payload = self._from_worker(future, source_path, key)
            if not self._pending:
                self.stop_workers()  # every story handed out is in: the workers can go
            used = self._use(reader, source_path, payload) if payload else None
            if used is not None:
                self.from_workers += 1
                return used
        payload = read_entry(self._folder, key)
        used = self._use(reader, source_path, payload) if payload else None
        if used is not None:
            self.hits += 1
            return used
        key, payload, (content, metadata, answers) = self.compute(original, reader, source_path)
        self.typogrify.update(answers)
        if payload is not None:
            self._store(key, payload)
            self.made += 1
        return content, metadata

    @staticmethod
    def _from_worker(future, source_path: str, key: str) -> bytes | None:
        """The worker's entry for ``source_path`` if it read these very bytes."""
        try:
            results = future.result()
        except Exception:  # noqa: BLE001 - a worker died: the build reads the story
            return None
        for path, worker_key, payload in results:
            if path == source_path:
                return payload if worker_key == key else None
        return None

    # -- workers --
    def start_workers(self, generator) -> None:
        """Hand every story the cache lacks to worker processes, once per build."""
        if self._started:
            return
        self._started = True
        settings = generator.settings
        if self.workers <= 1 or not self._prepare(settings):
            return
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return
        readers = {extension: reader for extension, reader in generator.readers.readers.items()
                   if getattr(type(reader).read, "__newsroom_read_cache__", False)}
        missing = []
        for relative in generator.get_files(settings["ARTICLE_PATHS"],
                                            exclude=settings["ARTICLE_EXCLUDES"]):
            path = os.path.abspath(os.path.join(generator.path, relative))
            if os.path.splitext(path)[1].lstrip(".") not in readers:
                continue
            try:
                key = self.key_of(path)
            except OSError:
                continue
            if not os.path.exists(os.path.join(self._folder, key[:2], key)):
                missing.append(path)
        if len(missing) < MIN_PARALLEL:
            return
        global _worker_job
        original = next(iter(readers.values())).__class__.read.__wrapped__
        from newsroom.build.driver import _signals_wait

        _worker_job = {"cache": self, "readers": readers, "original": original}
        self._known = set(multiprocessing.active_children())
        # A stop signal during the forks waits for their end: raised inside
        # Python's fork handlers it would be lost, and the workers with it.
        with _signals_wait():
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_start)
            for start in range(0, len(missing), BATCH):
                batch = missing[start:start + BATCH]
                future = self._pool.submit(_worker_read, batch)
                self._futures.append(future)
                for path in batch:
                    self._pending[path] = future

