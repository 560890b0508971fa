"""Where each metadata field stands, by Python-Markdown's own rules.

Python-Markdown's ``meta`` extension reads the metadata block and forgets
the lines. This preprocessor runs just before it, over the same lines and
with the same regular expressions (imported from ``markdown.extensions.meta``,
so the two cannot disagree), and records each key's line number, the key as
the editor wrote it, and the line where the body starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markdown.extensions import Extension
from markdown.extensions.meta import BEGIN_RE, END_RE, META_MORE_RE, META_RE
from markdown.preprocessors import Preprocessor


@dataclass
class FieldLines:
    """One metadata key: every line it was given on, as written."""

    written: str  # the key as the editor wrote it, e.g. "Catgory"
    lines: list[int] = field(default_factory=list)
    # One value per line the key was given on; continuation lines are joined
    # to their key's value with spaces, as a reader of the field sees it.
    values: list[str] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.lines[0]



def metadata_lines(lines: list[str]) -> tuple[dict[str, FieldLines], int]:
    """(key -> FieldLines, 1-based line where the body starts) for ``lines``."""
    fields: dict[str, FieldLines] = {}
    index = 0
    if lines and BEGIN_RE.match(lines[0]):
        index = 1
    key = None
    while index < len(lines):
        line = lines[index]
        if line.strip() == "" or END_RE.match(line):
            index += 1
            break
        match = META_RE.match(line)
        if match:
            written = match.group("key").strip()
            key = written.lower()
            entry = fields.setdefault(key, FieldLines(written))
            entry.lines.append(index + 1)
            entry.values.append(match.group("value").strip())
        else:
            more = META_MORE_RE.match(line)
            if not (more and key):
                break
            fields[key].values[-1] += " " + more.group("value").strip()
        index += 1
    return fields, index + 1


class MetadataLines(Preprocessor):
    def run(self, lines):
        # Only the story itself: Pelican converts the Summary with the same
        # Markdown instance later, after the meta preprocessor is removed.
        if getattr(self.md, "story_fields", None) is None:
            self.md.story_fields, self.md.story_body_line = metadata_lines(lines)
        return lines


class MetadataLinesExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        md.story_fields = None
        # The meta extension's preprocessor has priority 27; run just before it.
        md.preprocessors.register(MetadataLines(md), "newsroom_metadata_lines", 28)
