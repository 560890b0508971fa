"""Old addresses: what an editor may write after ``Redirect_from:`` and where it goes.

An old path is a site path: it starts with "/", has no query (``?``) or
fragment (``#``), no empty, "." or ".." segment and no hidden segment
(``.htaccess``), and uses only characters that need no escaping in a URL,
on a file system or in an nginx ``map`` file: ASCII letters, digits and
``- . _ ~ /``. Its page is written at

* ``<old>index.html`` when the path ends in "/" (``/old/`` -> ``old/index.html``);
* ``<old>`` when it ends in ``.html`` (``/old.html`` -> ``old.html``);
* ``<old>/index.html`` otherwise (``/old`` -> ``old/index.html``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_ALLOWED = re.compile(r"^[A-Za-z0-9._~/-]+$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A file or folder name longer than this fails on common file systems (255 bytes).
MAX_SEGMENT = 200
EXAMPLE = '"Redirect_from: /2023/05/old-slug/"'


@dataclass(frozen=True)
class RedirectPage:
    """One ``Redirect_from:`` line of one story."""

    old_path: str  # as written, e.g. /2023/05/old-slug/
    save_as: str  # the file it writes, relative to the output root
    line: int  # the line of the story file it is written on
    source_path: str  # the story file (absolute)


def redirect_file(old_path: str) -> str:
    """The output file (relative to the output root) for a valid old path."""
    relative = old_path.lstrip("/")
    if old_path.endswith("/"):
        return relative + "index.html"
    if old_path.endswith(".html"):
        return relative
    return relative + "/index.html"


def old_path_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an old path, or None; the text says how to fix it."""
    field = f'Redirect_from "{value}"'
    if not value:
        return f"Redirect_from is empty; write the old address as a path, e.g. {EXAMPLE}"
    if _SCHEME.match(value) or value.startswith("//"):
        path = urlsplit(value).path
        path = path if path.startswith("/") else "/old/path/"
        return (f"{field} is a full address; give only its path on this site, "
                f'e.g. "Redirect_from: {path}"')
    if any(character.isspace() for character in value):
        return (f"{field} contains a space; give one path per line "
                "(Redirect_from may be repeated)")
    if not value.startswith("/"):
        return f'{field} must start with "/" (a path from the site\'s root), e.g. {EXAMPLE}'
    if "?" in value or "#" in value:
        return (f'{field} has a query or fragment ("?" or "#"); a page can only stand at a '
                'path: remove everything from the "?" or "#" on')
    if not _ALLOWED.match(value):
        return (f"{field} may only contain letters A-Z and a-z, digits and - . _ ~ / "
                "(write other characters in the old address with plain letters)")
    segments = value.strip("/").split("/") if value != "/" else []
    if any(segment in ("", ".", "..") for segment in segments):
        return f'{field} has an empty, "." or ".." segment; write the path plainly, e.g. {EXAMPLE}'
    if any(segment.startswith(".") for segment in segments):
        return (f'{field} has a part starting with "." (a hidden file, which web servers may '
                "read as their own settings, like .htaccess); it cannot be redirected here")
    if any(len(segment) > MAX_SEGMENT for segment in segments):
        return f"{field} has a part longer than {MAX_SEGMENT} characters; it cannot be a file name"
    return None
