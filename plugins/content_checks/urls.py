"""After reading: every article and page needs a URL of its own."""

from __future__ import annotations

import os

from pelican.generators import ArticlesGenerator, PagesGenerator

from newsroom.core.problems import shown_path

from .fields import SLUG
from .report import report
from .source_file import SourceFile

_CONTENT_LISTS = {
    ArticlesGenerator: ("articles", "translations", "hidden_articles",
                        "hidden_translations", "drafts", "drafts_translations"),
    PagesGenerator: ("pages", "translations", "hidden_pages",
                     "hidden_translations", "draft_pages", "draft_translations"),
}


def _url_field(content, sources: dict[str, SourceFile]) -> tuple[str, int | None]:
    source = sources.get(content.source_path)
    fields = source.fields if source else {}
    if "slug" in fields:
        return f'Slug "{fields["slug"].value}"', fields["slug"].line
    if "title" in fields:
        return "the Title", fields["title"].line
    return "the file name", None


def check_unique_urls(generators, sources: dict[str, SourceFile]) -> None:
    """Report contents with an empty URL, or sharing a URL or a slug."""
    by_url: dict[str, object] = {}
    for generator in generators:
        names = next((n for cls, n in _CONTENT_LISTS.items() if isinstance(generator, cls)), ())
        content_root = os.path.abspath(generator.settings["PATH"])
        by_slug: dict[tuple, object] = {}  # Pelican pairs translations by slug
        contents = sorted(
            (c for name in names for c in getattr(generator, name, [])),
            key=lambda c: c.source_path,
        )
        for content in contents:
            slug_line = sources.get(content.source_path)
            slug_line = slug_line.fields.get("slug") if slug_line else None
            if slug_line and not SLUG.match(slug_line.value):
                continue  # reported with its line already
            if not content.slug:
                field, line = _url_field(content, sources)
                report(shown_path(content_root, content.source_path), line,
                       f"{field} gives an empty URL (it has no letters or "
                       'digits); add a line such as "Slug: words-from-the-headline"',
                       content.source_path)
                continue
            for registry, key, what in (
                (by_url, content.save_as, "url"),
                (by_slug, (content.slug, content.lang, content.in_default_lang), "slug"),
            ):
                first = registry.setdefault(key, content)
                if first is not content:
                    # (What is shown is made only for a report.)
                    what = (f"the URL {content.url}" if what == "url"
                            else f'the slug "{content.slug}"')
                    field, line = _url_field(content, sources)
                    report(shown_path(content_root, content.source_path), line,
                           f"{field} gives {what}, which "
                           f"{shown_path(content_root, first.source_path)} already has; "
                           'give one of them a different "Slug:" line',
                           content.source_path, first.source_path)
                    break
