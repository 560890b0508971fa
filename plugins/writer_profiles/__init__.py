"""writer_profiles: a writer's page says who they are.

A writer is a Markdown file in ``content/authors/`` (``WRITER_PROFILE_PATHS``)
named after the writer's slug, the last part of their page's URL
(``jane-doe.md`` for the byline "Jane Doe", page ``author/jane-doe/``)::

    Name: Jane Doe
    Role: Political correspondent
    Photo: {static}/images/jane-doe.jpg
    Photo_alt: Jane Doe, smiling, in the newsroom

    Jane has covered Parliament since 2019. (The bio: Markdown.)

Profiles are untrusted content like stories. The story reader
(``content_checks``) reads them with the same Markdown rules (no raw HTML,
the same link rules) and their own allowed keys (``WRITER_METADATA``); it
checks that the Name's slug is the file name. The photo goes through the
photos plugin as the profile's lead photo (``Photo:`` and ``Photo_alt:`` are
its ``Image:`` and ``Image_alt:``): alt text required, responsive
renditions, credit from the photo's metadata or sidecar.

Hooks

* ``get_generators``: adds ``WriterProfilesGenerator``. Pelican runs it after
  the articles and pages are read and before the photos are encoded and
  the static files copied. It reads every profile, then checks every byline
  against the known writers (profiles and ``DESK_BYLINES``): a byline that
  would share a writer's page under another spelling ("jane  doe" for
  "Jane Doe", "sports desk" for "Sports Desk") is an error naming both
  spellings and the story's file and line, and so are two spellings of one
  byline in different stories (Pelican would merge them under whichever it
  met first). The profiles of writers with a page (a listed story) go into
  the template context as ``writer_profiles`` (slug -> ``WriterProfile``);
  only their photos are encoded.
* ``generator_init``: the ``writer_profile(author)`` template global (the
  profile of a byline, or None). ``profile.portrait(SITEURL)`` is the photo
  as a credited ``<figure>`` sized for the writer page (markup from the
  photos plugin).

``author.html`` shows the profile above the writer's stories; the JSON-LD
``author`` (``structured_data``) reads ``writer_profiles`` for ``jobTitle``
and ``image``. A byline without a profile works as before. Every problem
goes through the problems API (``newsroom.core.problems``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import defaultdict
from pathlib import Path, PurePosixPath

from jinja2 import pass_context
from markupsafe import Markup
from pelican import signals
from pelican.contents import Page
from pelican.generators import Generator
from pelican.readers import MarkdownReader
from pelican.urlwrappers import Author

from newsroom.compat.pelican import body_html
from newsroom.core.photo_crops import PORTRAIT_CROPS
from newsroom.core.plain_metadata import escape_plain_metadata
from newsroom.core.problems import problem_reported_about, report_problem, shown_path

_BYLINE_KEY = re.compile(r"^\s*authors?\s*:", re.IGNORECASE)
_HEADING = re.compile(r"<h[1-6][\s>]")


class WriterProfile(Page):
    """One profile, as Pelican content (so the photos plugin plans its photo).

    Never written as a page of its own and never listed: it is shown on the
    writer's page. ``name``, ``role`` (or ""), ``slug`` (the file name),
    ``url`` (the writer page), ``photo`` (the photos plugin's ``Photo``, or
    None) and ``bio`` (HTML).
    """

    mandatory_properties = ("name",)

    def __init__(self, content, metadata=None, settings=None, source_path=None,
                 context=None):
        metadata = dict(metadata or {})
        metadata["slug"] = PurePosixPath(str(source_path).replace(os.sep, "/")).stem
        photo = metadata.get("photo")
        if isinstance(photo, str) and photo.strip():
            # The photos plugin reads a content's photo from Image: and
            # Image_alt: (escaped for HTML, as the story reader leaves them:
            # newsroom/core/plain_metadata.py).
            metadata["image"] = photo.strip()
            alt = metadata.get("photo_alt")
            if isinstance(alt, str) and alt:
                metadata["image_alt"] = escape_plain_metadata(alt)
        super().__init__(content, metadata, settings, source_path, context)
        self.name = metadata.get("name") if isinstance(metadata.get("name"), str) else ""
        self.role = metadata.get("role") if isinstance(metadata.get("role"), str) else ""
        self.photo = getattr(self, "lead_photo", None)

    @property
    def url(self) -> str:
        # The writer page: the generator keeps only profiles whose Name has
        # this slug (content_checks reports the others).
        return self.settings["AUTHOR_URL"].format(
            slug=self.slug, name=getattr(self, "name", ""))

    @property
    def bio(self) -> str:
        return self.content or ""

    @property
    def image(self) -> dict | None:
        """The rendition for structured data: a crop (square first), else the largest."""
        photo = self.photo
        if not photo:
            return None
        crops = getattr(photo, "crops", None) or {}
        return next((crops[name] for name in PORTRAIT_CROPS if name in crops),
                    getattr(photo, "fallback", None) or None)

    @image.setter
    def image(self, value) -> None:
        # Content sets every metadata key as an attribute; Image: is the photo.
        pass

    def portrait(self, site_url) -> Markup:
        """``{{ profile.portrait(SITEURL) }}``: the photo, credited, sized for the page."""
        photo = self.photo
        if not photo:
            return Markup("")
        from photos.markup import figcaption_html, picture_html  # the photos plugin

        sizes = self.settings["WRITER_PHOTO_SIZES"]
        picture = dataclasses.replace(photo.picture, sizes=sizes)
        prefix = str(site_url).rstrip("/") + "/" if site_url else ""
        # Credited; a caption an agency wrote for the photo is not shown.
        credit = figcaption_html(dataclasses.replace(photo, caption=""))
        return Markup(f'<figure class="writer-profile__photo">'
                      f"{picture_html(picture, prefix, photo.alt, lazy=False)}{credit}</figure>")


# --- reading ---------------------------------------------------------------------

class WriterProfilesGenerator(Generator):
    """Reads content/authors/*.md and checks bylines against them (no output)."""

    def _report(self, path: str, line: int | None, problem: str) -> None:
        report_problem(shown_path(self.path, path), line, problem,
                       covers=(path, os.path.relpath(path, self.path)))

    def _profile_files(self) -> list[str]:
        folders = [PurePosixPath(folder).as_posix()
                   for folder in self.settings["WRITER_PROFILE_PATHS"]]
        found = self.get_files(folders, exclude=self.settings["WRITER_PROFILE_EXCLUDES"],
                               extensions=False)
        profiles = []
        for relative in sorted(found):
            path = os.path.join(self.path, relative)
            name = os.path.basename(relative)
            stem, _, extension = name.rpartition(".")
            parent = PurePosixPath(relative.replace(os.sep, "/")).parent.as_posix()
            if extension not in MarkdownReader.file_extensions:
                suggestion = f"{stem or name}.md" if extension.lower() in (
                    "md", "markdown", "txt", "text") else None
                self._report(path, None, (
                    f"writer profiles are Markdown files; rename it to {suggestion}"
                    if suggestion else
                    "only writer profiles (Markdown files named after the writer, such as "
                    "jane-doe.md) belong in this folder; photos go in content/images/ "
                    "and are named by the profile's Photo: line"))
            elif parent not in folders:
                self._report(path, None,
                             f"a writer profile must be directly in {folders[0]}/, not in "
                             "a subfolder; move it there")
            else:
                profiles.append(relative)
        return profiles

    def _read(self, relative: str) -> WriterProfile | None:
        path = os.path.join(self.path, relative)
        if problem_reported_about(path):
            return None  # not UTF-8, empty, ...: reported by content_checks
        try:
            profile = self.readers.read_file(
                base_path=self.path, path=relative, content_class=WriterProfile,
                context=self.context)
        except Exception as error:  # noqa: BLE001 (a content mistake, never a traceback)
            if not problem_reported_about(path):
                self._report(path, None,
                             f"could not be read ({type(error).__name__}: {error}); check "
                             "the metadata block at the top of the file")
            return None
        if not profile.name or Author(profile.name, self.settings).slug != profile.slug:
            return None  # no Name, or one that does not fit the file name: reported
        if _HEADING.search(body_html(profile)):
            line = next((n for n, text in enumerate(_lines(path), 1)
                         if text.lstrip().startswith("#")), None)
            self._report(path, line,
                         "a bio has no headings (the writer's name is the page's heading); "
                         "write it as paragraphs")
        return profile

    def generate_context(self) -> None:
        profiles: dict[str, WriterProfile] = {}
        for relative in self._profile_files():
            profile = self._read(relative)
            if profile is not None:
                profiles[profile.slug] = profile
                self.add_static_links(profile)
        self.profiles = profiles
        check_bylines(self.context, profiles, self.settings, self.path)
        # A profile is shown once its writer has a page, that is a listed
        # story (not only drafts or hidden ones): templates and JSON-LD see
        # those, and the photos plugin encodes the photos of the contents in
        # lists with this name (photos/_RENDERED_LISTS).
        listed = {author.slug for author, _stories in self.context.get("authors") or ()}
        self.writer_profiles = [p for slug, p in sorted(profiles.items()) if slug in listed]
        self.context["writer_profiles"] = {p.slug: p for p in self.writer_profiles}


# --- bylines -----------------------------------------------------------------------

def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _byline_line(path: str, spelling: str) -> int | None:
    """The Authors:/Author: line of the metadata block that holds ``spelling``."""
    candidates = []
    for number, text in enumerate(_lines(path), 1):
        if not text.strip():
            break  # the metadata block ends at the first blank line
        if _BYLINE_KEY.match(text):
            candidates.append(number)
            if spelling in text.split(":", 1)[1]:
                return number
    return candidates[0] if candidates else None


def _difference(one: str, other: str) -> str:
    def spaced(text):
        return " ".join(text.split())

    if one.casefold() == other.casefold():
        return "differs only in capital letters from"
    if spaced(one) == spaced(other):
        return "differs only in spacing from"
    if spaced(one).casefold() == spaced(other).casefold():
        return "differs only in capitals and spacing from"
    return "gives the same writer page as"


def _bylined(context) -> list:
    """Every story read (published, hidden or draft), in a stable order."""
    contents = [c for c in (context.get("generated_content") or {}).values()
                if c is not None and getattr(c, "authors", None)]
    return sorted(contents, key=lambda c: c.source_path)


def check_bylines(context, profiles: dict, settings, content_root: str) -> None:
    """One spelling per writer page: the profile's Name or desk byline, or one for all."""
    known: dict[str, tuple[str, str]] = {}
    for desk in settings["DESK_BYLINES"]:
        known.setdefault(Author(desk, settings).slug,
                         (desk, "the desk byline in DESK_BYLINES (pelicanconf.py)"))
    for slug, profile in profiles.items():
        known[slug] = (profile.name,
                       f"the writer of {shown_path(content_root, profile.source_path)}")
    # slug -> spelling -> stories using it
    uses: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for content in _bylined(context):
        for author in content.authors:
            if author.slug:  # an unusable byline is reported by content_checks
                uses[author.slug][author.name].append(content)
    for slug, spellings in sorted(uses.items()):
        if slug in known:
            right, whose = known[slug]
        elif len(spellings) > 1:
            # The spelling most stories use; on a tie, the first story's.
            order = list(spellings)
            right = max(order, key=lambda s: (len(spellings[s]), -order.index(s)))
            first = spellings[right][0]
            line = _byline_line(first.source_path, right)
            at = shown_path(content_root, first.source_path) + (f":{line}" if line else "")
            whose = f"the byline in {at}"
        else:
            continue
        for spelling, stories in spellings.items():
            if spelling == right:
                continue
            for story in stories:
                path = story.source_path
                line = _byline_line(path, spelling)
                fix = (f'write "{right}" exactly' if slug in known else
                       f'spell it the same way in every story ("{right}"), or add a writer '
                       f"profile (content/authors/{slug}.md) whose Name says which is right")
                report_problem(
                    shown_path(content_root, path), line,
                    f'byline "{spelling}" {_difference(spelling, right)} "{right}", '
                    f"{whose}; both would share one writer page "
                    f"({Author(right, settings).url}); {fix}",
                    covers=(path, os.path.relpath(path, content_root)))


# --- templates ---------------------------------------------------------------------

@pass_context
def writer_profile(context, author):
    """``{% set profile = writer_profile(author) %}``: a byline's profile, or None."""
    profiles = context.get("writer_profiles") or {}
    return profiles.get(getattr(author, "slug", None))


def add_template_helpers(generator) -> None:
    env = getattr(generator, "env", None)
    if env is None:
        return
    env.globals["writer_profile"] = writer_profile


def get_generators(pelican_object):
    return WriterProfilesGenerator


def register():
    signals.get_generators.connect(get_generators)
    signals.generator_init.connect(add_template_helpers)
