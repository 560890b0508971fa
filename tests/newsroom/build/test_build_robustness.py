"""Content is untrusted: nothing outside the new output folder changes.

A build never writes through into the photo cache or an earlier output
folder, leaves ordinary permissions, cleans up after a killed build, takes
turns with a concurrent build, copes with an output folder that is a mount
point, and reports a bad settings file, a read-only location and a full
disk as one clear line (no traceback) with the previous output untouched.

Hostile files are made here, in temporary folders; the photo cache is a
temporary folder too (``PHOTO_CACHE_PATH``), never the real ``.cache``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.building import ROOT, copy_content, error_lines, leftovers, run_build
from helpers.processes import alive, freeze_pagefind, killed_on_exit
from newsroom.publish.releases import copy_site

SEED = "2024-06-15-ruto-macron-infrastructure-haiti-mission.md"
WAITING = "Waiting for the other build into"


# --- helpers -----------------------------------------------------------------------

def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry under ``root`` (and root): kind, SHA-256 or link target, and mode."""
    state = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        name = str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            state[name] = ("link", os.readlink(path), stat.S_IMODE(info.st_mode))
        elif stat.S_ISDIR(info.st_mode):
            state[name] = ("dir", "", stat.S_IMODE(info.st_mode))
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[name] = ("file", digest, stat.S_IMODE(info.st_mode))
    return state


def build_command(output: Path, cache: Path, *extra: str, search: bool = False) -> list[str]:
    command = [sys.executable, "-m", "newsroom.build", "-o", str(output),
               "-e", f"PHOTO_CACHE_PATH={cache}", *extra]
    return command if search else command + ["--no-search"]


def start_build(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_staging(build: subprocess.Popen, output: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not list(output.parent.glob(f".{output.name}.staging-*")):
        assert build.poll() is None, f"the build ended before staging: {build.stderr.read()}"
        assert time.monotonic() < deadline, "no staging folder appeared"
        time.sleep(0.005)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A tmpfs mounted at ``path`` for the block; a skip where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                             "tmpfs", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {result.stderr.strip()}")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def assert_clear_failure(result, *words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Build failed" in result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# --- a reference build and its photo cache ------------------------------------------

@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """(photo cache, output) of one build with a temporary, warm photo cache.

    The cache starts as a copy of the session's development build's
    renditions (a cache holds each rendition under its published name), so
    the build finds every rendition there instead of encoding them again.
    """
    base = tmp_path_factory.mktemp("robust")
    cache, output = base / "photo-cache", base / "output"
    shutil.copytree(site.output / "images" / "renditions", cache)
    result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(cache)}, search=False)
    assert result.returncode == 0, result.stderr
    assert any(cache.iterdir()) and any((output / "images" / "renditions").iterdir())
    return cache, output


@pytest.fixture
def previous_site(reference, tmp_path) -> Path:
    """A copy of the reference output to build over."""
    output = tmp_path / "output"
    shutil.copytree(reference[1], output, symlinks=True)
    return output


# --- nothing outside the new output changes ------------------------------------------

def test_passing_build_changes_neither_cache_nor_earlier_output(reference, tmp_path):
    cache, earlier = reference
    cache_before, earlier_before = tree_state(cache), tree_state(earlier)
    output = tmp_path / "output"
    result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(cache)}, search=False)
    assert result.returncode == 0, result.stderr
    assert tree_state(cache) == cache_before
    assert tree_state(earlier) == earlier_before
    # The renditions are the build's own files: no inode shared with the cache.
    cached = {(p.stat().st_dev, p.stat().st_ino) for p in cache.iterdir()}
    published = list((output / "images" / "renditions").iterdir())
    assert published
    for path in published:
        assert path.stat().st_nlink == 1, path
        assert (path.stat().st_dev, path.stat().st_ino) not in cached, path


@pytest.mark.parametrize("vector", ["page-save-as", "static-file"])
def test_content_writing_over_a_rendition_changes_no_byte_outside(reference, previous_site,
                                                                  tmp_path, vector):
    """Content saved over a rendition must not reach the cache or any earlier output.

    ``page-save-as``: a page whose (allowed) Save_as names a rendition; the
    build fails (the content checks refuse such a path). ``static-file``: a
    photo published as a static file under the rendition's name; Pelican
    copies it over the rendition. Whether the build passes or fails, the
    photo cache, the earlier output folder (the reference build) and, for a
    failed build, the output it was building over stay byte for byte.
    """
    cache, earlier = reference
    rendition = sorted((earlier / "images" / "renditions").glob("*.jpg"))[0].name
    assert (cache / rendition).is_file()
    content = copy_content(tmp_path)
    overrides = {"PATH": str(content), "PHOTO_CACHE_PATH": str(cache)}
    if vector == "page-save-as":
        (content / "pages" / "overwrite.md").write_text(
            f"Title: Overwrite\nSave_as: images/renditions/{rendition}\n\n"
            "These words must never reach the photo cache.\n", encoding="utf-8")
        overrides["STEERING_METADATA_ALLOWED"] = {
            "pages/404.md": ["save_as", "url", "template"],
            "pages/overwrite.md": ["save_as"],
        }
    else:
        (content / "images" / "renditions").mkdir()
        shutil.copyfile(content / "images" / "ruto-conille.jpg",
                        content / "images" / "renditions" / rendition)
        overrides["PHOTO_PUBLISH_ORIGINALS"] = True
    cache_before, earlier_before = tree_state(cache), tree_state(earlier)
    previous_before = tree_state(previous_site)

    result = run_build(previous_site, overrides=overrides, search=False)

    assert tree_state(cache) == cache_before, result.stderr
    assert tree_state(earlier) == earlier_before, result.stderr
    if result.returncode != 0:
        assert "Build failed" in result.stderr
        assert tree_state(previous_site) == previous_before
    assert leftovers(previous_site) == []


# --- ordinary permissions ----------------------------------------------------------

@contextlib.contextmanager
def umask(value: int):
    old = os.umask(value)  # inherited by the build subprocess
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> set[tuple[str, int]]:
    return {(kind, mode) for kind, _, mode in tree_state(root).values()}


@pytest.mark.parametrize("mask, folder, file", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_build_gives_ordinary_permissions(reference, tmp_path, mask, folder, file):
    output = tmp_path / "output"
    with umask(mask):
        result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(reference[0])},
                           search=False)
    assert result.returncode == 0, result.stderr
    assert modes(output) == {("dir", folder), ("file", file)}


def test_copy_site_gives_ordinary_permissions(reference, tmp_path):
    source = tmp_path / "site"
    shutil.copytree(reference[1], source)
    # What an older build left: a private folder and odd file modes.
    source.chmod(0o700)
    (source / "images").chmod(0o700)
    (source / "index.html").chmod(0o600)
    (source / "404.html").chmod(0o755)
    target = tmp_path / "published" / "www"
    with umask(0o022):
        copy_site(source, target)
        copy_site(source, target)  # over an existing target as well
    assert modes(target) == {("dir", 0o755), ("file", 0o644)}
    assert tree_state(target)["index.html"][1] == tree_state(source)["index.html"][1]
    assert sorted(p.name for p in target.parent.iterdir()) == ["www"]


# --- killed, interrupted and concurrent builds ----------------------------------------

def test_sigkill_leaves_no_pagefind_and_next_build_removes_its_folders(reference, previous_site):
    cache = reference[0]
    build = start_build(build_command(previous_site, cache, search=True))
    frozen: list[int] = []
    with killed_on_exit(build, frozen):
        frozen += freeze_pagefind(build)
        pagefind = next(iter(frozen), None)
        assert pagefind, f"Pagefind never ran: {build.communicate()[1]}"
        build.kill()
        build.communicate(timeout=60)
        # Pagefind dies with the build (parent-death signal), even stopped.
        deadline = time.monotonic() + 10
        while alive(pagefind) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pagefind), "Pagefind outlived the SIGKILLed build"
    stale = [name for name in leftovers(previous_site) if ".staging-" in name]
    assert stale, "a SIGKILLed build cannot clean up: its staging folder stays"

    result = run_build(previous_site, overrides={"PHOTO_CACHE_PATH": str(cache)}, search=False)

    assert result.returncode == 0, result.stderr
    assert leftovers(previous_site) == []
    assert (previous_site / "index.html").is_file()


def test_sigterm_during_pagefind_cleans_up_and_stops_pagefind(reference, previous_site):
    before = tree_state(previous_site)
    build = start_build(build_command(previous_site, reference[0], search=True))
    frozen: list[int] = []
    with killed_on_exit(build, frozen):
        frozen += freeze_pagefind(build)
        pagefind = next(iter(frozen), None)
        assert pagefind, f"Pagefind never ran: {build.communicate()[1]}"
        build.terminate()
        stdout, stderr = build.communicate(timeout=60)
    assert build.returncode not in (0, None)
    assert "Build failed" in stderr and "interrupted" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert not alive(pagefind), "Pagefind still runs after SIGTERM"
    assert leftovers(previous_site) == []
    assert tree_state(previous_site) == before


def interrupt_while_rendering(build: subprocess.Popen, output: Path, signum: int) -> bool:
    """Send ``signum`` while Pelican still renders into staging; False if it was too late.

    The build is stopped (SIGSTOP) while the test looks, so a loaded machine
    cannot let it race past the rendering step between the look and the signal.
    """
    wait_for_staging(build, output)
    os.kill(build.pid, signal.SIGSTOP)
    try:
        staging = list(output.parent.glob(f".{output.name}.staging-*"))
        rendering = bool(staging) and not (staging[0] / "index.html").exists()
        if rendering:
            os.kill(build.pid, signum)
    finally:
        os.kill(build.pid, signal.SIGCONT)
    return rendering


def test_sigint_during_pelican_cleans_up(reference, previous_site):
    for attempt in range(5):
        before = tree_state(previous_site)
        build = start_build(build_command(previous_site, reference[0]))
        try:
            sent = interrupt_while_rendering(build, previous_site, signal.SIGINT)
            stdout, stderr = build.communicate(timeout=60)
        finally:
            if build.poll() is None:
                build.kill()
                build.communicate()
        if sent:
            break
        assert build.returncode == 0, stderr  # it finished before the test could look
    else:
        pytest.fail("five builds in a row finished rendering before the test could look")
    assert build.returncode not in (0, None)
    assert "Build failed" in stderr and "interrupted" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert leftovers(previous_site) == []
    assert tree_state(previous_site) == before


def test_two_builds_into_one_output_take_turns(reference, tmp_path):
    cache, expected = reference
    output = tmp_path / "output"
    builds = [start_build(build_command(output, cache)) for _ in range(2)]
    results = [build.communicate(timeout=300) for build in builds]
    for build, (stdout, stderr) in zip(builds, results):
        assert build.returncode == 0, stderr
    waited = [stderr for _, stderr in results if WAITING in stderr]
    assert len(waited) == 1, results  # the second build waited for the first
    assert sum(stderr.count(WAITING) for _, stderr in results) == 1  # on one line
    assert sorted(tree_state(output)) == sorted(tree_state(expected))
    assert leftovers(output) == []


# --- an output folder that is a mount point ----------------------------------------------

def test_output_folder_that_is_a_mount_point(reference, tmp_path):
    output = tmp_path / "output"
    with tmpfs(output, "64m"):
        for attempt in range(2):
            (output / "stale.html").write_text("from an older site")
            result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(reference[0])},
                               search=attempt == 1)
            assert result.returncode == 0, result.stderr
            assert os.path.ismount(output)
            assert (output / "index.html").is_file()
            assert not (output / "stale.html").exists()  # the site was swapped, not merged
            assert leftovers(output) == []
        assert (output / "pagefind").is_dir()
        site = {name: value for name, value in tree_state(output).items() if name != "."}
        assert {(kind, mode) for kind, _, mode in site.values()} == {("dir", 0o755),
                                                                     ("file", 0o644)}


# --- clear failures: settings, read-only, full disk ---------------------------------------

@pytest.mark.parametrize("broken_line, shown", [
    ("DEFAULT_PAGINATION = 12 +", "SyntaxError"),
    ("import newsroom_no_such_module", "ModuleNotFoundError"),
])
def test_settings_file_that_does_not_load(previous_site, tmp_path, broken_line, shown):
    settings = tmp_path / "brokenconf.py"
    settings.write_text(f'SITENAME = "The Ledger"\n{broken_line}\n', encoding="utf-8")
    before = tree_state(previous_site)
    result = run_build(previous_site, settings=settings, search=False)
    assert_clear_failure(result, str(settings), "line 2", shown)
    assert tree_state(previous_site) == before
    assert leftovers(previous_site) == []


@pytest.mark.parametrize("setting, pattern, shown", [
    ("ARTICLE_URL", "{nope}/", "{nope} is not a field of it"),
    ("ARTICLE_SAVE_AS", "{date.nope}/index.html", "no attribute 'nope'"),
    ("ARTICLE_URL", "{slug/", "'{slug/'"),
    ("PAGE_URL", "{0}/", "PAGE_URL"),
])
def test_a_url_setting_a_story_cannot_fill_in(previous_site, reference, setting, pattern,
                                                shown):
    """A settings mistake Pelican turns into a traceback: one line per story, naming both."""
    before = tree_state(previous_site)
    result = run_build(previous_site, overrides={setting: pattern,
                                                 "PHOTO_CACHE_PATH": str(reference[0])},
                       search=False)
    assert_clear_failure(result, f"the {setting} setting ({pattern!r})", shown)
    lines = error_lines(result)
    assert lines and all(line.startswith("content/") and setting in line for line in lines), \
        lines
    assert len(lines) == len(set(lines))  # once per story, however often the URL is asked for
    assert tree_state(previous_site) == before
    assert leftovers(previous_site) == []


def test_read_only_output_location(reference, tmp_path):
    disk = tmp_path / "disk"
    with tmpfs(disk, "32m"):
        output = disk / "output"
        result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(reference[0])},
                           search=False)
        assert result.returncode == 0, result.stderr
        before = tree_state(output)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(disk)],
                                 capture_output=True, text=True)
        assert remount.returncode == 0, remount.stderr
        for target in (output, disk / "new-output"):
            result = run_build(target, overrides={"PHOTO_CACHE_PATH": str(reference[0])},
                               search=False)
            assert_clear_failure(result, str(target), "read-only")
        assert tree_state(output) == before
        assert sorted(p.name for p in disk.iterdir()) == ["output"]


@pytest.mark.parametrize("previous", [False, True], ids=["empty-1MB-disk", "full-disk-with-site"])
def test_full_disk(reference, tmp_path, previous):
    disk = tmp_path / "disk"
    site_bytes = sum(p.stat().st_size for p in reference[1].rglob("*") if p.is_file())
    with tmpfs(disk, f"{site_bytes // 1024 + 2048}k" if previous else "1m"):
        output = disk / "output"
        if previous:
            shutil.copytree(reference[1], output)
            # Leave far less room than a second copy of the site needs.
            room = os.statvfs(disk)
            (disk / "ballast").write_bytes(b"\0" * (room.f_bavail * room.f_frsize - 256 * 1024))
        before = tree_state(disk)
        result = run_build(output, overrides={"PHOTO_CACHE_PATH": str(reference[0])},
                           search=False)
        assert_clear_failure(result, str(output), "disk is full")
        assert tree_state(disk) == before  # no byte changed, no staging folder left
