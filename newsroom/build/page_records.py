"""Pages whose inputs did not change since the last build: taken as published, not rendered.

After one story changed, nearly every page a full build renders comes out
byte for byte as the published site has it. ``PageRecords`` (made by
``newsroom.build.driver.build`` for builds into an output folder, installed
by ``run_pelican``; ``SKIP_UNCHANGED_PAGES``, on by default) records what
each page reads while it is rendered (newsroom/core/render_records.py: the
template variables it looks up, the stories it reads, by digests of their
values) and keeps the records, with the published file of each page, after
the swap. On the next build into the same output, a page whose record
matches is not rendered: the writer (newsroom/build/published_links.py)
links the published file into the new site, unread (a ``PublishedText``
stands for it). A build into a folder with nothing published yet records nothing
(there is nothing to take pages from, and recording costs about 4% of a
full build): the build after it records, the ones after that take pages
as published. What it hooks:

* ``generator_init``: each generator's Jinja environment records (its
  context class, ``getattr``, ``getitem`` and the theme's filters and
  functions), and its ``get_template`` gives a ``RecordingTemplate``;
* ``content_object_init``: every story and page, by source path (a record
  names the stories it read by path);
* ``all_generators_finalized``: where every file is published (part of each
  story's digest: links to other files resolve to it), then the records are
  read, if their key is this build's.

A record is used only when all of this holds, else the page is rendered:

* **The key is the same.** What the records cannot see is in it
  (``page_key``): every setting, the settings files, the code of the plugins
  and of ``newsroom/``, the theme (templates and assets: an asset's
  fingerprinted name is in every page), every installed package and its
  version, Python's version and ``FORMAT``.
* **The published file is the one the last build put there**: a regular
  file with the size, modification time and inode recorded after its swap,
  and the mode this build gives.
* **The render was clean**: a render that logged a warning or an error, or
  read the clock (``newsroom.core.clock.output_changes_at``), keeps no
  record, so its problem is reported and its date checked on every build;
  so does a page written twice in one build (Pelican's override).

Feeds are not templates: they are made on every build (and linked when
their bytes match). Records are kept in ``CACHE_PATH``
(``pages/<hash of the output path>.pickle``: a pickle, each equal value
stored once, after a checksum of it; ``load_file``/``save_file``),
written only after a successful swap; a failed build leaves the last one, which still describes
the published site. tests/newsroom/build/test_page_records.py checks, for
each kind of change, that the result is byte for byte what a clean build
makes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import stat
from pathlib import Path

from newsroom.build import up_to_date
from newsroom.build.published_links import PublishedText, file_identity, is_as_recorded

#: Bump when what a record holds, or how digests are made, changes.
FORMAT = 2
_MAGIC = b"newsroom page records\n"
_CHECK_SIZE = 32


def record_path(cache: str | Path, output: Path) -> Path:
    """Where the page records of ``output`` are kept."""
    return up_to_date.record_path(cache, Path(os.path.abspath(output)),
                                  "pages").with_suffix(".pickle")


def save_file(path: Path, data: dict) -> None:
    """Keep ``data`` at ``path`` atomically (the magic line, a checksum, the pickle).

    A pickle (not JSON) because the records are read on every build: 20 ms
    where JSON and its tables took 70 ms at 1,000 stories. A cache that
    cannot be written is no error.
    """
    up_to_date.save_bytes(path, _pack(data))


def _pack(data: dict) -> bytes:
    """The bytes ``save_file`` keeps for ``data``."""
    import hashlib
    import pickle

    payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    check = hashlib.blake2b(payload, digest_size=_CHECK_SIZE).digest()
    return _MAGIC + check + payload


def load_file(path: Path | None) -> dict:
    """The records kept at ``path``; {} when there are none, or they are damaged."""
    import hashlib
    import pickle

    if path is None:
        return {}
    try:
        data = Path(path).read_bytes()
    except OSError:
        return {}
    start = len(_MAGIC) + _CHECK_SIZE
    if not data.startswith(_MAGIC) or hashlib.blake2b(
            data[start:], digest_size=_CHECK_SIZE).digest() != data[len(_MAGIC):start]:
        return {}
    try:
        records = pickle.loads(data[start:])
    except Exception:  # noqa: BLE001 - a record this code did not write: none
        return {}
    if not isinstance(records, dict) or records.get("version") != FORMAT:
        return {}
    return records


def page_key(settings: dict, settings_path: Path, project_root: Path) -> str:
    """Everything outside the records that decides how a page renders."""
    from newsroom.build.read_cache import environment_key

    files = sorted(Path(settings_path).parent.glob("*.py"))
    return f"{FORMAT}:" + environment_key(settings, files,
                                          up_to_date.code_roots(settings, project_root))


class PageRecords:
    """The page records of one build into ``output`` (published there, if it exists).

    ``file_mode``: the mode the build gives files (a published file with
    another mode is rendered again, so linking it changes nothing).
    """

    def __init__(self, output: Path, file_mode: int | None):
        self.output = os.path.abspath(output)
        self.live = self.output if os.path.isdir(self.output) else None
        self.file_mode = file_mode
        self.recorder = None
        self.identities: dict[str, list[int]] = {}  # page -> its published file's identity
        self.feeds: dict[str, list] = {}  # feed -> [key, identity] as last published
        self.feeds_now: dict[str, str] = {}  # feed -> key, made by this build
        self.feeds_repeated: set[str] = set()
        self._contexts: dict[int, tuple] = {}  # id -> (context, signature, digest)
        self.key: str | None = None
        self.path: Path | None = None
        self._settings_path: Path | None = None
        self._project_root: Path | None = None
        self._receivers = ()
        self._counter = None
        self._unread = False  # (``_published``)
        self._prepared: bytes | None = None  # (``prepare``)

    # -- in run_pelican --
    def install(self, site, settings_path: Path, project_root: Path) -> None:
        """Record while ``site`` (a ``pelican.Pelican``) runs; until ``close``."""
        from pelican import signals

        from newsroom.core.problems import WarningCounter
        from newsroom.core.render_records import PageRecorder

        self._settings_path, self._project_root = Path(settings_path), Path(project_root)
        settings = site.settings
        self.path = record_path(settings["CACHE_PATH"], Path(self.output))
        with contextlib.suppress(OSError):
            self.path.with_suffix(".json").unlink()  # (records as the first version kept them)
        if self.live is None:
            # Nothing published yet (the first build into this folder, or
            # after it was removed): nothing to take pages from, and this
            # build records nothing, so it costs what it did without records
            # (recording what every page reads: about 4% of a full build).
            # The next build records; the one after takes pages as published.
            with contextlib.suppress(OSError):
                self.path.unlink()  # records of a site no longer there
            self.path = None
            return
        self._counter = WarningCounter()
        logging.getLogger().addHandler(self._counter)
        recorder = self.recorder = PageRecorder(counter=self._counter, published=self._published)

        def on_generator(generator):
            recorder.record_generator(generator)

        def on_content(obj):
            recorder.note_object(obj)

        def on_finalized(generators):
            recorder.digests.use_published_files(generators[0].context)
            self._load(settings)

        make_writer = site._get_writer
        site._get_writer = lambda: self._install_writer(make_writer())

        # blinker keeps weak references: these keep the receivers alive.
        self._receivers = ((signals.generator_init, on_generator),
                           (signals.content_object_init, on_content),
                           (signals.all_generators_finalized, on_finalized))
        for signal, receiver in self._receivers:
            signal.connect(receiver)

    def close(self) -> None:
        """Stop recording (the records stay, for ``save``)."""
        for signal, receiver in self._receivers:
            signal.disconnect(receiver)
        if self._counter is not None:
            logging.getLogger().removeHandler(self._counter)

    def _load(self, settings: dict) -> None:
        from newsroom.core.render_records import PageRecord

        try:
            self.key = page_key(settings, self._settings_path, self._project_root)
        except (OSError, ValueError, TypeError):
            self.key = None  # no key: nothing taken from records, none kept
            return
        data = load_file(self.path)
        if data.get("key") != self.key:
            return
        records, identities = self.recorder.records, self.identities
        try:
            for name, (template, names, objects, attributes, identity) in data["pages"].items():
                if not (isinstance(names, dict) and isinstance(objects, dict)
                        and isinstance(attributes, dict) and isinstance(identity, list)):
                    raise TypeError(name)
                record = PageRecord(template)
                record.names, record.objects, record.attributes = names, objects, attributes
                records[name] = record
                identities[name] = identity
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            records.clear()  # not a record this code wrote: render every page
            identities.clear()
            return
        feeds = data.get("feeds")
        if isinstance(feeds, dict):
            self.feeds = {name: entry for name, entry in feeds.items()
                          if isinstance(entry, list) and len(entry) == 2}

    def _published(self, name: str, record) -> str | None:
        """The published text of the unchanged page ``name``, if its file is as recorded.

        Unread (a ``PublishedText``) when the writer links such pages as they
        are: most of a build after a small change is pages taken as published.
        """
        return self._published_text(name, self.identities.get(name))

    def _published_text(self, name: str, identity) -> str | None:
        """The text of the published file ``name`` if it has ``identity`` (and the
        build's mode); a ``PublishedText`` (unread) when the writer takes one."""
        if identity is None or self.live is None or self.key is None:
            return None
        path = os.path.join(self.live, name)
        try:
            if self._unread:
                return (PublishedText(path, identity)
                        if is_as_recorded(os.lstat(path), identity, self.file_mode) else None)
            with open(path, "rb", buffering=0) as handle:
                if not is_as_recorded(os.fstat(handle.fileno()), identity, self.file_mode):
                    return None
                return handle.readall().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    # -- feeds --
    def _install_writer(self, writer):
        """``writer.write_feed``: a feed made from the same items as last time is taken as published."""
        from pelican.utils import sanitised_join
        from pelican.writers import Writer as pelican_writer

        from newsroom.compat.pelican import prerendered_feed

        original = writer.write_feed
        recorder = self.recorder
        # Pages taken as published go to the writer unread when it links them.
        self._unread = getattr(vars(writer).get("_open_w"), "__newsroom_published_links__", False)

        def name_and_key(elements, context, path, *arguments) -> tuple[str, str]:
            """The feed's site path, and its key (``_feed_key``)."""
            name = os.path.relpath(sanitised_join(writer.output_path, path),
                                   writer.output_path).replace(os.sep, "/")
            if getattr(type(writer), "write_feed", None) is pelican_writer.write_feed:
                # Pelican's write_feed makes the feed of the first FEED_MAX_ITEMS
                # (100) only: a story further down changes nothing in it.
                elements = elements[:writer.settings["FEED_MAX_ITEMS"]]
            return name, self._feed_key(elements, context, path, *arguments,
                                        writer.settings.get("FEED_MAX_ITEMS"))

        def write_feed(elements, context, path=None, url=None, feed_type="atom",
                       override_output=False, feed_title=None):
            call = functools.partial(original, elements, context, path, url, feed_type,
                                     override_output, feed_title)
            if not path or self.key is None:
                return call()  # no file, or no records
            name, key = name_and_key(elements, context, path, url, feed_type,
                                     override_output, feed_title)
            if name in self.feeds_now or name in self.feeds_repeated:
                self.feeds_repeated.add(name)
                self.feeds_now.pop(name, None)
                return call()
            known = self.feeds.get(name)
            # (A feed the render child made is written from its text already.)
            text = (self._published_text(name, known[1])
                    if known is not None and known[0] == key
                    and "_create_new_feed" not in vars(writer) else None)
            if text is not None:
                self.feeds_now[name] = key
                with prerendered_feed(writer, text):
                    return call()
            before = recorder._marks()
            feed = call()
            if recorder._marks() == before:  # a feed dated by the clock is made every time
                self.feeds_now[name] = key
            return feed

        def unchanged(elements, context, path=None, url=None, feed_type="atom",
                      override_output=False, feed_title=None) -> bool:
            """Whether ``write_feed`` would take this feed as published (a guess:
            the file is not read; the render child asks, to leave it alone)."""
            if not path or self.key is None:
                return False
            name, key = name_and_key(elements, context, path, url, feed_type,
                                     override_output, feed_title)
            known = self.feeds.get(name)
            return known is not None and known[0] == key

        def prepare() -> None:
            """Every story's digest, made now (at the start of the output phase:
            nothing changes a story's own data after that)."""
            if self.key is not None:
                for obj in recorder._objects.values():
                    recorder.digests.of_object(obj)

        write_feed.__newsroom_page_records__ = True  # newsroom/build/parallel_render.py
        write_feed.unchanged = unchanged
        write_feed.prepare = prepare
        writer.write_feed = write_feed
        return writer

    def _feed_key(self, elements, context, *arguments) -> str:
        """What a feed is made of: its arguments, the context, each item's own data."""
        from newsroom.core.render_records import _hash

        digests = self.recorder.digests
        parts = [digests.of_value(argument) for argument in arguments]
        parts.append(self._context_digest(context))
        parts += [digests.of_object(element) if isinstance(element, self.recorder.content)
                  else digests.of_value(element, True) for element in elements]
        return _hash(parts)

    def _context_digest(self, context: dict) -> str:
        """The digest of a feed's context, made once for the feeds that share it.

        Pelican hands every feed the same context. Its values are memoised by
        identity for the build (``Digests``); the dict itself is kept with the
        names and identities of its values, so a context that gained, lost or
        replaced a value is digested again.
        """
        from newsroom.core.render_records import _hash

        signature = tuple((key, id(value)) for key, value in context.items())
        known = self._contexts.get(id(context))
        if known is not None and known[0] is context and known[1] == signature:
            return known[2]
        # (Not where the build writes: a new staging folder each time.)
        digest = _hash(self.recorder.digests._parts(
            {key: value for key, value in context.items() if key != "OUTPUT_PATH"}, False))
        self._contexts[id(context)] = (context, signature, digest)
        return digest

    def counts(self) -> tuple[int, int] | None:
        """(pages rendered, pages in all) by this build; None when it kept no records."""
        if self.recorder is None:
            return None
        return self.recorder.rendered, len(self.recorder.rendered_now)

    # -- after the swap --
    def _published_identity(self, name: str, site: str | None = None) -> list[int] | None:
        """The identity of the regular file ``name`` as now published (in ``site``,
        the output by default); None if there is none."""
        try:
            info = os.lstat(os.path.join(site or self.output, name))
        except OSError:
            return None
        return file_identity(info) if stat.S_ISREG(info.st_mode) else None

    def prepare(self, site: Path) -> None:
        """Make the records ``save`` will keep, from the finished site still in
        ``site`` (the staging folder: its files are the ones the swap publishes,
        with the same size, time and inode), while the build waits for others."""
        self._prepared = self._records(os.fspath(site))

    def save(self) -> None:
        """Keep the records of this build's pages and feeds, each with its file as now published."""
        prepared, self._prepared = self._prepared, None
        data = prepared if prepared is not None else self._records(None)
        if data is not None:
            up_to_date.save_bytes(self.path, data)

    def _records(self, site: str | None) -> bytes | None:
        recorder = self.recorder
        if recorder is None or self.path is None:
            return None
        pages: dict[str, tuple] = {}
        feeds: dict[str, list] = {}
        # Equal names, digests and keys as one object each: the pickle then
        # stores each once (pages share most of what they read).
        shared: dict = {}
        one = shared.setdefault

        if self.key is not None:
            records = recorder.records
            for name in sorted(recorder.rendered_now - recorder.repeated):
                record = records.get(name)
                identity = (self._published_identity(name, site) if record is not None
                            else None)
                if identity is not None:
                    pages[name] = (
                        record.template,
                        {one(key, key): one(entry, entry) for key, entry in record.names.items()},
                        {one(key, key): one(digest, digest)
                         for key, digest in record.objects.items()},
                        {one(key, key): one(digest, digest)
                         for key, digest in record.attributes.items()},
                        identity)
            for name, key in self.feeds_now.items():
                identity = self._published_identity(name, site)
                if identity is not None:
                    feeds[name] = [key, identity]
        return _pack({"version": FORMAT, "key": self.key, "pages": pages, "feeds": feeds})
