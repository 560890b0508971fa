"""photos: photo metadata becomes captioned, credited, responsive figures.

Hooks

* ``initialized``: adds the ``markdown_slots`` extension to the Markdown
  settings (it marks where photos go) and the ``lead_figure`` and
  ``photo_thumbnail`` template filters;
* ``content_object_init``: for each article or page, reads every photo's
  text (Markdown > sidecar > XMP > IIM, see ``metadata``), fails the build on
  a missing alt text, fills each slot with a ``<figure>``/``<picture>`` and
  sets ``lead_photo`` from the ``Image:`` metadata (None without one);
* ``static_generator_finalized``: keeps the originals under ``PHOTO_PATHS``
  out of the output unless ``PHOTO_PUBLISH_ORIGINALS`` is set;
* ``all_generators_finalized``: encodes the renditions the cache lacks on
  every core, links all of them into the output and prints
  ``Photos: N encoded, M reused``.

Problems go through the problems API (``newsroom.core.problems``); no check
here depends on another plugin. A missing or damaged photo is reported here
too, naming the photo as a covered file: when ``content_checks`` has
reported the same file (with a line number, as a broken file), the build
driver drops this report as an echo, so one mistake gives one error either
way. Control characters in a photo's text (Markdown, sidecar, XMP, IIM)
are errors naming the photo, the field and where the character is; such a
photo is left out, so the character never reaches a page or feed.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import astuple, dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError
from pelican import signals

from newsroom.core.characters import forbidden_characters, lines_of
from newsroom.compat.pelican import (body_html, rewrite_before_links, set_body_html,
                                     set_summary_html, summary_html)
from newsroom.core.content_paths import inside_content
from newsroom.core.plain_metadata import unescape_plain_metadata
from newsroom.core.problems import (control_character_key, problems_reported, report_problem,
                               shown_path)

from .markdown_slots import SLOT_TAG, PhotoSlotsExtension
from .markup import figure_html, lead_figure, photo_thumbnail, picture_html
from .metadata import (FIELD_NAMES, FIELDS, IIM_DATASETS, XMP_PROPERTIES, PhotoText,
                       SidecarError, read_sidecar, read_source, sidecar_path)
from .model import plan_photo
from .renditions import run_jobs, source_digest

URL_TOKEN = "{photo}"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".tif", ".tiff"}
_SLOT = re.compile(rf"<{SLOT_TAG}((?:\s+[\w-]+=\"[^\"]*\")*)\s*>\s*</{SLOT_TAG}>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')

# Per build: renditions to make, and facts about each source file read so far.
_jobs: dict = {}
# Source paths of the articles and pages seen (their photos follow them).
_content_sources: set = set()
# Rendition name -> source paths of the contents that show it: a rendition is
# made only for contents the build really renders (a draft left out of a
# publishing build takes its photos with it).
_owners: dict = {}
# Facts about each source file (keyed by path, mtime and size) and the plan
# of each photo shown (keyed by everything plan_photo reads). Both are kept
# from one build to the next in one process (the incremental preview), and
# what a build did not use is dropped at the start of the next.
_sources: dict = {}
_plans: dict = {}
_used: dict = {"sources": set(), "plans": set()}
# Per build: the file each photo target names, by content folder, story
# folder and target, once it is known to stay inside content/ (None if not):
# many stories show the same photo; its folders are looked at once per build.
_resolved: dict = {}
_UNKNOWN = object()


def _prune_unused() -> None:
    for table, used in ((_sources, _used["sources"]), (_plans, _used["plans"])):
        for key in [key for key in table if key not in used]:
            del table[key]
        used.clear()


def setup(pelican) -> None:
    settings = pelican.settings
    markdown = settings.setdefault("MARKDOWN", {})
    extensions = markdown.setdefault("extensions", [])
    if not any(isinstance(ext, PhotoSlotsExtension) for ext in extensions):
        extensions.append(PhotoSlotsExtension())
    filters = dict(settings.get("JINJA_FILTERS") or {})
    filters.update(lead_figure=lead_figure, photo_thumbnail=photo_thumbnail)
    settings["JINJA_FILTERS"] = filters
    _jobs.clear()
    _owners.clear()
    _content_sources.clear()
    _resolved.clear()
    _prune_unused()


# --- reporting -----------------------------------------------------------------

def _source_lines(path: str) -> list[str]:
    try:
        return lines_of(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(path: str, needle: str) -> int | None:
    return next((n for n, line in enumerate(_source_lines(path), 1) if needle in line), None)


def _report(content, needle: str, problem: str, *paths) -> None:
    """A problem in the article, at the first line that contains ``needle``."""
    report_problem(shown_path(content.settings["PATH"], content.source_path),
                   _line_of(content.source_path, needle), problem,
                   covers=[content.source_path, *map(str, paths)])


# --- control characters in a photo's text ----------------------------------------

@dataclass
class _Problem:
    where: str
    line: int | None
    text: str
    covers: list
    once: tuple | None = None  # the same character found by the story's own check


def _in_markdown(content, target: str, path: Path, name: str, value: str,
                 lead: bool) -> list[_Problem]:
    """Control characters in alt text or caption written in the article."""
    lines = _source_lines(content.source_path)
    photo = f'"{target}" ({shown_path(content.settings["PATH"], path)})'
    if lead:
        key = "image_alt" if name == "alt" else "image_caption"
        what = f"Image_{key[6:]} (the {FIELD_NAMES[name]} of the lead photo {photo})"
        found = [n for n, line in enumerate(lines, 1)
                 if line.lstrip().lower().startswith(key + ":")]
    else:
        what = (f"the alt text of photo {photo}" if name == "alt"
                else f"the caption (the title in quotes) of photo {photo}")
        found = [n for n, line in enumerate(lines, 1) if target in line]
    problems = []
    seen: dict[str, int] = {}
    for bad in forbidden_characters(value):
        # The line that holds the field and this character, and its column
        # there (the n-th such character of the value is the n-th on the
        # line); one written as an HTML reference (&#12;) is not in the file.
        nth = seen[bad.character] = seen.get(bad.character, 0) + 1
        line = next((n for n in found if lines[n - 1].count(bad.character) >= nth), None)
        once = None
        if line:
            columns = [i for i, c in enumerate(lines[line - 1], 1) if c == bad.character]
            at = f"at column {columns[nth - 1]}"
            once = control_character_key(content.source_path, line, columns[nth - 1])
        else:
            line = found[0] if found else None
            at = "(written as a character reference)"
        problems.append(_Problem(
            shown_path(content.settings["PATH"], content.source_path), line,
            f"{what} contains the control character {bad.code} {at}; delete it "
            "(pages and feeds cannot contain it)", [content.source_path], once))
    return problems


def _in_photo(settings, path: Path, name: str, source: str, value: str) -> list[_Problem]:
    """Control characters in a field read from the photo's XMP or IIM."""
    where = (f"its XMP ({XMP_PROPERTIES[name]})" if source == "xmp"
             else f"its IPTC IIM ({IIM_DATASETS[name]})")
    return [_Problem(shown_path(settings["PATH"], path), None,
                     f"the {FIELD_NAMES[name]} in {where} contains the control character "
                     f"{bad.code} at column {bad.column}; fix the photo's metadata in your "
                     f"photo editor or override it in {sidecar_path(path).name}",
                     [str(path)])
            for bad in forbidden_characters(value)]


def _character_problems(content, target: str, path: Path, layers, decorative: bool,
                        lead: bool) -> list[_Problem]:
    """Every control character in the text the photo would be published with.

    Only the value that is used counts: a field overridden in the article or
    the sidecar is not published, so overriding it is a fix. (A sidecar's
    own control characters are reported by ``read_sidecar``.)
    """
    problems = []
    for name in FIELDS:
        if name == "alt" and decorative:
            continue
        source, value = next(((s, layer[name]) for s, layer in layers if layer.get(name)),
                             (None, ""))
        if source == "article":
            problems += _in_markdown(content, target, path, name, value, lead)
        elif source in ("xmp", "iim"):
            problems += _in_photo(content.settings, path, name, source, value)
    return problems


# --- one photo --------------------------------------------------------------------

def _resolve(content, target: str) -> Path | None:
    """The photo file ``target`` names, if it is a photo inside content/ (once per
    build for each folder and target: many stories show the same photo)."""
    key = (content.settings["PATH"], os.path.dirname(content.source_path), target)
    found = _resolved.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = _resolved[key] = _resolve_afresh(content, target)
    return found


def _resolve_afresh(content, target: str) -> Path | None:
    match = re.match(r"^[{|](\w+)[}|](.*)$", target)
    value = match.group(2) if match else target
    path = unquote(urlparse(value).path)
    if not path or Path(path).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    content_root = os.path.abspath(content.settings["PATH"])
    if path.startswith("/"):
        resolved = Path(content_root) / path.lstrip("/")
    else:
        resolved = Path(os.path.normpath(os.path.join(os.path.dirname(content.source_path), path)))
    # Never read a file outside content/ (content_checks reports the link).
    return resolved if inside_content(content_root, resolved) else None


def _facts(path: Path):
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_ctime_ns)
    _used["sources"].add(key)
    if key not in _sources:
        _sources[key] = (read_source(path), source_digest(path))
    return _sources[key]


def _plan(settings, path: Path, facts, digest: str, text: PhotoText, decorative: bool,
          lead: bool):
    """``plan_photo``, kept while its inputs are the same (the same settings dict)."""
    key = (str(path), digest, astuple(text), decorative, lead)
    _used["plans"].add(key)
    kept = _plans.get(key)
    if kept is None or kept[0] is not settings or kept[1] is not facts:
        kept = _plans[key] = (settings, facts, plan_photo(settings, path, facts, digest, text,
                                                          decorative, lead))
    return kept[2]


def _photo(content, target: str, alt: str | None, caption: str | None, lead: bool):
    """Plan one photo; None (after reporting, where needed) if it cannot be shown."""
    settings = content.settings
    path = _resolve(content, target)
    if path is None:
        return None
    try:
        facts, digest = _facts(path)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError) as error:
        # Reported whatever else is enabled. If content_checks reported this
        # file as broken (with its line), the build driver drops this line as
        # an echo: the photo is among the covered paths.
        reason = "does not exist" if not path.exists() else f"cannot be read ({error})"
        _report(content, target,
                f'photo "{target}": {shown_path(settings["PATH"], path)} {reason}; '
                "fix the path or replace the file", path)
        return None
    try:
        sidecar = read_sidecar(path)
    except SidecarError as error:
        for line, message in error.problems:
            report_problem(shown_path(settings["PATH"], sidecar_path(path)), line, message,
                           covers=[str(sidecar_path(path)), content.source_path])
        return None
    marker = settings["PHOTO_DECORATIVE_MARKER"]
    decorative = marker in (alt, sidecar.get("alt"))
    article_layer = {"alt": "" if alt == marker else alt or "", "caption": caption or ""}
    if sidecar.get("alt") == marker:
        sidecar = {**sidecar, "alt": ""}
    layers = [("article", article_layer), ("sidecar", sidecar), ("xmp", facts.xmp),
              ("iim", facts.iim)]
    text = PhotoText.first_of(*(layer for _source, layer in layers))
    problems = _character_problems(content, target, path, layers, decorative, lead)
    for problem in problems:
        report_problem(problem.where, problem.line, problem.text, covers=problem.covers,
                       once=problem.once)
    if problems:
        return None
    if decorative:
        text.alt = ""
    elif not text.alt:
        _report(content, target,
                f'photo "{target}" ({shown_path(settings["PATH"], path)}) has no alt text; '
                f"write it in the Markdown ![Alt text]({target}), as \"alt: ...\" in "
                f"{sidecar_path(path).name}, or in the photo's XMP "
                f"(Iptc4xmpCore:AltTextAccessibility); if the photo is only decoration, "
                f'write {marker} as its alt text', path)
        return None
    photo, jobs = _plan(settings, path, facts, digest, text, decorative, lead)
    owner = getattr(content, "source_path", None)
    for job in jobs:  # (every rendition of every photo shown: kept lean)
        name = job.name
        if name not in _jobs:
            _jobs[name] = job
        owners = _owners.get(name)
        if owners is None:
            owners = _owners[name] = set()
        owners.add(owner)
    return photo


# --- articles -------------------------------------------------------------------

def _fill_slot(content, match: re.Match) -> str:
    attrs = {k: html.unescape(v) for k, v in _ATTRIBUTE.findall(match.group(1))}
    photo = _photo(content, attrs.get("data-src", ""), attrs.get("data-alt"),
                   attrs.get("data-title"), lead=False)
    if photo is None:
        return ""
    if attrs.get("data-block") == "1":
        return figure_html(photo, URL_TOKEN)
    return picture_html(photo.picture, URL_TOKEN, photo.alt)


def _resolve_tokens(content) -> None:
    """Make ``{photo}`` URLs relative to each page the body is shown on."""
    relative = content.settings.get("RELATIVE_URLS")

    def resolve(text, siteurl):
        if text and URL_TOKEN in text:
            if siteurl:
                prefix = siteurl.rstrip("/") + "/"
            else:
                prefix = "" if relative else "/"
            text = text.replace(URL_TOKEN, prefix)
        return text

    rewrite_before_links(content, resolve)


def prepare_content(content) -> None:
    from pelican.contents import Article, Page

    if not isinstance(content, (Article, Page)):
        return
    _content_sources.add(content.source_path)
    content.lead_photo = None
    image = content.metadata.get("image")
    if isinstance(image, str) and image.strip():
        content.lead_photo = _photo(
            content, image.strip(), unescape_plain_metadata(content.metadata.get("image_alt")),
            unescape_plain_metadata(content.metadata.get("image_caption")), lead=True)
    summary = summary_html(content)
    if isinstance(summary, str) and SLOT_TAG in summary:
        # A standfirst is text: a photo written into Summary: is left out.
        set_summary_html(content, _SLOT.sub("", summary))
    body = body_html(content)
    if SLOT_TAG in body:
        body = _SLOT.sub(lambda m: _fill_slot(content, m), body)
        set_body_html(content, body)
    if URL_TOKEN in body:
        _resolve_tokens(content)


# --- output -----------------------------------------------------------------------

def _is_original(settings, source_path: str) -> bool:
    if Path(source_path).suffix.lower() not in PHOTO_SUFFIXES:
        return False
    relative = PurePosixPath(Path(os.path.relpath(source_path, os.path.abspath(settings["PATH"]))).as_posix())
    folders = settings["PHOTO_PATHS"]
    return any(relative.is_relative_to(folder) for folder in folders)


def drop_originals(generator) -> None:
    settings = generator.settings
    if settings["PHOTO_PUBLISH_ORIGINALS"]:
        return
    kept = [s for s in generator.staticfiles if not _is_original(settings, s.source_path)]
    generator.staticfiles[:] = kept
    generator.context["staticfiles"] = generator.staticfiles


# Every list in which Pelican keeps contents it will write ("writer_profiles":
# the profiles the writer_profiles plugin shows on writer pages; they are Page
# objects, so that prepare_content plans their photos).
_RENDERED_LISTS = ("articles", "translations", "hidden_articles", "hidden_translations",
                   "drafts", "drafts_translations", "pages", "hidden_pages",
                   "draft_pages", "draft_translations", "writer_profiles")


def _rendered_sources(generators) -> set:
    """Source paths of the articles and pages the build writes, plus every owner
    that is not an article or page (e.g. a writer profile), which is always shown."""
    rendered = {content.source_path for generator in generators
                for name in _RENDERED_LISTS for content in getattr(generator, name, [])}
    for owners in _owners.values():
        rendered.update(owner for owner in owners if owner not in _content_sources)
    return rendered


def encode_renditions(generators) -> None:
    settings = generators[0].settings
    cache = Path(settings["PHOTO_CACHE_PATH"])  # derived from CACHE_PATH when not set
    output = Path(settings["OUTPUT_PATH"]) / settings["PHOTO_OUTPUT_DIR"].strip("/")
    if problems_reported():
        # Nothing will be published; do not spend minutes encoding (or read
        # photos a rejected story points at).
        print("Photos: not encoded (the build has problems)", flush=True)
        return
    rendered = _rendered_sources(generators)
    jobs = [job for name, job in _jobs.items()
            if any(owner in rendered for owner in _owners.get(name, ()))]
    report = run_jobs(jobs, cache, output, settings["PHOTO_WORKERS"])
    reported = set()
    for job, error in report.failures:
        if job.source in reported:
            continue  # one line per photo, not one per rendition
        reported.add(job.source)
        report_problem(shown_path(settings["PATH"], job.source), None,
                       f"could not be resized ({error}); export it again as JPEG or PNG",
                       covers=[job.source])
    print(f"Photos: {report.encoded} encoded, {report.reused} reused", flush=True)


def register():
    signals.initialized.connect(setup)
    signals.content_object_init.connect(prepare_content)
    signals.static_generator_finalized.connect(drop_originals)
    signals.all_generators_finalized.connect(encode_renditions)
