"""Characters that no published text may contain.

Pages, feeds and sitemaps are HTML and XML: C0 and C1 control characters
(except tab and line ends), DEL and Unicode noncharacters are forbidden
there, and a feed writer refuses to write them. Editors never mean them;
they arrive with text pasted from other programs or embedded in photo
metadata. Every check that reads text written outside the build (story
files in ``content_checks``, photo metadata and sidecars in ``photos``)
uses this one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]"
)


@dataclass
class ForbiddenCharacter:
    line: int
    column: int
    character: str

    @property
    def code(self) -> str:
        """``U+0007``: how the character is named in error messages."""
        return f"U+{ord(self.character):04X}"


def lines_of(text: str) -> list[str]:
    # Only "\n" ends a line for Markdown; str.splitlines() would also split
    # at form feeds and other separators and get the line numbers wrong.
    return [line.removesuffix("\r") for line in text.split("\n")]


def forbidden_characters(text: str) -> list[ForbiddenCharacter]:
    """Every forbidden character in ``text``, with its line and column (from 1)."""
    if not FORBIDDEN.search(text):
        return []  # the usual case: no need to cut the text into lines
    found = []
    for number, line in enumerate(lines_of(text), start=1):
        for match in FORBIDDEN.finditer(line):
            found.append(ForbiddenCharacter(number, match.start() + 1, match.group()))
    return found
