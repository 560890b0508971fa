"""What the site relies on inside Pelican, livereload and Pagefind is still there.

One test per touch point of ``newsroom.compat``: run this file after
upgrading one of them. A failure names the item in newsroom/compat/ and
what to check; fix that module (and its docstring) or keep the old version.
"""

from __future__ import annotations

import ast
import asyncio
import gzip
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[3]


def _must(condition, item: str, what: str) -> None:
    if not condition:
        pytest.fail(f"{item}: {what}", pytrace=False)


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


# --- Pelican -------------------------------------------------------------------------

@pytest.fixture
def pelican_settings(tmp_path):
    from pelican.settings import read_settings

    content = tmp_path / "content"
    content.mkdir()
    return read_settings(override={
        "PATH": str(content), "OUTPUT_PATH": str(tmp_path / "output"), "PLUGINS": [],
        "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False, "SITEURL": "",
        "FEED_ALL_ATOM": None, "TIMEZONE": "UTC", "DEFAULT_DATE": (2024, 6, 1),
    })


def _page(settings, body="<p>body</p>", **metadata):
    from pelican.contents import Page

    metadata.setdefault("title", "A page")
    return Page(body, metadata=metadata, settings=settings,
                source_path=os.path.join(settings["PATH"], "pages", "a.md"),
                context={"localsiteurl": "", "generated_content": {}, "static_content": {},
                         "static_links": set()})


def test_pelican_discard_drops_a_field(pelican_settings):
    from pelican.readers import MarkdownReader, Readers

    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py DISCARD (pelican.readers._DISCARD)"
    _must(MarkdownReader(pelican_settings).process_metadata("slug", "  ") is compat.DISCARD,
          item, "Pelican's own processors no longer return it for an empty field")

    class Reader(MarkdownReader):
        def process_metadata(self, name, value):
            if name == "colour":
                return compat.DISCARD
            return super().process_metadata(name, value)

    path = Path(pelican_settings["PATH"]) / "a.md"
    path.write_text("Title: A\nColour: red\n\nBody\n", encoding="utf-8")
    readers = Readers(pelican_settings)
    readers.readers["md"] = Reader(pelican_settings)
    from pelican.contents import Page

    page = readers.read_file(pelican_settings["PATH"], "a.md", content_class=Page)
    _must("colour" not in page.metadata, item,
          "a field whose processor returns it is no longer dropped by Readers.read_file")


def test_pelican_markdown_metadata_parser(pelican_settings):
    from markdown import Markdown
    from pelican.readers import MarkdownReader

    from newsroom.compat.pelican import parse_markdown_metadata

    item = "newsroom/compat/pelican.py parse_markdown_metadata (MarkdownReader._parse_metadata)"
    _must(_parameters(MarkdownReader._parse_metadata) == ["self", "meta"], item,
          f"its signature is now {inspect.signature(MarkdownReader._parse_metadata)}")
    md = Markdown(extensions=["markdown.extensions.meta"])
    md.convert("Title: A headline\nSummary: *Short*\n\nThe body.\n")
    metadata = parse_markdown_metadata(MarkdownReader(pelican_settings), md, "x.md", md.Meta)
    _must(metadata.get("title") == "A headline", item, f"plain fields: got {metadata}")
    _must(metadata.get("summary") == "<p><em>Short</em></p>", item,
          f"formatted fields are no longer converted with the reader's _md: got {metadata}")


def test_pelican_content_body_and_summary(pelican_settings):
    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py body_html/summary_html (Content._content, _summary)"
    page = _page(pelican_settings, summary="<p>standfirst</p>")
    _must(compat.body_html(page) == "<p>body</p>", item, "Content._content is not the body")
    _must(compat.summary_html(page) == "<p>standfirst</p>", item,
          "Content._summary is not the Summary: metadata")
    compat.set_body_html(page, "<p>new body</p>")
    compat.set_summary_html(page, "<p>new standfirst</p>")
    page.refresh_metadata_intersite_links()
    _must(page.content == "<p>new body</p>", item, "a body set before rendering is not shown")
    _must(page.summary == "<p>new standfirst</p>", item,
          "a summary set before rendering is not shown")


def test_pelican_rewrite_before_links(pelican_settings):
    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py rewrite_before_links (Content._update_content)"
    _must(_parameters(type(_page(pelican_settings))._update_content)
          == ["self", "content", "siteurl"], item, "its signature changed")
    page = _page(pelican_settings, body='<a href="TOKEN">x</a>', summary='<a href="TOKEN">s</a>')
    seen = []

    def rewrite(text, siteurl):
        seen.append(siteurl)
        return text.replace("TOKEN", "{tag}politics") if text else text

    compat.rewrite_before_links(page, rewrite)
    page.refresh_metadata_intersite_links()
    body = page.get_content("https://example.org")
    _must('href="https://example.org/tag/politics.html"' in body, item,
          f"the rewritten body does not reach Pelican's link resolution: {body}")
    _must("tag/politics.html" in page.summary, item,
          f"the summary is not rewritten before its links are resolved: {page.summary}")
    _must("https://example.org" in seen, item, "the page's site URL is not passed on")


def _one_article(settings: dict, slug: str = "a-story", year: int = 2024):
    """A dated story (a.md in the content folder) with these settings, outside any build."""
    import datetime

    from pelican.contents import Article

    return Article("<p>body</p>", settings=settings,
                   source_path=os.path.join(settings["PATH"], "a.md"),
                   metadata={"title": "A", "slug": slug,
                             "date": datetime.datetime(year, 6, 15, 9, 30)},
                   context={"localsiteurl": "", "generated_content": {},
                            "static_content": {}, "static_links": set()})


def test_pelican_content_urls_are_remembered(pelican_settings):
    import datetime

    from pelican.contents import Content

    from newsroom.compat.pelican import remember_content_urls

    for name in ("__setattr__", "__delattr__"):
        own = getattr(Content, name)
        _must(own is getattr(object, name) or getattr(own, "forgets_urls", False),
              "newsroom/compat/pelican.py remember_content_urls",
              f"Pelican now defines Content.{name}; chain to it instead of object.{name}")
    for name in ("url", "save_as"):
        prop = getattr(Content, name, None)
        _must(isinstance(prop, property) and "get_url_setting" in prop.fget.__code__.co_names,
              "newsroom/compat/pelican.py remember_content_urls",
              f"Content.{name} no longer calls self.get_url_setting")
    remember_content_urls()
    remember_content_urls()  # once per process, not wrapped twice
    wrapper = Content.get_url_setting
    original = getattr(wrapper, "__wrapped__", None)
    _must(original is not None and getattr(original, "__wrapped__", None) is None,
          "newsroom/compat/pelican.py remember_content_urls", "not installed exactly once")
    _must(_parameters(original) == ["self", "key"], "newsroom/compat/pelican.py remember_content_urls",
          f"Content.get_url_setting takes {_parameters(original)}")
    settings = dict(pelican_settings, ARTICLE_URL="{date:%Y}/{date:%m}/{slug}/",
                    ARTICLE_SAVE_AS="{date:%Y}/{date:%m}/{slug}/index.html",
                    DRAFT_URL="drafts/{slug}/", DRAFT_SAVE_AS="drafts/{slug}/index.html")
    article = _one_article(settings)

    def check(what):
        for key in ("url", "save_as"):
            expected = original(article, key)
            _must(getattr(article, key) == expected, "newsroom/compat/pelican.py remember_content_urls",
                  f"{key} after {what}: {getattr(article, key)!r}, Pelican says {expected!r}")

    check("reading")
    calls = []
    Content.get_url_setting = lambda self, key: calls.append(key) or wrapper(self, key)
    try:
        article.url
    finally:
        Content.get_url_setting = wrapper
    _must(calls == ["url"], "newsroom/compat/pelican.py", "url did not go through get_url_setting")
    article.slug = "another-slug"
    check("a new slug")
    article.date = datetime.datetime(2025, 1, 2, 3, 4)
    check("a new date")
    article.status = "draft"
    check("a new status")
    article.metadata["slug"] = "metadata-slug"
    check("a new metadata value")
    article.override_url = "elsewhere/"
    check("override_url")
    del article.override_url
    check("deleting override_url")
    article.author = type("Author", (), {"slug": "someone"})()
    check("an author")
    article.author.slug = "someone-else"
    check("a new slug of the author")
    import copy

    twin = copy.copy(article)  # shares the metadata dict and, at first, the cache
    twin.slug = "the-twin"
    for item, label in ((twin, "a copy"), (article, "the original of a copy")):
        for key in ("url", "save_as"):
            _must(getattr(item, key) == original(item, key),
                  "newsroom/compat/pelican.py remember_content_urls", f"{key} of {label}")


def test_pelican_content_urls_kept_across_builds(pelican_settings, monkeypatch):
    from pelican.contents import Article, Content

    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py keep_urls_across_builds (Content.url_format)"
    source = inspect.getsource(Content.url_format.fget) + inspect.getsource(
        Article._expand_settings)
    # Everything url_format and _expand_settings read is in _url_format_inputs.
    for read in ("self.metadata", "get_relative_source_path", '"slug"', '"lang"', '"date"',
                 "self.author.slug", "self.category.slug", "self.status"):
        _must(read in source, item, f"url_format or _expand_settings no longer reads {read}")
    allowed = {"metadata", "get_relative_source_path", "slug", "lang", "date", "author",
               "category", "status", "settings", "__class__", "url_format", "upper", "format",
               "copy", "update", "get", "now", "path_to_url", "datetime", "_expand_settings",
               "super"}
    names = set(Content.url_format.fget.__code__.co_names) | set(
        Content._expand_settings.__code__.co_names) | set(Article._expand_settings.__code__.co_names)
    _must(names <= allowed | {"str", "getattr", "hasattr", "__name__"}, item,
          f"url_format/_expand_settings read more: {sorted(names - allowed)}")
    compat.remember_content_urls()
    monkeypatch.setattr(compat, "_across_builds", True)
    monkeypatch.setattr(compat, "_ACROSS_BUILDS", {})
    original = Content.get_url_setting.__wrapped__
    settings = dict(pelican_settings, ARTICLE_URL="{date:%Y}/{slug}/",
                    ARTICLE_SAVE_AS="{date:%Y}/{slug}/index.html")

    def build(slug="a-story", year=2024):
        return _one_article(settings, slug, year)

    first = build()
    _must(first.url == "2024/a-story/", item, first.url)
    where = ("Article", first.source_path, "url")
    inputs, value = compat._ACROSS_BUILDS[where]
    _must(value == "2024/a-story/", item, f"not kept: {value!r}")
    # The next build's object for the same, unchanged file gets the kept
    # answer without asking Pelican (a marked answer shows it).
    compat._ACROSS_BUILDS[where] = (inputs, "kept/")
    _must(build().url == "kept/", item, "an unchanged story's URL is made again")
    for changed, expected in ((build(slug="new-slug"), "2024/new-slug/"),
                              (build(year=2025), "2025/a-story/")):
        _must(changed.url == expected == original(changed, "url"), item,
              f"a changed story kept an old URL: {changed.url!r}, not {expected!r}")


def test_pelican_url_code_reads_none_of_the_attributes_that_keep_urls(pelican_settings):
    from pelican.contents import Article, Content, Page, Static

    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py remember_content_urls (NOT_URL_INPUTS)"
    compat.remember_content_urls()
    # Everything that makes a URL (Static's url and save_as only set their
    # flag, then ask Content's): no name or string constant is one of them.
    url_code = [Content.get_url_setting.__wrapped__, Content.url_format.fget,
                Content._expand_settings, Article._expand_settings, Page._expand_settings,
                Content.get_relative_source_path.__wrapped__]
    for prop in (Static.url, Static.save_as):
        _must(prop.fget.__code__.co_names == ("_output_location_referenced", "super", "url")
              or prop.fget.__code__.co_names == ("_output_location_referenced", "super",
                                                 "save_as"), item,
              f"Static's URL properties now do more: {prop.fget.__code__.co_names}")
    for function in url_code:
        code = function.__code__
        used = set(code.co_names) | {c for c in code.co_consts if isinstance(c, str)}
        _must(not (compat.NOT_URL_INPUTS & used), item,
              f"{function.__qualname__} reads {sorted(compat.NOT_URL_INPUTS & used)}")
    article = _one_article(pelican_settings)
    url = article.url
    for name in sorted(compat.NOT_URL_INPUTS):
        setattr(article, name, getattr(article, name, None))
        _must(article.url is url, item, f"setting {name} forgot the URL")
    article.slug = "another"  # any other attribute: made again
    _must(article.url == Content.get_url_setting.__wrapped__(article, "url") != url, item,
          "a new slug kept the old URL")


def test_pelican_relative_source_paths_are_kept_by_folder_and_path(pelican_settings, tmp_path,
                                                                   monkeypatch):
    import datetime

    from pelican.contents import Article, Content

    from newsroom.compat import pelican as compat

    item = "newsroom/compat/pelican.py remember_content_urls (get_relative_source_path)"
    compat.remember_content_urls()
    wrapper = Content.get_relative_source_path
    original = getattr(wrapper, "__wrapped__", None)
    _must(original is not None and getattr(original, "__wrapped__", None) is None, item,
          "not installed exactly once")
    _must(_parameters(original) == ["self", "source_path"], item,
          f"get_relative_source_path takes {_parameters(original)}")
    # Its answer depends on the folder and the path only (the strings kept).
    _must(set(original.__code__.co_names) <= {"source_path", "settings", "posixize_path", "os",
                                              "path", "relpath", "abspath", "join"}, item,
          f"it reads more: {sorted(original.__code__.co_names)}")

    def article(folder, name="a.md"):
        settings = dict(pelican_settings, PATH=folder)
        return Article("<p>body</p>", settings=settings, source_path=os.path.join(folder, name),
                       metadata={"title": "A", "date": datetime.datetime(2024, 6, 15)},
                       context={"localsiteurl": "", "generated_content": {},
                                "static_content": {}, "static_links": set()})

    for folder, name, given in [(str(tmp_path / "content"), "a.md", None),
                                (str(tmp_path / "content"), "sub/b.md", None),
                                (str(tmp_path / "other"), "sub/b.md", None),
                                (str(tmp_path / "content") + "/", "a.md", None),
                                (str(tmp_path / "content"), "a.md", "../x/y.md"),
                                (str(tmp_path / "content"), "a.md",
                                 str(tmp_path / "content" / "z" / "w.md"))]:
        story = article(folder, name)
        for _twice in range(2):
            _must(story.get_relative_source_path(given) == original(story, given), item,
                  f"{folder} {name} {given}: {story.get_relative_source_path(given)!r}")
    # A relative content folder: from the working folder of each call.
    for where in ("one", "two"):
        (tmp_path / where / "content").mkdir(parents=True)
        monkeypatch.chdir(tmp_path / where)
        story = article("content")
        story.source_path = str(tmp_path / "one" / "content" / "a.md")
        _must(story.get_relative_source_path() == original(story, None), item,
              f"a relative folder from {where}: {story.get_relative_source_path()!r}")


def test_pelican_group_pages_search_lists_by_identity(pelican_settings):
    import datetime
    from types import SimpleNamespace

    from pelican.contents import Article, Content, Page
    from pelican.generators import ArticlesGenerator

    from newsroom.compat.pelican import index_article_lists

    item = "newsroom/compat/pelican.py index_article_lists"
    for cls in (Content, Article, Page):
        _must(cls.__eq__ is object.__eq__ and cls.__hash__ is object.__hash__, item,
              f"{cls.__name__} now defines __eq__/__hash__: `in` no longer means identity")
    index_article_lists()
    index_article_lists()  # once per process
    stories = [Article("<p>b</p>", settings=pelican_settings,
                       source_path=os.path.join(pelican_settings["PATH"], f"{n}.md"),
                       metadata={"title": f"S{n}", "slug": f"s{n}",
                                 "date": datetime.datetime(2024, 6, n + 1)},
                       context={"localsiteurl": "", "generated_content": {},
                                "static_content": {}, "static_links": set()})
               for n in range(6)]
    for method, attribute in (("generate_tags", "tags"), ("generate_categories", "categories"),
                              ("generate_authors", "authors")):
        wrapper = getattr(ArticlesGenerator, method)
        original = getattr(wrapper, "__wrapped__", None)
        _must(original is not None and getattr(original, "__wrapped__", None) is None, item,
              f"{method} is not wrapped exactly once")
        _must({"dates", attribute} <= set(original.__code__.co_names), item,
              f"ArticlesGenerator.{method} no longer reads self.{attribute} and self.dates")

        class Group:  # a Tag, Category or Author: hashable, with its page's names
            def __init__(self, name):
                self.save_as, self.url, self.page_name, self.slug = (
                    f"{name}/index.html", f"{name}/", name, name)

            def __repr__(self):
                return self.slug

        group = Group

        groups = [(group("a"), [stories[4], stories[1], stories[3]]),
                  (group("b"), [stories[0]]), (group("c"), [])]
        runs = []
        for function in (original, wrapper):
            written = []
            generator = SimpleNamespace(
                dates=list(reversed(stories)), articles=stories, context={},
                get_template=lambda name: name,
                **{attribute: dict(groups) if attribute == "tags" else list(groups)})
            function(generator, lambda *args, **kwargs: written.append((args, kwargs)))
            _must(getattr(generator, attribute) is not None
                  and [g for g, _ in (getattr(generator, attribute).items()
                                      if attribute == "tags" else getattr(generator, attribute))]
                  == [g for g, _ in groups], item, f"{method} did not put self.{attribute} back")
            runs.append([(args, {k: ([id(x) for x in v] if isinstance(v, list) else v)
                                 for k, v in kwargs.items()}) for args, kwargs in written])
        _must(runs[0] == runs[1] and len(runs[0]) == 3, item,
              f"{method} writes other pages through the wrapper: {runs}")


def test_pelican_archives_and_translations_in_linear_time(pelican_settings, caplog):
    """The linear versions give what Pelican's own give: the same archives
    (stories in the same order), originals, translations, each story's
    translations, and the same warnings in the same order."""
    import datetime
    import logging

    import pelican.generators as generators
    from pelican.contents import Article
    from pelican.generators import ArticlesGenerator

    from newsroom.compat.pelican import linear_archives_and_translations

    item = "newsroom/compat/pelican.py linear_archives_and_translations"
    linear_archives_and_translations()
    linear_archives_and_translations()  # once per process
    archives, translations = (ArticlesGenerator._build_period_archives,
                              generators.process_translations)
    for wrapper in (archives, translations):
        _must(getattr(wrapper, "linear", False)
              and getattr(wrapper.__wrapped__, "__wrapped__", None) is None, item,
              f"{wrapper.__name__} is not wrapped exactly once")
    _must("articles" in archives.__wrapped__.__code__.co_varnames, item,
          "_build_period_archives no longer takes the stories as articles")

    def stories(run: str = "a"):
        # (Each run's stories in a folder of their own: Pelican's logger drops
        # a message it has logged before, and both runs must warn.)
        made = []
        for n in range(40):
            metadata = {"title": f"S{n}", "slug": f"s{n % 17}",
                        "date": datetime.datetime(2022 + n % 3, 1 + n % 12, 1 + n % 27)}
            if n % 5 == 0:
                metadata["lang"] = "fr"
            if n % 7 == 0:
                metadata["translation"] = "true"
            made.append(Article("<p>b</p>", settings=pelican_settings, metadata=metadata,
                                source_path=os.path.join(pelican_settings["PATH"], run,
                                                         f"{n}.md"),
                                context={"localsiteurl": "", "generated_content": {},
                                         "static_content": {}, "static_links": set()}))
        return made

    def names(items):
        return [os.path.basename(story.source_path) for story in items]

    runs = []
    for run, function in (("a", translations.__wrapped__), ("b", translations)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            content = stories(run)
            originals, others = function(content, "slug")
        runs.append((names(originals), names(others), names(content),
                     {os.path.basename(story.source_path): names(story.translations)
                      for story in content},
                     [record.getMessage().replace(f"{os.sep}{run}{os.sep}", os.sep)
                      for record in caplog.records]))
        _must(function(content, None) == (content, []), item, "no translation_id: all originals")
    _must(runs[0] == runs[1], item, "translations differ from Pelican's own")
    _must(runs[0][4], item, "the test makes no warnings to compare")

    content = stories()
    ordered = sorted(content, key=lambda story: story.date, reverse=True)
    settings = {**pelican_settings, "YEAR_ARCHIVE_SAVE_AS": "{date:%Y}/index.html",
                "MONTH_ARCHIVE_SAVE_AS": "{date:%Y}/{date:%m}/index.html",
                "DAY_ARCHIVE_SAVE_AS": "{date:%Y}/{date:%m}/{date:%d}/index.html"}
    made = []
    for function in (archives.__wrapped__, archives):
        found = function(None, ordered, content, settings)
        made.append({granularity: [{key: (names(value) if key in ("dates", "articles")
                                          else value) for key, value in archive.items()}
                                   for archive in group]
                     for granularity, group in found.items()})
    _must(made[0] == made[1], item, "period archives differ from Pelican's own")
    _must(all(archive["articles"] for group in made[0].values() for archive in group), item,
          "the test makes no archive with stories")


def test_pelican_reads_without_content_cache_ask_no_file_stamps(pelican_settings, tmp_path,
                                                                monkeypatch):
    """With Pelican's content cache off, its generators and readers give the
    same answers without a stamp of the file; with it on, they still stamp."""
    from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator
    from pelican.readers import Readers

    from newsroom.compat.pelican import stampless_reads_without_content_cache

    item = "newsroom/compat/pelican.py stampless_reads_without_content_cache"
    stampless_reads_without_content_cache()
    stampless_reads_without_content_cache()  # once per process
    story = tmp_path / "story.md"
    story.write_text("Title: A\n\nBody\n", encoding="utf-8")
    stamped = []
    for owner in (ArticlesGenerator, PagesGenerator, Readers):
        _must(getattr(owner.get_cached_data, "stampless", False)
              and not getattr(owner.get_cached_data.__defaults__[1], "stampless", False), item,
              f"{owner.__name__}.get_cached_data is not wrapped exactly once")
        _must("get_cached_data" not in vars(StaticGenerator), item,
              "the static generator must keep its stamps (missing_file)")
    readers = Readers(pelican_settings)
    monkeypatch.setattr(Readers, "_get_file_stamp",
                        lambda self, name: stamped.append(name) or "stamp")
    _must(readers.get_cached_data(str(story), ("none", None)) == ("none", None), item,
          "an empty cache must answer the default")
    readers.cache_data(str(story), ("body", {}))
    _must(stamped == [] and readers._cache == {}, item,
          "a cache that keeps nothing must not stamp or keep")
    # Caching on: Pelican's own code, stamps and all.
    caching = Readers({**pelican_settings, "CACHE_CONTENT": True,
                       "CONTENT_CACHING_LAYER": "reader", "CACHE_PATH": str(tmp_path / "c")},
                      cache_name="reader")
    caching.cache_data(str(story), ("body", {}))
    _must(caching.get_cached_data(str(story), None) == ("body", {}), item,
          "a kept read must come back while its stamp is the same")
    _must(stamped == [str(story), str(story)], item, "Pelican's stamps were not asked for")


def test_pelican_slugify_memo_answers_as_slugify(pelican_settings):
    import pelican.contents
    import pelican.urlwrappers
    from pelican.urlwrappers import Category

    from newsroom.compat.pelican import memoised_slugify

    item = "newsroom/compat/pelican.py memoised_slugify"
    memoised_slugify()
    memoised_slugify()  # once per process
    memo = pelican.urlwrappers.slugify
    original = memo.__wrapped__
    _must(getattr(memo, "memoised", False) and not hasattr(original, "memoised"), item,
          "slugify is not wrapped exactly once")
    _must(pelican.contents.slugify is memo, item, "pelican.contents does not call the memo")
    subs = pelican_settings["SLUG_REGEX_SUBSTITUTIONS"]
    for name in ["Sport", "Culture & Arts", "<b>Élection</b> 2024", "Žižkov", "  ", "C++",
                 "Sport"]:
        for options in ((subs, False, False), ([["a", "b"]], True, False),
                        ((), False, True)):
            _must(memo(name, *options) == original(name, *options), item,
                  f"slugify({name!r}, {options!r}) differs from Pelican's")
    _must(Category("Culture & Arts", pelican_settings).slug == original(
        "Culture & Arts", subs), item, "a section's slug differs")


def test_pelican_skip_output(tmp_path, pelican_settings):
    from pelican import Pelican, signals

    from newsroom.compat.pelican import skip_output

    item = "newsroom/compat/pelican.py skip_output (Pelican.run calls generate_output)"
    source = inspect.getsource(Pelican.run)
    _must("p.generate_output(writer)" in source, item,
          "Pelican.run no longer calls generate_output(writer) on each generator")
    article = Path(pelican_settings["PATH"]) / "a.md"
    article.write_text("Title: A\nDate: 2024-06-01\n\nBody\n", encoding="utf-8")
    signals.all_generators_finalized.connect(skip_output)
    try:
        Pelican(pelican_settings).run()
    finally:
        signals.all_generators_finalized.disconnect(skip_output)
    output = Path(pelican_settings["OUTPUT_PATH"])
    written = sorted(str(p.relative_to(output)) for p in output.rglob("*")
                     ) if output.exists() else []
    _must(not written, item, f"Pelican still wrote files: {written[:5]}")


def test_pelican_feed_writer_hooks(pelican_settings):
    from feedgenerator import Atom1Feed
    from pelican.writers import Writer

    from newsroom.compat.pelican import FeedWriter

    item = "newsroom/compat/pelican.py FeedWriter (Writer._create_new_feed, _add_item_to_the_feed)"
    _must(_parameters(Writer._create_new_feed) == ["self", "feed_type", "feed_title", "context"],
          item, f"_create_new_feed is now {inspect.signature(Writer._create_new_feed)}")
    _must(_parameters(Writer._add_item_to_the_feed) == ["self", "feed", "item"],
          item, f"_add_item_to_the_feed is now {inspect.signature(Writer._add_item_to_the_feed)}")
    calls = []

    class Recorder(FeedWriter):
        def new_feed(self, feed_type, feed_title, context, site_url, feed_url):
            calls.append(("feed", feed_type, feed_title, site_url, feed_url))
            return Atom1Feed(title="t", link=site_url + "/", description="")

        def add_feed_item(self, feed, item, site_url):
            calls.append(("item", item, site_url))

    writer = Recorder(pelican_settings["OUTPUT_PATH"], settings=pelican_settings)
    context = {"SITEURL": "https://example.org", "FEED_DOMAIN": "https://example.org",
               "SITENAME": "S"}
    writer.write_feed(["story"], context, path=None, url="feeds/all.atom.xml",
                      feed_type="atom", feed_title="World")
    _must(calls == [("feed", "atom", "World", "https://example.org",
                     "https://example.org/feeds/all.atom.xml"),
                    ("item", "story", "https://example.org")], item,
          f"write_feed no longer calls the two steps with site_url/feed_url set: {calls}")


def test_pelican_changed_only_writer(pelican_settings):
    from pelican.writers import FileOverwriteFailedError, Writer

    from newsroom.compat.pelican import changed_only_writer

    item = "newsroom/compat/pelican.py changed_only_writer (Writer._open_w)"
    _must(_parameters(Writer._open_w) == ["self", "filename", "encoding", "override"], item,
          f"_open_w is now {inspect.signature(Writer._open_w)}")
    source = inspect.getsource(Writer._open_w)
    for name in ("_overridden_files", "_written_files"):
        _must(name in source, item, f"_open_w no longer keeps {name}")
    _must("self._open_w(" in inspect.getsource(Writer.write_file), item,
          "write_file no longer opens its files with _open_w")
    output = Path(pelican_settings["OUTPUT_PATH"])
    written: list = []
    writer_class = changed_only_writer(Writer).reporting_to(written)
    template = Environment().from_string("<p>{{ text }}</p>")

    def write(text, override=False):
        writer = writer_class(str(output), settings=pelican_settings)
        writer.write_file("a/index.html", template, {"text": text}, override_output=override)
        return writer

    write("one")
    page = output / "a" / "index.html"
    first = (page.stat().st_ino, page.stat().st_mtime_ns)
    write("one")
    _must((page.stat().st_ino, page.stat().st_mtime_ns) == first, item,
          "the same bytes were written again")
    write("two")
    _must(page.read_text() == "<p>two</p>" and written == [str(page), str(page)], item,
          f"changed bytes were not written once each: {written}")
    writer = write("three")
    try:
        writer.write_file("a/index.html", template, {"text": "four"})
    except FileOverwriteFailedError:
        pass
    else:
        _must(False, item, "a second write of one file is no longer refused")


def test_pelican_copy_only_changed_files(tmp_path):
    import pelican.utils

    from newsroom.compat.pelican import copy_only_changed_files

    item = "newsroom/compat/pelican.py copy_only_changed_files (pelican.utils.copy_file)"
    _must("copy_file(" in inspect.getsource(pelican.utils.copy), item,
          "pelican.utils.copy no longer copies each file with copy_file")
    _must(_parameters(pelican.utils.copy_file) == ["source", "destination"], item,
          f"copy_file is now {inspect.signature(pelican.utils.copy_file)}")
    original = pelican.utils.copy_file
    source = tmp_path / "theme" / "site.css"
    source.parent.mkdir()
    source.write_text("a { color: red }")
    target = tmp_path / "output" / "site.css"
    try:
        copy_only_changed_files()
        pelican.utils.copy(str(source.parent), str(target.parent))
        first = (target.stat().st_ino, target.stat().st_mtime_ns)
        pelican.utils.copy(str(source.parent), str(target.parent))
        _must((target.stat().st_ino, target.stat().st_mtime_ns) == first, item,
              "an unchanged theme file was copied again")
        source.write_text("a { color: blue }")
        pelican.utils.copy(str(source.parent), str(target.parent))
        _must(target.read_text() == "a { color: blue }", item, "a changed file was not copied")
    finally:
        pelican.utils.copy_file = original


def test_pelican_settings_file_errors(tmp_path):
    from pelican.settings import read_settings

    from newsroom.compat.pelican import raised_by_settings_file

    item = "newsroom/compat/pelican.py raised_by_settings_file (SETTINGS_LOADERS)"
    settings = tmp_path / "broken.py"
    settings.write_text("SITENAME = 'x'\nVALUE = 1 / 0\n", encoding="utf-8")
    with pytest.raises(ZeroDivisionError) as raised:
        read_settings(str(settings))
    _must(raised_by_settings_file(raised.value), item,
          "an error in the settings file no longer passes through load_source or "
          "get_settings_from_file in pelican/settings.py")
    try:
        raise ValueError("not from a settings file")
    except ValueError as error:
        _must(not raised_by_settings_file(error), item, "any error counts as the settings'")


def _pelican_strings() -> set[str]:
    import pelican

    found = set()
    for path in Path(pelican.__file__).parent.rglob("*.py"):
        if "tests" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def test_pelican_log_messages_are_still_emitted():
    from newsroom.compat.pelican import MESSAGES, message_kind

    strings = _pelican_strings()
    for kind, template in MESSAGES.items():
        _must(template in strings, f"newsroom/compat/pelican.py MESSAGES[{kind!r}]",
              f"Pelican no longer logs {template!r}; find its new wording in Pelican's "
              "source and update MESSAGES (newsroom/core/problems.py rewords it)")
        _must(message_kind(template) == kind, f"MESSAGES[{kind!r}]",
              "another template is a prefix of it")
    _must(message_kind("Something else %s") is None, "message_kind", "matches anything")


def test_pelican_imports_without_its_rst_reader_stack():
    """rst_off: Pelican imports with stand-ins for docutils and Pygments, offers
    no rst reader, and the real packages import as usual afterwards."""
    item = "newsroom/compat/rst_off.py STAND_INS (pelican/readers.py, pelican/rstdirectives.py)"
    # The docutils and Pygments modules the two files import at their top level
    # (names taken from them are the stand-in modules' own).
    import importlib.util

    from newsroom.compat.rst_off import STAND_INS

    folder = Path(importlib.util.find_spec("pelican").origin).parent
    imported = set()
    for name in ("readers.py", "rstdirectives.py"):
        for node in ast.parse((folder / name).read_text(encoding="utf-8")).body:
            modules = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                       else [node.module] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                if module and module.split(".")[0] in ("docutils", "pygments"):
                    parts = module.split(".")
                    imported.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    _must(imported and imported <= set(STAND_INS), item,
          f"Pelican now imports {sorted(imported - set(STAND_INS))} at import time: "
          "add them to STAND_INS")
    check = subprocess.run([sys.executable, "-c", """
import sys
from newsroom.compat.rst_off import import_pelican
assert import_pelican() is True
assert not [name for name in sys.modules if name.split(".")[0] in ("docutils", "pygments")]
from pelican.readers import Readers, RstReader
from pelican.settings import DEFAULT_CONFIG
readers = Readers(dict(DEFAULT_CONFIG, READERS={"rst": None}))
assert "rst" not in readers.readers and "md" in readers.readers
assert not readers.disabled_readers  # (no warning about .rst files, as with docutils)
try:
    RstReader(dict(DEFAULT_CONFIG)).read("a.rst")
except RuntimeError as error:
    assert "reStructuredText is not read" in str(error)
else:
    raise AssertionError("the rst reader read")
import docutils.core, pygments.lexers
assert type(docutils.core.Publisher).__name__ == "type" and hasattr(pygments.lexers, "get_lexer_by_name")
assert import_pelican() is False
print("ok")
"""], capture_output=True, text=True, cwd=ROOT)
    _must(check.stdout.strip() == "ok", item.replace("STAND_INS", "import_pelican"),
          f"Pelican does not import as expected with the stand-ins: {check.stderr[-2000:]}")


# --- livereload ----------------------------------------------------------------------

def test_livereload_server_application_hook():
    from livereload import Server

    item = "newsroom/compat/livereload.py AppServer (livereload.Server.application)"
    _must(_parameters(Server.application)
          == ["self", "port", "host", "liveport", "debug", "live_css"], item,
          f"Server.application is now {inspect.signature(Server.application)}")
    _must("watcher" in _parameters(Server.__init__), item, "Server() takes no watcher")
    serve = inspect.getsource(Server.serve)
    _must("self.application(" in serve, item, "Server.serve no longer calls self.application")
    _must("self.watcher._changes.append" in serve, item + " / WatchfilesWatcher",
          "Server.serve no longer queues its restart on watcher._changes")


def test_livereload_handlers():
    from livereload import handlers

    item = "newsroom/compat/livereload.py AppServer (livereload.handlers)"
    for name in ("LiveReloadHandler", "ForceReloadHandler", "LiveReloadJSHandler",
                 "StaticFileHandler"):
        _must(hasattr(handlers, name), item, f"livereload.handlers.{name} is gone")
    handler = handlers.LiveReloadHandler
    for attribute in ("watcher", "live_css", "waiters"):
        _must(hasattr(handler, attribute), item, f"LiveReloadHandler.{attribute} is gone")
    start = inspect.getsource(handler.start_tasks)
    _must("watcher.start(cls.poll_tasks)" in start, item + " / WatchfilesWatcher",
          "start_tasks no longer hands poll_tasks to watcher.start")
    _must("watcher.examine()" in inspect.getsource(handler.poll_tasks),
          item + " / WatchfilesWatcher", "poll_tasks no longer calls watcher.examine()")
    from livereload import Server

    _must("LiveReloadHandler.start_tasks()" in inspect.getsource(Server.serve),
          item + " / ImmediateReloadHandler", "Server.serve no longer starts the handler's tasks")
    _must(hasattr(handler, "reload_waiters"), item + " / ImmediateReloadHandler",
          "LiveReloadHandler.reload_waiters is gone")


def test_livereload_watcher_protocol():
    from livereload.watcher import Watcher

    item = "newsroom/compat/livereload.py WatchfilesWatcher (livereload.watcher.Watcher)"
    watcher = Watcher()
    _must(_parameters(Watcher.watch) == ["self", "path", "func", "delay", "ignore"], item,
          f"Watcher.watch is now {inspect.signature(Watcher.watch)}")
    for attribute in ("_tasks", "_changes", "filepath"):
        _must(hasattr(watcher, attribute), item, f"Watcher().{attribute} is gone")
    watcher.watch("/somewhere", None, 0.5, ignore=None)
    task = watcher._tasks.get("/somewhere") or {}
    _must({"func", "delay", "ignore"} <= set(task), item,
          f"tasks are no longer stored as {{func, delay, ignore}}: {task}")


def test_livereload_watcher_runs_tasks_on_change(tmp_path):
    from tornado.ioloop import IOLoop

    from newsroom.compat.livereload import WatchfilesWatcher

    results: list = []
    ran: list = []

    def serve():
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        watcher = WatchfilesWatcher(interval=0.1)
        watcher.watch(str(tmp_path), lambda: ran.append(1), 0.5)
        watcher._changes.append(("__livereload__", 0))

        def poll():
            result = watcher.examine()
            results.append(result)
            if result[0] and result[0] != "__livereload__":
                loop.stop()

        watcher.start(poll)
        loop.call_later(0.5, lambda: (tmp_path / "story.md").write_text("changed"))
        loop.call_later(15, loop.stop)
        loop.start()
        watcher.stop()

    thread = threading.Thread(target=serve)
    thread.start()
    thread.join(30)
    item = "newsroom/compat/livereload.py WatchfilesWatcher"
    _must(results[:1] == [("__livereload__", 0)], item,
          f"the queued restart is not returned first: {results}")
    _must(results[-1] == (str(tmp_path / "story.md"), 0.5), item,
          f"a change does not come back as (path, delay): {results}")
    _must(ran == [1], item, f"the task ran {len(ran)} times, not once")


# --- Pagefind ------------------------------------------------------------------------

def test_pagefind_is_the_pinned_version():
    from newsroom.compat.pagefind import PINNED_VERSION

    installed = importlib.metadata.version("pagefind")
    _must(installed == PINNED_VERSION, "newsroom/compat/pagefind.py PINNED_VERSION",
          f"Pagefind {installed} is installed, the index format was checked for "
          f"{PINNED_VERSION}: run this file, then update PINNED_VERSION and pyproject.toml")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    _must(f'"pagefind[bin]=={PINNED_VERSION}"' in pyproject, "pyproject.toml",
          f"Pagefind is not pinned to {PINNED_VERSION} exactly")


PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head>
<body><main data-pagefind-body><h1>{title}</h1>
<p data-pagefind-filter="section">{section}</p><p data-pagefind-filter="topic">{topic}</p>
<p data-pagefind-meta="date">2024-06-0{n}</p><p>{text}</p></main></body></html>"""


@pytest.fixture(scope="module")
def pagefind_index(tmp_path_factory) -> Path:
    """Pagefind's own index of a small site (untouched by the build)."""
    site = tmp_path_factory.mktemp("pagefind") / "site"
    words = "parliament budget election harbour football drought vaccine railway".split()
    for n in range(1, 8):
        page = site / f"story-{n}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(PAGE.format(
            title=f"Story {n} about {words[n]}", n=n,
            section=["World", "Politics", "Sport"][n % 3], topic=["Rain", "Roads"][n % 2],
            text=" ".join(words[: n + 1]) * 20), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--silent"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return site / "pagefind"


def test_pagefind_binary_is_the_one_the_package_finds(tmp_path, monkeypatch):
    from pagefind.service import get_executable

    from newsroom.compat.pagefind import _binary

    item = "newsroom/compat/pagefind.py executable"
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    _must(_binary() == get_executable(), item,
          f"{_binary()} found, the pagefind package finds {get_executable()}")
    named = tmp_path / "pagefind"
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(named))
    _must(_binary() == get_executable() == named, item, "PAGEFIND_BINARY_PATH is not followed")


def test_pagefind_entry_file(pagefind_index):
    from newsroom.compat import pagefind

    item = "newsroom/compat/pagefind.py read_entry/languages/meta_path"
    entry, _raw = pagefind.read_entry(pagefind_index)
    _must(entry.get("version") == pagefind.PINNED_VERSION, item,
          f"the index says it was written by Pagefind {entry.get('version')}")
    languages = pagefind.languages(entry)
    _must(list(languages) == ["en"], item, f"languages: {list(languages)}")
    meta = pagefind.meta_path(pagefind_index, languages["en"]["hash"])
    _must(meta.is_file(), item, f"{meta.name} is not the language's metadata file")


def test_pagefind_cbor_round_trips_byte_for_byte(pagefind_index):
    from newsroom.compat import pagefind

    files = [p for p in pagefind_index.rglob("*")
             if p.suffix in (".pf_meta", ".pf_filter", ".pf_index")]
    _must({p.suffix for p in files} == {".pf_meta", ".pf_filter", ".pf_index"},
          "newsroom/compat/pagefind.py", f"index files: {sorted(p.name for p in files)}")
    for path in files:
        data = gzip.decompress(path.read_bytes())
        _must(data.startswith(pagefind.MAGIC), "newsroom/compat/pagefind.py MAGIC",
              f"{path.name} starts with {data[:16]!r}")
        body = data[len(pagefind.MAGIC):]
        _must(pagefind.encode(pagefind.decode(body)) == body, "newsroom/compat/pagefind.py cbor2",
              f"{path.name} does not come back byte for byte: check cbor2's encoder options")


def test_pagefind_filter_files_and_references(pagefind_index):
    from newsroom.compat import pagefind

    item = "newsroom/compat/pagefind.py filter_values/is_filter_reference"
    paths = pagefind.filter_paths(pagefind_index, "en")
    names = {}
    for path in paths:
        name, entries = pagefind.filter_values(pagefind.read_index_file(path))
        names[pagefind.filter_name(path)] = name
        _must(all(isinstance(value, str) and all(isinstance(n, int) for n in pages)
                  for value, pages in entries), item, f"{path.name}: {entries}")
    _must(sorted(names.values()) == ["section", "topic"], item, f"filters: {names}")
    entry, _raw = pagefind.read_entry(pagefind_index)
    meta = pagefind.read_index_file(
        pagefind.meta_path(pagefind_index, pagefind.languages(entry)["en"]["hash"]))
    found = set()

    def walk(value):
        if pagefind.is_filter_reference(value, set(names)):
            found.add(value[1])
            _must(value[0] == names[value[1]], item, f"pair {value} names another filter")
        elif isinstance(value, list):
            for part in value:
                walk(part)

    walk(meta)
    _must(found == set(names), item,
          f"the metadata file names filter files {sorted(found)}, there are {sorted(names)}")


def test_pagefind_index_is_made_stable(pagefind_index, tmp_path):
    import shutil

    from newsroom.build.search_index import sort_filter_values

    first, second = tmp_path / "one", tmp_path / "two"
    shutil.copytree(pagefind_index, first)
    shutil.copytree(pagefind_index, second)
    sort_filter_values(first)
    sort_filter_values(second)
    sort_filter_values(second)  # a second pass changes nothing
    listing = sorted(str(p.relative_to(first)) for p in first.rglob("*"))
    _must(listing == sorted(str(p.relative_to(second)) for p in second.rglob("*")),
          "newsroom/build/search_index.py", "sorting is not idempotent")
    for name in listing:
        if (first / name).is_file():
            _must((first / name).read_bytes() == (second / name).read_bytes(),
                  "newsroom/build/search_index.py", f"{name} differs between two passes")
    entry = json.loads((first / "pagefind-entry.json").read_text(encoding="utf-8"))
    _must(re.fullmatch(r"en_[0-9a-f]+", entry["languages"]["en"]["hash"]),
          "newsroom/compat/pagefind.py", f"entry: {entry}")


def test_pagefind_files_are_known(pagefind_index):
    from newsroom.compat import pagefind

    names = re.compile(f"^(?:{pagefind.CONTENT_NAMED}|{pagefind.FIXED_NAMES})$")
    unknown = sorted(p.relative_to(pagefind_index).as_posix() for p in pagefind_index.rglob("*")
                     if p.is_file() and not names.match(p.relative_to(pagefind_index).as_posix()))
    _must(not unknown, "newsroom/compat/pagefind.py CONTENT_NAMED/FIXED_NAMES",
          f"Pagefind writes files of a kind not classified there: {unknown}; say whether "
          "their names change with their content (newsroom/build/site_files.py caches those for ever)")
    content_named = [p for p in pagefind_index.rglob("*") if re.fullmatch(
        pagefind.CONTENT_NAMED, p.relative_to(pagefind_index).as_posix())]
    _must(all(re.search(r"_[0-9a-f]{7,}\.pf_", p.name) for p in content_named),
          "newsroom/compat/pagefind.py CONTENT_NAMED",
          f"not every such file has a hash in its name: {[p.name for p in content_named]}")


LIST_PAGE = """<!doctype html><html lang="en"><head><title>All stories</title></head>
<body><h1>All stories</h1><p>{text}</p><a href="/story-1/">Story 1</a></body></html>"""


def _index_bytes(bundle: Path) -> dict[str, bytes]:
    from newsroom.build.search_index import sort_filter_values

    sort_filter_values(bundle)  # Pagefind's own filter order changes from run to run
    return {p.relative_to(bundle).as_posix(): p.read_bytes()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


def test_pagefind_command_gives_the_same_index(tmp_path):
    """``command``: only the pages it can index, a frugal allocator, the same index."""
    from newsroom.compat import pagefind

    item = "newsroom/compat/pagefind.py command/indexed_pages_glob"
    site = tmp_path / "site"
    words = "parliament budget election harbour football drought".split()
    for n in range(1, 5):
        page = site / "2024" / "06" / f"story-{n}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(PAGE.format(title=f"Story {n} about {words[n]}", n=n, section="World",
                                    topic="Rain", text=" ".join(words) * 5), encoding="utf-8")
    for folder in ("tag/rain", "2024/06", "tag/rain/page/2", ""):  # lists, no data-pagefind-body
        (site / folder).mkdir(parents=True, exist_ok=True)
        (site / folder / "index.html").write_text(LIST_PAGE.format(text="harbour ferry " * 50),
                                                   encoding="utf-8")
    arguments, environment = pagefind.command(site, tmp_path / "ours")
    _must(arguments[arguments.index("--glob") + 1] == "*/*/*/index.html", item,
          f"arguments: {arguments}")
    _must(environment[pagefind.ALLOCATOR_VARIABLE] == pagefind.ALLOCATOR_OPTIONS, item,
          "the allocator's options are not passed")
    ours = subprocess.run(arguments, env=environment, capture_output=True, text=True,
                          timeout=120)
    _must(ours.returncode == 0 and not ours.stderr, item, f"Pagefind said: {ours.stderr}")
    plain = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--silent",
                            "--output-path", str(tmp_path / "plain")],
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    _must(_index_bytes(tmp_path / "ours") == _index_bytes(tmp_path / "plain"), item,
          "the index differs from Pagefind's own over every page")


def test_pagefind_reads_the_allocator_variable(tmp_path):
    """The pinned binary's jemalloc reads ``ALLOCATOR_VARIABLE`` (else the option is lost)."""
    from newsroom.compat import pagefind

    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text(PAGE.format(title="A", n=1, section="World",
                                                       topic="Rain", text="harbour"))
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"],
        env={**os.environ, pagefind.ALLOCATOR_VARIABLE: "stats_print:true"},
        capture_output=True, text=True, timeout=120)
    _must(result.returncode == 0 and "jemalloc statistics" in result.stderr,
          "newsroom/compat/pagefind.py ALLOCATOR_VARIABLE",
          "Pagefind's allocator does not read that variable (a binary without jemalloc, or "
          "another prefix): find what it reads, or drop ALLOCATOR_OPTIONS and measure "
          f"its peak memory again; it said: {result.stderr[-500:]!r}")


def test_pagefind_glob_covers_every_page_with_a_body(tmp_path):
    from newsroom.compat import pagefind

    item = "newsroom/compat/pagefind.py indexed_pages_glob"
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body><p>list</p></body></html>")
    _must(pagefind.indexed_pages_glob(site) is None, item,
          "a site without data-pagefind-body must be read whole (Pagefind indexes every body)")
    for path, html in [("2024/06/a/index.html", "<main data-pagefind-body>"),
                       ("about.html", "<MAIN DATA-PAGEFIND-BODY>"),
                       ("x/odd name[1].html", "<div data-pagefind-body=''>"),
                       ("x/plain.htm", "<main data-pagefind-body>")]:  # not Pagefind's glob
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(f"<html><body>{html}<p>text</p></body></html>")
    _must(pagefind.indexed_pages_glob(site) == "{*/*.html,*/*/*/index.html,about.html}", item,
          f"glob: {pagefind.indexed_pages_glob(site)}")


# --- smartypants -------------------------------------------------------------------

def test_smartypants_is_the_checked_version():
    import smartypants

    from newsroom.compat import smartypants as compat

    _must(smartypants.__version__ == compat.CHECKED_VERSION, "newsroom/compat/smartypants.py",
          f"smartypants {smartypants.__version__} is installed, the module was checked against "
          f"{compat.CHECKED_VERSION}: its speed-up is not installed; read the new version's "
          "helpers (TRIGGERS), then update CHECKED_VERSION")
    _must(compat.skip_text_without_triggers(), "newsroom/compat/smartypants.py",
          "skip_text_without_triggers() did not install its wrappers")


def test_smartypants_calls_its_helpers_by_name():
    import smartypants

    from newsroom.compat import smartypants as compat

    compat.skip_text_without_triggers()
    called = set(smartypants.smartypants.__code__.co_names)
    missing = sorted(set(compat.TRIGGERS) - called)
    _must(not missing, "newsroom/compat/smartypants.py TRIGGERS",
          f"smartypants.smartypants no longer looks up {missing} as module globals")
    for name in compat.TRIGGERS:
        _must(getattr(getattr(smartypants, name), "__wrapped__", None) is not None,
              "newsroom/compat/smartypants.py", f"smartypants.{name} is not wrapped")
    # The whole function, every dash and quote option, on text with and without triggers.
    for attr in (smartypants.Attr.set1, smartypants.Attr.set2, smartypants.Attr.set3,
                 smartypants.Attr.set2 | smartypants.Attr.w | smartypants.Attr.u):
        text = ('<p>She said "it\'s 10 -- no, 20 --- ok..." `fine\'\' \\- x</p>\n<p>plain</p>'
                '<pre>"kept"</pre> &quot;q&quot;')
        plain_run = smartypants.smartypants(text, attr)
        saved = {name: getattr(smartypants, name) for name in compat.TRIGGERS}
        try:
            for name, wrapper in saved.items():
                setattr(smartypants, name, wrapper.__wrapped__)
            original_run = smartypants.smartypants(text, attr)
        finally:
            for name, wrapper in saved.items():
                setattr(smartypants, name, wrapper)
        _must(plain_run == original_run, "newsroom/compat/smartypants.py",
              f"output differs with the wrappers (attr {attr}): {plain_run!r} != {original_run!r}")


def test_smartypants_helpers_change_only_text_with_their_triggers():
    import smartypants
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from newsroom.compat import smartypants as compat

    compat.skip_text_without_triggers()
    pieces = st.lists(st.sampled_from(
        ["a", "B", " ", "\n", "'", '"', "`", "-", ".", "\\", "&", "#", ";", "8", "s",
         "&nbsp;", "&#8211;", "&mdash;", "&quot;", ". ", "é", "\t", "(", "["]), max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(pieces)
    def check(parts):
        text = "".join(parts)
        for name in compat.TRIGGERS:
            wrapper = getattr(smartypants, name)
            original = wrapper.__wrapped__
            _must(wrapper(text) == original(text), f"newsroom/compat/smartypants.py TRIGGERS[{name!r}]",
                  f"smartypants.{name} changes {text!r} differently when skipped")
            if not any(trigger in text for trigger in compat.TRIGGERS[name]):
                _must(original(text) == text, f"newsroom/compat/smartypants.py TRIGGERS[{name!r}]",
                      f"smartypants.{name} changes {text!r}, which has none of its triggers")

    check()


# --- typogrify ---------------------------------------------------------------------

def test_typogrify_is_the_checked_version():
    import typogrify.filters

    from newsroom.compat import typogrify as compat

    item = "newsroom/compat/typogrify.py"
    _must(compat.installed_version() == compat.CHECKED_VERSION, item,
          f"typogrify {compat.installed_version()} is installed, the module was checked against "
          f"{compat.CHECKED_VERSION}: its faster filters are not installed; compare the new "
          "version's filters with the module (tests/newsroom/compat/test_typogrify.py), then "
          "update CHECKED_VERSION")
    _must(compat.install(), item, "install() did not find typogrify's patterns")
    typogrify_ = inspect.unwrap(typogrify.filters.typogrify)  # the build's caches wrap it
    _must(set(compat.FILTERS) <= set(typogrify.filters.applyfilters.__code__.co_names)
          and "applyfilters" in typogrify_.__code__.co_names, item,
          "typogrify()/applyfilters no longer look the filters up as module globals")
    for name in compat.FILTERS:
        _must(getattr(typogrify.filters, name) is getattr(compat, name), item,
              f"typogrify.filters.{name} is not replaced")
