"""Checks of {filename}, {static} and {attach} links, and of the images they name."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote

from .images import image_problem, is_image_name
from .report import report, shown
from .source_file import SourceFile

# A URL with a scheme (https:, data:, ...) or protocol-relative: not a file here.
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")

# One verdict per image file and build, however many stories link to it.
image_verdicts: dict[str, str | None] = {}


def _link_target(content_root: str, source_path: str, target: str) -> str:
    # Pelican's rule: "/x" is relative to content/, "x" to the linking file.
    target = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if target.startswith("/"):
        return os.path.join(content_root, target.lstrip("/"))
    return os.path.normpath(os.path.join(os.path.dirname(source_path), target))


def check_links(source: SourceFile, where: str, content_root: str, path: str, paths) -> None:
    for link in source.links:
        if link.target.startswith("data:"):
            continue  # inline data, not a request to anyone
        if _EXTERNAL.match(link.target):
            report(where, link.line,
                   f'image "{link.target}" is on another site, and pages may only load '
                   "files from this one (privacy, and the Content-Security-Policy blocks "
                   "it); save it in content/images/ and link {static}/images/its-name.jpg",
                   *paths)
            continue
        target = _link_target(content_root, path, link.target)
        covered = (*paths, link.target, target)
        if not os.path.isfile(target):
            report(where, link.line,
                   f'"{link.written}" points to {shown(content_root, target)}, '
                   "which does not exist; fix the path or add the file", *covered,
                   broken_file=target)
            continue
        if link.what != "filename" and is_image_name(Path(target)):
            if target not in image_verdicts:
                image_verdicts[target] = image_problem(Path(target))
            problem = image_verdicts[target]
            if problem:
                report(where, link.line,
                       f'image "{link.written}": {shown(content_root, target)} {problem}',
                       *covered, broken_file=target)
