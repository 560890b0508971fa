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

A file that passed the byte-level checks is not read again while its stamp
(size, modification and change times, inode) is the same: the preview
builds again on every save, and a full build finds the stamps of the last
one in the cache (``<CACHE_PATH>/checks/``, hooks ``initialized`` and
``finalized``; kept with a hash of the checks' code). A file with a problem is checked, and
reported, on every build until it is fixed; so are the checks made once
every story is read (their answers for each story's paths are kept by
value: ``outputs``, ``newsroom.core.problems.shown_path``).

Each problem is reported once through the problems API
(``newsroom.core.problems.report_problem``) as
``content/articles/x.md:LINE: what is wrong; how to fix it``, naming the
files involved, so the build driver drops Pelican's own vaguer messages
about them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from pelican import signals
from pelican.readers import MarkdownReader

from newsroom.compat.pelican import skip_output
from newsroom.core import characters
from newsroom.core.output_files import write_text_if_changed
from newsroom.core.problems import (control_character_key, forget_problems, problems_reported,
                               shown_path)

from . import links, static_files
from .outputs import cap_long_slug, check_output_paths, check_site_links
from .reader import replace_markdown_reader
from .report import report
from .sections import check_sections_setting
from .source_file import NotUtf8, decode, forbidden_characters
from .urls import check_unique_urls


# Files that passed ``check_source``, by path: their stamp then (size,
# modification and change times, inode). A file with the same stamp again
# has the same bytes (a write changes its change time): it passes again
# without being read. A file with a problem is never kept, so it is checked
# (and reported) on every build until it is fixed.
_passed: dict[str, tuple] = {}
_PASSED_MAX = 1 << 16
_PASSED_FORMAT = 1
# The code that decides whether a file passes (the characters it may not
# hold are in newsroom/core/characters.py).
_CHECK_CODE = (Path(__file__), Path(__file__).with_name("source_file.py"),
               Path(characters.__file__))


def _passed_record(settings: dict) -> tuple[Path, str] | None:
    """Where the stamps of the files that passed are kept for this content, and its root."""
    cache = settings.get("CACHE_PATH")
    if not cache:
        return None
    root = os.path.abspath(settings["PATH"])
    name = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(cache) / "checks" / f"sources-{name}.json", root


def _check_code() -> str:
    digest = hashlib.sha256(sys.version.encode())  # (Python's UTF-8 decoder too)
    for path in _CHECK_CODE:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def load_passed(pelican) -> None:
    """``initialized``: the stamps the last build's files passed with (a cache)."""
    record = _passed_record(pelican.settings)
    if record is None:
        return
    try:
        data = json.loads(record[0].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(data, dict) or data.get("format") != _PASSED_FORMAT \
            or data.get("code") != _check_code() or not isinstance(data.get("passed"), dict):
        return
    for path, stamp in data["passed"].items():
        if isinstance(stamp, list) and len(stamp) == 5 and len(_passed) < _PASSED_MAX:
            _passed.setdefault(path, tuple(stamp))


def save_passed(pelican) -> None:
    """``finalized``: keep the stamps of this content's files that passed."""
    record = _passed_record(pelican.settings)
    if record is None:
        return
    path, root = record
    inside = root + os.sep
    passed = {name: list(stamp) for name, stamp in sorted(_passed.items())
              if name.startswith(inside)}
    data = {"format": _PASSED_FORMAT, "code": _check_code(), "passed": passed}
    with contextlib.suppress(OSError):  # (a cache: not kept is no error)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_if_changed(path, json.dumps(data))


def _stamp(path: str):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)


def check_source(path: str, content_root: str) -> None:
    """Byte-level checks, before Pelican reads the file; the rest is in ``reader``."""
    stamp = _stamp(path)
    if stamp is not None and _passed.get(path) == stamp:
        return
    if not _check_source(path, content_root) or stamp is None:
        _passed.pop(path, None)
    elif _stamp(path) == stamp:  # not changed while it was read
        if len(_passed) >= _PASSED_MAX:
            _passed.clear()
        _passed[path] = stamp


def _check_source(path: str, content_root: str) -> bool:
    """``check_source`` itself: True if the file has none of its problems."""

    def names():  # made only for a report: most files have nothing to report
        return shown_path(content_root, path), (path, os.path.relpath(path, content_root))

    try:
        text = decode(Path(path).read_bytes())
    except NotUtf8 as error:
        where, paths = names()
        report(where, error.line,
               f"byte 0x{error.byte:02x} at column {error.column} is not UTF-8 text; "
               "save the file as UTF-8 (Unicode) in your editor", *paths)
        return False
    except OSError as error:
        where, paths = names()
        report(where, None, f"cannot be read ({error.strerror}); check its permissions", *paths)
        return False
    bad_characters = forbidden_characters(text)
    if not bad_characters and text.strip():
        return True
    where, paths = names()
    for bad in bad_characters:
        report(where, bad.line,
               f"invisible control character U+{ord(bad.character):04X} at column "
               f"{bad.column}; delete it (feeds and pages cannot contain it)", *paths,
               once=control_character_key(path, bad.line, bad.column))
    if not text.strip():
        report(where, None,
               "the file is empty; write the metadata block (Title:, Date:, Category:) "
               "and the story, or delete the file", *paths)
    return False


def _check_sources(generator, paths_setting: str, excludes_setting: str) -> None:
    settings = generator.settings
    content_root = os.path.abspath(settings["PATH"])
    files = generator.get_files(
        settings.get(paths_setting) or [],
        exclude=settings.get(excludes_setting) or [],
        extensions=MarkdownReader.file_extensions,
    )
    for relative in sorted(files):
        check_source(os.path.join(content_root, relative), content_root)


def check_articles(generator) -> None:
    _check_sources(generator, "ARTICLE_PATHS", "ARTICLE_EXCLUDES")
    # Writer profiles (content/authors/, read by the writer_profiles plugin
    # with the story reader) get the same byte-level checks.
    _check_sources(generator, "WRITER_PROFILE_PATHS", "WRITER_PROFILE_EXCLUDES")


def check_pages(generator) -> None:
    _check_sources(generator, "PAGE_PATHS", "PAGE_EXCLUDES")


def check_contents(generators) -> None:
    """Last check before output; then render only if nothing was reported."""
    check_unique_urls(generators, links.parsed_sources)
    check_output_paths(generators)
    check_site_links(generators)
    if problems_reported():
        skip_output(generators)


def forget_previous_build(pelican) -> None:
    # One process may run several builds (tests, previews): start afresh.
    links.forget_previous_build()
    forget_problems()


def register():
    signals.initialized.connect(forget_previous_build)
    signals.initialized.connect(check_sections_setting)  # after forgetting
    signals.initialized.connect(load_passed)
    signals.finalized.connect(save_passed)
    # Static files and stories (static_files.py): get_generators is sent after
    # `initialized` and before any generator reads a file, so symbolic links
    # are found before Pelican's walk (which follows them) gets to them.
    signals.get_generators.connect(static_files.check_tree)
    signals.static_generator_finalized.connect(static_files.check_static_files)
    signals.readers_init.connect(replace_markdown_reader)
    signals.content_object_init.connect(cap_long_slug)
    signals.article_generator_init.connect(check_articles)
    signals.page_generator_init.connect(check_pages)
    signals.all_generators_finalized.connect(check_contents)
