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

Missing and damaged files are reported by ``content_checks`` (with line
numbers) when it is enabled; this plugin then skips them, so one mistake
gives one error.
"""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError
from pelican import signals

from .markdown_slots import SLOT_TAG, PhotoSlotsExtension
from .markup import figure_html, lead_figure, photo_thumbnail, picture_html
from .metadata import PhotoText, SidecarError, read_sidecar, read_source, sidecar_path
from .model import plan_photo, setting
from .renditions import run_jobs, source_digest

logger = logging.getLogger(__name__)

URL_TOKEN = "{photo}"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".tif", ".tiff"}
DEFAULT_DECORATIVE_MARKER = "(decorative)"
_SLOT = re.compile(rf"<{SLOT_TAG}((?:\s+[\w-]+=\"[^\"]*\")*)\s*>\s*</{SLOT_TAG}>")
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')

# Per build: renditions to make, and facts about each source file read so far.
_jobs: dict = {}
_sources: dict = {}


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
    _sources.clear()


# --- reporting -----------------------------------------------------------------

def _shown(settings, path) -> str:
    """content/images/x.jpg: relative to the project, whatever the checkout."""
    root = os.path.abspath(settings["PATH"])
    relative = os.path.relpath(os.path.abspath(path), root)
    return str(PurePosixPath(Path(root).name, *Path(relative).parts))


def _line_of(path: str, needle: str) -> int | None:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, 1) if needle in line), None)


def _report(content, needle: str, problem: str, *paths) -> None:
    where = _shown(content.settings, content.source_path)
    line = _line_of(content.source_path, needle)
    location = f"{where}:{line}" if line else where
    logger.error("%s: %s", location, problem,
                 extra={"problem_paths": [content.source_path, *map(str, paths)]})


def _checked_elsewhere(settings) -> bool:
    plugins = settings.get("PLUGINS") or []
    names = {getattr(p, "__name__", str(p)).rsplit(".", 1)[-1] for p in plugins}
    return "content_checks" in names


# --- one photo --------------------------------------------------------------------

def _resolve(content, target: str) -> Path | None:
    match = re.match(r"^[{|](\w+)[}|](.*)$", target)
    value = match.group(2) if match else target
    path = unquote(urlparse(value).path)
    if not path or Path(path).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    if path.startswith("/"):
        return Path(os.path.abspath(content.settings["PATH"])) / path.lstrip("/")
    return Path(os.path.normpath(os.path.join(os.path.dirname(content.source_path), path)))


def _facts(path: Path):
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _sources:
        _sources[key] = (read_source(path), source_digest(path))
    return _sources[key]


def _photo(content, target: str, alt: str | None, caption: str | None, lead: bool):
    """Plan one photo; None (after reporting, where needed) if it cannot be shown."""
    settings = content.settings
    path = _resolve(content, target)
    if path is None:
        return None
    try:
        facts, digest = _facts(path)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError,
            Image.DecompressionBombError) as error:
        if not _checked_elsewhere(settings):
            reason = "does not exist" if not path.exists() else f"cannot be read ({error})"
            _report(content, target, f'photo "{target}": {_shown(settings, path)} {reason}; '
                    "fix the path or replace the file", path)
        return None
    try:
        sidecar = read_sidecar(path)
    except SidecarError as error:
        logger.error("%s:%s: %s", _shown(settings, sidecar_path(path)), error.line, error,
                     extra={"problem_paths": [str(sidecar_path(path)), content.source_path]})
        return None
    marker = settings.get("PHOTO_DECORATIVE_MARKER") or DEFAULT_DECORATIVE_MARKER
    decorative = marker in (alt, sidecar.get("alt"))
    article_layer = {"alt": "" if alt == marker else alt or "", "caption": caption or ""}
    if sidecar.get("alt") == marker:
        sidecar = {**sidecar, "alt": ""}
    text = PhotoText.first_of(article_layer, sidecar, facts.xmp, facts.iim)
    if decorative:
        text.alt = ""
    elif not text.alt:
        _report(content, target,
                f'photo "{target}" ({_shown(settings, path)}) has no alt text; write it in the '
                f"Markdown ![Alt text]({target}), as \"alt: ...\" in "
                f"{sidecar_path(path).name}, or in the photo's XMP "
                f"(Iptc4xmpCore:AltTextAccessibility); if the photo is only decoration, "
                f'write {marker} as its alt text', path)
        return None
    photo, jobs = plan_photo(settings, path, facts, digest, text, decorative, lead)
    for job in jobs:
        _jobs.setdefault(job.name, job)
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
    update = content._update_content
    relative = content.settings.get("RELATIVE_URLS")

    def update_content(text, siteurl):
        if text and URL_TOKEN in text:
            if siteurl:
                prefix = siteurl.rstrip("/") + "/"
            else:
                prefix = "" if relative else "/"
            text = text.replace(URL_TOKEN, prefix)
        return update(text, siteurl)

    content._update_content = update_content


def _plain_metadata(value) -> str | None:
    # plain_metadata escaped these for HTML; here they are text again.
    return html.unescape(value) if isinstance(value, str) else None


def prepare_content(content) -> None:
    from pelican.contents import Article, Page

    if not isinstance(content, (Article, Page)):
        return
    content.lead_photo = None
    image = content.metadata.get("image")
    if isinstance(image, str) and image.strip():
        content.lead_photo = _photo(
            content, image.strip(), _plain_metadata(content.metadata.get("image_alt")),
            _plain_metadata(content.metadata.get("image_caption")), lead=True)
    summary = getattr(content, "_summary", None)
    if isinstance(summary, str) and SLOT_TAG in summary:
        # A standfirst is text: a photo written into Summary: is left out.
        content._summary = _SLOT.sub("", summary)
        content.metadata["summary"] = content._summary
    body = content._content or ""
    if SLOT_TAG in body:
        body = _SLOT.sub(lambda m: _fill_slot(content, m), body)
        content._content = body
    if URL_TOKEN in body:
        _resolve_tokens(content)


# --- output -----------------------------------------------------------------------

def _is_original(settings, source_path: str) -> bool:
    if Path(source_path).suffix.lower() not in PHOTO_SUFFIXES:
        return False
    relative = PurePosixPath(Path(os.path.relpath(source_path, os.path.abspath(settings["PATH"]))).as_posix())
    folders = settings.get("PHOTO_PATHS") or ["images"]
    return any(relative.is_relative_to(folder) for folder in folders)


def drop_originals(generator) -> None:
    settings = generator.settings
    if settings.get("PHOTO_PUBLISH_ORIGINALS"):
        return
    kept = [s for s in generator.staticfiles if not _is_original(settings, s.source_path)]
    generator.staticfiles[:] = kept
    generator.context["staticfiles"] = generator.staticfiles


def encode_renditions(generators) -> None:
    settings = generators[0].settings
    cache = Path(settings.get("PHOTO_CACHE_PATH")
                 or os.path.join(settings.get("CACHE_PATH", ".cache"), "photos"))
    output = Path(settings["OUTPUT_PATH"]) / setting(settings, "PHOTO_OUTPUT_DIR").strip("/")
    report = run_jobs(list(_jobs.values()), cache, output, settings.get("PHOTO_WORKERS"))
    for job, error in report.failures:
        logger.error("%s: could not be resized (%s); export it again as JPEG or PNG",
                     _shown(settings, job.source), error,
                     extra={"problem_paths": [job.source]})
    print(f"Photos: {report.encoded} encoded, {report.reused} reused", flush=True)


def register():
    signals.initialized.connect(setup)
    signals.content_object_init.connect(prepare_content)
    signals.static_generator_finalized.connect(drop_originals)
    signals.all_generators_finalized.connect(encode_renditions)
