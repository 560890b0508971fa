"""Precompression runs while Pelican writes and Pagefind indexes (newsroom/build/driver.py).

The publishing build hands Pelican's files to the compression workers as
Pelican writes them (``CompressWhileWriting``), the rest after it, runs
Pagefind meanwhile, then compresses what Pagefind and ``immutable.txt``
added: the site is byte for byte what compressing after Pagefind gives. A
Pagefind that fails still fails the build with its message, and the
workers are killed at once instead of finishing (or outliving) the build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.building import EPOCH, PUBLISHING, ROOT, error_lines, hash_tree
from helpers.processes import alive

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="forked workers and /proc")


@pytest.fixture(scope="module")
def photo_cache(published_site, tmp_path_factory) -> Path:
    """A warm photo cache, so that these builds spend their time on what is tested."""
    cache = tmp_path_factory.mktemp("beside-pagefind") / "photos"
    shutil.copytree(published_site.output / "images" / "renditions", cache)
    return cache


def build(tmp_path: Path, name: str, photo_cache: Path,
          patch: str = "") -> subprocess.CompletedProcess:
    """The publishing build of the real content into ``tmp_path/name``, ``patch`` run first."""
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent("""
        import json, os, sys, time
        from newsroom.build import driver, precompress
        from newsroom.compat import pagefind
    """) + textwrap.dedent(patch) + "\nsys.exit(driver.main(sys.argv[1:]))\n",
        encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), "-s", str(PUBLISHING), "-o", str(tmp_path / name),
         "-e", f"PHOTO_CACHE_PATH={photo_cache}", "-e", f"CACHE_PATH={tmp_path / 'cache' / name}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH})


def test_the_site_is_what_compressing_after_pagefind_gives(tmp_path, photo_cache):
    log = tmp_path / "steps.jsonl"
    overlapped = build(tmp_path, "overlapped", photo_cache, f"""
        LOG = {str(log)!r}
        def note(step):
            with open(LOG, "a") as out:
                out.write(json.dumps(step) + "\\n")
        hand_out, run_pagefind = precompress.Precompression._hand_out, driver.run_pagefind
        def noted_hand_out(self, *args, **kwargs):
            before = set(self.handed_out)
            hand_out(self, *args, **kwargs)
            note(sorted(self.handed_out - before))
        def noted_pagefind(site, *args, **kwargs):
            note("pagefind")
            return run_pagefind(site, *args, **kwargs)
        precompress.Precompression._hand_out = noted_hand_out
        driver.run_pagefind = noted_pagefind
    """)
    assert overlapped.returncode == 0, overlapped.stderr
    # Compressing after Pagefind, in one pass (as before the overlap).
    serial = build(tmp_path, "serial", photo_cache, """
        precompress.available = lambda: False  # build() starts nothing
    """)
    assert serial.returncode == 0, serial.stderr

    # What Pelican left is handed out while Pagefind runs (a thread of the
    # search step), but not what is in a hidden folder of the site, where
    # Pagefind works; the rest after it.
    pagefind_step, first, last = [json.loads(line) for line in log.read_text().splitlines()]
    assert pagefind_step == "pagefind"
    assert "index.html" in first
    assert not any(name.startswith(("pagefind/", ".")) for name in first)
    assert "immutable.txt" in last and "pagefind/pagefind-ui.js" in last
    assert all(name == "immutable.txt" or name.startswith("pagefind/") for name in last)
    files = hash_tree(tmp_path / "overlapped")
    assert files == hash_tree(tmp_path / "serial")
    for name in first + last:
        assert f"{name}.gz" in files and f"{name}.br" in files, name


def test_pages_are_handed_out_while_pelican_writes_them(tmp_path, photo_cache):
    """CompressWhileWriting: the files come to the workers as Pelican writes them."""
    log = tmp_path / "while.jsonl"
    early = build(tmp_path, "early", photo_cache, f"""
        LOG = {str(log)!r}
        driver.CompressWhileWriting.BATCH = 4  # the real site has few pages
        in_pelican = []
        run_pelican, hand_out = driver.run_pelican, precompress.Precompression.hand_out
        def noted_run_pelican(*args, **kwargs):
            in_pelican.append(True)
            try:
                return run_pelican(*args, **kwargs)
            finally:
                in_pelican.clear()
        def noted_hand_out(self, paths):
            with open(LOG, "a") as out:
                out.write(json.dumps([bool(in_pelican), self.nice,
                                      [os.path.relpath(p, self.site) for p in paths]]) + "\\n")
            return hand_out(self, paths)
        driver.run_pelican = noted_run_pelican
        precompress.Precompression.hand_out = noted_hand_out
    """)
    assert early.returncode == 0, early.stderr
    serial = build(tmp_path, "serial", photo_cache, """
        precompress.available = lambda: False  # build() starts nothing
    """)
    assert serial.returncode == 0, serial.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) >= 2 and all(during for during, _, _ in calls)
    assert {nice for _, nice, _ in calls} == {driver_nice()}
    handed = [name for _, _, names in calls for name in names]
    assert any(name.endswith("/index.html") and name.count("/") == 3 for name in handed)
    assert any(name.startswith("feeds/") for name in handed)
    files = hash_tree(tmp_path / "early")
    assert files == hash_tree(tmp_path / "serial")
    for name in handed:  # each compressed, unless too small to be worth it
        assert f"{name}.gz" in files or (tmp_path / "early" / name).stat().st_size <= 1024, name


def driver_nice() -> int:
    from newsroom.build.driver import CompressWhileWriting

    return CompressWhileWriting.NICE


FAKE_PAGEFIND = """
import os, sys, time
markers = sys.argv[1]
deadline = time.monotonic() + 120
while not os.listdir(markers) and time.monotonic() < deadline:
    time.sleep(0.01)
sys.stderr.write("broken on purpose" if os.listdir(markers) else "no compression under way")
with open(markers + ".failed-at", "w") as out:
    out.write(repr(time.time()))
sys.exit(3)
"""


def test_a_failing_pagefind_fails_the_build_and_stops_the_compression(tmp_path, photo_cache):
    markers = tmp_path / "compressing"
    markers.mkdir()
    woke = tmp_path / "compressing.woke"  # a worker that went on after its first file
    woke.mkdir()
    output = tmp_path / "failing"
    output.mkdir()
    (output / "index.html").write_text("the previous site")
    result = build(tmp_path, "failing", photo_cache, f"""
        MARKERS = {str(markers)!r}
        def fake_pagefind(site, output_path=None, glob=None):
            return [sys.executable, "-c", {FAKE_PAGEFIND!r}, MARKERS], dict(os.environ)
        pagefind.command = fake_pagefind
        brotli_bytes = precompress._COMPRESSORS[".br"]
        def slow(data):  # minutes of work for the workers: they must not do it
            open(os.path.join(MARKERS, str(os.getpid())), "w").close()
            time.sleep(5)
            open(os.path.join(MARKERS + ".woke", str(os.getpid())), "w").close()
            return brotli_bytes(data)
        precompress._COMPRESSORS[".br"] = slow
    """)
    ended = time.time()
    assert result.returncode == 1, result.stderr
    assert error_lines(result) == ["search index: Pagefind failed (exit 3): broken on purpose"], \
        result.stderr
    assert "Traceback" not in result.stderr
    # The workers were killed in the middle of their first file, not waited
    # for, and none outlived the build.
    assert ended - float(Path(f"{markers}.failed-at").read_text()) < 20
    workers = [int(name) for name in os.listdir(markers)]
    assert workers and not any(alive(worker) for worker in workers)
    assert os.listdir(woke) == []
    # Nothing swapped in, nothing left beside the output.
    assert sorted(path.name for path in output.iterdir()) == ["index.html"]
    assert (output / "index.html").read_text() == "the previous site"
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".failing.")]
