"""Unchanged pages and feeds linked from the published site (newsroom/build/published_links.py).

Builds run the real command into temporary folders with a fixed build time.
What is checked is the output on disk: after one story changed, the pages
that did not change are the published files themselves (same inode), with
their compressed copies; the changed ones are new; the whole output is byte
for byte a clean build's. A build that links and then fails leaves every
published file as it was (bytes, mode, time), and copies or pages the build
cannot vouch for are made again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helpers.building import (EPOCH, PUBLISHING, ROOT, error_lines, filler_content, hash_tree,
                              run_build, run_pelican)
from newsroom.build import parallel_render, precompress
from newsroom.build.published_links import (PublishedFileChanged, PublishedLinks, PublishedText,
                                            file_identity, load_record, save_record)

PHOTO_CACHE = ROOT / ".cache" / "pelican" / "photos"  # renditions: warm, shared
CHANGED = "filler/filler-00007.md"


def build(content: Path, output: Path, cache: Path, search: bool = False, **overrides):
    return run_build(output, settings=PUBLISHING, search=search,
                     overrides={"PATH": str(content), "CACHE_PATH": str(cache),
                                "PHOTO_CACHE_PATH": str(PHOTO_CACHE), **overrides},
                     env={"SOURCE_DATE_EPOCH": EPOCH})


def change_story(content: Path, name: str = CHANGED, words: str = "One more sentence.") -> None:
    with open(content / "articles" / name, "a", encoding="utf-8") as story:
        story.write(f"\n{words}\n")


def snapshot(output: Path) -> dict[str, tuple]:
    """Every file: (bytes' hash, mode, modification time, inode)."""
    found = {}
    hashes = hash_tree(output)
    for relative, digest in hashes.items():
        info = os.lstat(output / relative)
        found[relative] = (digest, stat.S_IMODE(info.st_mode), info.st_mtime_ns, info.st_ino)
    return found


def clean_build(content: Path, base: Path, search: bool = False) -> dict[str, str]:
    result = build(content, base / "clean", base / "clean-cache", search=search)
    assert result.returncode == 0, result.stderr
    return hash_tree(base / "clean")


def pelican_files(output: Path) -> list[str]:
    """The pages and feeds Pelican's writer writes (not the theme, photos, index or sitemaps)."""
    return sorted(str(path.relative_to(output)) for path in output.rglob("*")
                  if path.is_file() and not path.is_symlink()
                  and path.suffix in (".html", ".xml") and "pagefind" not in path.parts
                  and path.name not in ("sitemap.xml", "news-sitemap.xml"))


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    """The real content plus 30 filler stories (a copy per test changes it)."""
    return filler_content(tmp_path_factory.mktemp("published-links"))


@pytest.fixture
def own_content(content, tmp_path) -> Path:
    import shutil

    return Path(shutil.copytree(content, tmp_path / "content"))


def test_unchanged_pages_and_their_copies_are_the_published_files(own_content, tmp_path):
    output, cache = tmp_path / "output", tmp_path / "cache"
    assert build(own_content, output, cache, search=True).returncode == 0
    before = snapshot(output)
    change_story(own_content)
    result = build(own_content, output, cache, search=True)
    assert result.returncode == 0, result.stderr
    after = snapshot(output)

    changed_page = "2023/01/filler-story-7/index.html"
    assert changed_page in after
    assert after[changed_page][0] != before[changed_page][0]
    assert after[changed_page][3] != before[changed_page][3]  # a new file
    kept = [name for name in pelican_files(output)
            if name in before and after[name][0] == before[name][0]]
    assert len(kept) > 50
    relinked = [name for name in kept if after[name][3] != before[name][3]]
    assert relinked == []  # every unchanged page and feed is the published file
    copies = [name + suffix for name in kept for suffix in (".gz", ".br")
              if name + suffix in after]
    assert len(copies) > 80
    assert [name for name in copies if after[name][3] != before[name][3]] == []
    # New bytes where they changed: the story's page, its copies, the lists that show it.
    assert after[changed_page + ".gz"][3] != before[changed_page + ".gz"][3]
    # Everything as a clean build makes it, with ordinary modes.
    assert hash_tree(output) == clean_build(own_content, tmp_path, search=True)
    assert {entry[1] for entry in after.values()} == {0o644}


def test_a_build_that_fails_after_linking_changes_no_published_file(own_content, tmp_path):
    output, cache = tmp_path / "output", tmp_path / "cache"
    assert build(own_content, output, cache, search=True).returncode == 0
    before = snapshot(output)
    ctimes = {name: os.lstat(output / name).st_ctime_ns for name in before}
    change_story(own_content)
    # A mistake found only at the end, when the search index is made: every
    # page has been rendered (and the unchanged ones linked) by then.
    result = build(own_content, output, cache, search=True, SEARCH_INDEX_PARTS=0)
    assert result.returncode == 1
    assert any("SEARCH_INDEX_PARTS" in line for line in error_lines(result)), result.stderr
    assert snapshot(output) == before  # bytes, modes, times and inodes
    # The pages were linked while the build ran (a link changes a file's
    # ctime), and the links went with the staging folder.
    assert any(os.lstat(output / name).st_ctime_ns != ctimes[name] for name in before)
    assert all(os.lstat(output / name).st_nlink == 1 for name in before)
    assert sorted(path.name for path in tmp_path.iterdir()
                  if path.name.startswith(".output.")) == []


def test_copies_and_pages_it_cannot_vouch_for_are_made_again(own_content, tmp_path):
    output, cache = tmp_path / "output", tmp_path / "cache"
    assert build(own_content, output, cache).returncode == 0
    page = "2023/01/filler-story-3/index.html"
    other = "2023/01/filler-story-5/index.html"
    # A copy changed in place (not what the last build made of the page)...
    with open(output / (page + ".gz"), "r+b") as copy:
        copy.write(b"\0\0\0\0")
    # ... and a page with a mode the build does not give.
    os.chmod(output / other, 0o600)
    before = snapshot(output)
    change_story(own_content)
    assert build(own_content, output, cache).returncode == 0
    after = snapshot(output)
    assert after[page][3] == before[page][3]  # the page itself is as published
    assert after[page + ".gz"][3] != before[page + ".gz"][3]
    assert after[page + ".br"][3] != before[page + ".br"][3]  # the pair is made again
    assert after[other][3] != before[other][3] and after[other][1] == 0o644
    assert hash_tree(output) == clean_build(own_content, tmp_path)


def test_copies_made_with_other_settings_are_not_linked(own_content, tmp_path, monkeypatch):
    output, cache = tmp_path / "output", tmp_path / "cache"
    assert build(own_content, output, cache).returncode == 0
    before = snapshot(output)
    record = next((cache / "compressed").glob("*.json"))
    assert load_record(record, precompress.compression_key())  # this build's copies
    # As if zlib, Brotli or a level had changed since: the record's key differs.
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("gzip-l", "gzip-x"), encoding="utf-8")
    change_story(own_content)
    assert build(own_content, output, cache).returncode == 0
    after = snapshot(output)
    page = "2023/01/filler-story-3/index.html"
    assert after[page][3] == before[page][3]
    assert after[page + ".gz"][3] != before[page + ".gz"][3]


def test_linking_keeps_rendering_on_two_cores(content, tmp_path):
    """The build process links; the render child still renders (parallel_render)."""
    from pelican.settings import read_settings

    plugins = read_settings(str(PUBLISHING))["PLUGINS"]
    overrides = {"PATH": str(content), "PHOTO_CACHE_PATH": str(PHOTO_CACHE), "RENDER_WORKERS": 2}
    published = run_pelican(tmp_path / "published", plugins, settings=PUBLISHING,
                            overrides=overrides, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert published.problems == []
    staging = tmp_path / "staging"
    staging.mkdir()
    links = PublishedLinks(staging, tmp_path / "published", None)
    again = run_pelican(staging, plugins, settings=PUBLISHING, overrides=overrides,
                        env={"SOURCE_DATE_EPOCH": EPOCH}, links=links)
    assert again.problems == []
    assert parallel_render.last_run["serial"] is None
    assert parallel_render.last_run["from_child"] > 0
    assert len(links.linked) == len(pelican_files(staging)) > 50
    assert links.written == 0
    assert hash_tree(staging) == hash_tree(tmp_path / "published")


def test_a_writer_with_another_open_is_not_sharded(tmp_path):
    from pelican.writers import Writer

    writer = Writer(str(tmp_path), settings={"OUTPUT_PATH": str(tmp_path)})
    PublishedLinks(tmp_path, None, None).install(writer)
    assert parallel_render.why_not_shard([], writer) is None
    writer._open_w = lambda *args, **kwargs: None
    assert "_open_w" in parallel_render.why_not_shard([], writer)


def test_the_replaced_site_leaves_only_its_folders_for_the_next_build(own_content, tmp_path):
    """The site a build replaces is emptied of files; its folders are the next
    build's staging folder, and the site is still what a clean build makes."""
    output, cache = tmp_path / "output", tmp_path / "cache"
    spare = tmp_path / ".output.spare"
    assert build(own_content, output, cache, search=True).returncode == 0
    assert not spare.exists()  # nothing replaced yet
    first_folder = (output / "2023").stat().st_ino
    change_story(own_content)
    assert build(own_content, output, cache, search=True).returncode == 0
    kept = sorted(path.relative_to(spare) for path in spare.rglob("*"))
    assert kept and all((spare / name).is_dir() and not (spare / name).is_symlink()
                        for name in kept)
    # (the same layout: only a story's text changed)
    assert set(kept) == {path.relative_to(output) for path in output.rglob("*") if path.is_dir()}

    # A story goes, and something else wrote into the kept folders meanwhile.
    gone = "2023/01/filler-story-3"
    (own_content / "articles" / "filler" / "filler-00003.md").unlink()
    (spare / gone / "index.html").write_text("<p>planted in the kept folders</p>")
    (spare / "planted.html").write_text("<p>planted in the kept folders</p>")
    os.symlink("/etc/hostname", spare / "theme" / "planted.css")
    result = build(own_content, output, cache, search=True)
    assert result.returncode == 0, result.stderr
    assert (output / "2023").stat().st_ino == first_folder  # the first site's folders, again
    assert not (output / gone).exists()
    assert [path for path in output.rglob("*") if path.is_dir() and not any(path.iterdir())] == []
    assert not any(b"planted" in path.read_bytes() for path in output.rglob("*")
                   if path.is_file() and not path.is_symlink())
    assert not [path for path in output.rglob("*") if path.is_symlink()]
    assert hash_tree(output) == clean_build(own_content, tmp_path, search=True)
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".output.")) \
        == [".output.spare"]


# --- one file at a time ------------------------------------------------------------

@pytest.fixture
def folders(tmp_path):
    live, staging = tmp_path / "live", tmp_path / "staging"
    (live / "a").mkdir(parents=True)
    (staging / "a").mkdir(parents=True)
    for name, data in {"a/index.html": b"<p>page</p>" * 200, "a/index.html.gz": b"gz",
                       "a/index.html.br": b"br"}.items():
        (live / name).write_bytes(data)
        os.chmod(live / name, 0o644)
    return live, staging


def record_copies(live: Path, cache: Path) -> Path:
    record = cache / "record.json"
    save_record(record, live, "key", ["a/index.html"])
    return record


def test_a_second_write_never_writes_into_the_published_file(folders, tmp_path):
    live, staging = folders
    links = PublishedLinks(staging, live, 0o644)
    links.configure(record_copies(live, tmp_path), "key")
    links.place(str(staging / "a/index.html"), b"<p>page</p>" * 200)
    assert (staging / "a/index.html").stat().st_ino == (live / "a/index.html").stat().st_ino
    assert links.has_copies(staging / "a/index.html")
    # Pelican's override: the same file written again, with other bytes.
    links.place(str(staging / "a/index.html"), b"<p>other</p>")
    assert (live / "a/index.html").read_bytes() == b"<p>page</p>" * 200
    assert (live / "a/index.html.gz").read_bytes() == b"gz"
    assert (staging / "a/index.html").read_bytes() == b"<p>other</p>"
    assert not (staging / "a/index.html.gz").exists()  # the copies are made anew
    assert not links.has_copies(staging / "a/index.html") and links.written == 1


def test_other_bytes_another_mode_or_another_key_mean_no_link(folders, tmp_path):
    live, staging = folders
    record = record_copies(live, tmp_path)
    links = PublishedLinks(staging, live, 0o644)
    links.configure(record, "another key")  # copies made with other settings
    links.place(str(staging / "a/index.html"), b"<p>page</p>" * 200)
    assert links.linked == {"a/index.html"} and links.with_copies == set()
    assert not (staging / "a/index.html.gz").exists()
    links.place(str(staging / "b.html"), b"new")
    assert (staging / "b.html").read_bytes() == b"new" and links.written == 1
    os.chmod(live / "a/index.html", 0o600)
    strict = PublishedLinks(tmp_path / "other", live, 0o644)
    (tmp_path / "other" / "a").mkdir(parents=True)
    strict.place(str(tmp_path / "other/a/index.html"), b"<p>page</p>" * 200)
    assert strict.linked == set()
    assert (tmp_path / "other/a/index.html").stat().st_ino != (live / "a/index.html").stat().st_ino


def test_a_copy_changed_since_the_record_is_not_linked(folders, tmp_path):
    live, staging = folders
    record = record_copies(live, tmp_path)
    (live / "a/index.html.br").unlink()
    (live / "a/index.html.br").write_bytes(b"br")  # same bytes, another file
    links = PublishedLinks(staging, live, 0o644)
    links.configure(record, "key")
    links.place(str(staging / "a/index.html"), b"<p>page</p>" * 200)
    assert links.linked == {"a/index.html"} and links.with_copies == set()
    assert sorted(path.name for path in (staging / "a").iterdir()) == ["index.html"]


def test_compressed_copies_are_new_files_never_written_into_a_link(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"<p>text</p>" * 300)
    published = tmp_path / "published.html.gz"
    published.write_bytes(b"published copy")
    os.link(published, tmp_path / "page.html.gz")
    precompress.precompress(tmp_path, workers=1)
    assert published.read_bytes() == b"published copy"
    assert (tmp_path / "page.html.gz").read_bytes() == precompress.gzip_bytes(page.read_bytes())


# --- pages taken as published, unread ----------------------------------------------

def published_text(live: Path, name: str = "a/index.html") -> PublishedText:
    return PublishedText(str(live / name), file_identity(os.lstat(live / name)))


def test_a_page_taken_as_published_is_linked_unread_with_its_copies(folders, tmp_path):
    live, staging = folders
    links = PublishedLinks(staging, live, 0o644)
    links.configure(record_copies(live, tmp_path), "key")
    text = published_text(live)
    assert text == ""  # it stands for the file; its text is not read
    links.place_published(str(staging / "a/index.html"), text)
    for suffix in ("", ".gz", ".br"):
        assert (staging / f"a/index.html{suffix}").stat().st_ino == \
            (live / f"a/index.html{suffix}").stat().st_ino
    assert links.linked == {"a/index.html"} and links.with_copies == {"a/index.html"}
    assert links.written == 0


def test_a_published_page_replaced_after_its_check_is_an_error_naming_it(folders, tmp_path):
    live, staging = folders
    links = PublishedLinks(staging, live, 0o644)
    text = published_text(live)
    # Something else writes into the output folder meanwhile: same size, new file.
    (live / "a/index.html").unlink()
    (live / "a/index.html").write_bytes(b"<p>PAGE</p>" * 200)
    os.chmod(live / "a/index.html", 0o644)
    with pytest.raises(PublishedFileChanged) as raised:
        links.place_published(str(staging / "a/index.html"), text)
    assert str(live / "a/index.html") in str(raised.value)
    assert "changed during the build" in str(raised.value)
    assert not (staging / "a/index.html").exists()
    assert (live / "a/index.html").read_bytes() == b"<p>PAGE</p>" * 200


def test_a_published_page_the_writer_cannot_link_is_written_from_its_bytes(folders, tmp_path):
    live, staging = folders
    links = PublishedLinks(staging, live, 0o644)
    text = published_text(live)
    # Given another mode since its check (chmod keeps size, time and inode):
    # linked, it would change the published file's mode. Written instead.
    os.chmod(live / "a/index.html", 0o600)
    links.place_published(str(staging / "a/index.html"), text)
    assert (staging / "a/index.html").read_bytes() == b"<p>page</p>" * 200
    assert (staging / "a/index.html").stat().st_ino != (live / "a/index.html").stat().st_ino
    assert links.written == 1 and links.linked == set()


def test_text_on_close_hands_on_a_published_text_only_when_it_is_the_whole_file(folders, tmp_path):
    from newsroom.compat.pelican import TextOnClose

    live, _ = folders
    placed, linked = [], []
    whole = TextOnClose("x", "utf-8", lambda *a: placed.append(a), lambda *a: linked.append(a))
    whole.write(published_text(live))
    whole.close()
    assert placed == [] and [path for path, _ in linked] == ["x"]
    # More written after it: the file's text, then the rest.
    more = TextOnClose("y", "utf-8", lambda *a: placed.append(a), lambda *a: linked.append(a))
    more.write(published_text(live))
    more.write("<p>more</p>")
    more.close()
    assert placed == [("y", b"<p>page</p>" * 200 + b"<p>more</p>")]
    # A writer with no placer for it gets the text.
    placed.clear()
    plain = TextOnClose("z", "utf-8", lambda *a: placed.append(a))
    plain.write(published_text(live))
    plain.close()
    assert placed == [("z", b"<p>page</p>" * 200)]
