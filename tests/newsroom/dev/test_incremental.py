"""The incremental preview (newsroom/dev/incremental.py): each kind of change, byte for byte.

A preview worker builds a copy of the real content with filler stories and
writer profiles; then content, photos, profiles, the theme, the settings and
the code change, one kind of change after another. After each, the preview's
output must equal, file for file and byte for byte, what a clean
``python -m newsroom.build`` of the same sources makes (the search index
aside: the preview makes it in the background). And it must get there by
doing little: a save renders only the pages that show what changed, and a
build with nothing changed writes nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import search_bundles
from helpers.building import DEVELOPMENT, ROOT, SEED, hash_tree, load_script, run_build
from newsroom.dev.incremental import PreviewWorker

FILLER = 14  # with the real story, two home pages of 12


def story(content: Path, number: int) -> Path:
    return content / "articles" / "filler" / f"filler-{number:05d}.md"


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def set_field(path: Path, field: str, value: str | None) -> None:
    """Replace (or add, or with None remove) a metadata line."""
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    lines = [line for line in head.splitlines() if not line.startswith(f"{field}:")]
    if value is not None:
        lines.append(f"{field}: {value}")
    path.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


def without_search(tree: dict[str, str]) -> dict[str, str]:
    return {name: digest for name, digest in tree.items() if not name.startswith("pagefind/")}


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """A running preview worker over its own content, theme and settings file."""
    base = tmp_path_factory.mktemp("incremental")
    content = base / "content"
    shutil.copytree(ROOT / "content", content)
    filler = load_script("make_filler_corpus")
    photos = sorted(path.name for path in (content / "images").glob("*.jpg"))
    filler.write_corpus(FILLER, content / "articles" / "filler", photos, writers=3)
    filler.write_profiles(3, content / "authors", photos)
    theme = base / "theme"
    shutil.copytree(ROOT / "theme", theme)
    # A settings file of its own (the real one, plus one line a test changes).
    settings = base / "settings.py"
    settings.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                        "from pelicanconf import *  # noqa: F401,F403\n"
                        "SITESUBTITLE = 'News as it happens'\n", encoding="utf-8")
    overrides = {"PATH": str(content), "THEME": str(theme)}
    worker = PreviewWorker(settings, base / "output", content, theme, overrides, search=False)
    first = worker.start()
    assert first["ok"], first["problems"]
    yield worker, content, theme, settings, overrides, base
    worker.stop()


def clean_build(preview, name: str) -> dict[str, str]:
    worker, _content, _theme, settings, overrides, base = preview
    result = run_build(base / f"clean-{name}", settings=settings, overrides=overrides,
                       search=False)
    assert result.returncode == 0, result.stderr
    return hash_tree(base / f"clean-{name}")


def assert_same_as_clean(preview, name: str) -> None:
    worker = preview[0]
    preview_tree = without_search(hash_tree(worker.output))
    clean_tree = clean_build(preview, name)
    assert sorted(preview_tree) == sorted(clean_tree), (
        f"after {name}: only in the preview {sorted(set(preview_tree) - set(clean_tree))}, "
        f"only in the clean build {sorted(set(clean_tree) - set(preview_tree))}")
    differ = [path for path in preview_tree if preview_tree[path] != clean_tree[path]]
    assert differ == [], f"after {name}: files differ from a clean build: {differ}"


def built(worker, changed) -> dict:
    answer = worker.build([str(path) for path in changed])
    assert answer["ok"], answer["problems"]
    return answer


def test_the_first_build_is_the_clean_build(preview):
    assert_same_as_clean(preview, "first")


def test_a_build_with_nothing_changed_renders_and_writes_nothing(preview):
    worker = preview[0]
    before = {path: (path.stat().st_mtime_ns, path.stat().st_ino)
              for path in worker.output.rglob("*") if path.is_file()}
    answer = built(worker, [])
    assert (answer["rendered"], answer["written"], answer["removed"]) == (0, [], [])
    after = {path: (path.stat().st_mtime_ns, path.stat().st_ino)
             for path in worker.output.rglob("*") if path.is_file()}
    assert after == before


def test_a_sentence_renders_only_the_pages_that_show_the_story(preview):
    worker, content = preview[0], preview[1]
    path = story(content, 2)
    edit(path, "\n\n", "\n\nA sentence the editor just added.\n\n")
    answer = built(worker, [path])
    pages = [name for name in answer["written"] if name.endswith(".html")]
    # Its own page changed; cards show the standfirst, not the body.
    assert len(pages) == 1 and "A sentence the editor" in Path(pages[0]).read_text()
    # The story's page and the pages that list or link to it, not the site.
    total = len(list(worker.output.rglob("*.html")))
    assert 1 <= answer["rendered"] <= total // 3, (answer["rendered"], total)
    assert_same_as_clean(preview, "a body edit")


def test_content_changes_match_a_clean_build(preview):
    worker, content = preview[0], preview[1]
    changed = [story(content, number) for number in (3, 5, 7, 9, 11, 12)]
    edit(story(content, 3), "Title: ", "Title: Updated: ")  # a headline, on every card
    set_field(story(content, 5), "Tags", "Sample Topic Z, Brand New Topic")  # topic pages
    set_field(story(content, 7), "Date", "2024-06-20 09:00")  # now the newest: every list moves
    set_field(story(content, 9), "Summary", "A new standfirst for the cards.")
    story(content, 11).unlink()  # its page, its topic's page, neighbours
    set_field(story(content, 12), "Status", "draft")  # a draft: drafts/, off every list
    new = content / "articles" / "filler" / "late-story.md"
    new.write_text("Title: A late story\nDate: 2024-06-01 10:00\nCategory: Politics\n"
                   "Tags: Late Topic\nAuthors: Staff Reporter\nSummary: It came in late.\n\n"
                   "The body of the late story.\n", encoding="utf-8")
    answer = built(worker, [*changed, new])
    assert str(worker.output / "2024" / "06" / "a-late-story" / "index.html") in answer["written"]
    assert answer["removed"], "the deleted story's page must go"
    assert_same_as_clean(preview, "content changes")


def test_photo_and_profile_changes_match_a_clean_build(preview):
    worker, content = preview[0], preview[1]
    photo = content / "images" / "ruto-conille.jpg"
    sidecar = photo.with_name(photo.name + ".sidecar.txt")
    sidecar.write_text("caption: A caption from the photo desk's sidecar\n", encoding="utf-8")
    profile = content / "authors" / "filler-writer-2.md"
    edit(profile, "Role: ", "Role: Senior ")
    answer = built(worker, [sidecar, profile])
    assert answer["rendered"] > 0
    assert_same_as_clean(preview, "a sidecar and a profile")


def test_a_template_change_matches_a_clean_build(preview):
    worker, theme = preview[0], preview[2]
    template = theme / "templates" / "partials" / "site_footer.html"
    edit(template, "</footer>", "<p>Footer line from a template edit</p></footer>")
    built(worker, [template])
    pages = [path for path in worker.output.rglob("*.html") if "</footer>" in path.read_text()]
    assert len(pages) > 30
    assert [path for path in pages
            if "Footer line from a template edit" not in path.read_text()] == []
    assert_same_as_clean(preview, "a template edit")


def test_settings_and_code_changes_restart_the_worker(preview):
    worker, settings = preview[0], preview[3]
    first = worker.process.pid
    edit(settings, "News as it happens", "All the news, as it happens")
    built(worker, [settings])
    assert worker.process.pid != first
    assert_same_as_clean(preview, "a settings edit")
    second = worker.process.pid
    built(worker, [ROOT / "plugins" / "related_stories" / "__init__.py"])
    assert worker.process.pid != second


def test_a_broken_story_is_reported_then_the_fix_is_built(preview):
    worker, content = preview[0], preview[1]
    path = story(content, 4)
    page_before = hash_tree(worker.output)
    edit(path, "Date: ", "Date: not a date ")
    answer = worker.build([str(path)])
    assert not answer["ok"]
    assert any(re.search(r"filler-00004\.md:\d+: .*date", problem, re.IGNORECASE)
               for problem in answer["problems"]), answer["problems"]
    assert worker.problems == answer["problems"]
    assert hash_tree(worker.output) == page_before  # a failed build writes nothing
    edit(path, "Date: not a date ", "Date: ")
    answer = built(worker, [path])
    assert worker.problems == []
    assert_same_as_clean(preview, "a fixed story")


def test_the_worker_replaces_what_another_build_left_and_speaks_json_lines(tmp_path):
    """A publishing build's files in the output go; one JSON line per build on stdout."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    stale = [tmp_path / "output" / "feeds" / "all.atom.xml", tmp_path / "output" / "index.html.gz"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left by `invoke preview`")
    process = subprocess.run(
        [sys.executable, "-m", "newsroom.dev.incremental", "-s", str(DEVELOPMENT),
         "-o", str(tmp_path / "output"), "-e", f"PATH={content}"],
        input=json.dumps({"changed": [str(content / "articles" / SEED)]}) + "\n",
        capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ})
    assert process.returncode == 0, process.stderr
    answers = [json.loads(line) for line in process.stdout.splitlines()]
    assert len(answers) == 2 and all(answer["ok"] for answer in answers), process.stdout
    assert answers[1]["rendered"] == 0 and answers[1]["written"] == []
    assert [path for path in stale if path.exists()] == []
    assert (tmp_path / "output" / "index.html").is_file()


def test_search_is_indexed_again_in_the_background(tmp_path):
    """After each good build Pagefind runs beside the worker; its index is swapped in whole."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    output = tmp_path / "output"
    worker = PreviewWorker.for_settings(DEVELOPMENT, output, {"PATH": str(content)}, search=True)
    try:
        assert worker.start()["ok"]
        worker._indexer.join(60)
        first_index = (output / "pagefind").stat().st_ino
        story = content / "articles" / SEED
        edit(story, "\n\n", "\n\nA sentence about zanzibarite.\n\n")
        assert worker.build([str(story)])["ok"]
        worker._indexer.join(60)
        assert not worker._indexer.is_alive()
        assert (output / "pagefind").stat().st_ino != first_index  # a new index, swapped in
        assert search_bundles.page_count(output) == 1
        assert any(b"zanzibarite" in fragment for fragment in search_bundles.fragments(output))
        assert sorted(p.name for p in output.iterdir() if p.name.startswith(".pagefind")) == []
    finally:
        worker.stop()
