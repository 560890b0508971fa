"""The cache of compressed bytes and the parallel compression (newsroom/build/precompress.py).

A cache hit gives the same bytes as compressing; an entry that is truncated
or changed is never used; a changed file is compressed again; the cache
folder's name follows everything that decides the bytes; a read-only cache
still gives the right files; workers and this process give the same files;
old entries are pruned; and a build stopped while compressing leaves no
worker behind.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import brotli
import pytest

from helpers.building import PUBLISHING, ROOT, copy_content
from helpers.processes import alive, children, killed_on_exit
from newsroom.build import precompress as pc
from newsroom.build.precompress import (DAY, PRUNE_STAMP, cache_folder, entry_path, pack,
                                        precompress, prune, read_entry, unpack)


def make_site(root: Path, count: int = 12) -> Path:
    """A small site: pages of different sizes, a duplicate, a small file and a photo."""
    site = root / "site"
    for number in range(count):
        page = site / f"story-{number:02}" / "index.html"
        page.parent.mkdir(parents=True)
        words = " ".join(f"word{(number * 7 + index) % 97}" for index in range(200 + 150 * number))
        page.write_text(f"<html><body><h1>Story {number}</h1><p>{words}</p></body></html>\n")
    (site / "copy.html").write_bytes((site / "story-01" / "index.html").read_bytes())
    (site / "feed.xml").write_text("<feed>" + "<entry>news</entry>" * 4000 + "</feed>")
    (site / "small.css").write_text("body{}")
    (site / "photo.jpg").write_bytes(b"\xff\xd8" + os.urandom(5000))
    return site


def snapshot(site: Path) -> dict[str, bytes]:
    return {path.relative_to(site).as_posix(): path.read_bytes()
            for path in sorted(site.rglob("*")) if path.is_file()}


def compressed_copies(site: Path) -> dict[str, bytes]:
    return {name: data for name, data in snapshot(site).items() if name.endswith((".gz", ".br"))}


def expected_copies(site: Path) -> dict[str, bytes]:
    """What compressing each file directly, as the module's settings say, gives."""
    assert pc.BROTLI_MODE == "text"
    expected = {}
    for name, data in snapshot(site).items():
        if pc.wants_precompression(name, len(data)):
            expected[f"{name}.gz"] = gzip.compress(data, compresslevel=pc.GZIP_LEVEL, mtime=0)
            expected[f"{name}.br"] = brotli.compress(data, mode=brotli.MODE_TEXT,
                                                     quality=pc.BROTLI_QUALITY,
                                                     lgwin=pc.BROTLI_WINDOW)
            assert gzip.decompress(expected[f"{name}.gz"]) == data
            assert brotli.decompress(expected[f"{name}.br"]) == data
    return expected


def entries(cache: Path) -> list[Path]:
    return sorted(path for path in cache.rglob("*") if path.is_file() and path.name != PRUNE_STAMP)


def refuse_to_compress(monkeypatch) -> None:
    def refuse(data):
        raise AssertionError("compressed although the cache has it")

    for suffix in pc.SUFFIXES:
        monkeypatch.setitem(pc._COMPRESSORS, suffix, refuse)


@contextlib.contextmanager
def read_only(folder: Path):
    """``folder``, with what it holds, where nothing can be written (even as root)."""
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield folder
        finally:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    held = folder.with_name(folder.name + "-held")
    folder.rename(held)
    folder.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs",
                            str(folder)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {mount.stderr.strip()}")
    try:
        shutil.copytree(held, folder, dirs_exist_ok=True)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(folder)],
                                 capture_output=True, text=True)
        assert remount.returncode == 0, remount.stderr
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# --- hits, corrupt entries, changed files ----------------------------------------------

def test_cache_hit_gives_the_same_bytes_without_compressing(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    plain = tmp_path / "plain"
    shutil.copytree(site, plain)
    cache = tmp_path / "cache"
    done = precompress(site, cache=cache, workers=1)
    precompress(plain, workers=1)  # no cache: as before there was one
    assert compressed_copies(site) == compressed_copies(plain) == expected_copies(plain)
    assert "copy.html" in done and "small.css" not in done
    # One folder, one entry (both copies) per distinct content.
    distinct = {hashlib.sha256((site / name).read_bytes()).hexdigest() for name in done}
    assert len(distinct) == len(done) - 1  # copy.html has story-01's bytes
    assert [path.name for path in cache.iterdir() if path.is_dir()] == [cache_folder()]
    assert len(entries(cache)) == len(distinct)

    again = tmp_path / "again"
    shutil.copytree(plain, again, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    refuse_to_compress(monkeypatch)
    assert precompress(again, cache=cache, workers=2) == done
    assert snapshot(again) == snapshot(site)
    # The output's own files: never links into the cache.
    cached = {(path.stat().st_dev, path.stat().st_ino) for path in entries(cache)}
    for name in compressed_copies(again):
        info = (again / name).stat()
        assert info.st_nlink == 1 and (info.st_dev, info.st_ino) not in cached, name


def gzip_tail_zeros(entry: bytes) -> bytes:
    return entry + b"\0" * 16  # gzip.decompress still accepts this; the bytes differ


@pytest.mark.parametrize("damage", [
    lambda entry: entry[: len(entry) // 2],  # truncated (a crash mid-write elsewhere)
    lambda entry: entry[:-1] + bytes([entry[-1] ^ 1]),  # one bit flipped in the data
    lambda entry: bytes([entry[0] ^ 0x80]) + entry[1:],  # the check itself changed
    gzip_tail_zeros,
    lambda entry: b"",
    lambda entry: os.urandom(64),
], ids=["truncated", "bit-flip", "check-changed", "zeros-appended", "empty", "garbage"])
def test_a_damaged_entry_is_never_used(tmp_path, damage):
    site = make_site(tmp_path, count=3)
    cache = tmp_path / "cache"
    precompress(site, cache=cache, workers=1)
    reference = compressed_copies(site)
    data = (site / "feed.xml").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    folder = cache / cache_folder()
    assert unpack(read_entry(folder, digest)) == [reference["feed.xml.gz"],
                                                  reference["feed.xml.br"]]
    if damage is gzip_tail_zeros:  # what a check by decompressing would let through
        assert gzip.decompress(reference["feed.xml.gz"] + b"\0" * 16) == data
    path = Path(entry_path(folder, digest))
    path.write_bytes(damage(path.read_bytes()))
    assert read_entry(folder, digest) is None

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(site, rebuilt, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    precompress(rebuilt, cache=cache, workers=1)
    assert compressed_copies(rebuilt) == reference
    # The damaged entry was written again, whole.
    assert read_entry(folder, digest) == pack([reference["feed.xml.gz"],
                                               reference["feed.xml.br"]])


def test_a_changed_file_is_compressed_again(tmp_path):
    site = make_site(tmp_path, count=3)
    cache = tmp_path / "cache"
    precompress(site, cache=cache, workers=1)
    before = len(entries(cache))
    changed = tmp_path / "changed"
    shutil.copytree(site, changed, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    page = changed / "story-01" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"Story 1", b"Story one, corrected"))
    precompress(changed, cache=cache, workers=1)
    new = page.read_bytes()
    assert gzip.decompress((changed / "story-01" / "index.html.gz").read_bytes()) == new
    assert brotli.decompress((changed / "story-01" / "index.html.br").read_bytes()) == new
    assert compressed_copies(changed) == expected_copies(changed)
    assert len(entries(cache)) == before + 1  # the old bytes' entry stays (other builds)


# --- the cache key ---------------------------------------------------------------------

@pytest.mark.parametrize("target, name, value", [
    (pc, "BROTLI_QUALITY", 11),
    (pc, "BROTLI_MODE", "generic"),
    (pc, "BROTLI_WINDOW", 24),
    (brotli, "__version__", "0.0.1"),
    (pc, "GZIP_LEVEL", 9),
    (zlib, "ZLIB_RUNTIME_VERSION", "0.0.1"),
    (sys, "version_info", (2, 7, 18, "final", 0)),
    (pc, "ENTRY_FORMAT", 99),
])
def test_cache_folder_changes_with_what_decides_the_bytes(monkeypatch, target, name, value):
    before = cache_folder()
    assert cache_folder() == before
    monkeypatch.setattr(target, name, value)
    assert cache_folder() != before


def test_an_entry_holds_exactly_both_copies():
    copies = [b"gzip bytes", b""]
    assert unpack(pack(copies)) == copies
    payload = pack([b"\x1f\x8b" * 300, b"brotli"])
    assert unpack(payload) == [b"\x1f\x8b" * 300, b"brotli"]
    for damaged in (payload[:-1], payload + b"\0", payload[:3], b"", pack([b"only one"])):
        assert unpack(damaged) is None


def test_another_quality_never_reuses_the_cached_bytes(tmp_path, monkeypatch):
    site = make_site(tmp_path, count=2)
    cache = tmp_path / "cache"
    precompress(site, cache=cache, workers=1)
    other = tmp_path / "other"
    shutil.copytree(site, other, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    monkeypatch.setattr(pc, "BROTLI_QUALITY", 4)
    precompress(other, cache=cache, workers=1)
    data = (other / "feed.xml").read_bytes()
    assert (other / "feed.xml.br").read_bytes() == brotli.compress(
        data, mode=brotli.MODE_TEXT, quality=4)
    assert (other / "feed.xml.br").read_bytes() != (site / "feed.xml.br").read_bytes()
    assert (other / "feed.xml.gz").read_bytes() == (site / "feed.xml.gz").read_bytes()
    assert len([path for path in cache.iterdir() if path.is_dir()]) == 2


def test_the_cache_lives_in_cache_path():
    from newsroom.core.settings import resolve

    settings = resolve({"CACHE_PATH": "/cache"})
    assert settings["COMPRESSION_CACHE_PATH"] == os.path.join("/cache", "compressed")
    assert resolve({"CACHE_PATH": "/cache", "COMPRESSION_CACHE_PATH": "/elsewhere"})[
        "COMPRESSION_CACHE_PATH"] == "/elsewhere"


# --- a cache that cannot be written ----------------------------------------------------

def test_a_cache_in_a_read_only_place_still_gives_the_right_files(tmp_path):
    place = tmp_path / "place"
    place.mkdir()
    site = make_site(tmp_path)
    with read_only(place):
        done = precompress(site, cache=place / "cache", workers=2)
        assert not (place / "cache").exists()
    assert compressed_copies(site) == expected_copies(site)
    assert len(done) == 14


def test_a_read_only_cache_is_used_and_not_written(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    cache = tmp_path / "cache"
    precompress(site, cache=cache, workers=1)
    reference = snapshot(site)
    # One file's entries are gone, one page changed: misses in a cache that cannot take them.
    digest = hashlib.sha256((site / "feed.xml").read_bytes()).hexdigest()
    os.unlink(entry_path(cache / cache_folder(), digest))
    again = tmp_path / "again"
    shutil.copytree(site, again, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    page = again / "story-02" / "index.html"
    page.write_bytes(page.read_bytes() + b"<!-- changed -->\n")
    with read_only(cache):
        held = {path.relative_to(cache): path.read_bytes() for path in entries(cache)}
        precompress(again, cache=cache, workers=2)
        assert {path.relative_to(cache): path.read_bytes() for path in entries(cache)} == held
    assert compressed_copies(again) == expected_copies(again)
    for name in reference:
        if not name.startswith("story-02/"):
            assert (again / name).read_bytes() == reference[name], name


# --- both cores --------------------------------------------------------------------------

def test_parallel_and_serial_give_the_same_files(tmp_path, monkeypatch):
    site = make_site(tmp_path, count=30)
    copies = {}
    for workers in (1, 2, 3):
        work = tmp_path / f"workers-{workers}"
        shutil.copytree(site, work)
        copies[workers] = (precompress(work, workers=workers), snapshot(work))
    assert copies[1] == copies[2] == copies[3]
    assert compressed_copies(tmp_path / "workers-1") == expected_copies(site)

    # The parallel run really compressed in other processes.
    seen = tmp_path / "pids"
    seen.mkdir()
    real = pc._COMPRESSORS[".br"]

    def noting(data):
        (seen / str(os.getpid())).touch()
        return real(data)

    monkeypatch.setitem(pc._COMPRESSORS, ".br", noting)
    work = tmp_path / "noted"
    shutil.copytree(site, work)
    precompress(work, cache=tmp_path / "cache", workers=2)
    assert snapshot(work) == copies[1][1]
    workers = {int(path.name) for path in seen.iterdir()}
    assert workers and os.getpid() not in workers


# --- started before Pagefind, finished after -------------------------------------------

def pagefind_writes(site: Path) -> None:
    """What Pagefind and the immutable list add to a site after Pelican."""
    (site / "pagefind").mkdir()
    (site / "pagefind" / "pagefind-ui.js").write_text("var ui = 1;" * 500)
    (site / "pagefind" / "pagefind-entry.json").write_text('{"v": 1}')  # small: none
    (site / "pagefind" / "fragment").mkdir()
    (site / "pagefind" / "fragment" / "en_1.pf_fragment").write_bytes(
        gzip.compress(b"fragment " * 500, mtime=0))
    (site / "immutable.txt").write_text("".join(f"theme/{n}.css\n" for n in range(200)))


@pytest.mark.parametrize("workers", [1, 2])
def test_files_written_after_start_are_compressed_by_finish(tmp_path, workers):
    site = make_site(tmp_path, count=30)
    serial = tmp_path / "serial"
    shutil.copytree(site, serial)
    pagefind_writes(serial)
    expected = precompress(serial, cache=tmp_path / "serial-cache", workers=1)

    # Children of this process that other tests' fixtures keep (servers) are not ours.
    others = set(children(os.getpid()))
    compressing = pc.Precompression(site, cache=tmp_path / "cache", workers=workers).start()
    handed_out = set(compressing.handed_out)
    pagefind_writes(site)  # while the workers compress
    assert compressing.finish() == expected
    assert sorted(set(expected) - handed_out) == ["immutable.txt", "pagefind/pagefind-ui.js"]
    assert snapshot(site) == snapshot(serial)
    assert compressed_copies(site) == expected_copies(site)
    assert compressing.finish() == expected  # nothing new: nothing more to do
    assert not [child for child in set(children(os.getpid())) - others if alive(child)]


def slow_brotli(data: bytes) -> bytes:
    time.sleep(0.5)
    return pc.brotli_bytes(data)


@pytest.mark.parametrize("workers", [1, 2])
def test_files_handed_out_while_written_end_as_one_pass_gives(tmp_path, workers):
    """``hand_out`` during the writing; a file changed or removed afterwards is seen."""
    site = make_site(tmp_path, count=14)
    stories = sorted(site.glob("story-*/index.html"))
    compressing = pc.Precompression(site, workers=workers, cache=tmp_path / "cache")
    compressing.hand_out(stories[:5] + [site / "small.css", site / "photo.jpg",
                                        tmp_path / "outside.html"])
    compressing.hand_out(stories[3:9])  # some again: handed out once
    assert compressing.handed_out == {path.relative_to(site).as_posix()
                                      for path in stories[:9]}
    # Changed after being handed out (not by Pelican, but the result must hold):
    # one grows, one shrinks under the size limit, one goes away.
    stories[0].write_text(stories[0].read_text() + "<p>Corrected.</p>" * 50)
    stories[1].write_text("<p>short</p>")
    removed = stories[2].relative_to(site).as_posix()
    stories[2].unlink()
    compressing.start()  # what Pelican wrote since, as the build does after it
    done = compressing.finish()
    expected = expected_copies(site)
    assert compressed_copies(site) == expected
    assert done == sorted(name[:-3] for name in expected if name.endswith(".gz"))
    assert removed not in done and stories[1].relative_to(site).as_posix() not in done
    assert not (site / f"{removed}.gz").exists() and not (site / f"{removed}.br").exists()


def test_workers_started_while_the_build_writes_run_at_a_lower_priority(tmp_path, monkeypatch):
    site = make_site(tmp_path, count=8)
    seen = tmp_path / "nice"
    seen.mkdir()
    real = pc._COMPRESSORS[".gz"]

    def noting(data):
        (seen / str(os.getpid())).write_text(str(os.getpriority(os.PRIO_PROCESS, 0)))
        return real(data)

    monkeypatch.setitem(pc._COMPRESSORS, ".gz", noting)
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    compressing = pc.Precompression(site, workers=2, nice=5)
    compressing.hand_out(sorted(site.glob("story-*/index.html")))
    compressing.finish()
    found = {int(path.name): int(path.read_text()) for path in seen.iterdir()}
    assert found and os.getpid() not in found
    assert set(found.values()) == {min(mine + 5, 19)}
    assert compressed_copies(site) == expected_copies(site)


def test_stop_kills_the_workers_at_once(tmp_path, monkeypatch):
    site = make_site(tmp_path, count=30)
    cache = tmp_path / "cache"
    monkeypatch.setitem(pc._COMPRESSORS, ".br", slow_brotli)  # 15 s of work in all
    others = set(children(os.getpid()))  # other tests' servers, not ours
    compressing = pc.Precompression(site, cache=cache, workers=2).start()
    workers = [child for child in set(children(os.getpid())) - others if alive(child)]
    assert len(workers) == 2
    started = time.monotonic()
    compressing.stop()
    assert time.monotonic() - started < 10
    assert not any(alive(worker) for worker in workers)
    compressing.stop()  # again: nothing
    # Whatever a killed worker had written is whole: every entry checks out.
    for path in entries(cache):
        if not path.name.startswith(pc.TEMPORARY_PREFIX):
            assert unpack(read_entry(path.parent.parent, path.name)) is not None


# --- old entries -------------------------------------------------------------------------

def test_entries_unused_for_30_days_are_pruned(tmp_path):
    site = make_site(tmp_path, count=4)
    cache = tmp_path / "cache"
    precompress(site, cache=cache, workers=1)
    now = time.time()
    kept, unused, recent = entries(cache)[:3]
    old_folder = cache / "brotli-q11-text-w22-brotli0.9-e1" / "ab"  # an older brotli's
    old_folder.mkdir(parents=True)
    (old_folder / ("ab" + "0" * 62)).write_bytes(b"x")
    for path, age_days in ((unused, 31), (recent, 29), (old_folder / ("ab" + "0" * 62), 40)):
        os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    left_over = kept.parent / ".tmp-killed"
    left_over.write_bytes(b"half")
    os.utime(left_over, (now - 7200, now - 7200))

    assert prune(cache, now) == 0  # the build above pruned less than a day ago
    os.utime(cache / PRUNE_STAMP, (now - DAY - 60, now - DAY - 60))
    assert prune(cache, now) == 3
    assert not unused.exists() and not left_over.exists() and recent.exists() and kept.exists()
    assert not old_folder.parent.exists()  # the older version's folder, emptied, went too
    assert prune(cache, now) == 0  # once a day

    # A build that uses a 29-day-old entry keeps it for another 30 days.
    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(site, rebuilt, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    precompress(rebuilt, cache=cache, workers=1)
    assert recent.stat().st_mtime > now - DAY
    assert compressed_copies(rebuilt) == compressed_copies(site)


# --- a build stopped while compressing ---------------------------------------------------

FILLER_WORDS = ("harbour ferry timetable council budget road county water school market "
                "rain season bridge court ruling minister report league final").split()


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def freeze_workers(build: subprocess.Popen, timeout: float = 240) -> list[int]:
    """The build's forked children (its compression workers), each SIGSTOPped once it compresses.

    A worker is a child with the build's command line (a fork of it): the
    command the build was started with. The build's own, read from /proc
    right after ``Popen``, may still be this process's or empty (not yet
    exec'd); an empty one would match only workers that are exiting, whose
    command line reads as empty too, once they have compressed everything.
    A worker is stopped only after some CPU time of its own, so it is past
    the fork (its parent-death signal set) and in the middle of a batch.
    Returns when every worker is stopped, or two seconds after the first
    was (the others had no batch left).
    """
    own = b"".join(os.fsencode(str(argument)) + b"\0" for argument in build.args)
    deadline = time.monotonic() + timeout
    found: list[int] = []
    frozen: list[int] = []
    first = None
    while time.monotonic() < deadline and build.poll() is None:
        with contextlib.suppress(OSError):
            for child in children(build.pid):
                if child not in found and Path(f"/proc/{child}/cmdline").read_bytes() == own:
                    found.append(child)
        for child in found:
            if child not in frozen and cpu_ticks(child) >= 3:
                os.kill(child, signal.SIGSTOP)
                frozen.append(child)
                first = first or time.monotonic()
        if frozen and (len(frozen) == len(found) or time.monotonic() - first > 2):
            break
        time.sleep(0.001)
    return found if frozen else []


@pytest.fixture(scope="module")
def photo_cache(published_site, tmp_path_factory) -> Path:
    """A warm photo cache: no photo worker is forked, so every forked child compresses."""
    cache = tmp_path_factory.mktemp("compress-stop") / "photos"
    shutil.copytree(published_site.output / "images" / "renditions", cache)
    return cache


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and parent-death signals")
@pytest.mark.parametrize("search", [False, True], ids=["no-search", "beside-pagefind"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_compression_workers_die_with_the_build(published_site, photo_cache, tmp_path, signum,
                                                search):
    output = tmp_path / "output"
    shutil.copytree(published_site.output, output, symlinks=True)
    before = snapshot(output)
    # Downloads big enough that the workers are still compressing when the
    # test looks, however fast the machine (the real content alone takes
    # them a fraction of a second).
    content = copy_content(tmp_path)
    words = random.Random(signum).choices(FILLER_WORDS, k=400_000)
    (content / "extra").mkdir(exist_ok=True)
    for number in range(6):
        (content / "extra" / f"table-{number}.txt").write_text(
            "\n".join(",".join(words[i:i + 8]) for i in range(number, len(words), 8)),
            encoding="utf-8")
    command = [sys.executable, "-m", "newsroom.build", "-s", str(PUBLISHING), "-o", str(output),
               "-e", f"PATH={content}",
               "-e", f"PHOTO_CACHE_PATH={photo_cache}", "-e", f"CACHE_PATH={tmp_path / 'cache'}",
               "--force"] + ([] if search else ["--no-search"])
    build = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    workers: list[int] = []
    with killed_on_exit(build, workers):
        workers += freeze_workers(build)
        assert workers, f"no compression worker ran: {build.communicate()}"
        os.kill(build.pid, signum)
        stdout, stderr = build.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while any(alive(worker) for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(worker) for worker in workers), "a worker outlived the build"
    assert build.returncode not in (0, None)
    assert snapshot(output) == before  # the previous site stays as it was
    staging = sorted(output.parent.glob(f".{output.name}.staging-*"))
    if signum == signal.SIGKILL:
        assert staging, "a SIGKILLed build cannot clean up"
    else:
        assert "interrupted" in stderr and "Traceback" not in stderr, stderr
        assert staging == []
