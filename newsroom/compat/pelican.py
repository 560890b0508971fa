"""Every use of Pelican's private API (checked against Pelican 4.12).

pyproject.toml allows ``>=4.12,<4.13``; tests/newsroom/compat/test_compat.py checks
each item below against the installed Pelican.

Reading (the story reader, plugins/content_checks/reader.py)

* ``DISCARD``: ``pelican.readers._DISCARD``, the value a reader's
  ``process_metadata`` returns to drop a field (a date that is no date).
* ``parse_markdown_metadata``: ``MarkdownReader._parse_metadata``, which
  turns Python-Markdown's ``Meta`` into Pelican metadata and reads the
  reader's ``_md`` and ``_source_path``.

Contents (plugins: photos, publication, writer_profiles; the build driver)

* ``body_html`` / ``set_body_html``: ``Content._content``, the body as read,
  before Pelican resolves ``{filename}`` links for each page.
* ``summary_html`` / ``set_summary_html``: ``Content._summary``, the
  ``Summary:`` HTML that ``refresh_metadata_intersite_links`` copies back.
* ``rewrite_before_links``: wraps ``Content._update_content``, the step that
  resolves ``{filename}`` links each time the body or summary is shown.
* ``remember_content_urls``: wraps ``Content.get_url_setting``, behind the
  ``url`` and ``save_as`` properties, which formats the URL setting again on
  every use (a copy of the metadata, a relative path, a date formatted with
  Pelican's ``strftime``): the answer is kept on the object
  (``_newsroom_url_cache``) and given again until something it can depend
  on changes. Setting or deleting any attribute of the object (a new slug,
  status, date, ``override_url``) forgets it (``Content.__setattr__`` and
  ``__delattr__``, which Pelican does not define), except setting one that
  no URL code reads (``NOT_URL_INPUTS``: the translations, the body and
  summary Pelican sets after asking for the URL); so does any change to the
  metadata dict's entries, the author's or category's slug, or a different
  settings dict. Relies on the settings not being changed in place during a
  build (they are resolved at ``initialized``) and on no list or object that
  a URL setting names being changed in place. ``Content.get_relative_source_path``
  (called for every URL, and by Pelican for every story) is wrapped too: its
  answer depends only on the content folder (``settings["PATH"]``, when it is
  absolute) and the path, and is kept by those two strings. A URL setting
  the story cannot fill in (Pelican's ``_expand_settings``: ``str.format``
  raising ``KeyError``, ``IndexError``, ``ValueError`` or ``AttributeError``)
  is reported as a problem naming the story and the setting, once, and
  answered with a stand-in URL of the story's own, instead of a traceback.

Output

* ``index_article_lists``: wraps ``ArticlesGenerator.generate_tags``,
  ``generate_categories`` and ``generate_authors``, which test every story of
  ``self.dates`` for membership in each group's list (``a in articles``):
  while each runs, the groups (``self.tags``, a dict; ``self.categories`` and
  ``self.authors``, lists of pairs) hold lists whose ``in`` is a set lookup
  by identity, the comparison ``list.__contains__`` makes for objects
  without ``__eq__`` (Pelican's content objects define none).
* ``linear_archives_and_translations``: ``ArticlesGenerator.
  _build_period_archives(sorted_articles, articles, settings)`` uses
  ``articles`` only to fill each archive's ``articles`` (a dict in the lists
  of the ``defaultdict`` it returns), from the archive's ``dates``; and
  ``pelican.generators`` calls ``process_translations(content_list,
  translation_id)`` by that module-level name, which sorts the list in
  place by the translation key and handles each group of equal keys on its
  own, the originals first.
* ``skip_output``: Pelican.run calls ``generator.generate_output(writer)`` on
  each generator that has it; replacing it on an instance writes nothing.
* ``changed_only_writer``: overrides ``Writer._open_w(filename, encoding,
  override)``, through which ``write_file`` and ``write_feed`` open every
  file they write, keeping its refusal to write one file twice (its
  ``_written_files`` and ``_overridden_files`` sets). The file it returns is
  written only if its bytes change (the incremental preview,
  newsroom/dev/incremental.py).
* ``copy_only_changed_files``: replaces ``pelican.utils.copy_file(source,
  destination)``, which ``pelican.utils.copy`` calls for each file of the
  theme's static folders (``StaticGenerator._copy_paths``): a file whose
  destination holds the same bytes is not copied again (the preview).
* ``FeedWriter``: ``Writer._create_new_feed`` and
  ``Writer._add_item_to_the_feed``, the two steps of ``Writer.write_feed``,
  and the ``site_url``/``feed_url`` it sets before calling them.
* ``writes_nowhere`` (newsroom/build/parallel_render.py, in its forked
  renderer only): replaces the writer's ``_open_w`` with one that applies
  Pelican 4.12's one-write-per-file rule exactly as ``Writer._open_w`` does
  (the same ``FileOverwriteFailedError`` at the same call) but opens no
  file, and ``pelican.writers.os`` (the module ``write_file`` and
  ``write_feed`` call ``os.makedirs`` through) with one that makes no folder.
* ``prerendered_feed``: while it is active, ``write_feed`` makes its feed
  with ``_create_new_feed`` (here a stand-in whose ``write(fp, encoding)``
  writes text made elsewhere) and adds each item with
  ``_add_item_to_the_feed`` (here nothing); the rest of ``write_feed`` (the
  URLs, the signals, the path, ``_open_w``, the log line) runs as usual.

Settings (newsroom/build/driver.py)

* ``raised_by_settings_file``: an exception whose traceback passes through
  ``pelican.settings.load_source`` or ``get_settings_from_file`` came from
  running the settings file.

Log messages (newsroom/core/problems.py)

* ``message_kind``: the templates of the Pelican warnings and errors the
  build rewords (``MESSAGES``), matched on the record's unformatted ``msg``.
"""

from __future__ import annotations

import contextlib
import io
import operator
import os
import traceback
from itertools import groupby
from operator import attrgetter

from pelican.readers import _DISCARD
from pelican.writers import FileOverwriteFailedError, Writer

from newsroom.core.output_files import write_bytes_if_changed

# --- reading -----------------------------------------------------------------------

#: Returned by ``process_metadata``: Pelican drops the field.
DISCARD = _DISCARD


def parse_markdown_metadata(reader, md, source_path: str, meta: dict) -> dict:
    """Pelican's metadata for Python-Markdown's ``meta``, as ``MarkdownReader.read`` makes it.

    ``reader`` is a ``MarkdownReader``; ``md`` the ``Markdown`` instance that
    converted the file (Pelican converts formatted fields such as Summary
    with it).
    """
    reader._md = md
    reader._source_path = source_path
    return reader._parse_metadata(meta)


# --- contents ----------------------------------------------------------------------

def body_html(content) -> str:
    """The body as read (``{filename}`` links not yet resolved); "" if none."""
    return content._content or ""


def set_body_html(content, html: str) -> None:
    content._content = html


def summary_html(content) -> str | None:
    """The ``Summary:`` HTML as read, or None when the story has none."""
    return getattr(content, "_summary", None)


def set_summary_html(content, html: str) -> None:
    """Replace the summary (Pelican copies ``_summary`` back into the metadata)."""
    content._summary = html
    content.metadata["summary"] = html


def rewrite_before_links(content, rewrite) -> None:
    """Call ``rewrite(html, siteurl)`` on the body and summary each time they are shown,
    before Pelican resolves their ``{filename}`` links for that page."""
    update = content._update_content

    def update_content(text, siteurl):
        return update(rewrite(text, siteurl), siteurl)

    content._update_content = update_content


_URL_CACHE = "_newsroom_url_cache"

#: Attributes Pelican or a plugin sets on a story after its URL was asked
#: that no URL code reads (``get_url_setting``, ``url_format``,
#: ``_expand_settings``, ``get_relative_source_path``): setting one keeps the
#: remembered URLs (any other attribute forgets them). Pelican's translations,
#: body and summary; plugins/story_neighbours, related_stories and photos.
NOT_URL_INPUTS = frozenset({"translations", "_summary", "_content",
                            "_output_location_referenced", "newer_article",
                            "older_article", "related_articles", "lead_photo"})


def _url_inputs(content):
    # What an object's attributes do not show: the metadata dict's entries
    # (changed in place), the author's and category's slugs, the settings.
    metadata = content.__dict__.get("metadata") or {}
    author = content.__dict__.get("author")
    category = content.__dict__.get("category")
    return (tuple(metadata), tuple(metadata.values()), getattr(author, "slug", None),
            getattr(category, "slug", None), content.settings)


def _same_inputs(old, content) -> bool:
    """``_url_inputs(content)`` would equal ``old`` (the same keys and slugs, the
    very same values and settings); asked on every use of a URL, so inline."""
    state = content.__dict__
    metadata = state.get("metadata") or {}
    return (old[4] is content.settings and old[0] == tuple(metadata)
            and all(map(operator.is_, old[1], metadata.values()))
            and old[2] == getattr(state.get("author"), "slug", None)
            and old[3] == getattr(state.get("category"), "slug", None))


#: URLs kept from one build to the next (``keep_urls_across_builds``), by
#: (class, source path, key): (everything ``url_format`` reads, the URL).
_ACROSS_BUILDS: dict[tuple, tuple] = {}
_across_builds = False


def _url_format_inputs(content) -> tuple:
    # What Content.url_format and Article._expand_settings read, compared by
    # value: the same inputs give the same URL in any build.
    state = content.__dict__
    metadata = state.get("metadata") or {}
    author, category = state.get("author"), state.get("category")
    # get_relative_source_path() by what it reads: the source path and the
    # content folder (and the working folder, for a relative one).
    folder = content.settings.get("PATH")
    where = (state.get("source_path"), folder,
             None if isinstance(folder, str) and os.path.isabs(folder) else os.getcwd())
    return (tuple(metadata.items()), where, state.get("slug"),
            state.get("lang"), state.get("date"), state.get("status"),
            getattr(author, "slug", None), getattr(category, "slug", None),
            state.get("override_url"), state.get("override_save_as"),
            content.in_default_lang, id(content.settings))


#: What a URL setting that cannot be filled in raises (``str.format``: a
#: field the story lacks, ``{0}``, a stray brace, ``{date.nope}``).
_UNFILLABLE = (KeyError, IndexError, ValueError, AttributeError)


def _filled_or_reported(original):
    """Pelican's ``get_url_setting``, reporting a URL setting the story cannot fill in.

    Pelican fills ``ARTICLE_URL`` and the like from the story's fields with
    ``str.format`` and lets the error through: a traceback for a settings
    mistake, or for a story without the field a pattern names. Instead the
    problem is reported once per story and setting (the build fails, naming
    the story and the setting), and a stand-in URL of the story's own lets
    the build go on to report everything else.
    """

    def fill(content, key):
        try:
            return original(content, key)
        except _UNFILLABLE as error:
            return _unfilled_url(content, key, error)

    return fill


def _unfilled_url(content, key: str, error: Exception) -> str:
    import hashlib

    from newsroom.core.problems import report_problem, shown_path

    name = key if content.in_default_lang else f"lang_{key}"
    setting = f"{type(content).__name__}_{name}".upper()
    pattern = content.settings.get(setting)
    source = str(getattr(content, "source_path", "") or "")
    reason = f"{{{error.args[0]}}} is not a field of it" if isinstance(error, KeyError) \
        else str(error)
    report_problem(
        shown_path(content.settings.get("PATH") or ".", source) if source else setting,
        None,
        f"the {setting} setting ({pattern!r}) cannot be filled in for this story: {reason}; "
        "a URL setting may name {slug}, {date}, {lang}, {author}, {category} and the "
        "story's own fields, each in braces (fix the setting, or give the story the field)",
        covers=(source,) if source else (),
        once=("url setting", setting, source))
    stand_in = "unfilled-url/" + hashlib.sha256(source.encode("utf-8", "surrogateescape")
                                                ).hexdigest()[:16] + "/"
    return stand_in + "index.html" if key.endswith("save_as") else stand_in


def keep_urls_across_builds() -> None:
    """Also keep URLs from one build to the next, for an unchanged story (this process).

    For the incremental preview, whose every build makes new content
    objects from the same files: a story whose metadata, path, slug, date,
    status, language, writer and section (compared by value) and settings
    (the same dict) are what they were gets the URL it had.
    """
    global _across_builds
    _across_builds = True


def remember_content_urls() -> None:
    """Keep each content object's ``url``/``save_as`` until something it depends on changes.

    Installed once per process; the URLs are the same strings Pelican makes.
    """
    from pelican.contents import Content

    original = Content.get_url_setting
    if getattr(original, "remembers_urls", False):
        return
    fill = _filled_or_reported(original)

    def get_url_setting(self, key):
        state = self.__dict__
        cache = state.get(_URL_CACHE)
        if cache is None or cache.get("owner") != id(self):  # none yet, or a copy's
            cache = state[_URL_CACHE] = {"owner": id(self)}
        else:
            known = cache.get(key)
            if known is not None and _same_inputs(known[0], self):
                return known[1]
        inputs = _url_inputs(self)
        # (Without a date, url_format uses the time of the call.)
        if _across_builds and "date" in state and not hasattr(self, "override_" + key):
            where = (type(self).__name__, self.source_path, key)
            try:
                everything = _url_format_inputs(self)
                kept = _ACROSS_BUILDS.get(where)
                if kept is not None and kept[0] == everything:
                    cache[key] = (inputs, kept[1])
                    return kept[1]
            except Exception:  # noqa: BLE001 - anything odd: compute it as Pelican does
                everything = None
            value = fill(self, key)
            if everything is not None:
                _ACROSS_BUILDS[where] = (everything, value)
            cache[key] = (inputs, value)
            return value
        value = fill(self, key)
        cache[key] = (inputs, value)
        return value

    def forget_urls(self):
        cache = self.__dict__.get(_URL_CACHE)
        if cache is not None:
            self.__dict__[_URL_CACHE] = None

    def __setattr__(self, name, value, _set=object.__setattr__, _kept=NOT_URL_INPUTS):
        _set(self, name, value)
        if name not in _kept:  # forget_urls, inline (every attribute Pelican sets)
            state = self.__dict__
            if state.get(_URL_CACHE) is not None:
                state[_URL_CACHE] = None

    def __delattr__(self, name):
        object.__delattr__(self, name)
        forget_urls(self)

    original_relative = Content.get_relative_source_path
    answers: dict[tuple, str] = {}

    def get_relative_source_path(self, source_path=None):
        # Pelican's answer depends only on the content folder and the path
        # (and, for a relative folder, on the working folder: not kept).
        folder = self.settings.get("PATH")
        path = source_path or self.source_path
        if not (isinstance(folder, str) and isinstance(path, str) and os.path.isabs(folder)):
            return original_relative(self, source_path)
        key = (folder, path)
        found = answers.get(key)
        if found is None:
            if len(answers) >= _RELATIVE_PATHS_MAX:
                answers.clear()
            found = answers[key] = original_relative(self, source_path)
        return found

    get_url_setting.remembers_urls = True
    get_url_setting.__wrapped__ = original
    get_relative_source_path.__wrapped__ = original_relative
    __setattr__.forgets_urls = __delattr__.forgets_urls = True
    Content.get_url_setting = get_url_setting
    Content.get_relative_source_path = get_relative_source_path
    Content.__setattr__ = __setattr__
    Content.__delattr__ = __delattr__


_RELATIVE_PATHS_MAX = 1 << 16


class _ArticleList(list):
    """A list of content objects whose ``in`` looks the object up by identity.

    Content objects define no ``__eq__``, so ``list.__contains__`` already
    compares them by identity, one by one; a set of ids gives the same answer
    at once. Only handed to code that does not change the list.
    """

    def __init__(self, items):
        super().__init__(items)
        self._ids = {id(item) for item in self}

    def __contains__(self, item):
        return id(item) in self._ids


def _indexed(groups):
    if hasattr(groups, "items"):
        return {key: _ArticleList(value) for key, value in groups.items()}
    return [(key, _ArticleList(value)) for key, value in groups]


def index_article_lists() -> None:
    """Tag, section and writer pages in linear time, the same pages.

    ``ArticlesGenerator.generate_tags``, ``generate_categories`` and
    ``generate_authors`` each run ``[a for a in self.dates if a in articles]``
    for every tag, section and writer, a list search per story: the square of
    the story count in all. While each runs, its ``self.tags`` /
    ``self.categories`` / ``self.authors`` hold ``_ArticleList`` copies
    (same items, same order) whose ``in`` is a set lookup; the originals are
    put back after. The template context keeps its own references and is
    untouched. Installed once per process.
    """
    from pelican.generators import ArticlesGenerator

    for method, attribute in (("generate_tags", "tags"), ("generate_categories", "categories"),
                              ("generate_authors", "authors")):
        original = getattr(ArticlesGenerator, method)
        if getattr(original, "indexes", None):
            continue

        def wrapper(self, write, _original=original, _attribute=attribute):
            groups = getattr(self, _attribute)
            setattr(self, _attribute, _indexed(groups))
            try:
                return _original(self, write)
            finally:
                setattr(self, _attribute, groups)

        wrapper.indexes = attribute
        wrapper.__wrapped__ = original
        wrapper.__name__ = method
        setattr(ArticlesGenerator, method, wrapper)


def stampless_reads_without_content_cache() -> None:
    """No file stamps for Pelican's content cache when it keeps nothing.

    ``FileStampDataCacher`` stats each story's file twice in the generator and
    twice in ``Readers.read_file`` (4,000 stats at 1,000 stories), also with
    ``CACHE_CONTENT`` and ``LOAD_CONTENT_CACHE`` off, when the stamp is only
    compared with nothing or thrown away. Then (an empty cache; nothing to be
    kept) the article and page generators and the readers skip it: the same
    answers. Not the static generator, whose stamp warning names a linked
    file that does not exist (``MESSAGES["missing_file"]``). Installed once
    per process.
    """
    from pelican.generators import ArticlesGenerator, PagesGenerator
    from pelican.readers import Readers

    for owner in (ArticlesGenerator, PagesGenerator, Readers):
        if getattr(owner.__dict__.get("get_cached_data"), "stampless", False):
            continue
        get, put = owner.get_cached_data, owner.cache_data

        def get_cached_data(self, filename, default=None, _get=get):
            if not self._cache:  # nothing kept: Pelican's answer is the default
                return default
            return _get(self, filename, default)

        def cache_data(self, filename, data, _put=put):
            if self._cache_data_policy:  # else Pelican stores nothing
                _put(self, filename, data)

        get_cached_data.stampless = True
        owner.get_cached_data = get_cached_data
        owner.cache_data = cache_data


def memoised_slugify() -> None:
    """Pelican's ``slugify`` once per distinct name and options.

    Every story makes new section, topic and writer objects, each of which
    slugifies its name (striptags, Unicode normalisation, unidecode, the
    substitution regexes: 4,000 calls at 1,000 stories for a few dozen
    names). ``slugify`` is a function of its arguments alone, so the
    module-level names Pelican's URL wrappers and contents call it by answer
    from a memo. Installed once per process.
    """
    import pelican.contents
    import pelican.urlwrappers

    original = pelican.urlwrappers.slugify
    if getattr(original, "memoised", False):
        return
    memo: dict = {}

    def slugify(value, regex_subs=(), preserve_case=False, use_unicode=False):
        try:
            key = (value, tuple(tuple(pair) for pair in regex_subs), preserve_case,
                   use_unicode)
            return memo[key]
        except (KeyError, TypeError):
            pass
        answer = original(value, regex_subs, preserve_case, use_unicode)
        if isinstance(value, str) and len(memo) < 100_000:
            try:
                memo[key] = answer
            except (NameError, TypeError):  # (an unhashable argument)
                pass
        return answer

    slugify.memoised = True
    slugify.__wrapped__ = original
    pelican.urlwrappers.slugify = slugify
    if pelican.contents.slugify is original:
        pelican.contents.slugify = slugify


def linear_archives_and_translations() -> None:
    """Period archives and translations in linear time, the same answers.

    Two steps of Pelican's reading search a list story by story (the square
    of the story count: 1.9 s and 0.7 s of a build at 10,000 stories, a few
    milliseconds at 1,000):

    * ``ArticlesGenerator._build_period_archives`` runs ``[a for a in articles
      if a in dates]`` for every year, month and day. It is called with no
      stories to sort into the periods, then each archive's ``articles`` is
      made here: the stories of ``articles``, in their order, that are in
      its ``dates``, found by identity (``in``'s comparison for objects
      without ``__eq__``).
    * ``process_translations`` ends with ``[x for x in content_list if x not
      in index]``. It is called once per group of stories that share the
      translation key (the groups it makes itself: same sort, same key), in
      the sorted order, so each search is within a group; the originals
      and translations of the groups, one after another, are its answer for
      the whole list, and each story's ``translations`` is set as before.

    Installed once per process.
    """
    import pelican.generators as generators
    from pelican.generators import ArticlesGenerator

    archives = ArticlesGenerator._build_period_archives
    if not getattr(archives, "linear", False):
        def build_period_archives(self, sorted_articles, articles, settings):
            found = archives(self, sorted_articles, [], settings)
            for group in found.values():
                for archive in group:
                    members = {id(story) for story in archive["dates"]}
                    archive["articles"] = [story for story in articles if id(story) in members]
            return found

        build_period_archives.linear = True
        build_period_archives.__wrapped__ = archives
        ArticlesGenerator._build_period_archives = build_period_archives

    translations = generators.process_translations
    if not getattr(translations, "linear", False):
        def process_translations(content_list, translation_id=None):
            if not translation_id:
                return translations(content_list, translation_id)
            names = {translation_id} if isinstance(translation_id, str) else translation_id
            try:
                content_list.sort(key=attrgetter(*names))
            except (TypeError, AttributeError):
                return translations(content_list, translation_id)  # its own error
            index, rest = [], []
            for _key, group in groupby(content_list, attrgetter(*names)):
                originals, others = translations(list(group), translation_id)
                index += originals
                rest += others
            return index, rest

        process_translations.linear = True
        process_translations.__wrapped__ = translations
        generators.process_translations = process_translations


# --- output ------------------------------------------------------------------------

def _no_output(writer) -> None:
    return None


def skip_output(generators) -> None:
    """Pelican writes nothing for these generators (it still runs its other steps)."""
    for generator in generators:
        generator.generate_output = _no_output


class TextOnClose(io.StringIO):
    """Text for one output file, handed to ``place(path, bytes)`` on close.

    For writers that decide how a file is put in place: only if its bytes
    change (``changed_only_writer``), or linked from the published site
    (newsroom/build/published_links.py).
    """

    def __init__(self, path: str, encoding: str, place, place_published=None):
        super().__init__()
        self._path, self._encoding, self._place = path, encoding, place
        # A page taken as published (newsroom/build/published_links.py,
        # ``PublishedText``): handed on as it is when it is all the file is.
        self._place_published, self._published = place_published, None

    def write(self, text) -> int:
        from newsroom.build.published_links import PublishedText

        if type(text) is PublishedText:
            if self._place_published is not None and self._published is None \
                    and self.tell() == 0:
                self._published = text
                return 0
            text = text.read_text()  # (no placer for it, or not all the file is)
        if self._published is not None:  # more written after it: its text, then this
            published, self._published = self._published, None
            super().write(published.read_text())
        return super().write(text)

    def close(self) -> None:
        if self.closed:
            return
        published = self._published
        data = None if published is not None else self.getvalue().encode(self._encoding)
        super().close()
        if published is not None:
            self._place_published(self._path, published)
        else:
            self._place(self._path, data)


def _claim_file(writer, filename: str, override: bool) -> bool:
    """Pelican 4.12's rule, as in ``Writer._open_w``: one write per file,
    unless exactly one of the writes overrides.

    Raises Pelican's ``FileOverwriteFailedError`` as it does; False when the
    write is to go nowhere (a file overridden before, written again without
    ``override``).
    """
    if filename in writer._overridden_files:
        if override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}" a second time '
                "(was previously overwritten)")
        return False
    if filename in writer._written_files and not override:
        raise FileOverwriteFailedError(
            f'Failed to overwrite "{filename}" as Pelican has already '
            "written to it previously (set `override=True` if intended)")
    if override:
        writer._overridden_files.add(filename)
    writer._written_files.add(filename)
    return True


def changed_only_writer(base: type) -> type:
    """``base`` (a Pelican Writer class) writing a file only when its bytes change.

    ``written`` (a list given to ``reporting_to``) receives each path written.
    """

    class ChangedOnlyWriter(base):
        written: list = []

        @classmethod
        def reporting_to(cls, written: list) -> type:
            return type(cls.__name__, (cls,), {"written": written})

        def _open_w(self, filename, encoding, override=False):
            if not _claim_file(self, filename, override):
                return open(os.devnull, "w", encoding=encoding)
            return TextOnClose(filename, encoding, self._place_if_changed)

        def _place_if_changed(self, path: str, data: bytes) -> None:
            if write_bytes_if_changed(path, data):  # newsroom/core/output_files.py
                self.written.append(path)

    return ChangedOnlyWriter


def copy_only_changed_files() -> None:
    """Pelican copies a theme file only when the output's copy differs (this process)."""
    import pelican.utils

    original = pelican.utils.copy_file
    if getattr(original, "__newsroom_changed_only__", False):
        return

    def copy_file(source: str, destination: str) -> None:
        try:
            with open(source, "rb") as new:
                data = new.read()
        except OSError:
            return original(source, destination)
        try:
            write_bytes_if_changed(destination, data)
        except OSError:
            original(source, destination)  # Pelican reports the problem

    copy_file.__newsroom_changed_only__ = True
    pelican.utils.copy_file = copy_file


class FeedWriter(Writer):
    """Pelican's Writer with the feed steps as public hooks.

    ``Writer.write_feed`` (public) sets ``site_url`` and ``feed_url``, makes
    the feed with ``_create_new_feed``, then adds each item with
    ``_add_item_to_the_feed``. A subclass overrides ``new_feed`` and
    ``add_feed_item`` instead of those private methods.
    """

    def new_feed(self, feed_type: str, feed_title, context, site_url: str, feed_url: str):
        raise NotImplementedError

    def add_feed_item(self, feed, item, site_url: str) -> None:
        raise NotImplementedError

    def _create_new_feed(self, feed_type, feed_title, context):
        return self.new_feed(feed_type, feed_title, context, self.site_url, self.feed_url)

    def _add_item_to_the_feed(self, feed, item):
        self.add_feed_item(feed, item, self.site_url)


class _Captured(io.StringIO):
    """What one ``_open_w`` file would hold, handed to ``sink`` (a list) when closed."""

    def __init__(self, sink: list):
        super().__init__()
        self._sink = sink

    def close(self) -> None:
        if not self.closed:
            self._sink.append(self.getvalue())
        super().close()


class _NoFolders:
    """``os`` as ``pelican.writers`` sees it, without ``makedirs``."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def makedirs(*args, **kwargs) -> None:
        return None


def writes_nowhere(writer, sink: list) -> None:
    """In this process, ``writer`` writes no file and makes no folder.

    Each file it would write is appended to ``sink`` (its text) instead. Its
    one-write-per-file rule (``_written_files``, ``_overridden_files``) is
    Pelican 4.12's ``Writer._open_w`` (``_claim_file``), so the same write
    raises the same ``FileOverwriteFailedError``. For a forked process that
    runs Pelican's output code without touching the output (this process
    only: it replaces ``pelican.writers.os``).
    """
    import pelican.writers

    def _open_w(filename, encoding, override=False):
        _claim_file(writer, filename, override)
        return _Captured(sink)

    writer._open_w = _open_w
    pelican.writers.os = _NoFolders()


class _PrerenderedFeed:
    def __init__(self, text: str):
        self.text = text

    def write(self, fp, encoding) -> None:
        fp.write(self.text)


@contextlib.contextmanager
def prerendered_feed(writer, text: str, moment=None):
    """While active, ``writer.write_feed`` writes ``text`` as the feed instead of making one.

    Everything else ``write_feed`` does (its URLs, path, ``_open_w``, log
    line and signals, which get the stand-in feed) is unchanged. ``moment``:
    the build clock's reading the text was made with, given to
    ``output_changes_at`` when the feed is made (inside ``write_feed``, where
    newsroom/build/page_records.py watches for it).
    """
    def create(feed_type, feed_title, context):
        if moment is not None:
            from newsroom.core.clock import output_changes_at

            output_changes_at(moment)
        return _PrerenderedFeed(text)

    writer._create_new_feed = create
    writer._add_item_to_the_feed = lambda feed, item: None
    try:
        yield
    finally:
        del writer._create_new_feed
        del writer._add_item_to_the_feed


# --- settings ----------------------------------------------------------------------

#: The functions of pelican/settings.py that run a settings file.
SETTINGS_LOADERS = ("load_source", "get_settings_from_file")


def raised_by_settings_file(error: BaseException) -> bool:
    """True if ``error`` came out of importing the settings file (not out of Pelican)."""
    return any(frame.name in SETTINGS_LOADERS
               and frame.filename.endswith(os.path.join("pelican", "settings.py"))
               for frame in traceback.extract_tb(error.__traceback__))


# --- log messages ------------------------------------------------------------------

#: kind -> the template Pelican logs (``record.msg``), where it is logged.
MESSAGES = {
    # generators.py, ArticlesGenerator/PagesGenerator.generate_context (args: path)
    "unreadable": "Could not process %s",
    # contents.py, Content._has_valid_mandatory_properties (args: content, field)
    "missing_field": "Skipping %s: could not find information about '%s'",
    # contents.py, Content._has_valid_save_as (args: content, save_as)
    "outside_output": "Skipping %s: file %r would be written outside output path",
    # urlwrappers.py, URLWrapper.slug (args: class name, name)
    "no_slug": 'Unable to generate valid slug for %s "%s".',
    # contents.py, Content._link_replacer (args: link target)
    "missing_link": "Unable to find '%s', skipping url replacement.",
    # cache.py, FileStampDataCacher._get_file_stamp (args: path, error)
    "missing_file": "Cannot get modification stamp for %s\n\t%s",
    # readers.py, MarkdownReader._parse_metadata (args: field, path)
    "duplicate_field": "Duplicate definition of `%s` for %s. Using first one.",
    # utils.py, process_translations (args: count, slug, [lang,] paths...;
    # Pelican appends ": \n%s..." with one %s per path)
    "duplicate_items": 'There are %s items "%s" with lang %s',
    "duplicate_originals": "There are %s original (not translated) items %s",
}


def message_kind(template: str) -> str | None:
    """Which of ``MESSAGES`` a log record's ``msg`` is, or None."""
    for kind, known in MESSAGES.items():
        if template.startswith(known):
            return kind
    return None
