"""redirects: a story's old addresses keep working (``Redirect_from:``).

A story may carry one or more ``Redirect_from: /old/path/`` lines (the key
repeats, one old path per line; ``REPEATABLE_METADATA``). For each, the
build writes a small page at the old path (``paths.redirect_file``) that
sends readers and crawlers to the story: ``<meta http-equiv="refresh">``
after 0 seconds, ``<link rel="canonical">``, ``noindex``, a visible link and
no script (theme template ``redirect.html``, with the site's CSP meta
partial). It also writes ``redirects.map`` at the output root: one
``old-path new-path;`` line per redirect, sorted, paths as the server sees
them (with the site's sub-path, if any), ready for nginx's ``map``
directive to ``include`` (README, "Redirects").

Signals:

* ``article_generator_finalized`` and ``page_generator_finalized``: every
  story's ``Redirect_from`` lines are read with their line numbers (by
  ``content_checks.metadata_lines``, the rules the story reader uses), each
  bad old path is reported through ``newsroom.core.problems``, and the good ones
  are attached to the story as ``redirect_pages`` (``paths.RedirectPage``).
  Drafts are checked too, so a clash shows before the story is published.
* Collisions are checked by ``content_checks`` (outputs.py) at
  ``all_generators_finalized``, which knows every file the build writes:
  two stories (or two lines) claiming one file, an old path that is a live
  page or file, or a story later published at a redirected path; each error
  names both files and lines.
* ``finalized``: if nothing was reported, the pages are written for the
  published (and hidden) stories whose own page was written, never for a
  draft or a story the build left out, and never over a file the build
  wrote (reported, as a last guard); then ``redirects.map``.
"""

from __future__ import annotations

import os

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.utils import get_relative_path, path_to_url, pelican_open

from newsroom.core.output_files import write_text_if_changed
from newsroom.core.problems import problems_reported, report_problem, shown_path
from newsroom.core.site_urls import site_path

from .paths import RedirectPage, old_path_problem, redirect_file

FIELD = "redirect_from"
TEMPLATE = "redirect"
MAP_FILE = "redirects.map"
# Lists whose stories are read and checked; only the first ones are written.
_CHECKED_LISTS = {
    ArticlesGenerator: ("articles", "hidden_articles", "translations", "hidden_translations",
                        "drafts", "drafts_translations"),
    PagesGenerator: ("pages", "hidden_pages", "translations", "hidden_translations",
                     "draft_pages", "draft_translations"),
}
_WRITTEN_LISTS = {
    ArticlesGenerator: ("articles", "hidden_articles"),
    PagesGenerator: ("pages", "hidden_pages"),
}
_WRITTEN_STATUSES = ("published", "hidden")

_generators: list = []


def _contents(generator, lists) -> list:
    names = next((n for cls, n in lists.items() if isinstance(generator, cls)), ())
    return [content for name in names for content in getattr(generator, name, None) or ()]


def _written_lines(source_path: str) -> list[tuple[int | None, str]]:
    """(line, value) for each Redirect_from line of the file, as Markdown reads it."""
    from content_checks.metadata_lines import metadata_lines  # loaded first (PLUGINS)

    with pelican_open(source_path) as text:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    fields, _body = metadata_lines(lines)
    entry = fields.get(FIELD)
    return list(zip(entry.lines, entry.values)) if entry else []


def _metadata_values(content) -> list[str]:
    value = content.metadata.get(FIELD)
    values = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).strip() for v in values if v is not None]


def read_redirects(generator) -> None:
    """Check each story's old paths; attach the good ones as ``redirect_pages``."""
    _generators.append(generator)
    content_root = os.path.abspath(generator.settings["PATH"])
    for content in _contents(generator, _CHECKED_LISTS):
        if FIELD not in content.metadata or hasattr(content, "redirect_pages"):
            continue
        source_path = content.source_path
        written = _written_lines(source_path) or [(None, v) for v in _metadata_values(content)]
        where = shown_path(content_root, source_path)
        pages = []
        for line, value in written:
            problem = old_path_problem(value)
            if problem:
                report_problem(where, line, problem,
                               covers=(source_path, os.path.relpath(source_path, content_root)))
                continue
            pages.append(RedirectPage(value, redirect_file(value), line, source_path))
        content.redirect_pages = pages


def _render(generator, template, content, page: RedirectPage) -> str:
    settings = generator.settings
    site_url = settings["SITEURL"]
    if settings["RELATIVE_URLS"]:
        # As Pelican's writer does for its own pages: SITEURL relative to this file.
        site_url = path_to_url(get_relative_path(page.save_as))
    context = {**generator.context, "SITEURL": site_url, "output_file": page.save_as,
               "target": content, "old_path": page.old_path}
    return template.render(context).rstrip("\n") + "\n"


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as out:
        out.write(text)


def write_redirects(pelican_object) -> None:
    """Write each redirect page and ``redirects.map`` into the output folder."""
    if problems_reported() or not _generators:
        return  # the build fails anyway; write nothing more
    settings = pelican_object.settings
    output = os.path.abspath(pelican_object.output_path)
    content_root = os.path.abspath(settings["PATH"])
    prefix = site_path(settings["PUBLIC_SITEURL"])  # "/" or the sub-path, "/news/"
    template = None
    entries: list[str] = []
    for generator in _generators:
        for content in _contents(generator, _WRITTEN_LISTS):
            pages = getattr(content, "redirect_pages", ())
            if not pages or getattr(content, "status", "published") not in _WRITTEN_STATUSES:
                continue
            if not os.path.isfile(os.path.join(output, content.save_as)):
                continue  # the build left the story out: nothing to send readers to
            template = template or generator.get_template(TEMPLATE)
            for page in pages:
                target = os.path.join(output, *page.save_as.split("/"))
                where = shown_path(content_root, page.source_path)
                if os.path.lexists(target):
                    report_problem(where, page.line,
                                   f'Redirect_from "{page.old_path}" would replace '
                                   f"{page.save_as}, which the build also writes; "
                                   "remove this line", covers=(page.source_path,))
                    continue
                try:
                    _write(target, _render(generator, template, content, page))
                except (FileExistsError, NotADirectoryError):
                    report_problem(where, page.line,
                                   f'Redirect_from "{page.old_path}" needs the folder of '
                                   f"{page.save_as}, where the build writes a file; "
                                   "remove this line", covers=(page.source_path,))
                    continue
                entries.append(f"{prefix}{page.old_path.lstrip('/')} {prefix}{content.url};")
    header = [
        "# Old path -> new path, one per line, for nginx's map directive (README,",
        '# "Redirects"). Written by the build from the stories\' Redirect_from lines.',
    ]
    write_text_if_changed(os.path.join(output, MAP_FILE), "\n".join(header + sorted(entries)) + "\n")


def reset(pelican_object) -> None:
    # One process may run several builds (tests, livereload): start afresh.
    _generators.clear()


def register():
    signals.initialized.connect(reset)
    signals.article_generator_finalized.connect(read_redirects)
    signals.page_generator_finalized.connect(read_redirects)
    signals.finalized.connect(write_redirects)
