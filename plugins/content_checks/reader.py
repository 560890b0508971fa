"""The story reader: Markdown under the newsroom's rules, checked as it is read.

Replaces Pelican's Markdown reader (``readers_init``). On top of it:

* raw HTML in bodies and summaries is text (``NoRawHtml``) and the plain
  text metadata fields (``PLAIN_TEXT_METADATA``: Title, photo alt text and
  caption) are HTML-escaped before typogrify, so ``<script>`` in a headline
  reaches the page as text (``escape_plain_metadata``; the contract with the
  plugins that read them is in newsroom/core/plain_metadata.py);
* the conversion has a time limit (``MARKDOWN_TIME_LIMIT`` seconds): a story
  that would make Markdown run for minutes is reported by name;
* metadata keys are an allow-list (``STORY_METADATA``): a key that steers
  Pelican's output (``Save_as``, ``URL``, ``Template``, ``Lang``, ...) is
  refused unless ``STEERING_METADATA_ALLOWED`` names it for that file, an
  unknown key is an error that suggests the nearest known one, and
  ``Status`` is published, draft or hidden; writer profiles (files in
  ``WRITER_PROFILE_PATHS``, read for the ``writer_profiles`` plugin) have
  their own allow-list, ``WRITER_METADATA`` (Name, Role, Photo, Photo_alt);
* the fields are checked (``fields.check_fields``) and every link and image
  target found by ``html_rules`` is checked (``links.check_targets``) on
  what Python-Markdown parsed, with line numbers from ``metadata_lines``.
* ``Modified`` and the ``Correction:`` lines are checked and become
  ``article.corrections`` and the latest ``modified`` (``corrections``).
* smartypants, which typogrify runs on what the reader returns, skips the
  pieces of text none of its patterns can change
  (``newsroom.compat.smartypants``), and typogrify's own filters try their
  patterns only where they can match (``newsroom.compat.typogrify``); same
  output, less time.
* One Markdown instance per reader, reset for each story
  (``StoryReader._markdown``): making one was a tenth of a story's read.

Everything found is reported through ``newsroom.core.problems``; a refused key is
also dropped, so Pelican never acts on it.
"""

from __future__ import annotations

import difflib
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import PurePosixPath

from markdown import Markdown
from markdown.extensions import Extension
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from newsroom.compat.pelican import DISCARD, parse_markdown_metadata
from newsroom.compat.smartypants import skip_text_without_triggers
from newsroom.compat.typogrify import install as install_fast_typogrify
from newsroom.core.plain_metadata import escape_plain_metadata
from newsroom.core.problems import shown_path

from . import links
from .corrections import check_updates
from .fields import check_fields
from .html_rules import StoryHtmlRulesExtension, check_stashed_html
from .metadata_lines import MetadataLinesExtension
from .report import report
from .source_file import Field, SourceFile

# Where Python-Markdown's meta extension registers its preprocessor (put back
# after Pelican removes it, StoryReader._markdown).
META_PREPROCESSOR_PRIORITY = 27
# Keys Pelican acts on to decide where and how a file is written.
STEERING_KEYS = {"save_as", "url", "template", "lang", "translation", "path",
                 "reader", "slugify_source", "override_save_as", "override_url"}
STATUSES = ("published", "draft", "hidden")
# Writer profiles (content/authors/, plugins/writer_profiles) have keys of
# their own (WRITER_METADATA); a story's key written in a profile suggests
# the profile's.
WRITER_KEY_HINTS = {"title": "name", "author": "name", "image": "photo",
                    "image_alt": "photo_alt", "alt": "photo_alt", "job_title": "role",
                    "jobtitle": "role", "position": "role"}


class NoRawHtml(Extension):
    """Markdown extension that treats raw HTML as text."""

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class MarkdownTooSlow(Exception):
    pass


@contextmanager
def time_limit(seconds: float | None):
    """Raise MarkdownTooSlow after ``seconds`` (main thread only: SIGALRM)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum, _frame):
        raise MarkdownTooSlow()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def story_kind(settings, relative: str) -> str:
    """"article", "page" or "writer" (a profile in ``WRITER_PROFILE_PATHS``)."""
    path = PurePosixPath(relative.replace(os.sep, "/"))
    for folder in settings["WRITER_PROFILE_PATHS"]:
        if path.is_relative_to(folder):
            return "writer"
    for folder in settings.get("PAGE_PATHS") or ():
        if path.is_relative_to(folder):
            return "page"
    return "article"


def _numbers_each_document(md: Markdown) -> bool:
    """Whether an extension numbers the documents one instance converts.

    Footnotes with ``UNIQUE_IDS`` put a count of resets into their ids: a
    kept instance would give a story other ids depending on what it read
    before (and on which worker read it).
    """
    return any(extension.getConfig("UNIQUE_IDS", False)
               for extension in md.registeredExtensions if hasattr(extension, "getConfig"))


class StoryReader(MarkdownReader):
    """Pelican's Markdown reader, with the checks above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A copy of the settings' MARKDOWN, not the dict itself: a settings
        # file that imports another (publishconf.py) shares that module's
        # dict with every build of the process, which would collect our
        # extensions once per build (twice: Markdown fails).
        markdown = dict(self.settings["MARKDOWN"])
        extensions = markdown["extensions"] = list(markdown.get("extensions") or [])
        for extension in (NoRawHtml, StoryHtmlRulesExtension, MetadataLinesExtension):
            if not any(isinstance(ext, extension) for ext in extensions):
                extensions.append(extension())
        self.settings["MARKDOWN"] = markdown
        if self.settings.get("TYPOGRIFY"):
            skip_text_without_triggers()
            install_fast_typogrify()

    def process_metadata(self, name, value):
        plain_fields = self.settings["PLAIN_TEXT_METADATA"]
        if name in plain_fields and isinstance(value, str):
            value = escape_plain_metadata(value)
        try:
            return super().process_metadata(name, value)
        except (ValueError, TypeError, OverflowError):
            # A date that is no date: ``check_fields`` reports it with its
            # line; Pelican drops the field instead of giving up on the file.
            return DISCARD

    def read(self, source_path):
        settings = self.settings
        content_root = os.path.abspath(settings["PATH"])
        where = shown_path(content_root, source_path)
        covers = (source_path, os.path.relpath(source_path, content_root))
        self.story_path = source_path
        md, shared = self._markdown()
        md.story_source_path = source_path
        try:
            with pelican_open(source_path) as text:
                try:
                    with time_limit(settings["MARKDOWN_TIME_LIMIT"]):
                        content = md.convert(text)
                        check_stashed_html(md)
                        metadata = parse_markdown_metadata(self, md, source_path,
                                                           getattr(md, "Meta", {}))
                except MarkdownTooSlow:
                    report(where, None,
                           f"Markdown needs more than {settings['MARKDOWN_TIME_LIMIT']} s "
                           "to read this story (thousands of unclosed [ or ![ or * ?); look "
                           "for text pasted from another program and clean it up", *covers)
                    raise
        except BaseException:
            if shared:
                self._spare_markdown = None  # cut short: its state is not to be trusted
            raise
        finally:
            if shared:
                self._markdown_in_use = False
        fields = md.story_fields or {}
        findings = md.story_findings or []
        md.story_fields = md.story_findings = None  # nothing of this story stays on it
        source = SourceFile(
            fields={key: Field(entry.line, entry.values[0]) for key, entry in fields.items()},
            is_blank=not text.strip(),
        )
        links.parsed_sources[source_path] = source
        if source.is_blank:
            return content, metadata  # reported before reading
        kind = story_kind(settings, os.path.relpath(source_path, content_root))
        self._check_keys(fields, metadata, where, covers, kind)
        check_fields(source, where, kind, settings, covers)
        check_updates(fields, metadata, where, settings, covers)
        content = links.check_targets(
            findings, text, source, where, content_root,
            source_path, covers, content,
            lead_photo_field="photo" if kind == "writer" else "image")
        return content, metadata

    def _markdown(self) -> tuple[Markdown, bool]:
        """A Markdown instance as new: made once per reader, reset for each story.

        Making one (about 0.3 ms: its extensions, patterns and processors) was
        a tenth of reading a story. ``reset()`` clears what Markdown and its
        extensions keep between documents (stash, references, footnotes,
        abbreviations, ``Meta``); what Pelican and these checks change on it
        is put back here: Pelican deregisters the meta preprocessor before it
        converts the Summary (``parse_markdown_metadata``), and the checks
        keep the story's fields and findings on it. A read that stops
        half-way (an error, the time limit) drops the instance; a read inside
        a read (never in a build) gets one of its own. Returns (instance,
        whether it is the reader's own).
        """
        md = self.__dict__.get("_spare_markdown")
        if md is None or self.__dict__.get("_markdown_in_use"):
            md = Markdown(**self.settings["MARKDOWN"])
            if self.__dict__.get("_markdown_in_use") or _numbers_each_document(md):
                return md, False
            self._spare_markdown = md
            self._meta_preprocessor = md.preprocessors["meta"]
        else:
            if "meta" not in md.preprocessors:
                md.preprocessors.register(self._meta_preprocessor, "meta",
                                          META_PREPROCESSOR_PRIORITY)
            md.reset()
        self._markdown_in_use = True
        md.story_fields = None
        md.story_findings = None
        return md, True

    def _check_keys(self, fields, metadata, where, covers, kind="article") -> None:
        settings = self.settings
        writer = kind == "writer"
        known = set(settings["WRITER_METADATA"] if writer else settings["STORY_METADATA"])
        relative = PurePosixPath(os.path.relpath(self.story_path, settings["PATH"])).as_posix()
        allowed = set(settings["STEERING_METADATA_ALLOWED"].get(relative, ()))
        for key, entry in fields.items():
            if key in STEERING_KEYS and key not in allowed:
                report(where, entry.line,
                       f'"{entry.written}:" decides where or how Pelican writes this file, and '
                       "stories may not do that; remove the line (a site developer can allow "
                       "it for this file in STEERING_METADATA_ALLOWED in pelicanconf.py)",
                       *covers)
                metadata.pop(key, None)
            elif key not in known and key not in allowed:
                near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                if writer and WRITER_KEY_HINTS.get(key) in known:
                    near = [WRITER_KEY_HINTS[key]]  # "Image:" in a profile is its Photo:
                hint = (f'did you mean "{near[0].capitalize()}:"?' if near else
                        "known fields: " + ", ".join(k.capitalize() for k in sorted(known)))
                report(where, entry.line,
                       f'unknown field "{entry.written}:"; {hint}', *covers)
                metadata.pop(key, None)
            elif len(entry.lines) > 1 and key not in settings["REPEATABLE_METADATA"]:
                report(where, entry.lines[1],
                       f'"{entry.written}:" is given twice (first on line {entry.line}); '
                       "keep one", *covers)
        status = fields.get("status")
        if status and status.values[0].lower() not in STATUSES and "status" not in allowed:
            report(where, status.line,
                   f'Status "{status.values[0]}" is not one of: {", ".join(STATUSES)}', *covers)
            metadata.pop("status", None)


def replace_markdown_reader(readers) -> None:
    for extension in StoryReader.file_extensions:
        readers.reader_classes[extension] = StoryReader
