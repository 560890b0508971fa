"""Every link and image target in a story must resolve, and only to allowed places.

The targets come from the element tree Python-Markdown built
(``html_rules``), so inline, reference-style and summary links are all
seen exactly as they will be published. Rules:

* ``http``, ``https``, ``mailto`` and ``tel`` links are fine; any other
  scheme is an error, and so is a ``//host`` link;
* ``{filename}``, ``{static}`` and ``{attach}`` targets, and plain paths
  relative to the story, must name a file inside content/; a linked image
  must be a complete image (``images.image_problem``); images from another
  site are refused (privacy, and the Content-Security-Policy blocks them);
* a site path (``/2024/06/a-story/``) must be a page of this site: that is
  known only once every story is read, so ``site_links`` keeps them for
  ``outputs.check_site_links``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

from newsroom.core.content_paths import inside_content
from newsroom.core.problems import shown_path

from .html_rules import Finding, target_kind
from .images import image_problem, is_image_name
from .report import report
from .source_file import Link, SourceFile

# What a metadata photo (Image:, Photo:) may be besides {static}/...: a path,
# or (reported as such) a URL on another site or a //host link.
_PHOTO_TARGET_KINDS = {"relative", "site", "http", "https", "network", "indicator",
                       "fragment"}
# One verdict per image file and build, however many stories link to it.
image_verdicts: dict[str, str | None] = {}
# Per build: the story's parsed fields by absolute path (for line numbers).
parsed_sources: dict[str, SourceFile] = {}
# Per build: site-path links to check once all pages are known:
# absolute source path -> [(line, target as written)].
site_links: dict[str, list[tuple[int | None, str]]] = {}


def forget_previous_build() -> None:
    image_verdicts.clear()
    parsed_sources.clear()
    site_links.clear()


def _path_of(target: str) -> str:
    return unquote(target.split("#", 1)[0].split("?", 1)[0])


def link_target(content_root: str, source_path: str, target: str) -> str:
    """The file a target names. Pelican's rule: "/x" is relative to content/,
    "x" to the linking file."""
    target = _path_of(target)
    if target.startswith("/"):
        return os.path.normpath(os.path.join(content_root, target.lstrip("/")))
    return os.path.normpath(os.path.join(os.path.dirname(source_path), target))


def line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    return None


def _check_file(link: Link, where: str, content_root: str, source_path: str, paths) -> None:
    """A target that names a file in content/: it must exist, stay inside, and be whole."""
    target = link_target(content_root, source_path, link.target)
    covered = (*paths, link.target, target)
    if not inside_content(content_root, target):
        report(where, link.line,
               f'"{link.written}" points outside the content folder; link only files '
               "inside content/", *covered, broken_file=target)
        return
    if not os.path.isfile(target):
        report(where, link.line,
               f'"{link.written}" points to {shown_path(content_root, target)}, '
               "which does not exist; fix the path or add the file", *covered,
               broken_file=target)
        return
    if link.what != "filename" and is_image_name(Path(target)):
        if target not in image_verdicts:
            image_verdicts[target] = image_problem(Path(target))
        problem = image_verdicts[target]
        if problem:
            report(where, link.line,
                   f'image "{link.written}": {shown_path(content_root, target)} {problem}',
                   *covered, broken_file=target)


def _check_finding(finding: Finding, text: str, where: str, content_root: str,
                   source_path: str, paths) -> None:
    value = finding.value
    line = line_of(text, value)
    image = finding.element == "img"
    if finding.what == "scheme":
        allowed = ("http:, https:, mailto: or tel: links, site paths or {filename}/{static} "
                   "links" if not image else "{static} photos from content/images/")
        report(where, line,
               f'{"image" if image else "link"} target "{value}" is not allowed '
               f"({finding.kind}: can run script or hide what it is); use {allowed}", *paths)
        return
    if finding.what != "target":
        what = {"element": f"<{value}> elements are",
                "attribute": f'the attribute {value} on <{finding.element}> is',
                "attribute-list": f'attribute lists such as "{value}" are'}[finding.what]
        report(where, line, f"{what} not allowed in stories; remove it "
               "(the theme decides how a story looks)", *paths)
        return
    kind = finding.kind
    if kind in ("http", "https") and image:
        report(where, line,
               f'image "{value}" is on another site, and pages may only load '
               "files from this one (privacy, and the Content-Security-Policy blocks "
               "it); save it in content/images/ and link {static}/images/its-name.jpg",
               *paths)
    elif kind == "indicator":
        report(where, line,
               f'"{value}" is not a link this site supports; link a story with '
               "{filename}, a file with {static}, or a page by its site path (/about/)",
               *paths)
    elif kind == "network":
        report(where, line, f'link "{value}" has no scheme; write it as https:{value}', *paths)
    elif kind == "intrasite":
        what, _, target = value[1:].partition(value[0] if value[0] == "|" else "}")
        _check_file(Link(line, what, target), where, content_root, source_path, paths)
    elif kind == "relative" or (kind == "site" and image):
        # "image": a plain path, shown as written.
        _check_file(Link(line, "image", value), where,
                    content_root, source_path, paths)
    elif kind == "site":
        site_links.setdefault(source_path, []).append((line, value))


def check_targets(findings: list[Finding], text: str, source: SourceFile, where: str,
                  content_root: str, source_path: str, paths, content: str,
                  lead_photo_field: str = "image") -> str:
    """Report every finding of ``html_rules`` and every unresolved target.

    ``lead_photo_field``: the metadata key naming the file's photo (``Image:``
    in stories, ``Photo:`` in writer profiles).
    """
    for finding in findings:
        _check_finding(finding, text, where, content_root, source_path, paths)
    image = source.fields.get(lead_photo_field)
    if image and image.value:
        value = image.value
        if value.startswith(("{", "|")):
            what, _, target = value[1:].partition(value[0] if value[0] == "|" else "}")
            _check_file(Link(image.line, what, target), where, content_root, source_path, paths)
        else:
            # A photo is a file of this site (or, refused, of another one);
            # any other scheme (javascript:, data:, ...) is refused by name.
            kind = target_kind(value)[0]
            what = "target" if kind in _PHOTO_TARGET_KINDS else "scheme"
            _check_finding(Finding(what, "img", value, kind), text,
                           where, content_root, source_path, paths)
    return content
