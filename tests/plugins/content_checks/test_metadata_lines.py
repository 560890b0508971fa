"""plugins/content_checks/metadata_lines.py: where each metadata field stands."""

from __future__ import annotations

import markdown
import pytest

from plugins.content_checks.metadata_lines import MetadataLinesExtension, metadata_lines


def read(text: str) -> tuple[dict, int]:
    """{key: (as written, lines, values)}, body line."""
    fields, body = metadata_lines(text.split("\n"))
    return {key: (f.written, f.lines, f.values) for key, f in fields.items()}, body


def test_each_key_has_its_line_and_the_body_starts_after_the_blank_line():
    assert read("Title: A story\nDate: 2024-06-15\n\nBody text.") == (
        {"title": ("Title", [1], ["A story"]), "date": ("Date", [2], ["2024-06-15"])}, 4)


def test_a_key_given_twice_keeps_every_line_and_the_first_spelling():
    fields, body = read("Title: A\nCatgory: X\ncategory: Y\nCategory: Z\n\nBody")
    assert fields["catgory"] == ("Catgory", [2], ["X"])
    assert fields["category"] == ("category", [3, 4], ["Y", "Z"])
    assert body == 6
    (field,) = metadata_lines(["category: Y", "Category: Z"])[0].values()
    assert field.line == 1


def test_continuation_lines_join_their_keys_value():
    fields, body = read("---\nTitle: A\nTags: a,\n    b, c\n---\nBody")
    assert fields == {"title": ("Title", [2], ["A"]), "tags": ("Tags", [3], ["a, b, c"])}
    assert body == 6  # after the closing "---"


@pytest.mark.parametrize("text, fields, body", [
    # A line that is no "Key: value" ends the block: the body starts there.
    ("Title: A\nnot a key line\nBody", {"title": ("Title", [1], ["A"])}, 2),
    # Four spaces make a continuation, which needs a key before it.
    ("    indented: no\nTitle: A", {}, 1),
    # A tab is not a continuation.
    ("Title: A\n    continued\n\tx\n\nBody", {"title": ("Title", [1], ["A continued"])}, 3),
    # Values are stripped; an empty value is still a field on its line.
    ("Title:\nSummary:   spaced  \n\nB",
     {"title": ("Title", [1], [""]), "summary": ("Summary", [2], ["spaced"])}, 4),
    # No block at all.
    ("\nTitle: A", {}, 2),
    ("", {}, 2),
])
def test_where_the_block_ends(text, fields, body):
    assert read(text) == (fields, body)


def test_the_extension_records_the_story_not_a_later_summary():
    md = markdown.Markdown(extensions=["meta", MetadataLinesExtension()])
    assert md.convert("Title: A\nSummary: S\n\nBody *x*") == "<p>Body <em>x</em></p>"
    assert md.Meta == {"title": ["A"], "summary": ["S"]}  # the meta extension agrees
    assert {key: f.lines for key, f in md.story_fields.items()} == {"title": [1], "summary": [2]}
    assert md.story_body_line == 4
    # Pelican converts the Summary with the same instance afterwards.
    md.convert("Other: B\n\nThe summary")
    assert list(md.story_fields) == ["title", "summary"] and md.story_body_line == 4
