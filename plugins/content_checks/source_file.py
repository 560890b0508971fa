"""Read one Markdown source file the way an editor sees it: lines and fields.

Pelican reports problems per file without line numbers; this module keeps
the line of every metadata field and every internal link so that errors can
say exactly where to look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Markdown's "meta" extension: "Key: value", continued by indented lines,
# ended by the first blank line (an optional "---" line may open the block).
_FIELD = re.compile(r"^(?P<key>[A-Za-z0-9_-]+)\s*:\s?(?P<value>.*)$")
_CONTINUATION = re.compile(r"^ {4,}\S")
# Pelican's intra-site link syntax, as written in Markdown or a metadata value.
_LINK = re.compile(r"[{|](?P<what>filename|static|attach)[}|](?P<target>[^\s)\"'<>\]]+)")
# A Markdown image with a plain path or a URL: ![alt](images/x.jpg "title").
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?(?P<target>[^)\s>]+)")


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


# Characters that XML (feeds, sitemaps) or HTML forbid: C0 and C1 controls
# except tab and line ends, DEL, and Unicode noncharacters. Editors never
# mean them; they arrive with text pasted from other programs.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]"
)


@dataclass
class ForbiddenCharacter:
    line: int
    column: int
    character: str


def lines_of(text: str) -> list[str]:
    # Only "\n" ends a line for Markdown; str.splitlines() would also split
    # at form feeds and other separators and get the line numbers wrong.
    return [line.removesuffix("\r") for line in text.split("\n")]


def forbidden_characters(text: str) -> list[ForbiddenCharacter]:
    found = []
    for number, line in enumerate(lines_of(text), start=1):
        for match in _FORBIDDEN.finditer(line):
            found.append(ForbiddenCharacter(number, match.start() + 1, match.group()))
    return found


def parse(text: str) -> SourceFile:
    source = SourceFile(is_blank=not text.strip())
    lines = lines_of(text)
    index = 0
    if lines and lines[0].strip() == "---":
        index = 1
    current: str | None = None
    while index < len(lines):
        line = lines[index]
        match = _FIELD.match(line)
        if match:
            current = match.group("key").lower()
            source.fields[current] = Field(index + 1, match.group("value").strip())
        elif current and _CONTINUATION.match(line):
            source.fields[current].value += " " + line.strip()
        else:
            break  # a blank line, "---" or the first line of the body
        index += 1
    for number, line in enumerate(lines, start=1):
        for match in _LINK.finditer(line):
            source.links.append(Link(number, match.group("what"), match.group("target")))
        for match in _IMAGE.finditer(line):
            target = match.group("target")
            if not target.startswith(("{", "|")):
                source.links.append(Link(number, "image", target))
    image = source.fields.get("image")
    if image and image.value and not image.value.startswith(("{", "|")):
        source.links.append(Link(image.line, "image", image.value))
    return source
