"""Incremental preview builds: the site kept in memory between saves.

``invoke livereload`` runs this module as a worker process beside the
preview server (``python -m newsroom.dev.incremental``). The worker builds
the whole site once, straight into the output folder, then waits for a line
on its standard input (the files that changed) and builds again, doing only
the work those changes need:

* **Reading.** A story whose file is unchanged is not parsed again: what
  the story reader returned (Markdown and every check on it) is kept,
  keyed by the file's path, size, modification time and inode, and by the
  list of files in the content folder (link checks look for other files).
  A read that reported a problem is never kept, so a broken story is read
  and reported on every build until it is fixed. typogrify's answer for a
  piece of text is kept too (``ReadCache``).
* **Rendering.** While a page is rendered, what it reads is recorded
  (newsroom/core/render_records.py: every template variable it looks up,
  each attribute it reads of a story or page, and all of a story's data
  where Python code was given it). On the next build, a page whose inputs
  are all the same (compared by a digest of their values) is not rendered
  again. A render that logged a problem keeps no record, so the problem is
  reported on every build until it is fixed.
* **Writing.** A file is written only when its bytes change, through a new
  file renamed over the old one, so the preview server never serves half a
  page (``ChangedOnlyWriter`` in newsroom/compat/pelican.py). Pages that a
  build no longer makes (a deleted or renamed story) are removed.

Plugins run on every build as in a full one: the ``initialized`` signal is
sent again before each, so their per-build state starts afresh. A change to
the theme renders every page again; a change to settings or code restarts
the worker (the preview server does that). ``tests/newsroom/dev/
test_incremental.py`` checks, for each kind of change, that the result is
byte for byte what a clean build makes.

Protocol: one JSON object per line. The worker answers each build (the
first one at start) with ``{"ok", "problems", "seconds", "rendered",
"written", "removed"}`` and reads requests ``{"changed": [paths]}``; end of
input ends it.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from newsroom.core.content_paths import is_within
from newsroom.core.problems import ProblemCollector, WarningCounter, forget_problems
from newsroom.core.render_records import PageRecorder, _hash

PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --- Reading ------------------------------------------------------------------------

class ReadCache:
    """The story reader's answers and typogrify's, kept while their inputs are the same."""

    def __init__(self):
        self.reads: dict[str, tuple] = {}
        self.listing = ""
        self.hits = 0
        self.typogrify: dict[tuple, str] = {}
        self._typogrify_used: set[tuple] = set()

    def new_build(self, content_root: str) -> None:
        names = []
        for folder, folders, files in os.walk(content_root):
            folders.sort()
            names += [os.path.join(folder, name) for name in sorted(files)]
        self.listing = _hash(names)
        self.hits = 0
        # typogrify answers not used in the last build are dropped.
        self.typogrify = {key: self.typogrify[key] for key in self._typogrify_used
                          if key in self.typogrify}
        self._typogrify_used = set()

    @staticmethod
    def stamp(path: str):
        stat = os.stat(path)
        return (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)

    def install(self, counter: "WarningCounter") -> None:
        """Wrap the story reader's ``read`` (when Pelican makes its readers) and typogrify."""
        import typogrify.filters
        from pelican import signals

        def on_readers(readers) -> None:
            for reader_class in set(readers.reader_classes.values()):
                if reader_class is not None and hasattr(reader_class, "_check_keys"):
                    self._wrap_reader(reader_class, counter)

        self._on_readers = on_readers  # blinker keeps only a weak reference
        signals.readers_init.connect(on_readers)

        original_typogrify = typogrify.filters.typogrify
        if getattr(original_typogrify, "__newsroom_cached__", False):
            return
        cache = self

        @functools.wraps(original_typogrify)
        def typogrify_(text, ignore_tags=None):
            key = (text, tuple(ignore_tags or ()))
            cache._typogrify_used.add(key)
            found = cache.typogrify.get(key)
            if found is None:
                found = cache.typogrify[key] = original_typogrify(text, ignore_tags)
            return found

        typogrify_.__newsroom_cached__ = True
        typogrify.filters.typogrify = typogrify_

    def _wrap_reader(self, reader_class, counter: "WarningCounter") -> None:
        """The story reader (plugins/content_checks/reader.py), as Pelican loaded it."""
        original_read = reader_class.read
        if getattr(original_read, "__newsroom_cached__", False):
            return
        links = sys.modules[reader_class.__module__.rpartition(".")[0] + ".links"]
        cache = self

        def read(reader, source_path):
            try:
                key = (cache.stamp(source_path), cache.listing)
            except OSError:
                return original_read(reader, source_path)
            found = cache.reads.get(source_path)
            if found is not None and found[0] == key:
                cache.hits += 1
                _key, content, metadata, source = found
                links.parsed_sources[source_path] = source
                return content, dict(metadata)
            before = counter.count
            content, metadata = original_read(reader, source_path)
            if counter.count == before:
                cache.reads[source_path] = (key, content, dict(metadata),
                                            links.parsed_sources.get(source_path))
            else:
                cache.reads.pop(source_path, None)
            return content, metadata

        read.__newsroom_cached__ = True
        reader_class.read = read


# --- The site kept in memory --------------------------------------------------------

class IncrementalSite:
    """One Pelican site, built again and again into ``output`` with as little work as it can."""

    def __init__(self, settings_path: Path, output: Path, overrides: dict | None = None):
        import pelican.log  # noqa: F401  (installs Pelican's logger class)
        from pelican import Pelican, signals
        from pelican.settings import read_settings

        from newsroom.compat.pelican import (changed_only_writer, copy_only_changed_files,
                                             index_article_lists, keep_urls_across_builds,
                                             linear_archives_and_translations,
                                             memoised_slugify, remember_content_urls,
                                             stampless_reads_without_content_cache)

        remember_content_urls()
        keep_urls_across_builds()
        copy_only_changed_files()
        index_article_lists()
        linear_archives_and_translations()
        stampless_reads_without_content_cache()
        memoised_slugify()
        self.output = Path(output).resolve()
        override = dict(overrides or {})
        override["OUTPUT_PATH"] = str(self.output)
        # A preview writes into its output folder in place, and copies a
        # static file only when the content folder's copy is newer.
        override["DELETE_OUTPUT_DIRECTORY"] = False
        override["STATIC_CHECK_IF_MODIFIED"] = True
        self.counter = WarningCounter()
        root = logging.getLogger()
        root.addHandler(self.counter)
        if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
            root.setLevel(logging.WARNING)
        self.collector: ProblemCollector | None = None  # a new one for each build
        self.settings = read_settings(str(settings_path), override=override)
        self.pelican = Pelican(self.settings)
        self._first = True
        self.recorder = PageRecorder(counter=self.counter)
        self.reads = ReadCache()
        self.reads.install(self.counter)
        self.written: list[str] = []
        recorder = self.recorder
        base = self.pelican._get_writer().__class__
        writer_class = changed_only_writer(base).reporting_to(self.written)

        def on_generator(generator):
            recorder.record_generator(generator)

        self._signals = signals
        # blinker keeps weak references to receivers: these keep them alive.
        self._receivers = (on_generator, self._finalized, self._note_object)
        self.pelican._get_writer = lambda: writer_class(str(self.output), settings=self.settings)
        signals.generator_init.connect(on_generator)
        signals.all_generators_finalized.connect(self._finalized)
        signals.content_object_init.connect(self._note_object)

    def _note_object(self, obj) -> None:
        self.recorder.note_object(obj)

    def _finalized(self, generators) -> None:
        self.recorder.digests.use_published_files(generators[0].context)

    def build(self, changed: list[str] | None = None) -> dict:
        """Build once; a summary of what happened (see the module docstring)."""
        from newsroom.core.clock import reset_output_changes

        started = time.monotonic()
        if changed and any(_in(path, self.settings["THEME"]) for path in changed):
            self.recorder.forget()  # templates changed: render every page
        forget_problems()
        reset_output_changes()
        root = logging.getLogger()
        if self.collector is not None:
            root.removeHandler(self.collector)
        self.collector = ProblemCollector(str(PROJECT_ROOT),
                                          os.path.abspath(self.settings["PATH"]))
        root.addHandler(self.collector)
        if self._first and self.output.is_dir():
            # Whatever another build left there (a publishing build's feeds
            # and .gz copies) goes: the preview is this build's output only.
            from pelican.utils import clean_output_dir

            clean_output_dir(str(self.output), self.settings.get("OUTPUT_RETENTION") or [])
        if not self._first:
            self._signals.initialized.send(self.pelican)
        self._first = False
        self.written.clear()
        self.reads.new_build(self.settings["PATH"])
        self.recorder.start_build()
        # What the worker keeps between builds (the site model, the caches,
        # the page records) is left out of the garbage collector's full
        # passes while a build runs: each pass walked all of it again, about
        # a seventh of a save at 1,000 stories. Afterwards it is tracked as
        # before, so what the build dropped can still be collected.
        gc.freeze()
        try:
            self.pelican.run()
        except Exception as error:  # noqa: BLE001 - reported like the build driver does
            if not self.collector.problems:
                raise
            self.collector.extra_problems.append(
                f"the build stopped early ({type(error).__name__}); fix the problems above "
                "and save again")
        finally:
            gc.unfreeze()
        problems = self.collector.problems
        removed = []
        if not problems:
            removed = self._remove_stale()
        return {
            "ok": not problems,
            "problems": problems,
            "seconds": round(time.monotonic() - started, 3),
            "rendered": self.recorder.rendered,
            "read": len(self.reads.reads) - self.reads.hits,
            "written": sorted(self.written),
            "removed": removed,
        }

    def _remove_stale(self) -> list[str]:
        """Pages earlier builds made that this one did not: remove them."""
        made = self.recorder.rendered_now
        stale = [name for name in self.recorder.records if name not in made]
        removed = []
        for name in stale:
            del self.recorder.records[name]
            path = self.output / name
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(name)
        return removed


def _in(path: str, folder: str) -> bool:
    return is_within(os.path.abspath(folder), os.path.abspath(path))


# --- The worker -----------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsroom.dev.incremental",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("-s", "--settings", default=str(PROJECT_ROOT / "pelicanconf.py"))
    parser.add_argument("-o", "--output", default=str(PROJECT_ROOT / "output"))
    parser.add_argument("-e", "--setting", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    from newsroom.build.driver import _parse_override

    overrides = dict(_parse_override(text) for text in args.setting)
    # Answers go to the real standard output; anything else printed goes to
    # standard error, so it cannot break the protocol.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    site = IncrementalSite(Path(args.settings), Path(args.output), overrides)

    def answer(result: dict) -> None:
        answers.write(json.dumps(result) + "\n")

    # One build at a time per output folder, as with `invoke build`.
    from newsroom.build.driver import _OutputLock

    lock = _OutputLock(site.output)

    def build(changed: list[str] | None) -> dict:
        site.output.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
        try:
            return site.build(changed)
        finally:
            lock.release()

    answer(build(None))
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        answer(build(request.get("changed") or []))
    return 0


if __name__ == "__main__":
    sys.exit(main())


# --- The preview server's side ----------------------------------------------------------

def source_folders(settings: Path, overrides: dict | None = None) -> tuple[Path, Path]:
    """The content and theme folders the settings (with ``overrides``) build from."""
    from pelican.settings import read_settings

    logging.disable(logging.CRITICAL)  # the worker reports what reading finds
    try:
        resolved = read_settings(str(settings), override=dict(overrides or {}))
    finally:
        logging.disable(logging.NOTSET)
    return Path(resolved["PATH"]), Path(resolved["THEME"])


def print_build(answer: dict) -> None:
    """One line for a preview build; for a failed one, each problem too."""
    if answer["ok"]:
        print(f"Built in {answer['seconds']:.2f} s: {answer['rendered']} page(s) rendered, "
              f"{len(answer['written'])} file(s) written, {len(answer['removed'])} removed",
              flush=True)
        return
    print(f"Build failed: {len(answer['problems'])} problem(s) (the preview shows them "
          "too); the site is as it was before this save:", file=sys.stderr, flush=True)
    for problem in answer["problems"]:
        print(f"error: {problem}", file=sys.stderr, flush=True)


class PreviewWorker:
    """Runs ``python -m newsroom.dev.incremental`` and asks it to build.

    Used by ``invoke livereload`` (newsroom/dev/livereload.py). A change to
    anything but content and theme (settings, plugins, newsroom/) starts a
    new worker, whose first build is a full one with the new code. After a
    build that succeeded, Pagefind indexes the output again in the
    background (search lags a save by a few seconds; pages do not wait).
    """

    def __init__(self, settings: Path, output: Path, content: Path, theme: Path,
                 overrides: dict | None = None, search: bool = True):
        self.settings, self.output = Path(settings), Path(output)
        self.in_place = (Path(content).resolve(), Path(theme).resolve())
        self.overrides = dict(overrides or {})
        self.search = search
        self.process = None
        self.problems: list[str] = []
        self.last: dict = {}
        self._indexer = None
        self._index_again = False
        self._resolved: dict | None = None

    @classmethod
    def for_settings(cls, settings: Path, output: Path, overrides: dict | None = None,
                     search: bool = True) -> "PreviewWorker":
        content, theme = source_folders(settings, overrides)
        return cls(settings, output, content, theme, overrides, search)

    def _command(self) -> list[str]:
        command = [sys.executable, "-m", "newsroom.dev.incremental", "-s", str(self.settings),
                   "-o", str(self.output)]
        for key, value in self.overrides.items():
            command += ["-e", f"{key}={json.dumps(value)}"]
        return command

    def start(self) -> dict:
        self.stop()
        self._resolved = None  # settings may have changed: read them again
        self.process = subprocess.Popen(self._command(), cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)
        return self._answer()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def build(self, changed: list[str]) -> dict:
        """Build after ``changed``; restarts the worker when code or settings changed."""
        restart = self.process is None or self.process.poll() is not None or any(
            not any(_in(os.path.realpath(path), str(folder)) for folder in self.in_place)
            for path in changed)
        if restart:
            return self.start()
        try:
            self.process.stdin.write(json.dumps({"changed": sorted(changed)}) + "\n")
            self.process.stdin.flush()
        except OSError:
            return self.start()
        return self._answer()

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:  # the worker crashed: its traceback is on the terminal
            code = self.process.wait()
            self.process = None
            answer = {"ok": False, "seconds": 0, "written": [], "removed": [], "rendered": 0,
                      "problems": [f"the preview build crashed (exit {code}); the error is in "
                                   "the terminal. Save again to retry."]}
        else:
            answer = json.loads(line)
        self.last = answer
        self.problems = answer["problems"]
        if answer["ok"] and self.search:
            self._index()
        return answer

    def _settings(self) -> dict:
        """The settings the worker builds with, resolved (read once)."""
        if self._resolved is None:
            from pelican.settings import read_settings

            from newsroom.core.settings import resolve

            logging.disable(logging.CRITICAL)  # the worker reports what reading finds
            try:
                self._resolved = resolve(read_settings(str(self.settings),
                                                       override=dict(self.overrides)))
            finally:
                logging.disable(logging.NOTSET)
        return self._resolved

    def _index(self) -> None:
        """Pagefind over the output, in the background, one run at a time."""
        if self._indexer is not None and self._indexer.is_alive():
            self._index_again = True
            return

        settings = self._settings()  # here: it turns logging off while it reads them

        def run():
            from newsroom.build.search_parts import (BUNDLE, index_site, record_path,
                                                     save_record, valid_parts, valid_recent)

            def searchers(jobs):
                for arguments, environment, _part in jobs:
                    done = subprocess.run(arguments, env=environment,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    if done.returncode != 0:
                        return ["Pagefind failed"]
                return []

            parts = settings["SEARCH_INDEX_PARTS"]
            if not valid_parts(parts):
                parts = 1  # a full build reports the setting; the preview still searches
            recent = settings["SEARCH_RECENT_PAGES"]
            if not valid_recent(recent):
                recent = 0  # (the same)
            while True:
                self._index_again = False
                staging = self.output / ".pagefind-next"
                current = self.output / BUNDLE
                shutil.rmtree(staging, ignore_errors=True)
                # As the build runs it: in parts, the unchanged ones linked from
                # the current index (newsroom/build/search_parts.py).
                cache = settings.get("CACHE_PATH")
                record = record_path(Path(cache) / "preview", self.output) if cache else None
                try:
                    searched = index_site(self.output, parts, searchers,
                                          record, current if current.is_dir() else None,
                                          bundle=staging, check_pages=True, recent=recent)
                except OSError:  # the output changed under it: the next build indexes again
                    searched = None
                if searched is not None and not searched.problems and staging.is_dir():
                    old = self.output / ".pagefind-old"
                    shutil.rmtree(old, ignore_errors=True)
                    if current.exists():
                        os.replace(current, old)
                    os.replace(staging, current)
                    save_record(record, searched.record)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    shutil.rmtree(staging, ignore_errors=True)
                if not self._index_again:
                    return

        self._indexer = threading.Thread(target=run, name="preview-search-index", daemon=True)
        self._indexer.start()
