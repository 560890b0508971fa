"""Pages and feeds taken as published when their inputs did not change (newsroom/build/page_records.py).

Builds run the real command (the publishing settings: feeds, sitemaps,
compressed copies) into one output, one change after another, on the real
content plus 30 filler stories (related stories, neighbours, several list
pages). After each change the output must equal, byte for byte, a clean
build of the same sources, and the build must have rendered only some of
the pages (its "Built" line says how many): a missed dependency shows as a
difference in the very step that missed it, not hidden by a later change
that renders every page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from helpers.building import (ARTICLE_URL, EPOCH, PUBLISHING, ROOT, filler_content, hash_tree,
                              run_build)
from helpers.photo_files import add_sidecar_credit, flip_keeping_metadata
from newsroom.build.page_records import load_file, record_path, save_file

PHOTO_CACHE = ROOT / ".cache" / "pelican" / "photos"  # renditions: warm, shared
STORY = "articles/filler/filler-00007.md"
STORY_PAGE = "2023/01/filler-story-7/index.html"
BUILT = re.compile(r"^Built .* in [0-9.]+ s(?: \((\d+) of (\d+) pages rendered.*\)| \((\d+) pages "
                   r"rendered\))?$", re.MULTILINE)


def rendered(result) -> tuple[int, int]:
    """(pages rendered, pages in all) from the build's "Built" line."""
    found = BUILT.search(result.stdout)
    assert found, result.stdout + result.stderr
    if found.group(3):
        return int(found.group(3)), int(found.group(3))
    assert found.group(1), f"no count of pages rendered: {result.stdout}"
    return int(found.group(1)), int(found.group(2))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return filler_content(tmp_path_factory.mktemp("page-records"))


@pytest.fixture
def site(corpus, tmp_path):
    """Own copies of the content and theme; ``build`` (into one output) and ``clean``."""
    content = Path(shutil.copytree(corpus, tmp_path / "content"))
    theme = Path(shutil.copytree(ROOT / "theme", tmp_path / "theme"))
    state = SimpleNamespace(content=content, theme=theme, tmp=tmp_path, settings={},
                            output=tmp_path / "output", cleans=0)

    def build(output: Path, cache: Path, search: bool = False):
        result = run_build(output, settings=PUBLISHING, search=search,
                           overrides={"PATH": str(content), "THEME": str(theme),
                                      "CACHE_PATH": str(cache),
                                      "PHOTO_CACHE_PATH": str(PHOTO_CACHE), **state.settings},
                           env={"SOURCE_DATE_EPOCH": EPOCH})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def again(search: bool = False, force: bool = False):
        if not force:
            return build(state.output, tmp_path / "cache", search)
        command = [sys.executable, "-m", "newsroom.build", "-s", str(PUBLISHING), "-o",
                   str(state.output), "--force", *([] if search else ["--no-search"])]
        for key, value in {"PATH": str(content), "THEME": str(theme),
                           "CACHE_PATH": str(tmp_path / "cache"),
                           "PHOTO_CACHE_PATH": str(PHOTO_CACHE), **state.settings}.items():
            command += ["-e", f"{key}={json.dumps(value)}"]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def clean(search: bool = False) -> dict[str, str]:
        """A clean build's files: a new output (no records for it); reads may be cached.

        Its folders must be the output's too (the staging folders made ahead
        of the pages, newsroom/build/published_links.py, leave no empty one).
        """
        state.cleans += 1
        output = tmp_path / f"clean-{state.cleans}"
        result = build(output, tmp_path / "clean-cache", search)
        assert "pages rendered" not in result.stdout  # a first build: no records made
        assert folders(state.output) == folders(output)
        return hash_tree(output)

    def first():
        """The first build (records nothing: nothing is published), then the
        second (records every page it renders, which is all of them)."""
        result = again()
        assert "pages rendered" not in result.stdout, result.stdout
        made, pages = rendered(again(force=True))
        assert made == pages
        return made, pages

    state.again, state.clean, state.first = again, clean, first
    return state


def folders(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_dir()}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _story(site, name: str = STORY) -> Path:
    return site.content / name


def change_body(site):
    with open(_story(site), "a", encoding="utf-8") as story:
        story.write("\nOne more sentence, at the very end.\n")


def change_headline(site):
    # Shown on the pages that list it, relate to it or neighbour it.
    _edit(_story(site), "Title: Filler story 7:", "Title: Filler story seven:")


def change_tags(site):
    _edit(_story(site), "Tags: Sample Topic E", "Tags: Sample Topic E, Sample Topic Z")


def change_date(site):
    # Now the newest filler story (still before the build time: not embargoed).
    _edit(_story(site), "Date: 2023-01-04 09:00", "Date: 2024-05-01 09:00")


def add_story(site):
    (site.content / "articles" / "filler" / "a-new-story.md").write_text(
        "Title: A new story\nDate: 2024-04-01 08:00\nCategory: Politics\n"
        "Tags: Sample Topic E\nAuthors: Sample Desk\nSummary: What the new story says.\n\n"
        "The new story's only paragraph.\n", encoding="utf-8")


def delete_story(site):
    (site.content / "articles" / "filler" / "filler-00012.md").unlink()


def add_writer_profile(site):
    (site.content / "authors" / "sample-desk.md").write_text(
        "Name: Sample Desk\nRole: The sample desk\n\nThe desk that files the samples.\n",
        encoding="utf-8")


def tamper_with_published_page(site):
    # Edited by hand in the output: not the page the records describe.
    page = site.output / ARTICLE_URL / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", " (edited)</h1>", 1),
                    encoding="utf-8")


def edit_template(site):
    _edit(site.theme / "templates" / "base.html", "</body>", '<p id="edited">edited</p></body>')


def change_setting(site):
    site.settings["SITENAME"] = "The Other Ledger"


# kind: (change, at most this share of pages rendered after it)
CHANGES = {
    "story body": (change_body, 0.25),
    "story headline": (change_headline, 0.5),
    "story topics": (change_tags, 0.5),
    "story date": (change_date, 0.6),
    "story added": (add_story, 0.7),
    "story deleted": (delete_story, 0.7),
    "writer profile": (add_writer_profile, 0.9),
    "photo sidecar": (lambda site: add_sidecar_credit(site.content), 0.5),
    "photo replaced": (lambda site: flip_keeping_metadata(site.content / "images"
                                                          / "ruto-conille.jpg"), 0.5),
    "published page edited": (tamper_with_published_page, 0.25),
    "template": (edit_template, 1.0),
    "setting": (change_setting, 1.0),
}


def test_each_kind_of_change_renders_what_it_must_and_equals_a_clean_build(site):
    made, pages = site.first()
    assert pages > 60
    for kind, (change, share) in CHANGES.items():
        change(site)
        result = site.again()
        made, pages = rendered(result)
        assert hash_tree(site.output) == site.clean(), f"{kind}: differs from a clean build"
        assert 0 < made <= share * pages, f"{kind}: {made} of {pages} pages rendered"
        if share == 1.0:
            assert made == pages, f"{kind}: every page must be rendered again"
    # Nothing changed, but forced to build: every page taken as published.
    forced = site.again(force=True)
    assert rendered(forced)[0] == 0
    assert hash_tree(site.output) == site.clean()


def test_a_changed_body_renders_its_page_and_the_lists_not_its_neighbours(site):
    """A story's body is read by its own page; the pages that relate to it or
    neighbour it read its headline and link only (attribute by attribute),
    so they are taken as published, as is every feed without the story."""
    site.first()
    records = load_file(record_path(site.tmp / "cache", site.output))
    story = str(_story(site))

    def reads(entry, whole: bool) -> bool:
        if whole:
            return story in entry[2]  # {source: digest of the whole story}
        return any(source == story for source, _attribute in entry[3])

    readers = {name for name, entry in records["pages"].items()
               if reads(entry, True) or reads(entry, False)}
    # Story pages that read its headline and link, not the whole story.
    neighbours = {name for name, entry in records["pages"].items()
                  if name.startswith("2023/") and name != STORY_PAGE
                  and reads(entry, False) and not reads(entry, True)}
    assert neighbours, "no story page reads the changed story's headline"
    before = {name: os.lstat(site.output / name).st_ino for name in records["pages"]}
    change_body(site)
    made, pages = rendered(site.again())
    assert made < len(readers)  # they read its headline, not its body
    after = {name: os.lstat(site.output / name).st_ino for name in records["pages"]
             if (site.output / name).exists()}
    assert after[STORY_PAGE] != before[STORY_PAGE]
    assert [name for name in neighbours if after[name] != before[name]] == []
    assert hash_tree(site.output) == site.clean()


def test_records_of_another_theme_or_code_are_not_used(site):
    site.first()
    path = record_path(site.tmp / "cache", site.output)
    records = load_file(path)
    assert records["pages"] and records["feeds"]
    records["key"] = "1:not-this-build"
    save_file(path, records)
    change_body(site)
    made, pages = rendered(site.again())
    assert made == pages
    assert load_file(path)["key"] != "1:not-this-build"  # this build's


def test_unreadable_records_only_cost_time(site):
    site.first()
    path = record_path(site.tmp / "cache", site.output)
    records = load_file(path)
    for name, entry in records["pages"].items():
        records["pages"][name] = (entry[0], [entry[1]], *entry[2:])  # not what this code wrote
    save_file(path, records)
    change_body(site)
    made, pages = rendered(site.again())
    assert made == pages
    assert hash_tree(site.output) == site.clean()
    # Damaged on disk (a byte changed, cut short, not a pickle): no records.
    kept = path.read_bytes()
    for damaged in (kept[:-1] + bytes([kept[-1] ^ 1]), kept[: len(kept) // 2], b"{}"):
        path.write_bytes(damaged)
        assert load_file(path) == {}
    change_body(site)
    made, pages = rendered(site.again())
    assert made == pages
    assert hash_tree(site.output) == site.clean()


def test_the_render_child_sends_back_the_records_of_what_it_renders(site):
    """On two cores (newsroom/build/parallel_render.py) the render child renders
    pages ahead of the build process; their records come back with them, so
    the next build takes every page as published, and after a change the
    child leaves the unchanged pages alone and the output is a clean build's."""
    site.settings["RENDER_WORKERS"] = 2  # this small site would otherwise stay serial
    site.first()
    assert rendered(site.again(force=True))[0] == 0
    change_headline(site)
    made, pages = rendered(site.again())
    assert 0 < made < pages / 2
    assert hash_tree(site.output) == site.clean()


def test_a_first_build_records_nothing_and_forgets_old_records(site):
    """With nothing published there is nothing to take pages from: the first
    build into a folder records nothing (and costs what it did without
    records); records of a site that was removed are dropped."""
    site.first()
    path = record_path(site.tmp / "cache", site.output)
    assert load_file(path)["pages"]
    shutil.rmtree(site.output)
    result = site.again()
    assert "pages rendered" not in result.stdout
    assert not path.exists()
    made, pages = rendered(site.again(force=True))
    assert made == pages
    assert hash_tree(site.output) == site.clean()

