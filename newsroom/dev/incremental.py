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
* **Rendering.** While a page is rendered, every template variable it looks
  up and every story or page it reads an attribute of is recorded
  (``PageRecorder``, through Jinja's context class and its ``getattr`` and
  ``getitem``). On the next build, a page whose variables and stories are
  all the same (compared by a digest of their values) is not rendered
  again. A story's digest covers everything Pelican and the plugins keep on
  it; the stories it links to or lists (related stories, neighbours) count
  by their path, and the pages that show them read them too, so they are
  recorded on their own. Values handed to the theme's own filters and
  functions count in full, since Python code reads them unrecorded.
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
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment
from jinja2.runtime import Context, Undefined

from newsroom.core.content_paths import is_within
from newsroom.core.problems import ProblemCollector, WarningCounter, forget_problems

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Attributes of a content object that are not its own data: the settings
# (the same for every object), the build's shared context (every object) and
# what newsroom/compat/pelican.py remembers on it (URLs, kept with the id of
# their owner).
NOT_OWN_DATA = frozenset({"settings", "_context", "_newsroom_url_cache"})

# A topic's, section's or writer's name and slug, as Pelican keeps them.
URL_WRAPPER_OWN = frozenset({"name", "slug", "_name", "_slug", "_slug_from_name"})

# --- Digests of values ------------------------------------------------------------

# Exactly these types (not subclasses such as Markup): "name:" + str(value).
_SCALARS = {kind: f"{kind.__name__}:" for kind in (str, int, float, bool, type(None))}

# What Pelican keeps on a topic, section or writer itself.
_WRAPPER_STATE = URL_WRAPPER_OWN | NOT_OWN_DATA


@functools.lru_cache(maxsize=None)
def _qualname(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _content_class():
    from pelican.contents import Content
    return Content


class Digests:
    """Digests of template values for one build (memoised by identity).

    ``shallow``: a story or page counts by its source path (its own data is
    recorded separately when a page reads it). ``deep``: its data counts too.
    """

    def __init__(self):
        from pelican.urlwrappers import URLWrapper

        self.content = _content_class()
        self.url_wrapper = URLWrapper
        self._objects: dict[int, str] = {}
        self._values: dict[tuple[int, bool], str] = {}
        self._busy: set[tuple[int, bool]] = set()
        self._keep: list = []  # keeps memoised values alive (ids stay unique)
        # Where every file is published (``links_digest``), set once the
        # build's content is known; part of every content object's digest.
        self.links_digest = ""

    def of_object(self, obj) -> str:
        """A story's or page's own data (what it links to counts by path)."""
        key = id(obj)
        found = self._objects.get(key)
        if found is None:
            # What Pelican derives from the body when it is shown: links to
            # other files ({filename}, {static}, ...) use their URLs.
            parts = [f"content:{obj.source_path}", self.links_digest]
            state = vars(obj)
            of_value, scalars = self.of_value, _SCALARS
            for name in sorted(state):
                if name not in NOT_OWN_DATA:
                    value = state[name]
                    prefix = scalars.get(type(value))  # (of_value's first case, inline)
                    parts += (name, of_value(value) if prefix is None else prefix + str(value))
            found = self._objects[key] = _hash(parts)
            self._keep.append(obj)
        return found

    def of_value(self, value, deep: bool = False) -> str:
        """A template value; ``deep``: content objects in it count by their data too."""
        prefix = _SCALARS.get(type(value))
        if prefix is not None:  # the common case first (the same answer as below)
            return prefix + str(value)
        if isinstance(value, self.content):
            return f"content:{value.source_path}:{self.of_object(value) if deep else ''}"
        key = (id(value), deep)
        found = self._values.get(key)
        if found is not None:
            return found
        if isinstance(value, (str, int, float, bool, type(None))):
            return f"{type(value).__name__}:{value}"
        if isinstance(value, (datetime, date)):
            found = (f"{type(value).__name__}:{value.isoformat()}:"
                     f"{getattr(value, 'tzinfo', '')}")
        elif isinstance(value, self.url_wrapper) and vars(value).keys() <= _WRAPPER_STATE:
            # A topic, section or writer with nothing added: its name and slug
            # (short: kept as they are, not hashed).
            found = f"{_qualname(type(value))}\x1f{value.name}\x1e{value.slug}"
        else:
            if key in self._busy:
                return "cycle"
            self._busy.add(key)
            try:
                found = _short_or_hash(self._parts(value, deep))
            finally:
                self._busy.discard(key)
        self._values[key] = found
        self._keep.append(value)
        return found

    def _parts(self, value, deep: bool) -> list[str]:
        kind = type(value)
        parts = [_qualname(kind)]
        of_value, scalars = self.of_value, _SCALARS
        if isinstance(value, dict):
            for key in sorted(value, key=repr):
                if key not in NOT_OWN_DATA:
                    item = value[key]
                    prefix = scalars.get(type(item))  # (of_value's first case, inline)
                    parts += (repr(key),
                              of_value(item, deep) if prefix is None else prefix + str(item))
        elif isinstance(value, (list, tuple)):
            if deep:
                parts += [of_value(item, deep) for item in value]
            else:  # (lists of stories: of_value's answer for each, inline)
                content = self.content
                parts += [f"content:{item.source_path}:" if isinstance(item, content)
                          else of_value(item) for item in value]
        elif isinstance(value, (set, frozenset)):
            parts += sorted(self.of_value(item, deep) for item in value)
        elif isinstance(value, type):
            parts.append(value.__qualname__)
        elif isinstance(value, self.url_wrapper):
            # A topic, section or writer: its name and slug (which Pelican
            # keeps on the object once asked), and what plugins add to it.
            parts.append(f"{value.name}\x1e{value.slug}")
            for key in sorted(vars(value)):
                if key not in NOT_OWN_DATA and key not in URL_WRAPPER_OWN:
                    parts += (key, self.of_value(vars(value)[key], deep))
        elif callable(value):
            # Functions and methods: by name (their closures are code), and
            # the object a method is bound to.
            target = getattr(value, "__func__", value)
            parts.append(f"{getattr(target, '__module__', '')}."
                         f"{getattr(target, '__qualname__', type(target).__qualname__)}")
            owner = getattr(value, "__self__", None)
            if owner is not None and not isinstance(owner, type):
                parts.append(self.of_value(owner, deep))
        elif hasattr(value, "__dict__"):
            for key in sorted(vars(value)):
                if key not in NOT_OWN_DATA:
                    parts += (key, self.of_value(vars(value)[key], deep))
            if hasattr(value, "__html__"):
                parts.append(str(value))
        else:
            parts.append(repr(value))
        return parts


def _hash(parts: list[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


def _short_or_hash(parts: list[str]) -> str:
    """A value's parts as they are when short (a list of two topics: hashing
    costs more than comparing), else their hash; "(" tells the two apart."""
    joined = "\x1f".join(parts)
    if len(joined) <= _SHORT:
        return f"({joined})"
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_SHORT = 96


def links_digest(context: dict) -> str:
    """Where every file of the site is published: what {filename} links resolve to."""
    entries = []
    for group in ("generated_content", "static_content"):
        for source, obj in sorted((context.get(group) or {}).items()):
            entries.append(f"{source}\x1e{getattr(obj, 'url', '')}\x1e"
                           f"{getattr(obj, 'save_as', '')}")
    return _hash(entries)


# --- Recording what a page reads ----------------------------------------------------

class PageRecord:
    """What one output file read when it was last rendered, and what it was."""

    __slots__ = ("template", "names", "objects", "output")

    def __init__(self, template: str):
        self.template = template
        self.names: dict[str, tuple[bool, str]] = {}  # name -> (deep, digest)
        self.objects: dict[str, str] = {}  # source path -> digest
        self.output = ""


class PageRecorder:
    """Records, per output file, the variables and content objects a render reads."""

    def __init__(self):
        self.records: dict[str, PageRecord] = {}
        self._current: PageRecord | None = None
        self._localcontext: dict | None = None
        self._python_depth = 0
        self.content = _content_class()
        self.start_build()

    # Called by the tracking hooks while a page renders.

    def name(self, key: str, value) -> None:
        record = self._current
        if record is None:
            return
        deep = self._python_depth > 0
        known = record.names.get(key)
        if known is None or (deep and not known[0]):
            source = self._localcontext.get(key, Undefined) if self._localcontext else value
            record.names[key] = (deep, self._digest_name(source, deep))
        if isinstance(value, self.content):
            self.touch(value)

    def touch(self, obj) -> None:
        record = self._current
        if record is not None and obj.source_path not in record.objects:
            record.objects[obj.source_path] = self.digests.of_object(obj)

    def touch_deep(self, value) -> None:
        """Every content object in ``value`` (a filter's argument) counts in full."""
        record = self._current
        # (Only a story or a container can hold one: _reachable finds none in
        # anything else, a date or a string.)
        if record is None or not isinstance(value, (self.content, list, tuple, set, frozenset,
                                                    dict)):
            return
        record.objects.update(self._reachable(value))

    def _reachable(self, value, depth: int = 0) -> dict[str, str]:
        """Content objects in ``value`` (and those they hold: related stories,
        neighbours), each with its digest; once per value and build."""
        key = (id(value), depth)
        found = self._reachable_memo.get(key)
        if found is not None:
            return found
        found = {}
        if isinstance(value, self.content):
            found[value.source_path] = self.digests.of_object(value)
            if depth < 3:  # what Python code may read through it
                for item in vars(value).values():
                    if isinstance(item, (self.content, list, tuple)):
                        found.update(self._reachable(item, 3))
        elif depth <= 4 and isinstance(value, (list, tuple, set, frozenset, dict)):
            items = value.values() if isinstance(value, dict) else value
            for item in items:
                if not isinstance(item, (str, int, float, bool, type(None))):
                    found.update(self._reachable(item, depth + 1))
        self._reachable_memo[key] = found
        self._reachable_keep.append(value)
        return found

    def _digest_name(self, value, deep: bool) -> str:
        if value is Undefined:
            return "missing"
        return self.digests.of_value(value, deep=deep)

    # Around each render.

    def unchanged(self, name: str, template_name: str, localcontext: dict) -> PageRecord | None:
        record = self.records.get(name)
        if record is None or record.template != template_name:
            return None
        get, of_value, scalars = localcontext.get, self.digests.of_value, _SCALARS
        for key, (deep, digest) in record.names.items():
            value = get(key, Undefined)
            prefix = scalars.get(type(value))  # (_digest_name's common case, inline)
            if (prefix + str(value) if prefix is not None else "missing" if value is Undefined
                    else of_value(value, deep)) != digest:
                return None
        objects, of_object = self._objects, self.digests.of_object
        for source, digest in record.objects.items():
            obj = objects.get(source)
            if obj is None or of_object(obj) != digest:
                return None
        return record

    def render(self, template, localcontext: dict) -> str:
        name = localcontext.get("output_file", "")
        self.rendered_now.add(name)
        record = self.unchanged(name, template.name, localcontext)
        if record is not None:
            return record.output
        record = PageRecord(template.name)
        self._current, self._localcontext = record, localcontext
        try:
            output = template.render_directly(localcontext)
        finally:
            self._current, self._localcontext = None, None
        record.output = output
        self.records[name] = record
        self.rendered += 1
        return output

    def start_build(self) -> None:
        """Forget the last build's objects and digests (the records stay)."""
        self.digests = Digests()
        self.rendered_now: set[str] = set()
        self.rendered = 0
        self._objects: dict[str, object] = {}
        self._reachable_memo: dict[tuple[int, int], dict[str, str]] = {}
        self._reachable_keep: list = []

    def note_object(self, obj) -> None:
        """Every content object this build makes (``content_object_init``), by source path."""
        path = getattr(obj, "source_path", None)
        if path:
            self._objects[path] = obj

    def forget(self) -> None:
        self.records.clear()

    # Hooks installed on each generator's Jinja environment.

    def install(self, environment: Environment) -> None:
        recorder = self
        content = self.content

        class RecordingContext(Context):
            def resolve_or_missing(self, key):
                value = super().resolve_or_missing(key)
                recorder.name(key, value)
                return value

        def getattr_(obj, attribute):
            if isinstance(obj, content):
                recorder.touch(obj)
            return Environment.getattr(environment, obj, attribute)

        def getitem(obj, argument):
            if isinstance(obj, content):
                recorder.touch(obj)
            return Environment.getitem(environment, obj, argument)

        environment.context_class = RecordingContext
        environment.getattr = getattr_
        environment.getitem = getitem
        for table in (environment.filters, environment.globals, environment.tests):
            for key, function in list(table.items()):
                module = getattr(function, "__module__", "") or ""
                if callable(function) and not module.startswith("jinja2"):
                    table[key] = self._recorded_callable(function)

    def _recorded_callable(self, function):
        if getattr(function, "__newsroom_recorded__", False):
            return function
        recorder = self

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for value in (*args, *kwargs.values()):
                recorder.touch_deep(value)
            recorder._python_depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                recorder._python_depth -= 1

        wrapper.__newsroom_recorded__ = True
        if function is len:  # Jinja's ``count`` and ``length`` filters
            @functools.wraps(function)
            def length(*args, **kwargs):
                # The size of a plain container is all len() reads of it: how
                # the page got the container (a variable, a story's attribute)
                # is recorded already, with its items; their data is not read.
                if len(args) == 1 and not kwargs and type(args[0]) in _SIZED:
                    return len(args[0])
                return wrapper(*args, **kwargs)

            length.__newsroom_recorded__ = True
            return length
        return wrapper


# Containers whose len() reads nothing of their items.
_SIZED = frozenset({list, tuple, dict, set, frozenset, str})


class RecordingTemplate:
    """A Jinja template whose ``render`` goes through the recorder."""

    def __init__(self, template, recorder: PageRecorder):
        self._template = template
        self._recorder = recorder
        self.name = template.name

    def render_directly(self, *args, **kwargs):
        return self._template.render(*args, **kwargs)

    def render(self, localcontext=None, **kwargs):
        if localcontext is None or kwargs:
            return self._template.render(localcontext or {}, **kwargs)
        return self._recorder.render(self, localcontext)

    def __getattr__(self, name):
        return getattr(self._template, name)


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
                                             remember_content_urls)

        remember_content_urls()
        keep_urls_across_builds()
        copy_only_changed_files()
        index_article_lists()
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
        self.recorder = PageRecorder()
        self.reads = ReadCache()
        self.reads.install(self.counter)
        self.written: list[str] = []
        recorder = self.recorder
        base = self.pelican._get_writer().__class__
        writer_class = changed_only_writer(base).reporting_to(self.written)

        def on_generator(generator):
            recorder.install(generator.env)
            original = generator.get_template

            def get_template(name):
                return RecordingTemplate(original(name), recorder)

            generator.get_template = get_template

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
        self.recorder.digests.links_digest = links_digest(generators[0].context)

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
                                                     save_record, valid_parts)

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
                                          bundle=staging, check_pages=True)
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
