"""A story file as bytes and lines: UTF-8, control characters, fields with lines.

The byte-level checks run before Pelican reads a file. The fields (with
the line each was written on) are filled in by the story reader from what
Python-Markdown parsed (see ``metadata_lines``), so errors can say exactly
where to look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Characters that XML (feeds, sitemaps) or HTML forbid: one definition for
# every plugin, in newsroom.core.characters (imported here under the old names).
from newsroom.core.characters import FORBIDDEN as _FORBIDDEN  # noqa: F401
from newsroom.core.characters import ForbiddenCharacter, forbidden_characters, lines_of  # noqa: F401


class NotUtf8(ValueError):
    def __init__(self, line: int, column: int, byte: int):
        super().__init__(f"line {line}")
        self.line, self.column, self.byte = line, column, byte


@dataclass
class Field:
    line: int
    value: str


@dataclass
class Link:
    line: int
    what: str  # filename, static, attach, or image (a plain path or URL)
    target: str  # as written, e.g. /images/x.jpg

    @property
    def written(self) -> str:
        return self.target if self.what == "image" else "{" + self.what + "}" + self.target


@dataclass
class SourceFile:
    fields: dict[str, Field] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    is_blank: bool = False


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is allowed); NotUtf8 says where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise NotUtf8(line, column, data[error.start]) from None

