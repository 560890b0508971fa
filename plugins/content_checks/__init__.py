"""content_checks: every editor mistake becomes one clear error with a line number.

Hooks ``article_generator_init`` and ``page_generator_init``: before Pelican
reads the Markdown files, each one is checked on its own: UTF-8, not empty,
no invisible control characters, a Title, Date and Modified as real dates,
a Category from ``SECTIONS``, a Slug that is one URL segment, tags and
authors that can name a page, every ``{filename}``/``{static}``/``{attach}``
link pointing at a file that exists, every linked image complete and under
Pillow's decompression-bomb limit.

Hooks ``all_generators_finalized``: articles or pages with an empty URL, or
sharing a URL or slug, are reported. Then, if anything was reported, nothing
is rendered: the build fails anyway, and rendering broken content only adds
follow-up errors (a feed cannot hold a control character, two pages cannot
share a file) that would hide the real ones.

Each problem is logged once with ``logger.error`` as
``content/articles/x.md:LINE: what is wrong; how to fix it``. The record's
``problem_paths`` extra names the files involved, so the build driver
(newsroom/problems.py) drops Pelican's own vaguer messages about them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pelican import signals
from pelican.readers import MarkdownReader

from newsroom.problems import forget_problems, problems_reported

from . import links
from .fields import check_fields
from .report import report, shown
from .source_file import NotUtf8, SourceFile, decode, forbidden_characters, parse
from .urls import check_unique_urls

# Parsed sources by absolute path, kept for the URL checks' line numbers.
_sources: dict[str, SourceFile] = {}


def check_source(path: str, content_root: str, kind: str, settings) -> None:
    where = shown(content_root, path)
    paths = (path, os.path.relpath(path, content_root))
    try:
        text = decode(Path(path).read_bytes())
    except NotUtf8 as error:
        report(where, error.line,
               f"byte 0x{error.byte:02x} at column {error.column} is not UTF-8 text; "
               "save the file as UTF-8 (Unicode) in your editor", *paths)
        return
    except OSError as error:
        report(where, None, f"cannot be read ({error.strerror}); check its permissions", *paths)
        return
    for bad in forbidden_characters(text):
        report(where, bad.line,
               f"invisible control character U+{ord(bad.character):04X} at column "
               f"{bad.column}; delete it (feeds and pages cannot contain it)", *paths)
    source = parse(text)
    _sources[path] = source
    if source.is_blank:
        report(where, None,
               "the file is empty; write the metadata block (Title:, Date:, Category:) "
               "and the story, or delete the file", *paths)
        return
    check_fields(source, where, kind, settings, paths)
    links.check_links(source, where, content_root, path, paths)


def _check_sources(generator, kind: str, paths_setting: str, excludes_setting: str) -> None:
    settings = generator.settings
    content_root = os.path.abspath(settings["PATH"])
    files = generator.get_files(
        settings[paths_setting],
        exclude=settings[excludes_setting],
        extensions=MarkdownReader.file_extensions,
    )
    for relative in sorted(files):
        check_source(os.path.join(content_root, relative), content_root, kind, settings)


def check_articles(generator) -> None:
    _check_sources(generator, "article", "ARTICLE_PATHS", "ARTICLE_EXCLUDES")


def check_pages(generator) -> None:
    _check_sources(generator, "page", "PAGE_PATHS", "PAGE_EXCLUDES")


def _no_output(writer) -> None:
    return None


def check_contents(generators) -> None:
    """Last check before output; then render only if nothing was reported."""
    check_unique_urls(generators, _sources)
    if problems_reported():
        for generator in generators:
            generator.generate_output = _no_output


def forget_previous_build(pelican) -> None:
    # One process may run several builds (tests, previews): start afresh.
    _sources.clear()
    links.image_verdicts.clear()
    forget_problems()


def register():
    signals.initialized.connect(forget_previous_build)
    signals.article_generator_init.connect(check_articles)
    signals.page_generator_init.connect(check_pages)
    signals.all_generators_finalized.connect(check_contents)
