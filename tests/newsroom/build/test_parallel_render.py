"""newsroom/build/parallel_render.py: pages and feeds rendered by a forked child, same bytes.

Publishing builds in this process (every plugin, feeds included), once with
``RENDER_WORKERS`` 1 (no child) and once with 2 (a child, whatever the size
of the site), compared file by file; then a child that dies, one that
hangs, and one whose render logs a problem. The machine's CPU count is
taken as two, so that the child is tested on a one-CPU machine too.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from jinja2 import Environment

from helpers.building import (EPOCH, PUBLISHING, ROOT, filler_content, hash_tree,
                              run_pelican)
from newsroom.build import parallel_render

PHOTO_CACHE = ROOT / ".cache" / "pelican" / "photos"  # renditions: warm, shared


def _plugins() -> list[str]:
    from pelican.settings import read_settings

    return read_settings(str(PUBLISHING))["PLUGINS"]


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    """The real content plus 30 filler stories: about 70 pages and 40 feeds."""
    return filler_content(tmp_path_factory.mktemp("parallel"))


@pytest.fixture
def two_cpus(monkeypatch):
    monkeypatch.setattr(parallel_render, "usable_cpus", lambda: 2)


def build(tmp_path: Path, content: Path, name: str, workers: int, **overrides):
    run = run_pelican(
        tmp_path / name, _plugins(), settings=PUBLISHING,
        overrides={"PATH": str(content), "PHOTO_CACHE_PATH": str(PHOTO_CACHE),
                   "RENDER_WORKERS": workers, **overrides},
        env={"SOURCE_DATE_EPOCH": EPOCH})
    return run, dict(parallel_render.last_run)


@pytest.fixture(scope="module")
def serial(content, tmp_path_factory):
    """The site built without a child: what every other build must equal."""
    run, stats = build(tmp_path_factory.mktemp("serial"), content, "serial", 1)
    assert run.problems == []
    assert stats["serial"] == "RENDER_WORKERS is 1"
    return hash_tree(run.output)


def test_the_child_renders_most_units_and_the_site_is_the_same(two_cpus, content, serial,
                                                                 tmp_path):
    run, stats = build(tmp_path, content, "parallel", 2)
    assert run.problems == []
    # Every filter, global, test and output receiver of the real configuration
    # is known to be safe (a new one must be reviewed: KNOWN_TEMPLATE_HELPERS).
    assert stats["serial"] is None, stats
    assert stats["abandoned"] is None, stats
    assert stats["redone"] == 0
    feeds = sum(name.startswith("feeds/") for name in serial)
    pages = sum(name.endswith(".html") for name in serial)
    assert feeds > 30 and pages > 60
    assert stats["units"] >= feeds + pages - 5  # a few pages are written at finalized
    assert stats["from_child"] > 0
    assert hash_tree(run.output) == serial


def test_a_child_that_dies_half_way_leaves_the_rest_to_the_build(two_cpus, content, serial,
                                                                 tmp_path, monkeypatch):
    send = parallel_render._Session._send
    sent = []

    def dying_send(self, unit, kind, *args):
        sent.append(unit)
        if len(sent) == 12:  # in the child: killed between a claim and its text
            os.kill(os.getpid(), signal.SIGKILL)
        return send(self, unit, kind, *args)

    monkeypatch.setattr(parallel_render._Session, "_send", dying_send)
    run, stats = build(tmp_path, content, "died", 2)
    assert run.problems == []
    assert stats["abandoned"] == "the child ended", stats
    assert 0 < stats["from_child"] < 12
    assert sent == []  # only the child sent anything
    assert hash_tree(run.output) == serial


def test_a_child_that_hangs_costs_the_build_little(two_cpus, content, serial, tmp_path,
                                                  monkeypatch):
    child_unit = parallel_render._Session._child_unit

    def hanging(self, unit, identity, make):
        def slow():
            if unit >= 20:
                time.sleep(3600)  # in the child, after claiming it: killed by the build
            return make()

        return child_unit(self, unit, identity, slow)

    monkeypatch.setattr(parallel_render._Session, "_child_unit", hanging)
    started = time.monotonic()
    run, stats = build(tmp_path, content, "hung", 2)
    assert time.monotonic() - started < 30
    assert run.problems == []
    # The unit it claimed is rendered here after a short wait (counted as
    # late, as are the units of a child starved of CPU by other work); it
    # claims no other, and the build renders the rest itself.
    assert stats["abandoned"] is None, stats
    assert stats["from_child"] < 20, stats
    assert hash_tree(run.output) == serial


MISSING_ASSET = "{% set _unused = asset_url('css/missing.css') %}\n"


def test_a_problem_in_the_childs_render_is_reported_once_by_the_build(two_cpus, content,
                                                                      tmp_path):
    """The child's log goes nowhere; the build renders that page itself and reports it."""
    overrides = tmp_path / "templates"
    (overrides / "partials").mkdir(parents=True)
    share = ROOT / "theme" / "templates" / "partials" / "share_links.html"
    (overrides / "partials" / "share_links.html").write_text(
        share.read_text(encoding="utf-8") + MISSING_ASSET, encoding="utf-8")
    records = []

    class Recorder(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    recorder = Recorder(level=logging.WARNING)
    logging.getLogger().addHandler(recorder)
    outputs, seen = [], []
    try:
        for workers in (1, 2):
            # asset_url reports an unknown path once per process.
            sys.modules["asset_fingerprints"]._unknown_reported.clear()
            records.clear()
            run, stats = build(tmp_path, content, f"problem-{workers}", workers,
                               THEME_TEMPLATES_OVERRIDES=[str(overrides)])
            outputs.append(hash_tree(run.output))
            seen.append((list(records), run.problems, stats))
    finally:
        logging.getLogger().removeHandler(recorder)
    (serial_records, serial_problems, _), (records_2, problems_2, stats) = seen
    assert len([r for r in serial_records if "missing.css" in r]) == 1, serial_records
    assert records_2 == serial_records  # once, by the build process, as without the child
    assert problems_2 == serial_problems
    assert any("missing.css" in problem for problem in problems_2)
    assert stats["serial"] is None and stats["redone"] >= 1, stats
    assert stats["abandoned"] is None, stats
    assert outputs[0] == outputs[1]


def test_no_child_on_one_cpu_or_for_a_small_site(content, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel_render, "usable_cpus", lambda: 1)
    _, stats = build(tmp_path, content, "one-cpu", 2)
    assert stats["serial"] == "one usable CPU"
    monkeypatch.setattr(parallel_render, "usable_cpus", lambda: 2)
    _, stats = build(tmp_path, content, "small", None)  # the default: decided by size
    assert stats["serial"] == f"fewer than {parallel_render.MIN_PAGES} pages"


def test_the_childs_answers_carry_clock_moments_and_are_checked():
    """A feed dated by the build clock (no dates, or future ones) says so to the up-to-date
    record; an answer for another page than the build process's is not used."""
    import mmap
    from datetime import datetime, timezone

    from newsroom.core import clock

    moment = datetime(2030, 1, 2, 3, 4, tzinfo=timezone.utc)
    identity = ("feed", "feeds/all.atom.xml", "atom")
    session = parallel_render._Session({})
    session.shared = mmap.mmap(-1, parallel_render._POSITION.size)
    parallel_render._POSITION.pack_into(session.shared, 0, -1)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one unit, the build process far behind
        try:
            os.close(read_end)
            session.role, session.fd = "child", write_end
            session._child_unit(7, identity, lambda: clock.output_changes_at(moment) or "<feed/>")
            session._child_unit(9, ("article", "b/index.html"), lambda: "<p>b</p>")
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)  # all it sent is in the pipe
    clock.reset_output_changes()
    # (pid 0: a child already reaped, not to be killed.)
    session.role, session.pid, session.fd = "parent", 0, read_end
    try:
        assert session._from_child(7, identity) == "<feed/>"
        # The moment is given to the clock where the text is used (for a
        # feed: inside write_feed, where page records watch for it).
        assert clock.output_valid_until() is None
        session._clock_moment()
        assert clock.output_valid_until() == moment
        # Out of step (another page at the same unit): rendered here, the child given up.
        assert session._from_child(9, ("article", "c/index.html")) is parallel_render._NOTHING
    finally:
        session.finish()
        clock.reset_output_changes()
    assert session.stats["from_child"] == 1
    assert session.stats["abandoned"].startswith("out of step at unit 9"), session.stats


# --- what may be sharded ------------------------------------------------------------

class _Generator:
    def __init__(self, environment):
        self.env = environment


def _environment(**filters) -> Environment:
    import functools

    from pelican.plugins._utils import plugin_enabled
    from pelican.utils import DateFormatter

    environment = Environment()
    environment.filters["strftime"] = DateFormatter()
    environment.tests["plugin_enabled"] = functools.partial(plugin_enabled, plugin_list=[])
    environment.filters.update(filters)
    return environment


def _writer():
    from pelican.writers import Writer

    return Writer("/nonexistent", settings={})


def test_unknown_template_helpers_and_receivers_keep_the_build_serial():
    from pelican.plugins import signals

    from newsroom.core.filters import JINJA_FILTERS

    assert parallel_render.why_not_shard([_Generator(_environment(**JINJA_FILTERS))],
                                         _writer()) is None

    def counted(value):
        return value

    reason = parallel_render.why_not_shard([_Generator(_environment(counted=counted))], _writer())
    assert "template filter counted" in reason
    environment = _environment()
    environment.globals["lookup"] = counted
    assert "template global lookup" in parallel_render.why_not_shard(
        [_Generator(environment)], _writer())

    def collect(path, context):
        pass

    signals.content_written.connect(collect)
    try:
        reason = parallel_render.why_not_shard([_Generator(_environment())], _writer())
    finally:
        signals.content_written.disconnect(collect)
    assert reason.startswith("content_written has a receiver not known to be safe")

    class OtherWriter(type(_writer())):
        pass

    assert "is not known" in parallel_render.why_not_shard(
        [_Generator(_environment())], OtherWriter("/nonexistent", settings={}))


# --- newsroom/compat/pelican.py: writes_nowhere, prerendered_feed ------------------------

def test_writes_nowhere_refuses_what_pelican_refuses(tmp_path, monkeypatch):
    """The child's writer keeps Pelican's one-write-per-file rule, writing nothing."""
    import inspect

    import pelican.writers
    from pelican.writers import FileOverwriteFailedError, Writer

    from newsroom.compat.pelican import writes_nowhere

    item = "newsroom/compat/pelican.py writes_nowhere (Writer._open_w, pelican.writers.os)"
    assert "os.makedirs(" in inspect.getsource(Writer.write_file), item
    assert "os.makedirs(" in inspect.getsource(Writer.write_feed), item
    monkeypatch.setattr(pelican.writers, "os", pelican.writers.os)  # put back after
    template = Environment().from_string("<p>{{ text }}</p>")
    steps = [("a/index.html", False), ("a/index.html", False), ("b/index.html", True),
             ("b/index.html", False), ("b/index.html", True), ("c/index.html", False),
             ("c/index.html", True), ("c/index.html", False)]

    def outcomes(writer):
        seen = []
        for name, override in steps:
            try:
                writer.write_file(name, template, {"text": name}, override_output=override)
                seen.append("written")
            except FileOverwriteFailedError as error:
                seen.append(str(error).replace(str(writer.output_path), ""))
        return seen

    real = Writer(str(tmp_path / "real"), settings={})
    expected = outcomes(real)
    sink: list = []
    quiet = Writer(str(tmp_path / "nowhere"), settings={})
    writes_nowhere(quiet, sink)
    assert outcomes(quiet) == expected, item
    assert not (tmp_path / "nowhere").exists(), item
    assert "<p>a/index.html</p>" in sink


def test_a_prerendered_feed_writes_the_same_bytes(tmp_path):
    from datetime import datetime

    import pelican.writers
    from pelican.writers import Writer

    from newsroom.compat.pelican import prerendered_feed, writes_nowhere

    item = "newsroom/compat/pelican.py prerendered_feed (Writer.write_feed's two steps)"

    class Story:
        title = "A <em>story</em>"
        url = "2024/06/story/"
        summary = "<p>Summary</p>"
        date = modified = datetime(2024, 6, 1, 12, 0)

        def get_content(self, site_url):
            return "<p>Body</p>"

    settings = {"FEED_MAX_ITEMS": 10, "FEED_APPEND_REF": False, "TIMEZONE": "UTC"}
    context = {"SITEURL": "https://example.org", "FEED_DOMAIN": "https://example.org",
               "SITENAME": "Site"}
    sink: list = []
    made = Writer(str(tmp_path / "made"), settings=settings)
    try:
        writes_nowhere(made, sink)
        made.write_feed([Story()], context, "feeds/all.atom.xml")
    finally:
        pelican.writers.os = os  # writes_nowhere is for a child process: put it back
    assert not (tmp_path / "made").exists(), item
    written = Writer(str(tmp_path / "written"), settings=settings)
    with prerendered_feed(written, sink[0]):
        written.write_feed([Story()], context, "feeds/all.atom.xml")
    real = Writer(str(tmp_path / "real"), settings=settings)
    real.write_feed([Story()], context, "feeds/all.atom.xml")
    expected = (tmp_path / "real" / "feeds" / "all.atom.xml").read_bytes()
    assert (tmp_path / "written" / "feeds" / "all.atom.xml").read_bytes() == expected, item
    assert "_create_new_feed" not in vars(written), item
