"""Checks of the metadata block: Title, Slug, Date, Modified, Category, names."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath

from pelican.readers import ensure_metadata_list
from pelican.urlwrappers import Author, Tag

from .report import report
from .source_file import SourceFile

# Dates editors may write; anything else is ambiguous or a typo. A strict
# list also keeps builds reproducible (a lenient parser fills a missing year
# from today's date).
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
DATE_HINT = "write it as YYYY-MM-DD or YYYY-MM-DD HH:MM"
# A slug is one URL path segment; anything else could break out of it.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        return False
    return True


def check_fields(source: SourceFile, where: str, kind: str, settings, paths) -> None:
    if kind == "writer":
        _check_writer(source, where, settings, paths)
        return
    title = source.fields.get("title")
    if title is None or not title.value:
        line = title.line if title else 1
        report(where, line, 'no Title; start the file with a line "Title: The headline"', *paths)
    slug = source.fields.get("slug")
    limit = settings["SLUG_MAX_LENGTH"]
    if slug and not SLUG.match(slug.value):
        report(where, slug.line,
               f'Slug "{slug.value}" may only contain lowercase letters, digits and '
               'single hyphens, e.g. "Slug: kenya-haiti-mission"', *paths)
    elif slug and len(slug.value) > limit:
        report(where, slug.line,
               f"Slug is {len(slug.value)} characters long; keep it to at most {limit}", *paths)
    _check_names(source, where, settings, paths)
    _check_dates(source, where, kind, paths)
    if kind == "article":
        _check_section(source, where, settings, paths)


def _check_dates(source: SourceFile, where: str, kind: str, paths) -> None:
    date = source.fields.get("date")
    if kind == "article" and (date is None or not date.value):
        report(where, date.line if date else 1,
               f'no Date; add a line "Date: 2024-06-15 09:30" ({DATE_HINT})', *paths)
    for name in ("date", "modified"):
        value = source.fields.get(name)
        if value and value.value and not _is_date(value.value):
            report(where, value.line,
                   f'{name.capitalize()} "{value.value}" is not a date; {DATE_HINT}', *paths)


def _check_section(source: SourceFile, where: str, settings, paths) -> None:
    sections = settings["SECTIONS"]
    category = source.fields.get("category")
    if sections and category and category.value not in sections:
        report(where, category.line,
               f'Category "{category.value}" is not a section; use one of: '
               f'{", ".join(sections)} (the list is SECTIONS in pelicanconf.py)', *paths)


def _check_names(source: SourceFile, where: str, settings, paths) -> None:
    """Every tag and author needs letters or digits: its page URL is made of them."""
    for name, wrapper in (("tags", Tag), ("authors", Author), ("author", Author)):
        field = source.fields.get(name)
        if not field:
            continue
        limit = settings["SLUG_MAX_LENGTH"]
        for value in ensure_metadata_list(field.value):
            slug = wrapper(value, settings).slug if value else "-"
            if not slug:
                report(where, field.line,
                       f'{name.capitalize()}: "{value}" has no letters or digits to make '
                       "its page URL from; reword it or remove it",
                       *paths, f"{wrapper.__name__}:{value}")
            elif len(slug) > limit:
                report(where, field.line,
                       f'{name.capitalize()}: "{value[:40]}..." is too long to name a page '
                       f"({len(slug)} characters in its URL, at most {limit}); shorten it",
                       *paths)


def _check_writer(source: SourceFile, where: str, settings, paths) -> None:
    """A writer profile (content/authors/jane-doe.md): a Name whose slug is the file name.

    The file name is the writer's page (author/jane-doe/), so the two must
    agree; otherwise bylines would never find the profile.
    """
    name = source.fields.get("name")
    stem = PurePosixPath(str(paths[0]).replace("\\", "/")).stem
    if name is None or not name.value:
        report(where, name.line if name else 1,
               'no Name; start the file with the byline exactly as stories write it, '
               f'e.g. "Name: {stem.replace("-", " ").title() or "Jane Doe"}"', *paths)
        return
    slug = Author(name.value, settings).slug
    if "," in name.value or ";" in name.value:
        report(where, name.line,
               f'Name "{name.value}" contains "," or ";", which separate the names in a '
               'byline ("Authors: Jane Doe, Staff Reporter"); write the name without them',
               *paths)
    elif not slug:
        report(where, name.line,
               f'Name "{name.value}" has no letters or digits to make the writer\'s page '
               "URL from; write the name as bylines spell it", *paths, f"Author:{name.value}")
    elif slug != stem:
        report(where, name.line,
               f'Name "{name.value}" makes the writer page {Author(name.value, settings).url}, '
               f"but this file is named {stem}.md; rename the file to {slug}.md (the file "
               "name is the writer's slug), or correct the Name", *paths)
    role = source.fields.get("role")
    if role is not None and not role.value:
        report(where, role.line, 'Role is empty; write the job title ("Role: Political '
               'correspondent") or remove the line', *paths)
