"""The story reader keeps one Markdown instance: a story reads the same after any other.

StoryReader._markdown resets the instance between stories instead of making
a new one. Each story below leaves something on a Markdown instance that a
new one would not have (abbreviations, footnotes, link references, the meta
preprocessor Pelican removes to convert the Summary, the checks' findings);
read one after another by one reader, in both orders, each must read exactly
as it does alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pelican.settings import read_settings

from newsroom.core.settings import resolve
from plugins.content_checks.reader import StoryReader

ROOT = Path(__file__).resolve().parents[3]

STORIES = {
    "abbreviations.md": """Title: Abbreviations and footnotes
Date: 2026-01-02 10:00
Category: News
Summary: The *HTML* summary[^s] with an [x] reference.

The HTML spec and the W3C[^1] meet. See [the docs][x].

*[HTML]: Hyper Text Markup Language
*[W3C]: World Wide Web Consortium

[x]: https://example.org/docs
[^1]: A footnote.
[^s]: In the summary.
""",
    "defines.md": """Title: Defines without a summary
Date: 2026-01-02 12:00
Category: News

NATO met[^2]. See [the page][y].

*[NATO]: North Atlantic Treaty Organization

[y]: https://example.org/page
[^2]: Another footnote.
""",
    "uses.md": """Title: Uses what the others defined
Date: 2026-01-03 10:00
Category: News

HTML, W3C and NATO again, references [x], [the docs][x] and [y], notes[^1][^2].

```python
code = "block"
```
""",
    "bad.md": """Title: Breaks rules
Date: 2026-01-04 10:00
Category: News

A [link](javascript:alert(1)) and ![](missing.jpg) here.
""",
    "plain.md": """Title: Plain
Date: 2026-01-05 10:00
Category: News
Summary: Just a summary.

Meta: not metadata, a paragraph.

Body text.
""",
}


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content" / "articles"
    folder.mkdir(parents=True)
    for name, text in STORIES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def reader_for(content: Path) -> StoryReader:
    settings = resolve(read_settings(str(ROOT / "pelicanconf.py"),
                                     override={"PATH": str(content.parent)}))
    return StoryReader(settings)


def read(reader: StoryReader, path: Path, caplog) -> tuple:
    caplog.clear()
    html, metadata = reader.read(str(path))
    shown = {key: str(value) for key, value in metadata.items()}
    return html, shown, [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize("order", [list(STORIES), list(reversed(STORIES))])
def test_each_story_reads_as_alone_after_the_others(content, caplog, order):
    caplog.set_level(logging.WARNING)
    alone = {name: read(reader_for(content), content / name, caplog) for name in STORIES}
    shared = reader_for(content)
    for name in order * 2:
        assert read(shared, content / name, caplog) == alone[name], name
    # The stories differ where they should, so the comparison can fail.
    assert "<abbr" in alone["abbreviations.md"][0]
    assert "<abbr" not in alone["uses.md"][0]
    assert "example.org" not in alone["uses.md"][0]
    assert "example.org/page" in alone["defines.md"][0]
    assert alone["bad.md"][2], "the broken story reports its problems"
    assert "summary" in alone["plain.md"][1]


def test_the_instance_is_kept_and_its_meta_preprocessor_put_back(content, caplog):
    reader = reader_for(content)
    fresh = reader_for(content)._markdown()[0]
    read(reader, content / "abbreviations.md", caplog)
    first = reader._spare_markdown
    assert "meta" not in first.preprocessors  # Pelican removed it for the Summary
    read(reader, content / "plain.md", caplog)
    assert reader._spare_markdown is first
    assert [type(item).__name__ for item in first.preprocessors] == \
        [type(item).__name__ for item in fresh.preprocessors] or "meta" not in first.preprocessors
    md, shared = reader._markdown()
    assert shared and md is first
    assert [type(item).__name__ for item in md.preprocessors] == \
        [type(item).__name__ for item in fresh.preprocessors]
    assert md.story_fields is None and md.story_findings is None


def test_a_read_that_fails_drops_the_instance(content, caplog, monkeypatch):
    reader = reader_for(content)
    read(reader, content / "plain.md", caplog)
    kept = reader._spare_markdown

    def fail(self, text):
        raise RuntimeError("cut short")

    monkeypatch.setattr(type(kept), "convert", fail)
    with pytest.raises(RuntimeError):
        reader.read(str(content / "uses.md"))
    monkeypatch.undo()
    assert reader._spare_markdown is None
    assert read(reader, content / "uses.md", caplog) == \
        read(reader_for(content), content / "uses.md", caplog)


def test_footnotes_numbered_per_document_get_a_new_instance_each_time(content, caplog):
    reader = reader_for(content)
    reader.settings["MARKDOWN"]["extension_configs"]["markdown.extensions.footnotes"] = {
        "UNIQUE_IDS": True}
    first = read(reader, content / "abbreviations.md", caplog)
    read(reader, content / "defines.md", caplog)
    assert reader.__dict__.get("_spare_markdown") is None
    assert read(reader, content / "abbreviations.md", caplog) == first
