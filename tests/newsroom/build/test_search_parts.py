"""The search index in parts, only changed parts indexed again (newsroom/build/search_parts.py).

Builds run the real command into temporary folders; what is checked is the
index on disk: every story in exactly one part, the part its path says,
parts whose pages did not change linked from the published site untouched,
the others indexed again, and the result byte for byte a clean build's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import lxml.html
import pytest

from helpers import search_bundles
from helpers.building import ROOT, copy_content, hash_tree, run_build, write_files
from helpers.processes import alive, freeze_pagefind, killed_on_exit
from helpers.search_bundles import PART_WORDS as WORDS, harbour_story as story
from newsroom.build.search_parts import assign_parts, part_of, sort_date

PARTS = 4


def story_page(number: int) -> str:
    return f"2024/05/harbour-report-{number}/index.html"


def make_content(base: Path) -> Path:
    content = copy_content(base)
    write_files(content / "articles", {f"harbour-{number}.md": story(number, word)
                                       for number, word in enumerate(WORDS)})
    return content


def build(content: Path, output: Path, cache: Path, parts=PARTS, recent=0):
    """The real build; ``recent`` 0: every page in the part its path gives
    (the recent part has tests of its own, below)."""
    return run_build(output, overrides={"PATH": str(content), "CACHE_PATH": str(cache),
                                        "SEARCH_INDEX_PARTS": parts,
                                        "SEARCH_RECENT_PAGES": recent})


def bundle_files(output: Path) -> dict[str, os.stat_result]:
    """Pagefind's files of every bundle, with their stat (compressed copies and
    ``parts.json``, written by each build, left out)."""
    found = {}
    for path in sorted((output / "pagefind").rglob("*")):
        if path.is_file() and path.suffix not in (".gz", ".br") and path.name != "parts.json":
            found[str(path.relative_to(output))] = path.stat()
    return found


def folder_of(relative: str) -> str:
    """The bundle a file of the index belongs to: "" or "part-<n>"."""
    parts = Path(relative).parts
    return parts[1] if len(parts) > 2 and parts[1].startswith("part-") else ""


@pytest.fixture(scope="module")
def parted(tmp_path_factory):
    base = tmp_path_factory.mktemp("search-parts")
    content = make_content(base)
    result = build(content, base / "output", base / "cache")
    assert result.returncode == 0, result.stderr
    return content, base


def test_part_of_is_stable_and_spreads_pages():
    paths = [f"2024/{month:02d}/story-{number}/index.html"
             for month in range(1, 13) for number in range(100)]
    counts = [0] * PARTS
    for path in paths:
        counts[part_of(path, PARTS)] += 1
    assert all(250 <= count <= 350 for count in counts), counts  # 300 each, give or take
    # Another process (another hash seed) puts every page in the same part.
    code = ("import json, sys; from newsroom.build.search_parts import part_of; "
            f"print(json.dumps([part_of(p, {PARTS}) for p in json.load(sys.stdin)]))")
    other = subprocess.run([sys.executable, "-c", code], input=json.dumps(paths), text=True,
                           capture_output=True, cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"})
    assert json.loads(other.stdout) == [part_of(path, PARTS) for path in paths]
    assert {part_of(path, 1) for path in paths} == {0}


def test_every_story_is_in_exactly_the_part_its_path_gives(parted):
    _content, base = parted
    output = base / "output"
    stories = {story_page(number) for number in range(len(WORDS))}
    seed = {str(path.relative_to(output)) for path in output.rglob("index.html")
            if b"data-pagefind-body" in path.read_bytes()} - stories
    pages = sorted(stories | seed)
    expected = {part_of(page, PARTS) for page in pages}
    assert len(expected) >= 3  # the test means something: several parts
    primary = min(expected)
    names = json.loads((output / "pagefind" / "parts.json").read_text())
    assert names == [f"part-{number}/" for number in sorted(expected - {primary})]
    assert search_bundles.page_count(output) == len(pages)
    for bundle in search_bundles.bundles(output):
        number = primary if bundle.name == "pagefind" else int(bundle.name.removeprefix("part-"))
        urls = sorted(json.loads(fragment)["url"]
                      for fragment in search_bundles.bundle_fragments(bundle))
        assert urls == sorted("/" + page.removesuffix("index.html") for page in pages
                              if part_of(page, PARTS) == number), bundle
    assert search_bundles.fragment_urls(output) == sorted(
        "/" + page.removesuffix("index.html") for page in pages)


def test_only_parts_whose_pages_changed_are_indexed_again(parted, tmp_path):
    content, base = parted
    output = tmp_path / "output"
    cache = tmp_path / "cache"
    assert build(content, output, cache).returncode == 0
    before = bundle_files(output)
    before_bytes = {name: (output / name).read_bytes() for name in before}
    pages_before = {page: (output / page).read_bytes() for page in _indexed(output)}
    changed = content / "articles" / "harbour-3.md"
    changed.write_text(story(3, WORDS[3]).replace("which mentions", "which names"),
                       encoding="utf-8")
    result = build(content, output, cache)
    assert result.returncode == 0, result.stderr
    pages_after = {page: (output / page).read_bytes() for page in _indexed(output)}
    assert pages_after.keys() == pages_before.keys()
    moved = {part_of(page, PARTS) for page in pages_after
             if pages_after[page] != pages_before[page]}
    assert part_of(story_page(3), PARTS) in moved
    primary = min(part_of(page, PARTS) for page in pages_after)
    changed_folders = {"" if number == primary else f"part-{number}" for number in moved}
    after = bundle_files(output)
    kept = [name for name in after if folder_of(name) not in changed_folders]
    indexed = [name for name in after if folder_of(name) in changed_folders]
    assert kept and indexed
    for name in kept:  # linked from the published site: the same file, untouched
        assert after[name].st_ino == before[name].st_ino, name
        assert after[name].st_mtime_ns == before[name].st_mtime_ns, name
        assert (output / name).read_bytes() == before_bytes[name], name
    for name in indexed:  # Pagefind wrote these again: new files
        assert name not in before or after[name].st_ino != before[name].st_ino, name
    assert any(b"which names" in fragment for fragment in search_bundles.fragments(output))
    assert not any(b"which mentions vorpalite" in fragment
                   for fragment in search_bundles.fragments(output))
    # Byte for byte what a clean build (no record, nothing to link) makes.
    clean = tmp_path / "clean"
    assert build(content, clean, tmp_path / "clean-cache").returncode == 0
    assert hash_tree(clean / "pagefind") == hash_tree(output / "pagefind")


def _indexed(output: Path) -> list[str]:
    return sorted(str(path.relative_to(output)) for path in output.rglob("index.html")
                  if "pagefind" not in path.parts and b"data-pagefind-body" in path.read_bytes())


def test_a_part_changed_on_disk_is_indexed_again(parted, tmp_path):
    content, base = parted
    output = tmp_path / "output"
    cache = tmp_path / "cache"
    assert build(content, output, cache).returncode == 0
    names = json.loads((output / "pagefind" / "parts.json").read_text())
    tampered = next((output / "pagefind" / names[0] / "fragment").glob("*.pf_fragment"))
    tampered.write_bytes(b"changed by hand")
    before = bundle_files(output)
    result = build(content, output, cache)  # nothing else changed
    assert result.returncode == 0, result.stderr
    after = bundle_files(output)
    for name in after:
        if folder_of(name) == names[0].rstrip("/"):
            assert name not in before or after[name].st_ino != before[name].st_ino, name
    clean = tmp_path / "clean"
    assert build(content, clean, tmp_path / "clean-cache").returncode == 0
    assert hash_tree(clean / "pagefind") == hash_tree(output / "pagefind")


def test_a_story_taken_down_leaves_every_part(parted, tmp_path):
    content, base = parted
    output = tmp_path / "output"
    cache = tmp_path / "cache"
    assert build(content, output, cache).returncode == 0
    (content / "articles" / "harbour-5.md").unlink()
    try:
        result = build(content, output, cache)
        assert result.returncode == 0, result.stderr
        everything = b"".join(path.read_bytes() for path in (output / "pagefind").rglob("*")
                              if path.is_file() and path.suffix not in (".gz", ".br"))
        import gzip

        for path in (output / "pagefind").rglob("*.pf_*"):
            everything += gzip.decompress(path.read_bytes())
        assert WORDS[5].encode() not in everything
        assert b"harbour-report-5" not in everything
        assert "/" + story_page(5).removesuffix("index.html") not in \
            search_bundles.fragment_urls(output)
    finally:
        write_files(content / "articles", {"harbour-5.md": story(5, WORDS[5])})


def test_one_part_is_one_bundle(parted, tmp_path):
    content, _base = parted
    output = tmp_path / "output"
    result = build(content, output, tmp_path / "cache", parts=1)
    assert result.returncode == 0, result.stderr
    assert json.loads((output / "pagefind" / "parts.json").read_text()) == []
    assert not list((output / "pagefind").glob("part-*"))
    assert search_bundles.page_count(output) == len(_indexed(output))


@pytest.mark.parametrize("value", [0, 65, "many", True, 2.5])
def test_a_bad_number_of_parts_is_a_clear_error(parted, tmp_path, value):
    content, _base = parted
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the previous site")
    result = build(content, output, tmp_path / "cache", parts=value)
    assert result.returncode == 1
    assert result.errors == [f"settings: SEARCH_INDEX_PARTS is {value!r}; it must be a whole "
                             "number from 1 to 64 (4 by default)"], result.stderr
    assert "Traceback" not in result.stderr
    assert [path.name for path in output.iterdir()] == ["index.html"]


@pytest.mark.parametrize("value", [-1, "some", True, 1.5])
def test_a_bad_number_of_recent_pages_is_a_clear_error(parted, tmp_path, value):
    content, _base = parted
    output = tmp_path / "output"
    result = run_build(output, overrides={"PATH": str(content),
                                          "CACHE_PATH": str(tmp_path / "cache"),
                                          "SEARCH_RECENT_PAGES": value})
    assert result.returncode == 1
    assert result.errors == [f"settings: SEARCH_RECENT_PAGES is {value!r}; it must be a whole "
                             "number from 0 to 100000 (50 by default)"], result.stderr
    assert "Traceback" not in result.stderr
    assert not output.exists()


# --- the recent part ---------------------------------------------------------------------

def test_the_newest_pages_make_the_first_part_and_the_others_go_by_path():
    pages = {f"2024/05/story-{number}/index.html": float(number) for number in range(10)}
    pages["about/index.html"] = None  # no date: never recent
    parts = assign_parts(pages, 4, 3)
    assert sorted(page for page, part in parts.items() if part == 0) == [
        "2024/05/story-7/index.html", "2024/05/story-8/index.html", "2024/05/story-9/index.html"]
    assert all(part == 1 + part_of(page, 3) for page, part in parts.items() if part != 0)
    assert {part for part in parts.values()} <= {0, 1, 2, 3}
    # Equal dates: by path, whatever order the pages come in.
    tied = {"a/index.html": 5.0, "c/index.html": 5.0, "b/index.html": 5.0}
    first = assign_parts(tied, 4, 2)
    assert first == assign_parts(dict(reversed(tied.items())), 4, 2)
    assert sorted(page for page, part in first.items() if part == 0) == [
        "b/index.html", "c/index.html"]
    # More recent pages wanted than have a date: only the dated ones.
    assert [page for page, part in assign_parts(pages, 4, 50).items() if part == 0] == [
        page for page in pages if page != "about/index.html"]
    # One part, or no recent part: as before.
    assert assign_parts(pages, 1, 3) == dict.fromkeys(pages, 0)
    assert assign_parts(pages, 4, 0) == {page: part_of(page, 4) for page in pages}


def _moment(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("page, expected", [
    (b'<time datetime="2024-05-01T09:00:00+02:00" data-pagefind-meta="date" '
     b'data-pagefind-sort="date[datetime]">1 May</time>', _moment("2024-05-01T07:00:00")),
    (b"<time data-pagefind-sort='date[datetime]' class=d datetime='2024-05-01T09:00'>",
     _moment("2024-05-01T09:00:00")),  # no time zone: UTC
    (b'<div data-pagefind-sort="date:2024-05-02">', _moment("2024-05-02T00:00:00")),
    (b"<p>no date to sort by</p>", None),
    (b'<time datetime="last week" data-pagefind-sort="date[datetime]">', None),
    (b'<time data-pagefind-sort="date[datetime]">undated</time>', None),
    (b'<time data-datetime="2024-05-01" data-pagefind-sort="date[datetime]">', None),
])
def test_a_page_is_dated_by_what_pagefind_sorts_it_by(page, expected):
    assert sort_date(b"<!doctype html><body><article data-pagefind-body>" + page
                     + b"</article></body>") == expected


def _page_dates(output: Path) -> dict[str, datetime]:
    """Each indexed page's date, read from its byline with lxml."""
    found = {}
    for page in _indexed(output):
        tree = lxml.html.parse(str(output / page))
        (value,) = tree.xpath('//*[@data-pagefind-sort="date[datetime]"]/@datetime')
        found[page] = datetime.fromisoformat(value)
    return found


def _primary_urls(output: Path) -> list[str]:
    return sorted(json.loads(fragment)["url"] for fragment in
                  search_bundles.bundle_fragments(output / "pagefind"))


def _new_files(before: dict, after: dict) -> set[str]:
    """The bundles ("" or "part-<n>") with a file that is not the one before."""
    return {folder_of(name) for name in after
            if name not in before or after[name].st_ino != before[name].st_ino}


def test_an_edit_to_a_recent_story_indexes_only_the_recent_part(parted, tmp_path):
    content = make_content(tmp_path)
    output, cache = tmp_path / "output", tmp_path / "cache"
    assert build(content, output, cache, recent=3).returncode == 0
    dates = _page_dates(output)
    newest = sorted(dates, key=lambda page: (dates[page], page), reverse=True)[:3]
    assert _primary_urls(output) == sorted("/" + page.removesuffix("index.html")
                                           for page in newest)
    assert story_page(7) in newest  # the newest harbour story (7 May)
    folders = json.loads((output / "pagefind" / "parts.json").read_text())
    assert folders and all(name.startswith("part-") for name in folders)
    before = bundle_files(output)

    # An edit to the newest story: only the recent part is indexed again.
    write_files(content / "articles", {"harbour-7.md": story(7, WORDS[7]).replace(
        "which mentions", "which now names")})
    assert build(content, output, cache, recent=3).returncode == 0
    after = bundle_files(output)
    assert _new_files(before, after) == {""}
    assert any(b"which now names" in fragment
               for fragment in search_bundles.bundle_fragments(output / "pagefind"))
    clean = tmp_path / "clean"
    assert build(content, clean, tmp_path / "clean-cache", recent=3).returncode == 0
    assert hash_tree(clean / "pagefind") == hash_tree(output / "pagefind")

    # A newer story: the oldest of the recent three goes to its hashed part,
    # which is indexed again with the recent part (as is any part with a page
    # that now lists the new story).
    leaving = newest[-1]
    write_files(content / "articles", {"harbour-8.md": story(8, "novelword").replace(
        "2024-05-09", "2024-05-20")})
    assert build(content, output, cache, recent=3).returncode == 0
    assert leaving not in [page for page in _indexed(output)
                           if "/" + page.removesuffix("index.html") in _primary_urls(output)]
    assert {"", f"part-{1 + part_of(leaving, 3)}"} <= _new_files(after, bundle_files(output))
    clean = tmp_path / "clean-2"
    assert build(content, clean, tmp_path / "clean-cache-2", recent=3).returncode == 0
    assert hash_tree(clean / "pagefind") == hash_tree(output / "pagefind")


# --- stopped while parts are being indexed ---------------------------------------------

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and signals")
def test_a_stop_signal_ends_every_part_being_indexed(parted, tmp_path):
    content, base = parted
    output = tmp_path / "output"
    assert build(content, output, tmp_path / "first-cache").returncode == 0
    before = hash_tree(output)
    # A new cache: no record, so every part is indexed, two at a time.
    command = [sys.executable, "-m", "newsroom.build", "-o", str(output),
               "-e", f"PATH={content}", "-e", f"CACHE_PATH={tmp_path / 'new-cache'}",
               "-e", f"SEARCH_INDEX_PARTS={PARTS}", "-e", "SEARCH_RECENT_PAGES=0"]
    started = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    frozen: list[int] = []
    with killed_on_exit(started, frozen):
        frozen += freeze_pagefind(started, 2)
        assert len(frozen) == 2, f"two Pagefind processes never ran: {started.communicate()[1]}"
        started.terminate()
        _stdout, stderr = started.communicate(timeout=60)
    assert started.returncode not in (0, None)
    assert "Build failed" in stderr and "interrupted" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert not any(alive(pid) for pid in frozen), "a Pagefind process outlived the stop"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "first-cache", "new-cache", "output"]  # no staging folder left beside it
    assert hash_tree(output) == before


# --- index_site on its own ------------------------------------------------------------

def _small_site(root: Path, words: list[str]) -> Path:
    for number, word in enumerate(words):
        page = root / "2024" / "05" / f"story-{number}" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!doctype html><html lang='en'><head><title>Story {number}</title>"
                        f"</head><body><article data-pagefind-body><h1>Story {number}</h1>"
                        f"<p>It mentions {word}.</p></article></body></html>", encoding="utf-8")
    (root / "index.html").write_text("<!doctype html><html lang='en'><body>home</body></html>",
                                     encoding="utf-8")
    return root


def test_parts_that_cannot_be_linked_are_indexed_again(tmp_path, monkeypatch):
    from newsroom.build.driver import _run_searchers
    from newsroom.build.search_parts import index_site

    first = _small_site(tmp_path / "first", WORDS)
    record = tmp_path / "record.json"
    done = index_site(first, PARTS, _run_searchers, record)
    assert not done.problems and len(done.parts) >= 3
    assert sorted(done.indexed) == sorted(part.folder for part in done.parts)
    from newsroom.build.search_parts import save_record

    save_record(record, done.record)
    # The same pages again: every part is linked from the first site.
    second = _small_site(tmp_path / "second", WORDS)
    again = index_site(second, PARTS, _run_searchers, record, first / "pagefind")
    assert not again.problems and again.indexed == []
    assert hash_tree(second / "pagefind") == hash_tree(first / "pagefind")
    # Where links cannot be made, each part is indexed again, to the same bytes.
    def no_links(*_args, **_kwargs):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    third = _small_site(tmp_path / "third", WORDS)
    fallback = index_site(third, PARTS, _run_searchers, record, first / "pagefind")
    assert not fallback.problems
    assert sorted(fallback.indexed) == sorted(part.folder for part in fallback.parts)
    assert hash_tree(third / "pagefind") == hash_tree(first / "pagefind")
    assert [path.name for path in third.iterdir() if path.name.startswith(".")] == []


def test_pages_the_last_index_read_are_not_read_again(tmp_path, monkeypatch):
    from newsroom.build import search_parts
    from newsroom.build.search_parts import indexed_pages

    site = _small_site(tmp_path / "site", WORDS)
    seen: dict = {}
    first = indexed_pages(site, known={}, seen=seen)
    assert len(first) == len(WORDS) and seen.keys() == first.keys() | {"index.html"}
    opened = []

    def counting_open(path, *args, **kwargs):
        opened.append(os.path.relpath(path, site))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(search_parts, "open", counting_open, raising=False)
    assert indexed_pages(site, known=seen) == first
    assert opened == []  # every file as recorded: nothing read
    # A page written again (a new file, as the build writes) is read again,
    # and its new bytes count; the others are still taken as recorded.
    page = site / story_page(3).replace("harbour-report-", "story-")
    replacement = page.with_name("new.html")
    replacement.write_text(page.read_text().replace("It mentions", "It names"))
    os.replace(replacement, page)
    again = indexed_pages(site, known=seen)
    assert opened == [os.path.relpath(page, site)]
    assert again.keys() == first.keys()
    assert [path for path in again if again[path] != first[path]] == [
        str(page.relative_to(site))]
    # A record that is not one (a hand-edited cache): every page is read.
    opened.clear()
    assert indexed_pages(site, known={name: ["x"] for name in seen}) == again
    assert len(opened) == len(seen)


def test_what_else_makes_pagefind_write_other_files_is_in_the_key(tmp_path, monkeypatch):
    from newsroom.build.search_parts import _tool_key

    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.upper().startswith("PAGEFIND_")]:
        monkeypatch.delenv(name)
    plain = _tool_key(PARTS)
    assert _tool_key(PARTS) == plain
    assert _tool_key(PARTS + 1) != plain
    monkeypatch.setenv("PAGEFIND_KEEP_INDEX_URL", "true")
    assert _tool_key(PARTS) != plain
    monkeypatch.delenv("PAGEFIND_KEEP_INDEX_URL")
    (tmp_path / "pagefind.yml").write_text("keep_index_url: true\n")
    assert _tool_key(PARTS) != plain
    (tmp_path / "pagefind.yml").unlink()
    assert _tool_key(PARTS) == plain


def test_pages_that_change_while_pagefind_reads_them_leave_no_record(tmp_path):
    from newsroom.build.driver import _run_searchers
    from newsroom.build.search_parts import index_site

    site = _small_site(tmp_path / "site", WORDS)

    def run_then_edit(jobs):
        problems = _run_searchers(jobs)
        page = site / "2024" / "05" / "story-0" / "index.html"
        page.write_text(page.read_text().replace(WORDS[0], "changed"), encoding="utf-8")
        return problems

    done = index_site(site, PARTS, run_then_edit, bundle=tmp_path / "bundle", check_pages=True)
    assert done.problems == ["search index: pages changed while Pagefind read them"]
    assert done.record is None
    assert not (tmp_path / "bundle").exists()
