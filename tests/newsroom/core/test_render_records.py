"""What a page reads while rendered, and when it need not be rendered again (newsroom/core/render_records.py).

Unit tests on small Jinja templates: the incremental preview
(tests/newsroom/dev/test_incremental.py) and full builds
(tests/newsroom/build/test_page_records.py) check the same recorder on the
real site, byte for byte against clean builds.
"""

from __future__ import annotations

import logging

from jinja2 import DictLoader, Environment
from pelican.contents import Content

from newsroom.core import clock
from newsroom.core.problems import WarningCounter
from newsroom.core.render_records import (Digests, PageRecorder, RecordingTemplate,
                                          reads_own_data_only)


class Story(Content):
    def __init__(self, path, title, **data):  # only what the recorder reads
        object.__setattr__(self, "__dict__", {"source_path": path, "title": title, **data})

    def get_body(self):
        return self.body


def _renderer(recorder: PageRecorder, environment: Environment):
    """build(stories, *names) -> (outputs, pages rendered): one build of those templates."""
    recorder.install(environment)

    def build(stories, *names):
        recorder.start_build()
        for item in stories:
            recorder.note_object(item)
        before = recorder.rendered
        outputs = [RecordingTemplate(environment.get_template(name), recorder).render(
            {"stories": stories, "story": stories[0], "output_file": name}) for name in names]
        return outputs, recorder.rendered - before

    return build


def test_digests_tell_apart_what_a_page_can_show():
    """The quick paths of Digests.of_value (plain scalars, dates, topics) give
    each value its own digest, as the general path does."""
    from datetime import datetime, timedelta, timezone

    from markupsafe import Markup
    from pelican.urlwrappers import Author, Tag

    digests = Digests()
    values = ["1", 1, 1.0, True, None, "True", "None", Markup("1"), "", 0, False,
              datetime(2024, 6, 1), datetime(2024, 6, 1, tzinfo=timezone.utc),
              datetime(2024, 6, 1, 2, tzinfo=timezone(timedelta(hours=2))),
              Tag("Kenya", {}), Tag("Haiti", {}), Author("Kenya", {}), [], (), {}]
    found = [digests.of_value(value) for value in values]
    assert len(set(found)) == len(values), found
    for value, digest in zip(values, found):
        assert Digests().of_value(value) == digest  # the same in the next build
    tag = Tag("Kenya", {})
    before = Digests().of_value(tag)
    tag.slug = "kenya-2024"
    assert Digests().of_value(tag) != before
    renamed = Digests().of_value(tag)
    tag.profile = "a writer's page"  # what a plugin adds counts too
    assert Digests().of_value(tag) != renamed


def test_a_count_of_stories_does_not_depend_on_their_data():
    """``|count`` (len) reads only the size of a list: a page that shows how
    many stories a section has is not rendered again when a story's text
    changes, and is when the list changes."""
    environment = Environment(loader=DictLoader({
        "count.html": "{{ stories|count }} stories, {{ stories|length }}",
        "titles.html": "{% for s in stories %}{{ s.title }} {% endfor %}{{ stories|count }}",
        "python.html": "{{ sized(stories) }}"}))  # Python code: may read anything
    environment.globals["sized"] = lambda items: len(items)
    recorder = PageRecorder()
    recorder.install(environment)
    a, b = Story("/c/a.md", "A"), Story("/c/b.md", "B")

    def build(stories):
        recorder.start_build()
        for story in stories:
            recorder.note_object(story)
        rendered = recorder.rendered
        outputs = [RecordingTemplate(environment.get_template(name), recorder).render(
            {"stories": stories, "output_file": name})
            for name in ("count.html", "titles.html", "python.html")]
        return outputs, recorder.rendered - rendered

    assert build([a, b]) == (["2 stories, 2", "A B 2", "2"], 3)
    assert build([a, b])[1] == 0
    b = Story("/c/b.md", "B, retitled")  # the count page shows no title
    assert build([a, b]) == (["2 stories, 2", "A B, retitled 2", "2"], 2)
    assert build([a, b, Story("/c/c.md", "C")]) == (["3 stories, 3", "A B, retitled C 3", "3"], 3)


def test_a_page_depends_on_the_attributes_it_reads_and_methods_on_all():
    """A list that shows headlines is not rendered again when a body changes;
    one that calls a method of the story is (the method may read anything)."""
    environment = Environment(loader=DictLoader({
        "titles.html": "{% for s in stories %}{{ s.title }};{% endfor %}",
        "method.html": "{% for s in stories %}{{ s.get_body() }}{% endfor %}",
        "missing.html": "{% for s in stories %}{{ s.subtitle or 'none' }}{% endfor %}"}))
    build = _renderer(PageRecorder(), environment)
    a = Story("/c/a.md", "A", body="one")
    names = ("titles.html", "method.html", "missing.html")
    assert build([a], *names) == (["A;", "one", "none"], 3)
    assert build([Story("/c/a.md", "A", body="one")], *names)[1] == 0
    assert build([Story("/c/a.md", "A", body="two")], *names) == (["A;", "two", "none"], 1)
    assert build([Story("/c/a.md", "B", body="two")], *names) == (["B;", "two", "none"], 2)
    # An attribute that appears counts too, as the one that was missing.
    assert build([Story("/c/a.md", "B", body="two", subtitle="Sub")], *names) == (
        ["B;", "two", "Sub"], 2)


def test_a_helper_declared_to_read_own_data_does_not_depend_on_linked_stories():
    environment = Environment(loader=DictLoader({
        "own.html": "{{ own(story) }}", "any.html": "{{ anything(story) }}"}))

    @reads_own_data_only
    def own(item):
        return item.title

    environment.globals.update(own=own, anything=lambda item: item.title)
    build = _renderer(PageRecorder(), environment)
    linked = Story("/c/b.md", "B", body="one")
    a = Story("/c/a.md", "A", related=[linked])
    assert build([a, linked], "own.html", "any.html") == (["A", "A"], 2)
    changed = Story("/c/b.md", "B", body="two")
    a = Story("/c/a.md", "A", related=[changed])
    # Python code given A may read what A links to, unless declared not to.
    assert build([a, changed], "own.html", "any.html") == (["A", "A"], 1)
    # What A holds itself (the list of what it links to) still counts.
    a = Story("/c/a.md", "A", related=[])
    assert build([a, changed], "own.html", "any.html") == (["A", "A"], 2)


def test_a_render_that_logs_or_reads_the_clock_keeps_no_record():
    """Such a page is rendered again every time: its problem is reported
    each build, and a date that depends on the clock is checked."""
    from datetime import datetime, timezone

    log = logging.getLogger("test-render-records")
    environment = Environment(loader=DictLoader({
        "warns.html": "{{ warn() }}", "clock.html": "{{ when() }}", "plain.html": "{{ story.title }}"}))
    warnings = iter(range(100))  # (Pelican's logger drops a message it has logged before)
    environment.globals["warn"] = lambda: log.warning(f"problem {next(warnings)}") or "warned"
    moment = datetime(2030, 1, 1, tzinfo=timezone.utc)
    environment.globals["when"] = lambda: clock.output_changes_at(moment) or "dated"
    counter = WarningCounter()
    log.addHandler(counter)
    log.propagate = False
    try:
        build = _renderer(PageRecorder(counter=counter), environment)
        names = ("warns.html", "clock.html", "plain.html")
        a = Story("/c/a.md", "A")
        assert build([a], *names) == (["warned", "dated", "A"], 3)
        assert build([a], *names) == (["warned", "dated", "A"], 2)
        assert counter.count == 2
    finally:
        log.removeHandler(counter)
        log.propagate = True
        clock.reset_output_changes()


def test_an_unchanged_page_comes_from_published_when_records_keep_no_text():
    """Full builds keep no page text in memory: ``published`` gives it (None: render)."""
    environment = Environment(loader=DictLoader({"plain.html": "{{ story.title }}"}))
    published = {"plain.html": "A, as published"}
    recorder = PageRecorder(published=lambda name, record: published.pop(name, None))
    build = _renderer(recorder, environment)
    a = Story("/c/a.md", "A")
    assert build([a], "plain.html") == (["A"], 1)
    assert recorder.records["plain.html"].output == ""  # no text kept
    assert build([a], "plain.html") == (["A, as published"], 0)
    assert build([a], "plain.html") == (["A"], 1)  # nothing published: rendered


def test_a_storys_digest_follows_where_the_files_it_links_to_are_published():
    """{filename} links show the linked file's URL: a story's digest covers where
    the files its own links name are published, and no other file's."""
    from types import SimpleNamespace

    def context(b_url: str, c_url: str, regex: str | None = None) -> dict:
        found = {"generated_content": {
            "articles/b.md": SimpleNamespace(url=b_url, save_as=b_url + "index.html"),
            "articles/c.md": SimpleNamespace(url=c_url, save_as=c_url + "index.html")},
            "static_content": {}}
        if regex:
            found["INTRASITE_LINK_REGEX"] = regex
        return found

    def digest(ctx: dict) -> str:
        digests = Digests()
        digests.use_published_files(ctx)
        return digests.of_object(Story("/c/a.md", "A", _content=(
            '<p>See <a href="{filename}b.md#more">B</a> and '
            '<img src="|static|../images/x%20y.jpg?w=1" alt=""></p>')))

    base = digest(context("2024/b/", "2024/c/"))
    assert digest(context("2024/b/", "2025/c/")) == base  # C: not linked
    assert digest(context("2025/b/", "2024/c/")) != base  # B moved: its link changes
    # Another link syntax: every file's place counts.
    other = context("2024/b/", "2024/c/", regex="<<(?P<what>.*?)>>")
    assert digest({**other, "generated_content": context("2024/b/", "2025/c/")[
        "generated_content"]}) != digest(other)
