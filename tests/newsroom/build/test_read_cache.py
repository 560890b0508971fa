"""newsroom/build/read_cache.py: story reads kept between full builds, and read on every core.

In-process builds (one reader process, ``READ_WORKERS`` 1) count what was
kept, made and read again; builds through the real command check the
worker processes: the same bytes as a build without the cache, a problem
reported once, a worker that dies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.building import (ROOT, error_lines, filler_content, hash_tree, run_build,
                              run_pelican)
from helpers.processes import alive, children
from newsroom.build import read_cache

PLUGINS = ["content_checks", "photos", "related_stories", "story_neighbours"]
PHOTO_CACHE = ROOT / ".cache" / "pelican" / "photos"  # renditions: warm, shared
UNKNOWN_FIELD = "Colour: red\n"


@pytest.fixture
def counted(monkeypatch):
    """(hits, made, from workers) of every build in this test, in order."""
    counts: list[tuple[int, int, int]] = []
    close = read_cache.ReadCache.close

    def counting_close(self):
        counts.append((self.hits, self.made, self.from_workers))
        close(self)

    monkeypatch.setattr(read_cache.ReadCache, "close", counting_close)
    return counts


def stories(content: Path) -> list[Path]:
    """The files Pelican reads (content/authors/README.md explains the folder)."""
    return sorted(path for path in content.rglob("*.md") if path.name != "README.md")


def build(tmp_path: Path, content: Path, name: str, cache: bool = True, **overrides):
    settings = {"PATH": str(content), "READ_WORKERS": 1,
                "CACHE_PATH": str(tmp_path / "cache"), "PHOTO_CACHE_PATH": str(PHOTO_CACHE),
                **overrides}
    if cache:
        settings["READ_CACHE"] = True
    result = run_pelican(tmp_path / name, PLUGINS, overrides=settings)
    return result


def tree(result) -> dict[str, str]:
    return hash_tree(result.output)


def test_unchanged_stories_come_from_the_cache_and_the_site_is_the_same(tmp_path, counted):
    content = filler_content(tmp_path, articles=8)
    count = len(stories(content))
    clean = build(tmp_path, content, "clean", cache=False)
    first = build(tmp_path, content, "first")
    second = build(tmp_path, content, "second")
    assert clean.problems == first.problems == second.problems == []
    assert tree(first) == tree(clean)
    assert tree(second) == tree(clean)
    # No cache for the clean build (READ_CACHE False: not counted at all).
    assert counted[0] == (0, 0, 0)
    assert counted[1] == (0, count, 0)
    assert counted[2] == (count, 0, 0)
    assert len(list((tmp_path / "cache" / "reads").glob("f*/*/*"))) == count


def test_a_changed_story_is_read_again_and_only_it(tmp_path, counted):
    content = filler_content(tmp_path, articles=8)
    count = len(stories(content))
    build(tmp_path, content, "first")
    story = content / "articles" / "filler" / sorted(
        os.listdir(content / "articles" / "filler"))[3]
    text = story.read_text(encoding="utf-8")
    story.write_text(text.replace("\n\n", "\n\nA sentence added later.\n\n", 1),
                     encoding="utf-8")
    again = build(tmp_path, content, "again")
    clean = build(tmp_path, content, "clean", cache=False)
    assert counted[1] == (count - 1, 1, 0)
    assert tree(again) == tree(clean)
    assert any("A sentence" in page.read_text(encoding="utf-8")
               for page in again.output.rglob("index.html"))


def test_a_story_whose_file_is_untouched_is_not_read_to_find_its_entry(tmp_path, counted,
                                                                       monkeypatch):
    content = filler_content(tmp_path, articles=6)
    count = len(stories(content))
    hashed: list[str] = []
    entry_key = read_cache.ReadCache.entry_key

    def counting_entry_key(self, source_path, data):
        hashed.append(os.path.relpath(source_path, content))
        return entry_key(self, source_path, data)

    monkeypatch.setattr(read_cache.ReadCache, "entry_key", counting_entry_key)
    build(tmp_path, content, "first")
    assert set(hashed) == {os.path.relpath(path, content) for path in stories(content)}
    hashed.clear()
    second = build(tmp_path, content, "second")
    assert hashed == [] and counted[1] == (count, 0, 0)
    # The same bytes written again, even with the old modification time put
    # back: the file's ctime changed, so it is read and hashed again (and
    # its entry, the same bytes, is still used).
    story = stories(content)[2]
    before = story.stat()
    story.write_bytes(story.read_bytes())
    os.utime(story, ns=(before.st_atime_ns, before.st_mtime_ns))
    third = build(tmp_path, content, "third")
    assert hashed == [os.path.relpath(story, content)]
    assert counted[2] == (count, 0, 0)
    # A changed story: read and hashed again, and read anew.
    hashed.clear()
    story.write_text(story.read_text(encoding="utf-8").replace(
        "\n\n", "\n\nA sentence added later.\n\n", 1), encoding="utf-8")
    fourth = build(tmp_path, content, "fourth")
    assert set(hashed) == {os.path.relpath(story, content)}
    assert counted[3] == (count - 1, 1, 0)
    clean = build(tmp_path, content, "clean", cache=False)
    assert tree(second) == tree(third)
    assert tree(fourth) == tree(clean)


@pytest.mark.parametrize("change", ["setting", "new file", "image", "symbolic link"])
def test_what_every_read_depends_on_reads_everything_again(tmp_path, counted, change):
    content = filler_content(tmp_path, articles=6)
    count = len(stories(content))
    build(tmp_path, content, "first")
    overrides = {}
    if change == "setting":
        overrides["STORY_METADATA"] = [*read_settings_value("STORY_METADATA"), "colour"]
    elif change == "new file":
        (content / "extra.txt").write_text("a file a link could name\n", encoding="utf-8")
    elif change == "image":
        image = next((content / "images").glob("*.jpg"))
        os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    else:
        (content / "images-link").symlink_to(content / "images", target_is_directory=True)
    again = build(tmp_path, content, "again", **overrides)
    assert counted[1] == (0, count, 0), change
    clean = build(tmp_path, content, "clean", cache=False, **overrides)
    assert tree(again) == tree(clean)


def read_settings_value(name: str):
    from pelican.settings import read_settings

    from newsroom.core.settings import resolve

    return list(resolve(read_settings(str(ROOT / "pelicanconf.py")))[name])


def test_the_key_follows_the_code_and_the_settings_files(tmp_path):
    code = tmp_path / "plugins"
    (code / "one").mkdir(parents=True)
    (code / "one" / "__init__.py").write_text("A = 1\n", encoding="utf-8")
    settings_file = tmp_path / "pelicanconf.py"
    settings_file.write_text("SITENAME = 'x'\n", encoding="utf-8")
    settings = {"SITENAME": "x", "OUTPUT_PATH": "/one", "PATH": "/content"}
    key = read_cache.environment_key(settings, [settings_file], [code])
    # Where the output and the content are is not part of it...
    moved = {**settings, "OUTPUT_PATH": "/two", "PATH": "/elsewhere"}
    assert read_cache.environment_key(moved, [settings_file], [code]) == key
    # ...every setting, the settings files and the code are.
    assert read_cache.environment_key({**settings, "SITENAME": "y"}, [settings_file],
                                      [code]) != key
    settings_file.write_text("SITENAME = 'x'  # a comment\n", encoding="utf-8")
    changed_settings_file = read_cache.environment_key(settings, [settings_file], [code])
    assert changed_settings_file != key
    (code / "one" / "__init__.py").write_text("A = 2\n", encoding="utf-8")
    assert read_cache.environment_key(settings, [settings_file], [code]) \
        != changed_settings_file


def test_a_story_with_a_problem_is_reported_on_every_build(tmp_path, counted):
    content = filler_content(tmp_path, articles=4)
    count = len(stories(content))
    story = sorted((content / "articles" / "filler").glob("*.md"))[0]
    story.write_text(UNKNOWN_FIELD + story.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("first", "second"):
        result = build(tmp_path, content, name)
        found = [problem for problem in result.problems if '"Colour:"' in problem]
        assert len(found) == 1, result.problems
        assert story.name in found[0]
    assert counted == [(0, count - 1, 0), (count - 1, 0, 0)]


def test_a_damaged_entry_is_read_again(tmp_path, counted):
    content = filler_content(tmp_path, articles=4)
    count = len(stories(content))
    first = build(tmp_path, content, "first")
    entries = sorted((tmp_path / "cache" / "reads").glob("f*/*/*"))
    assert len(entries) == count
    entries[0].write_bytes(entries[0].read_bytes()[:-7])  # truncated
    entries[1].write_bytes(entries[1].read_bytes() + b"\0" * 64)  # zeros appended
    data = bytearray(entries[2].read_bytes())
    data[-1] ^= 1  # one bit changed
    entries[2].write_bytes(bytes(data))
    again = build(tmp_path, content, "again")
    assert counted[1] == (count - 3, 3, 0)
    assert tree(again) == tree(first)
    third = build(tmp_path, content, "third")  # rewritten good
    assert counted[2] == (count, 0, 0)
    assert tree(third) == tree(first)


def test_a_cache_that_cannot_be_written_only_means_reading(tmp_path, counted):
    content = filler_content(tmp_path, articles=2)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "reads").write_text("a file where the folder would be\n")
    first = build(tmp_path, content, "first")
    second = build(tmp_path, content, "second")
    assert first.problems == second.problems == []
    assert tree(first) == tree(second)
    assert counted[1][0] == 0  # nothing was kept


# --- worker processes, through the real build command -------------------------------

def _build_command(tmp_path: Path, content: Path, name: str, cache: str = "cache",
                   **overrides) -> subprocess.CompletedProcess:
    result = run_build(tmp_path / name, overrides={
        "PATH": str(content), "CACHE_PATH": str(tmp_path / cache),
        "PHOTO_CACHE_PATH": str(PHOTO_CACHE), **overrides},
        search=False)
    return result


@pytest.mark.slow
def test_stories_read_in_worker_processes_build_the_same_site(tmp_path):
    content = filler_content(tmp_path, articles=40)
    count = len(stories(content))
    assert count - 1 > read_cache.MIN_PARALLEL  # the profile is read in the build process
    plain = _build_command(tmp_path, content, "plain", cache="plain-cache", READ_CACHE=False)
    workers = _build_command(tmp_path, content, "workers", READ_WORKERS=2)
    warm = _build_command(tmp_path, content, "warm", READ_WORKERS=2)
    for result in (plain, workers, warm):
        assert result.returncode == 0, result.stderr
    assert hash_tree(plain.output) == hash_tree(workers.output) == hash_tree(warm.output)
    assert len(list((tmp_path / "cache" / "reads").glob("f*/*/*"))) == count
    assert not (tmp_path / "plain-cache" / "reads").exists()


@pytest.mark.slow
def test_a_problem_found_by_a_worker_is_reported_once_by_the_build(tmp_path):
    content = filler_content(tmp_path, articles=40)
    story = sorted((content / "articles" / "filler").glob("*.md"))[17]
    story.write_text(UNKNOWN_FIELD + story.read_text(encoding="utf-8"), encoding="utf-8")
    result = _build_command(tmp_path, content, "out", READ_WORKERS=2)
    assert result.returncode != 0
    lines = [line for line in error_lines(result) if '"Colour:"' in line]
    assert len(lines) == 1, result.stderr
    assert story.name in lines[0]
    assert not (tmp_path / "out").exists()  # nothing published


def _command_with_worker(tmp_path: Path, content: Path, worker: str) -> list[str]:
    """The build command, its reading workers' ``_worker_read`` replaced by ``worker``
    (the source of a function ``worker(paths)``)."""
    script = tmp_path / "build_with_worker.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from newsroom.build import driver, read_cache
    """) + textwrap.dedent(worker) + textwrap.dedent("""
        read_cache._worker_read = worker
        sys.exit(driver.main(sys.argv[1:]))
    """), encoding="utf-8")
    return [sys.executable, str(script), "-s", str(ROOT / "pelicanconf.py"),
            "-o", str(tmp_path / "out"), "--no-search", "-e", f"PATH={content}",
            "-e", f"CACHE_PATH={tmp_path / 'cache'}", "-e", "READ_WORKERS=2",
            "-e", f"PHOTO_CACHE_PATH={PHOTO_CACHE}"]


@pytest.mark.slow
def test_a_worker_that_dies_leaves_its_stories_to_the_build(tmp_path):
    content = filler_content(tmp_path, articles=40)
    plain = _build_command(tmp_path, content, "plain", cache="plain-cache", READ_CACHE=False)
    command = _command_with_worker(tmp_path, content, """
        def worker(paths):
            os._exit(3)  # as a worker killed by the kernel would
    """)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert hash_tree(tmp_path / "out") == hash_tree(plain.output)


@pytest.mark.slow
def test_a_stopped_build_leaves_no_reading_worker(tmp_path):
    content = filler_content(tmp_path, articles=40)
    command = _command_with_worker(tmp_path, content, """
        def worker(paths):
            time.sleep(60)  # a worker still reading when the build is stopped
    """)
    build = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    workers: list[int] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.05)
        workers = children(build.pid)
    assert len(workers) == 2, "the reading workers never started"
    build.terminate()
    output, _ = build.communicate(timeout=30)
    assert build.returncode != 0
    assert "interrupted (SIGTERM)" in output
    time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)]
    assert not list(tmp_path.glob(".out*")) and not (tmp_path / "out").exists()
