"""Every output path a story makes stays in the site and belongs to it alone.

Runs at ``all_generators_finalized``, when every story is read but nothing is
written yet:

* ``check_output_paths``: each article's and page's file (its ``save_as``)
  must be a plain relative path inside the output, with no hidden segment
  (``.htaccess``), outside the folders other parts of the build own (theme
  files, photo renditions, the search index, the feeds) and not the file of
  a list page, archive, sitemap or static file. A collision names both.
  The pages at stories' old addresses (``Redirect_from:``, attached as
  ``redirect_pages`` by the redirects plugin) are such files too, so a story
  published at a redirected path is refused; each redirect page must not
  land on another redirect, a file of the build or in a reserved folder.
* ``check_site_links``: a link written as a site path (``/about/``) must be
  a page or file of this site.
* ``cap_long_slug`` (``content_object_init``): a slug made from a very long
  headline is cut at a word boundary (``SLUG_MAX_LENGTH``), so a 300-character
  headline gives a working URL instead of "file name too long".
"""

from __future__ import annotations

import functools
import locale
import os
from pathlib import PurePosixPath
from urllib.parse import unquote

from pelican.generators import ArticlesGenerator, StaticGenerator

from newsroom.core.problems import shown_path

from .links import parsed_sources as _parsed, site_links
from .report import report
from .urls import _CONTENT_LISTS, _url_field

def cap_long_slug(content) -> None:
    limit = content.settings["SLUG_MAX_LENGTH"]
    slug = getattr(content, "slug", None)
    if not slug or "slug" in content.metadata or len(slug) <= limit:
        return
    cut = slug[:limit + 1]
    content.slug = cut[: cut.rfind("-")] if "-" in cut[1:] else slug[:limit]


# --- who owns which part of the output ----------------------------------------

def _reserved_folders(settings) -> dict[str, str]:
    folders = {
        settings.get("THEME_STATIC_DIR") or "theme": "the theme's own files",
        settings["PHOTO_OUTPUT_DIR"]: "the photo renditions",
        "pagefind": "the search index's files",
    }
    for name in ("FEED_ALL_ATOM", "FEED_ALL_RSS", "CATEGORY_FEED_ATOM", "TAG_FEED_ATOM"):
        feed = settings.get(name)
        if feed and "/" in feed:
            folders.setdefault(feed.split("/", 1)[0], "the feeds")
    return {str(PurePosixPath(folder.strip("/"))): owner for folder, owner in folders.items()}


def _format(pattern: str | None, **values) -> str | None:
    if not pattern:
        return None
    try:
        return pattern.format(**values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


# --- answers kept for the process (pure functions of their keys) ---------------
#
# A build asks the same questions of every story, and a preview asks them
# again on every save (newsroom/dev/incremental.py); each answer below
# depends only on the strings and values in its key.

_MISSING = object()
_DATE_PATHS: dict[tuple, str | None] = {}
_DATE_PATHS_MAX = 1 << 16


def _date_key(date) -> tuple:
    """Everything ``"{date:...}".format`` can show of ``date``: its class (Pelican's
    SafeDatetime formats with Pelican's strftime), its fields (the wall time
    and fold) and its time zone, that very object (zones equal by offset may
    differ by name; the key keeps it alive, so its id stays its own)."""
    zone = getattr(date, "tzinfo", None)
    if zone is None:
        return (type(date), date)
    return (type(date), date.replace(tzinfo=None), date.fold, id(zone), zone)


def _date_path(pattern: str | None, date, time_locale: str) -> str | None:
    """``_format(pattern, date=date)``, kept by pattern, date and LC_TIME locale
    (month and day names)."""
    if not pattern:
        return None
    try:
        key = (pattern, time_locale, *_date_key(date))
        found = _DATE_PATHS.get(key, _MISSING)
    except (TypeError, ValueError):  # an odd value: formatted each time
        return _format(pattern, date=date)
    if found is _MISSING:
        if len(_DATE_PATHS) >= _DATE_PATHS_MAX:
            _DATE_PATHS.clear()
        found = _DATE_PATHS[key] = _format(pattern, date=date)
    return found


@functools.lru_cache(maxsize=1 << 16)
def _normal(path: str) -> str:
    """``path`` as the build compares output files (PurePosixPath's form)."""
    return str(PurePosixPath(path))


@functools.lru_cache(maxsize=1 << 16)
def _path_problem(save_as: str, reserved: tuple) -> str | None:
    """What is wrong with a story's file ``save_as`` on its own (``reserved``:
    the items of ``_reserved_folders``), or None."""
    path = PurePosixPath(save_as)
    if not save_as or path.is_absolute() or ".." in path.parts or "\\" in save_as:
        return "which is outside the site"
    if any(part.startswith(".") for part in path.parts):
        return ("a hidden file that web servers may read as their own settings "
                "(like .htaccess)")
    folder = next((f for f, _owner in reserved if _inside(path, f)), None)
    if folder:
        return f"inside {folder}/, where {dict(reserved)[folder]} are published"
    return None


def planned_outputs(generators, redirects: bool = True) -> dict[str, str]:
    """Files the build writes besides articles and pages: path -> who writes it.

    With ``redirects``, the pages at stories' old addresses (``redirect_pages``,
    attached by the redirects plugin) are included too.
    """
    settings = generators[0].settings
    planned: dict[str, str] = {}

    def add(path, owner):
        if path:
            planned.setdefault(_normal(path.lstrip("/")), owner)

    for name in ("robots.txt", "sitemap.xml", "news-sitemap.xml"):
        add(name, "the sitemaps")
    add("redirects.map", "the redirects plugin")
    add("immutable.txt", "the publishing build (its list of content-named files)")
    for name in ("CATEGORIES", "TAGS", "AUTHORS", "ARCHIVES"):
        add(settings.get(f"{name}_SAVE_AS"), f"the list of {name.lower()}")
    for name in settings.get("DIRECT_TEMPLATES") or ():
        default = "index.html" if name == "index" else f"{name}.html"
        add(settings.get(f"{name.upper()}_SAVE_AS", default), f'the "{name}" page of the theme')
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            for what, items in (("section", [c for c, _ in generator.categories]),
                                ("tag", list(generator.tags)),
                                ("writer", [a for a, _ in generator.authors])):
                for item in items:
                    add(item.save_as, f'the {what} page of "{item.name}"')
            time_locale = locale.setlocale(locale.LC_TIME)
            periods = [(settings.get(f"{period}_ARCHIVE_SAVE_AS"), f"the {period.lower()} archive")
                       for period in ("YEAR", "MONTH", "DAY")]
            for article in generator.articles:
                for pattern, owner in periods:
                    add(_date_path(pattern, article.date, time_locale), owner)
        elif isinstance(generator, StaticGenerator):
            for static in generator.staticfiles:
                add(static.save_as, shown_path(settings["PATH"], static.source_path))
    if redirects:
        for path, (owner, _page) in redirect_outputs(generators).items():
            add(path, owner)
    return planned


# --- redirect pages (Redirect_from:, plugins/redirects) --------------------------

def _redirect_pages(generators) -> list:
    pages = []
    for generator in generators:
        names = next((n for cls, n in _CONTENT_LISTS.items() if isinstance(generator, cls)), ())
        for content in (c for name in names for c in getattr(generator, name, [])):
            pages.extend(getattr(content, "redirect_pages", None) or ())
    return sorted(pages, key=lambda page: (page.source_path, page.line or 0))


def redirect_outputs(generators) -> dict[str, tuple[str, object]]:
    """The first claim on each redirect page's file: path -> (who writes it, page)."""
    content_root = os.path.abspath(generators[0].settings["PATH"])
    claims: dict[str, tuple[str, object]] = {}
    for page in _redirect_pages(generators):
        where = shown_path(content_root, page.source_path)
        owner = f'the redirect on {where}:{page.line} (Redirect_from "{page.old_path}")'
        claims.setdefault(str(PurePosixPath(page.save_as)), (owner, page))
    return claims


def _check_redirect_paths(generators, reserved: dict[str, str],
                          planned: dict[str, str] | None = None) -> None:
    """A redirect page's file belongs to it alone: not to another redirect, not to
    a part of the build (list pages, static files, reserved folders). A story on
    the same file is reported by ``check_output_paths``, at the story's URL line.
    ``planned``: ``planned_outputs(generators, redirects=False)``, if known."""
    pages = _redirect_pages(generators)
    if not pages:
        return
    settings = generators[0].settings
    content_root = os.path.abspath(settings["PATH"])
    if planned is None:
        planned = planned_outputs(generators, redirects=False)
    stories: dict[str, object] = {}
    for generator in generators:
        names = next((n for cls, n in _CONTENT_LISTS.items() if isinstance(generator, cls)), ())
        for content in (c for name in names for c in getattr(generator, name, [])):
            if getattr(content, "save_as", None):
                stories.setdefault(_normal(content.save_as), content)
    claimed: dict[str, object] = {}
    for page in pages:
        where = shown_path(content_root, page.source_path)
        path = PurePosixPath(page.save_as)
        label = f'Redirect_from "{page.old_path}" writes the file {path}'
        first = claimed.setdefault(str(path), page)
        folder = next((f for f in reserved if _inside(path, f)), None)
        parent = next((str(p) for p in path.parents
                       if str(p) in planned or str(p) in stories), None)
        if first is not page:
            if first.source_path == page.source_path:
                problem = f"{label}, as line {first.line} already does; keep one of the two lines"
            else:
                problem = (f"{label}, which {shown_path(content_root, first.source_path)}:"
                           f'{first.line} (Redirect_from "{first.old_path}") also claims; an old '
                           "address can lead to one story only: remove one of the two lines")
        elif folder:
            problem = (f"{label} inside {folder}/, where {reserved[folder]} are published; "
                       "remove this line")
        elif str(path) in stories:
            continue  # reported at the story's URL line (check_output_paths)
        elif str(path) in planned:
            problem = (f"{label}, which {planned[str(path)]} also writes: it is a live page "
                       "of this site, not an old address; remove this line")
        elif parent:
            owner = (planned.get(parent)
                     or shown_path(content_root, stories[parent].source_path))
            problem = (f"{label}, inside {parent}, which {owner} writes as a file; "
                       "remove this line")
        else:
            continue
        others = (first.source_path,) if first is not page else ()
        report(where, page.line, problem, page.source_path, *others)


def _inside(path: PurePosixPath, folder: str) -> bool:
    """``path`` is ``folder`` or in it (``is_relative_to``, by parts: a tenth of the time)."""
    parts = _folder_parts(folder)
    if not parts:  # "" or ".": every relative path
        return not path.is_absolute()
    return path.parts[:len(parts)] == parts


@functools.lru_cache(maxsize=1024)
def _folder_parts(folder: str) -> tuple[str, ...]:
    return PurePosixPath(folder).parts


def _check_static_paths(generators, reserved: dict[str, str]) -> None:
    """A static file may not land in a folder another part of the build owns."""
    settings = generators[0].settings
    content_root = os.path.abspath(settings["PATH"])
    for generator in generators:
        for static in getattr(generator, "staticfiles", []) if isinstance(
                generator, StaticGenerator) else []:
            path = PurePosixPath(static.save_as)
            folder = next((f for f in reserved if _inside(path, f)), None)
            if folder:
                source = os.path.join(content_root, static.source_path)
                report(shown_path(content_root, source), None,
                       f"would be published as {static.save_as}, inside {folder}/, where "
                       f"{reserved[folder]} are published; move it to another folder", source)


def check_output_paths(generators) -> None:
    settings = generators[0].settings
    content_root = os.path.abspath(settings["PATH"])
    reserved = _reserved_folders(settings)
    reserved_items = tuple(reserved.items())
    not_redirects = planned_outputs(generators, redirects=False)
    redirect_files = redirect_outputs(generators)
    planned = dict(not_redirects)  # planned_outputs(generators): redirects last
    for path, (owner, _page) in redirect_files.items():
        planned.setdefault(_normal(path.lstrip("/")), owner)
    _check_static_paths(generators, reserved)
    _check_redirect_paths(generators, reserved, not_redirects)
    for generator in generators:
        names = next((n for cls, n in _CONTENT_LISTS.items() if isinstance(generator, cls)), ())
        for content in (c for name in names for c in getattr(generator, name, [])):
            save_as = getattr(content, "save_as", "") or ""
            if not content.slug and "save_as" not in content.metadata:
                continue  # an empty URL is reported by check_unique_urls
            problem = _path_problem(save_as, reserved_items)
            if problem is None:
                path = _normal(save_as)
                if path in planned:
                    problem = f"which {planned[path]} also writes"
                else:
                    continue
            path = PurePosixPath(save_as)
            where = shown_path(content_root, content.source_path)
            field, line = _url_field(content, _parsed)
            if "save_as" in content.metadata:
                field, line = f'Save_as "{save_as}"', _field_line(content, "save_as", line)
            if problem:
                fix = ("change that line" if field.startswith("Save_as")
                       else 'give it a different "Slug:" line')
                if str(path) in redirect_files and planned.get(str(path)) == \
                        redirect_files[str(path)][0]:
                    fix += ", or remove that Redirect_from line"
                report(where, line, f"{field} gives the file {save_as}, {problem}; {fix}",
                       content.source_path)


def _field_line(content, key: str, default):
    source = _parsed.get(content.source_path)
    field = source.fields.get(key) if source else None
    return field.line if field else default


# --- site-path links ------------------------------------------------------------

def _site_files(generators) -> set[str]:
    files = set(planned_outputs(generators))
    for generator in generators:
        names = next((n for cls, n in _CONTENT_LISTS.items() if isinstance(generator, cls)), ())
        names = [n for n in names if not n.startswith("draft")]
        for content in (c for name in names for c in getattr(generator, name, [])):
            if content.save_as:
                files.add(str(PurePosixPath(content.save_as)))
    theme = generators[0].settings.get("THEME_STATIC_DIR") or "theme"
    # The theme's files under their published names (hashed CSS/JS in the
    # publishing build: plugins/asset_fingerprints).
    published = generators[0].settings.get("ASSET_FINGERPRINTS") or {}
    static = os.path.join(generators[0].theme, "static")
    for folder, _dirs, names in os.walk(static):
        for name in names:
            relative = os.path.relpath(os.path.join(folder, name), static)
            path = str(PurePosixPath(theme, *relative.split(os.sep)))
            files.add(published.get(path, path))
    return files


def check_site_links(generators) -> None:
    if not site_links:
        return
    settings = generators[0].settings
    content_root = os.path.abspath(settings["PATH"])
    files = _site_files(generators)
    for source_path, found in sorted(site_links.items()):
        where = shown_path(content_root, source_path)
        for line, target in found:
            path = unquote(target.split("#", 1)[0].split("?", 1)[0]).lstrip("/")
            candidates = {path, f"{path.rstrip('/')}/index.html".lstrip("/")}
            if not candidates & files:
                report(where, line,
                       f'link "{target}" is not a page of this site; fix the path, or link '
                       "the story's file with {filename}../articles/its-file.md",
                       source_path)
