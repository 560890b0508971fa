"""Start a story: ``invoke new "Headline" --section World [--author "Name"]``.

Writes ``content/articles/YYYY-MM-DD-<slug>.md`` (the article folder of the
site's settings) with the metadata block filled in and ``Status: draft``, so
nothing is published until an editor removes that line:

* ``Title``: the headline (white space, line breaks included, collapsed to
  single spaces, so a pasted headline cannot add metadata lines);
* ``Date``: now in the site's ``TIMEZONE``, as ``YYYY-MM-DD HH:MM`` (now is
  ``newsroom.core.clock.build_time``, so ``SOURCE_DATE_EPOCH`` makes it fixed);
* ``Category``: the section, one of ``SECTIONS`` (any letter case, written
  as the settings spell it);
* ``Authors``: the byline, if given;
* ``Slug``: the headline through Pelican's ``slugify`` with the site's
  settings, made of lowercase letters, digits and single hyphens and cut
  at a word boundary to ``SLUG_MAX_LENGTH`` (80) characters.

No Summary or body text: a placeholder could be published by mistake. The
file is never overwritten. Every refusal is a ``NewStoryError`` whose text
says what to do; ``tasks.py`` turns it into exit status 2.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from newsroom.core.clock import InvalidSourceDateEpoch, build_time
from newsroom.core.problems import shown_path

EXIT_REFUSED = 2


class NewStoryError(Exception):
    """A story file cannot be started; the message says why and what to do."""


def load_settings(root: Path) -> dict:
    """The development settings (pelicanconf.py) of the project at ``root``, resolved."""
    from pelican.settings import read_settings

    from newsroom.core.settings import resolve

    return resolve(read_settings(str(Path(root) / "pelicanconf.py")))


def one_line(text: str, what: str) -> str:
    """``text`` with all white space collapsed; refused if empty or not printable."""
    value = " ".join(str(text or "").split())
    if not value:
        raise NewStoryError(f"the {what} is empty; give it in quotes, e.g. "
                            'invoke new "Parliament passes the budget" --section Politics')
    bad = next((c for c in value if not c.isprintable()), None)
    if bad is not None:
        raise NewStoryError(f"the {what} contains the invisible character U+{ord(bad):04X}; "
                            "type it again without it")
    return value


def cut_slug(slug: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a hyphen (a word boundary) when there is one."""
    if len(slug) <= limit:
        return slug
    cut = slug[: limit + 1]
    cut = cut[: cut.rfind("-")] if "-" in cut[1:] else slug[:limit]
    return cut.strip("-")


def slug_for(headline: str, settings: dict) -> str:
    """The URL slug Pelican would make from the headline, within the site's rules."""
    from pelican.utils import slugify

    slug = slugify(
        headline,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )
    # A Slug line may hold only lowercase letters, digits and single hyphens
    # (content_checks); slugify keeps "_" and a leading or trailing "-".
    slug = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    limit = int(settings["SLUG_MAX_LENGTH"])
    return cut_slug(slug, limit)


def section_name(section: str | None, settings: dict) -> str:
    """The section as SECTIONS spells it (a list of names, or a dict name -> description)."""
    names = list(settings["SECTIONS"] or ())
    given = " ".join(str(section or "").split())
    match = next((name for name in names if name.casefold() == given.casefold()), None)
    if match is None:
        listed = ", ".join(names)
        if not given:
            raise NewStoryError(f"no section; add --section with one of: {listed}")
        raise NewStoryError(f'"{given}" is not a section; use one of: {listed} '
                            "(the list is SECTIONS in pelicanconf.py)")
    return match


def story_text(headline: str, when: datetime, section: str, slug: str,
               author: str | None = None) -> str:
    lines = [f"Title: {headline}", f"Date: {when:%Y-%m-%d %H:%M}", f"Category: {section}"]
    if author:
        lines.append(f"Authors: {author}")
    lines += [f"Slug: {slug}", "Status: draft", "", ""]
    return "\n".join(lines)


def new_story(root: Path, headline: str, section: str | None, author: str | None = None,
              settings: dict | None = None, now: datetime | None = None) -> Path:
    """Write the story file and return its path; raise NewStoryError if refused."""
    settings = settings if settings is not None else load_settings(root)
    headline = one_line(headline, "headline")
    section = section_name(section, settings)
    if author is not None:
        author = one_line(author, "author")
        if not re.search(r"\w", author):
            raise NewStoryError(f'the author "{author}" has no letters or digits; '
                                "give the writer's name")
    slug = slug_for(headline, settings)
    if not slug:
        raise NewStoryError(f'the headline "{headline}" has no letters or digits to make its '
                            "URL from; reword it")
    try:
        moment = now or build_time()
    except InvalidSourceDateEpoch as error:
        raise NewStoryError(f"{error}; unset it or give seconds since 1970") from error
    when = moment.astimezone(ZoneInfo(settings.get("TIMEZONE") or "UTC"))
    folder = Path(settings["PATH"]) / (settings.get("ARTICLE_PATHS") or ["articles"])[0]
    path = folder / f"{when:%Y-%m-%d}-{slug}.md"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as out:
            out.write(story_text(headline, when, section, slug, author))
    except FileExistsError:
        raise NewStoryError(f"{shown_path(None, path, project_root=root)} already exists; "
                            "open it to go on writing, "
                            "or give the new story a different headline") from None
    return path
