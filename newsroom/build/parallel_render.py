"""Pages and feeds rendered on two cores: a forked child renders ahead of the build.

A full build writes a page for each story, tag, section, writer and list
page, and the feeds, one after the other: Jinja's ``template.render`` (and
for a feed, feedgenerator) is most of Pelican's output phase, and a second
core sits idle. ``install(site)`` (called by ``newsroom.build.driver.run_pelican``
just before ``site.run()``; never by the incremental preview) changes that:

* **Fork at the start of the output phase.** When Pelican calls
  ``generate_output`` on the first of the *sharded* generators (``ArticlesGenerator``,
  then ``PagesGenerator``: see "What may be sharded" below), the build
  process forks one child. Both then run the same ``generate_output`` code of
  the sharded generators from the same state.
* **Number the units.** Each ``template.render`` that ``Writer.write_file``
  makes and each feed ``Writer.write_feed`` writes is a unit, numbered in
  the order both processes meet them. The child writes no file, makes no
  folder and sends no signal (``newsroom.compat.pelican.writes_nowhere``);
  of the units it renders only those the build process is more than
  ``AHEAD`` units away from (its position is in a word of memory both
  share), announcing each down a pipe before it starts ("claim *k*") and
  then sending ``(k, what it is, text)``; the others it passes without
  rendering (a feed through ``prerendered_feed``). The build process, at
  unit *k*, first publishes *k* as its position, then takes the child's
  text if the child has claimed *k* (waiting for it to finish) and renders
  *k* itself otherwise; it then writes the file and sends
  ``content_written`` exactly as without the child. Whatever the timing,
  each unit is rendered once by one of them, or (a claim that crossed the
  position on its way) by both, the child's copy then unused. Every write,
  signal, log line and plugin's state stays in the build process, in
  today's order; the child only saves it work. This balances itself: the
  build process, which also writes every file, renders only what the child
  has not got to (on the 1,000-story test corpus, 1 to 25% of the units,
  depending on what else the machine is doing).
* **Fall back, never differ.** The build process renders a unit itself
  when the child sent no usable answer for it: the child logged a warning
  or an error, printed anything or raised while rendering it (a counting
  log handler replaces the child's inherited ones, so nothing is shown
  twice: the build process's own render reports the problem, once, as
  without the child); the answer is late (``PATIENCE`` times as long as
  the child's renders of that template take, counted from the claim: a
  child starved of CPU by other work slows the build by little); the
  child is gone (end of file on the pipe); or its answer is for another
  template, file or feed than the build process's (the two are out of
  step). In the last two cases the child is killed, if still there, and
  the rest is rendered here; the build never waits on it for long. A unit
  that a feed's serialisation dates by the build clock
  (``newsroom.core.clock.output_changes_at``) ships that moment back with
  its text, so the up-to-date record knows it.
* **Lifetime.** The child ends when the build process has run the last
  sharded generator (it is killed and reaped then, or on any exception
  before), and dies with the build even when that is SIGKILLed (the
  driver's parent-death signal, ``_die_with_parent``); on SIGTERM/SIGINT the
  build's exception unwinds through here and kills it first.

The output is the same, byte for byte (tests/newsroom/build/test_parallel_render.py
builds with and without it and compares every file).

When it runs
------------
Only where it pays and is safe: the platform can fork, the build may use
more than one CPU (``os.sched_getaffinity``), the site has at least
``MIN_PAGES`` pages (forking and compiling the templates twice cost more
than a small site's output phase saves), and the checks below pass.
``RENDER_WORKERS`` (a setting; ``-e RENDER_WORKERS=1`` turns it off, 2 turns
it on for any size of site) overrides the size rule. Whatever stops it is
in ``last_run["serial"]``; the build then runs as before.

What may be sharded (checked at the fork; anything unknown means no fork)
--------------------------------------------------------------------------
The child renders unit *k* from its own state, which differs from the
build process's in exactly what it skipped: the renders of the units it
passed, and every write and signal. That is the same state for rendering
only if no render reads what another render, a write or a signal changed.
Checked:

* **Template filters, globals and tests** (of each sharded generator's Jinja
  environment) must be Jinja's defaults, Pelican's (``strftime``,
  ``plugin_enabled``) or in ``KNOWN_TEMPLATE_HELPERS``, each read for side
  effects: ``newsroom.core.filters`` (pure; ``plain`` keeps an lru_cache of
  a pure function), ``photos.markup.lead_figure``/``photo_thumbnail``
  (markup from a photo planned before the output phase: renditions are
  registered while reading, not while rendering), ``structured_data``'s
  JSON-LD builders and ``writer_profiles.writer_profile`` (pure reads of the
  context), ``asset_fingerprints.asset_url`` (pure, except that an unknown
  path is reported once: a report in the child is a log record, so the
  build process renders that page itself and reports it, as without the
  child). No Jinja extension, no ``finalize``.
* **Output-phase signals** (``OUTPUT_SIGNALS``) may have only the receivers in
  ``KNOWN_RECEIVERS``: ``sitemaps.note_page`` on ``content_written`` collects
  written pages for ``sitemap.xml``, which is written at ``finalized``, after
  the child is gone; no render reads it. ``driver._compress_when_written``
  on ``content_written`` and ``driver._compress_feed_when_written`` on
  ``feed_written`` hand the written file to the compression workers
  (newsroom.build.driver.CompressWhileWriting); they
  change nothing in the process either. (A plugin generator that renders a
  list of written pages would have to run after the sharded ones, which it
  does: only ``ArticlesGenerator`` and ``PagesGenerator`` are sharded, and
  the child stops at the first generator that is not one of them.)
* **The writer** is Pelican's ``Writer`` or ``news_feeds.NewsFeedWriter``,
  with no method replaced on the instance except the ``_open_w`` of
  ``newsroom.build.published_links`` (it only decides how the build process
  puts a file in place; the child's is replaced by ``writes_nowhere``) and
  the ``write_feed`` of ``newsroom.build.page_records`` (an unchanged feed
  is written from the published one, through ``prerendered_feed``, as a
  child's feed is; both processes decide the same from the same records).
  A page a template's records say is unchanged the child leaves to the
  build process; one it renders it sends back with its record. So does a
  feed the records take as published (``write_feed.unchanged``): the build
  process reads it from the published site faster than the child could
  send it, and the child gets on to the feeds that changed.
  Feed units are sharded too: ``NewsFeedWriter`` reads the photo files
  (already in the output: photos are encoded at ``all_generators_finalized``)
  and caches absolute HTML per story (a cache); a feed with no dates or
  future ones is dated by the build clock, whose moment is shipped back.
* **What content objects do while rendered** is a cache or a first-time log:
  ``get_content``/``get_summary`` are memoised, URLs are remembered
  (``newsroom.compat.pelican.remember_content_urls``), and a link Pelican
  cannot resolve is logged once per body. A first-time log in the child
  sends the unit back to the build process, which renders it and so logs
  the message where it would have without the child: the first unit that
  logs it in a build without the child is the first to log it in either
  process (each meets the units in the same order, the child only some of
  them), and the build process meets every unit. So the problems and their
  order are the same. ``LimitFilter``'s once-only messages and
  ``report_problem(once=...)`` behave the same way.
* Templates change no shared object (``categories.html`` appends to a
  list of its own).

Not sharded: ``StaticGenerator`` (copies files), plugin generators and
everything at ``finalized`` (sitemaps, redirect pages, fingerprinted
assets), which run in the build process after the child has ended.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
import mmap
import os
import pickle
import select
import signal
import struct
import sys
import time
import warnings

#: The build process waits for a unit the child has claimed (and not yet
#: sent) PATIENCE times as long as the child's renders of that template take
#: (FIRST_RENDER seconds before it knows; never more than WAIT_LIMIT), counted
#: from the claim, then renders it itself.
PATIENCE = 2.0
FIRST_RENDER = 0.5
WAIT_LIMIT = 30.0
#: The child renders a unit only when the build process is more than this
#: many units behind it (it leaves the next ones to the build process).
AHEAD = 2
#: Fewer pages than this (an estimate made before the output phase): no child.
MIN_PAGES = 200
#: Pelican signals sent while the sharded generators write.
OUTPUT_SIGNALS = ("content_written", "feed_generated", "feed_written",
                  "article_generator_write_article", "page_generator_write_page",
                  "article_writer_finalized", "page_writer_finalized")
#: Receivers of OUTPUT_SIGNALS that change nothing a render reads (see above).
KNOWN_RECEIVERS = {
    "content_written": {"sitemaps.note_page", "newsroom.build.driver._compress_when_written"},
    "feed_written": {"newsroom.build.driver._compress_feed_when_written"},
}
#: Template filters, globals and tests besides Jinja's own, by module and name,
#: each read for side effects (see above).
KNOWN_TEMPLATE_HELPERS = {
    "filters": {
        "pelican.utils.DateFormatter",
        "newsroom.core.filters.without_standfirst", "newsroom.core.filters.plain",
        "newsroom.core.filters.isodate", "newsroom.core.filters.date_and_time",
        "newsroom.core.filters.reading_minutes", "newsroom.core.filters.script_json",
        "photos.markup.lead_figure", "photos.markup.photo_thumbnail",
    },
    "globals": {
        "asset_fingerprints.asset_url", "writer_profiles.writer_profile",
        "structured_data.news_article_ld", "structured_data.website_ld",
        "structured_data.organization_ld",
    },
    "tests": {"pelican.plugins._utils.plugin_enabled"},
}
#: Writer methods that may be replaced on the instance: by the function that
#: carries this attribute (see "The writer" above).
KNOWN_REPLACEMENTS = {"_open_w": "__newsroom_published_links__",
                      "write_feed": "__newsroom_page_records__"}
#: Writer classes whose write_file/write_feed behave as described above.
KNOWN_WRITERS = {"pelican.writers.Writer", "news_feeds.NewsFeedWriter"}

#: What the last run did (for tests and curiosity): "serial" says why no
#: child was used (None if one was); "units" how many there were,
#: "from_child" how many the child's texts were used for, "redone" how many
#: it sent back (it logged or printed), "late" how many it was too slow for;
#: "abandoned" why it was given up half-way (None if not); "waited" the
#: seconds the build process spent waiting for it.
last_run: dict = {}

# A record down the pipe: unit number, kind, a time (a claim's: when it was
# made; an answer's: how long the render took), payload size, the payload.
_HEADER = struct.Struct("!IBdI")
_CLAIM, _TEXT, _REDO, _STOP, _END = 1, 2, 3, 4, 5
_LAST = 0xFFFFFFFF  # the unit number of the child's _END record
# The unit the build process is at, in memory both processes share.
_POSITION = struct.Struct("q")
_NOTHING = object()


class _Stop(BaseException):
    """In the child: stop rendering (the build process does the rest)."""


class _Timeout(Exception):
    pass


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _name(value) -> str:
    """``module.qualname`` of a function, class or bound method; of its class for other objects."""
    if isinstance(value, functools.partial):
        value = value.func
    qualname = getattr(value, "__qualname__", None)  # instances have none
    if isinstance(qualname, str):
        return f"{getattr(value, '__module__', None)}.{qualname}"
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _receivers(signal_object) -> list:
    import weakref

    found = []
    for receiver in list(signal_object.receivers.values()):
        if isinstance(receiver, weakref.ref):
            receiver = receiver()
        if receiver is not None:
            found.append(receiver)
    return found


def _unknown_helpers(environment) -> list[str]:
    """Filters, globals and tests of ``environment`` not known to be safe to shard."""
    from jinja2 import defaults

    own = {"filters": defaults.DEFAULT_FILTERS, "globals": defaults.DEFAULT_NAMESPACE,
           "tests": defaults.DEFAULT_TESTS}
    unknown = []
    for kind, known in KNOWN_TEMPLATE_HELPERS.items():
        for key, value in getattr(environment, kind).items():
            # The page recorder's wrapper (newsroom/core/render_records.py)
            # only notes what the helper is given, in the process it runs in.
            while getattr(value, "__newsroom_recorded__", False):
                value = value.__wrapped__
            if own[kind].get(key) is value:
                continue
            if kind == "globals" and isinstance(value, (str, int, float, bool, type(None))):
                continue  # data (JINJA_GLOBALS), which no template can change
            if _name(value) not in known:
                unknown.append(f"template {kind[:-1]} {key} ({_name(value)})")
    if environment.extensions:
        unknown.append(f"Jinja extensions {sorted(environment.extensions)}")
    if environment.finalize is not None:
        unknown.append("a Jinja finalize function")
    return unknown


def why_not_shard(generators, writer) -> str | None:
    """Why the output of ``generators`` written by ``writer`` may not be sharded, or None."""
    from pelican.plugins import signals

    writer_name = _name(type(writer))
    if writer_name not in KNOWN_WRITERS:
        return f"writer {writer_name} is not known to be safe to shard"
    for method in ("write_file", "write_feed", "_open_w", "_create_new_feed",
                   "_add_item_to_the_feed"):
        if method in vars(writer) and not getattr(vars(writer)[method], KNOWN_REPLACEMENTS.get(
                method, "-"), False):
            return f"the writer's {method} is replaced on the instance"
    for name in OUTPUT_SIGNALS:
        for receiver in _receivers(getattr(signals, name)):
            if _name(receiver) not in KNOWN_RECEIVERS.get(name, ()):
                return f"{name} has a receiver not known to be safe: {_name(receiver)}"
    for generator in generators:
        unknown = _unknown_helpers(generator.env)
        if unknown:
            return "; ".join(unknown) + " (see KNOWN_TEMPLATE_HELPERS)"
    return None


def _sharded_generators(generators) -> list:
    """The generators the child mirrors: the leading run of Pelican's own article and page ones."""
    from pelican.generators import ArticlesGenerator, PagesGenerator

    chosen = []
    for generator in generators:
        if not hasattr(generator, "generate_output"):
            continue  # Pelican skips it too
        if type(generator) not in (ArticlesGenerator, PagesGenerator) \
                or "generate_output" in vars(generator):
            break
        chosen.append(generator)
    return chosen


def _estimated_pages(generators) -> int:
    lists = ("articles", "translations", "hidden_articles", "hidden_translations", "drafts",
             "drafts_translations", "pages", "hidden_pages", "draft_pages",
             "draft_translations", "tags", "categories", "authors")
    return sum(len(getattr(generator, name, None) or ()) for generator in generators
               for name in lists)


class _CountingHandler(logging.Handler):
    def __init__(self, counter: "_Counter"):
        super().__init__(level=logging.WARNING)
        self.counter = counter

    def emit(self, record) -> None:
        self.counter.count += 1


class _Counter:
    count = 0


class _CountingStream(io.TextIOBase):
    """The child's stdout/stderr: whatever is printed counts as a problem, and is dropped."""

    def __init__(self, counter: _Counter):
        self.counter = counter

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if text:
            self.counter.count += 1
        return len(text)


def _read_only(cache):
    """A Jinja bytecode cache that loads from ``cache`` and never writes."""
    from jinja2 import BytecodeCache

    class ReadOnly(BytecodeCache):
        def load_bytecode(self, bucket):
            cache.load_bytecode(bucket)

        def dump_bytecode(self, bucket):
            return None

    return ReadOnly()


class _Session:
    """One ``Pelican.run``: the child (if any), the unit count, the pipe."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.chosen: list = []  # (generator, its own generate_output)
        self.wrappers: dict = {}  # id(generator) -> the generate_output set here
        self.role = None  # None (serial), "parent" or "child"
        self.pid = None
        self.fd = None
        self.units = 0
        self.buffer = bytearray()
        self.eof = False
        self.shared = None  # the build process's position (_POSITION), shared
        self._record_size = 0
        self.costs: dict = {}  # template (or "feed") -> seconds the child's renders take
        self.counter = _Counter()
        self.captured: list = []
        self.extra = None  # what came with the child's last text used (a page record)
        self.moment = None  # ... and the clock's reading it was made with
        self.finished = False
        self.stats = {"serial": "not started", "units": 0, "from_child": 0, "redone": 0,
                      "abandoned": None, "late": 0, "waited": 0.0}

    # -- before the output phase --
    def prepare(self, generators) -> None:
        """``all_generators_finalized``: wrap the sharded generators' ``generate_output``."""
        if self.chosen:
            return
        chosen = _sharded_generators(generators)
        if not chosen:
            self.stats["serial"] = "no generator to shard"
            return
        wanted = self.settings["RENDER_WORKERS"]
        if wanted is not None and int(wanted) <= 1:
            self.stats["serial"] = "RENDER_WORKERS is 1"
        elif not hasattr(os, "fork"):
            self.stats["serial"] = "no fork on this platform"
        elif usable_cpus() < 2:
            self.stats["serial"] = "one usable CPU"
        elif wanted is None and _estimated_pages(chosen) < MIN_PAGES:
            self.stats["serial"] = f"fewer than {MIN_PAGES} pages"
        if self.stats["serial"] != "not started":
            return
        self.chosen = [(generator, generator.generate_output) for generator in chosen]
        first, last = chosen[0], chosen[-1]
        for generator, original in self.chosen:
            wrapper = functools.partial(self._generate_output, original, generator is first,
                                        generator is last)
            generator.generate_output = self.wrappers[id(generator)] = wrapper

    def _generate_output(self, original, first: bool, last: bool, writer) -> None:
        if first:
            self.start(writer)
        try:
            original(writer)
        finally:
            if last:
                self.finish()

    def _why_not(self, writer) -> str | None:
        for generator, _ in self.chosen:
            if vars(generator).get("generate_output") is not self.wrappers[id(generator)]:
                return "a sharded generator's generate_output was replaced"
        return why_not_shard([generator for generator, _ in self.chosen], writer)

    # -- the fork --
    def start(self, writer) -> None:
        reason = self._why_not(writer)
        if reason:
            self.stats["serial"] = reason
            return
        read_end, write_end = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)  # the child may run ahead
        except (ImportError, AttributeError, OSError):
            pass
        self.shared = mmap.mmap(-1, _POSITION.size)  # anonymous and shared: seen by both
        _POSITION.pack_into(self.shared, 0, -1)
        self._wrap_writer(writer)
        from newsroom.build.driver import _signals_wait

        parent = os.getpid()
        gc.freeze()  # the child's garbage collector then leaves the shared pages alone
        try:
            with _signals_wait():  # a child made must be known, to be killed
                try:
                    pid = os.fork()
                except OSError as error:
                    os.close(read_end)
                    os.close(write_end)
                    self.stats["serial"] = f"fork failed ({error})"
                    return
                if pid == 0:
                    os.close(read_end)
                    self._child(parent, write_end, writer)  # never returns
                os.close(write_end)
                self.role, self.pid, self.fd = "parent", pid, read_end
                self.stats["serial"] = None
        finally:
            gc.unfreeze()  # (in the build process)

    def finish(self) -> None:
        """In the build process: end the child (killed if still there) and reap it. Once."""
        if self.finished:
            return
        self.finished = True
        if self.role == "parent":
            self._end_child()
        self.role = None
        if self.shared is not None:
            self.shared.close()
            self.shared = None
        last_run.clear()
        last_run.update(self.stats)

    def _end_child(self) -> None:
        pid, self.pid = self.pid, None
        if pid is not None and pid > 0:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _abandon(self, reason: str) -> None:
        if self.stats["abandoned"] is None:
            self.stats["abandoned"] = reason
        self._end_child()

    # -- the writer --
    def _wrap_writer(self, writer) -> None:
        write_file, write_feed = writer.write_file, writer.write_feed
        session = self

        def sharded_write_file(name, template, context, *args, **kwargs):
            if session.role is not None and hasattr(template, "render"):
                template = _ShardedTemplate(template, session)
            return write_file(name, template, context, *args, **kwargs)

        # The page records' write_feed (newsroom/build/page_records.py) tells
        # which feeds it will take as published. What it works that out from
        # (each story's digest) is made now, before the fork, once for both
        # processes: else the child makes it too, while the build process
        # waits for the feeds the child renders.
        takes_as_published = getattr(write_feed, "unchanged", None)
        prepare = getattr(write_feed, "prepare", None)
        if prepare is not None:
            prepare()

        def sharded_write_feed(elements, context, path=None, url=None, feed_type="atom",
                               override_output=False, feed_title=None):
            arguments = (elements, context, path, url, feed_type, override_output, feed_title)
            call = functools.partial(write_feed, *arguments)
            if session.role is None or not path:
                return call()
            unchanged = (functools.partial(takes_as_published, *arguments)
                         if takes_as_published is not None else None)
            return session.feed(writer, call, ("feed", path, feed_type), unchanged)

        writer.write_file = sharded_write_file
        writer.write_feed = sharded_write_feed

    def _next(self) -> int:
        unit = self.units
        self.units += 1
        self.stats["units"] = self.units
        return unit

    # -- a unit, in the build process or the child --
    def render(self, template, context):
        unit = self._next()
        identity = (template.name, context.get("output_file"))
        # A template that keeps page records (newsroom/build/page_records.py)
        # renders only pages whose inputs changed; the child sends back the
        # record of each page it renders.
        records = hasattr(template, "adopt")
        if self.role == "child":
            if not (records and template.can_skip(context)):  # else: the build process's
                self._child_unit(unit, identity, lambda: template.render(context),
                                 (lambda: template.made_record(context)) if records else None)
            return ""  # what the child "writes" goes nowhere
        if records and self.pid is not None and template.can_skip(context):
            # The child leaves such a page to this process: no need to look
            # for its answer (the next unit that does skips what is left).
            _POSITION.pack_into(self.shared, 0, unit)
            return template.render(context)
        text = self._from_child(unit, identity)
        if text is _NOTHING:
            return template.render(context)
        self._clock_moment()
        if records:
            template.adopt(context, self.extra)
        return text

    def feed(self, writer, call, identity, unchanged=None):
        """A feed unit. ``unchanged``: says whether the page records take the
        feed as published (the child then leaves it to the build process,
        which reads it faster than the child could send it)."""
        from newsroom.compat.pelican import prerendered_feed

        unit = self._next()
        if self.role == "child":
            def make():
                self.captured.clear()
                call()
                return "".join(self.captured)

            if (unchanged is not None and unchanged()) or not self._child_unit(
                    unit, identity, make):
                with prerendered_feed(writer, ""):  # the build process makes this one
                    call()
            return None
        text = self._from_child(unit, identity)
        if text is _NOTHING:
            return call()
        # (the clock's reading is given where the feed is made, inside write_feed)
        moment, self.moment = self.moment, None
        with prerendered_feed(writer, text, moment):
            return call()

    # -- the build process's side --
    def _from_child(self, unit: int, identity):
        """The child's text for ``unit``, or _NOTHING: render it here."""
        if self.pid is None:
            return _NOTHING
        _POSITION.pack_into(self.shared, 0, unit)  # the child leaves this one alone
        try:
            record = self._record(None)
            while record is not None and record[0] < unit:
                self._forget_record()  # a unit rendered here: the child was too late
                record = self._record(None)
            if record is None or record[0] != unit or record[1] != _CLAIM:
                return _NOTHING  # not the child's: render it here
            self._forget_record()
            claimed = record[2]
            # Wait about as long as the child's renders of this template take
            # (it may have started long ago, or be starved of CPU by other work).
            patience = min(WAIT_LIMIT, PATIENCE * self.costs.get(identity[0], FIRST_RENDER))
            try:
                record = self._record(max(0.0, claimed + patience - time.monotonic()))
            except _Timeout:
                self.stats["late"] += 1
                return _NOTHING  # render it here; the child's copy will go unused
            number, kind, seconds, payload = record
            self._forget_record()
        except EOFError:
            self._abandon("the child ended")
            return _NOTHING
        except OSError as error:
            self._abandon(f"the pipe failed ({error})")
            return _NOTHING
        if number != unit or kind not in (_TEXT, _REDO):
            self._abandon(f"the child stopped at unit {number}" if kind == _STOP
                          else f"out of step at unit {unit}")
            return _NOTHING
        try:
            their_identity, text, moment, self.extra = pickle.loads(payload)
        except Exception as error:  # noqa: BLE001 - whatever it is, render it here
            self._abandon(f"unreadable answer ({type(error).__name__})")
            return _NOTHING
        if their_identity != identity:
            self._abandon(f"out of step at unit {unit}: {identity} here, "
                          f"{their_identity} in the child")
            return _NOTHING
        self._cost(identity[0], seconds)
        if kind == _REDO:
            self.stats["redone"] += 1
            return _NOTHING
        self.moment = moment  # given to the clock by the caller
        self.stats["from_child"] += 1
        return text

    def _clock_moment(self) -> None:
        """The build clock's reading the child's last text used was made with, if any."""
        moment, self.moment = self.moment, None
        if moment is not None:
            from newsroom.core.clock import output_changes_at

            output_changes_at(moment)

    def _cost(self, what, seconds: float) -> None:
        known = self.costs.get(what)
        self.costs[what] = seconds if known is None else 0.7 * known + 0.3 * seconds

    def _fill(self, timeout: float | None) -> bool:
        """Read what the pipe holds into the buffer.

        ``timeout`` None: do not wait, False if nothing came. Else wait up to
        ``timeout`` seconds for something (_Timeout if nothing came).
        """
        if not self.eof:
            started = time.monotonic()
            ready, _, _ = select.select([self.fd], [], [], timeout or 0)
            self.stats["waited"] += time.monotonic() - started
            if not ready:
                if timeout is not None:
                    raise _Timeout
                return False
            chunk = os.read(self.fd, 1 << 20)
            if chunk:
                self.buffer += chunk
                return True
            self.eof = True  # the child ended: what it sent before is still good
            if not self._ended_cleanly() and self.stats["abandoned"] is None:
                self.stats["abandoned"] = "the child ended"
        if timeout is not None:
            raise EOFError
        return False

    def _record(self, timeout: float | None):
        """The first whole record (unit, kind, time, payload) in the pipe.

        ``timeout`` as for ``_fill``: None gives None when there is no whole
        record yet; a number waits (in all) up to that many seconds for one.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self.buffer) >= _HEADER.size:
                number, kind, seconds, size = _HEADER.unpack_from(self.buffer)
                if len(self.buffer) >= _HEADER.size + size:
                    payload = bytes(self.buffer[_HEADER.size:_HEADER.size + size])
                    self._record_size = _HEADER.size + size
                    return number, kind, seconds, payload
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._fill(left):
                return None

    def _forget_record(self) -> None:
        del self.buffer[:self._record_size]

    def _ended_cleanly(self) -> bool:
        """The buffer (all the child sent) ends with its _END record."""
        end = _HEADER.size
        return (len(self.buffer) >= end
                and _HEADER.unpack_from(self.buffer, len(self.buffer) - end)[:2] == (_LAST, _END))

    # -- the child's side --
    def _child(self, parent: int, fd: int, writer) -> None:
        try:
            from newsroom.build.driver import _die_with_parent

            _die_with_parent(parent)
            self.role, self.fd = "child", fd
            self._quiet()
            self._inert(writer)
            for generator, original in self.chosen:
                original(writer)
            self._send(_LAST, _END)
        except BaseException:  # noqa: BLE001 - whatever happens, only this process ends
            pass
        finally:
            os._exit(0)

    def _quiet(self) -> None:
        """Nothing the child logs or prints is shown; each counts as a problem of its unit."""
        handler = _CountingHandler(self.counter)
        root = logging.getLogger()
        for logger in [root, *logging.root.manager.loggerDict.values()]:
            if isinstance(logger, logging.Logger):
                for old in list(logger.handlers):
                    logger.removeHandler(old)
                if not logger.propagate:
                    logger.addHandler(handler)
        root.addHandler(handler)
        sys.stdout = sys.stderr = _CountingStream(self.counter)
        warnings.showwarning = lambda *args, **kwargs: self._count()

    def _count(self) -> None:
        self.counter.count += 1

    def _inert(self, writer) -> None:
        """The child writes no file, makes no folder, sends no output signal, fills no cache."""
        from pelican.plugins import signals

        from newsroom.compat.pelican import writes_nowhere

        writes_nowhere(writer, self.captured)
        for name in OUTPUT_SIGNALS:
            getattr(signals, name).send = lambda *args, **kwargs: []
        for generator, _ in self.chosen:
            environment = generator.env
            if environment.bytecode_cache is not None:
                environment.bytecode_cache = _read_only(environment.bytecode_cache)

    def _child_unit(self, unit: int, identity, make, extra=None) -> bool:
        """Render ``unit`` and send it, if the build process is far enough behind; True if so.

        ``extra``: gives what is sent along with the text (a page record).
        """
        from newsroom.core.clock import output_valid_until

        if unit <= _POSITION.unpack_from(self.shared)[0] + AHEAD:
            return False  # the build process is at it, or soon will be
        started = time.monotonic()
        self._send(unit, _CLAIM, started)
        before, earliest = self.counter.count, output_valid_until()
        try:
            text = make()
        except BaseException as error:
            self._send(unit, _STOP)
            raise _Stop from error
        seconds = time.monotonic() - started
        if self.counter.count != before:
            self._send(unit, _REDO, seconds, pickle.dumps((identity, None, None, None)))
            return True
        now = output_valid_until()
        moment = now if now is not None and (earliest is None or now < earliest) else None
        self._send(unit, _TEXT, seconds, pickle.dumps(
            (identity, text, moment, extra() if extra is not None else None),
            protocol=pickle.HIGHEST_PROTOCOL))
        return True

    def _send(self, unit: int, kind: int, seconds: float = 0.0, payload: bytes = b"") -> None:
        data = memoryview(_HEADER.pack(unit, kind, seconds, len(payload)) + payload)
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError:
            raise _Stop from None  # the build process is gone or gave up on us


class _ShardedTemplate:
    """The template ``write_file`` renders, rendered by whichever process the unit is for."""

    __slots__ = ("_template", "_session")

    def __init__(self, template, session: _Session):
        self._template = template
        self._session = session

    def render(self, context):
        return self._session.render(self._template, context)

    def __getattr__(self, name):
        return getattr(self._template, name)


def install(site) -> None:
    """Shard the output of ``site``'s runs (a ``pelican.Pelican``) over two processes.

    For full builds (``newsroom.build.driver.run_pelican``); whether a run
    really forks is decided at its output phase (see the module docstring).
    """
    from pelican.plugins import signals

    run = site.run
    if getattr(run, "shards_output", False):
        return

    def sharded_run():
        session = _Session(site.settings)
        signals.all_generators_finalized.connect(session.prepare, weak=False)
        try:
            return run()
        finally:
            signals.all_generators_finalized.disconnect(session.prepare)
            session.finish()

    sharded_run.shards_output = True
    site.run = sharded_run
