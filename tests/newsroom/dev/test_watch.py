"""The source watcher behind `invoke regenerate` and `invoke livereload` (newsroom/dev/watch.py)."""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path

import pytest

from newsroom.dev.watch import changes, filesystem_type, needs_polling

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /srv/share rw,relatime shared:9 - nfs4 server:/export rw
31 22 0:41 / /srv/share/local rw,relatime shared:10 - ext4 /dev/sdb1 rw
32 22 0:42 / /home/me/remote rw,nosuid - fuse.sshfs me@host:/ rw
33 22 0:43 / /mnt/with\\040space rw - 9p drive rw
"""


@pytest.mark.parametrize("path, kind, polled", [
    ("/home/me/site", "ext4", False),
    ("/srv/share/site/content", "nfs4", True),
    ("/srv/share/local/content", "ext4", False),  # the deepest mount point counts
    ("/srv/shared", "ext4", False),  # a name that only starts like a mount point
    ("/home/me/remote/site", "fuse.sshfs", True),
    ("/mnt/with space/site", "9p", True),
])
def test_network_and_shared_mounts_are_polled(path, kind, polled):
    assert filesystem_type(path, MOUNTINFO) == kind
    assert needs_polling(path, MOUNTINFO) is polled


class Watching:
    """``changes()`` running in a thread; ``next_batch()`` waits for one."""

    def __init__(self, paths, force_polling):
        self.stop = threading.Event()
        self.batches: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(paths, force_polling))
        self.thread.start()
        time.sleep(0.5)  # let the watch start

    def _run(self, paths, force_polling):
        for batch in changes(paths, 0.1, stop_event=self.stop, force_polling=force_polling):
            self.batches.put(batch)

    def next_batch(self, timeout=10) -> set[str]:
        return self.batches.get(timeout=timeout)

    def quiet(self, seconds=0.8) -> bool:
        try:
            self.batches.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self):
        self.stop.set()
        self.thread.join(10)


@pytest.mark.parametrize("force_polling", [None, True], ids=["events", "polling"])
def test_changes_are_seen(tmp_path, force_polling):
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    (content / "__pycache__").mkdir()
    settings = tmp_path / "pelicanconf.py"
    settings.write_text("A = 1\n")
    story = content / "articles" / "a.md"
    watching = Watching([content, settings], force_polling)
    try:
        story.write_text("Title: A\n")
        assert str(story) in watching.next_batch()
        assert watching.quiet()
        # Editors save by writing a new file over the old one: seen every time.
        for n in range(2):
            (tmp_path / "pelicanconf.tmp").write_text(f"A = {n + 2}\n")
            os.replace(tmp_path / "pelicanconf.tmp", settings)
            assert str(settings) in watching.next_batch()
        # Caches are not sources.
        (content / "__pycache__" / "x.pyc").write_bytes(b"x")
        (tmp_path / "unwatched.txt").write_text("x")
        assert watching.quiet()
        story.unlink()
        assert str(story) in watching.next_batch()
    finally:
        watching.close()


def test_changes_while_busy_come_in_one_batch(tmp_path):
    watching = Watching([tmp_path], None)
    try:
        (tmp_path / "a.md").write_text("a")
        first = watching.next_batch()
        assert first == {str(tmp_path / "a.md")}
        time.sleep(0.3)
        for name in ("b.md", "c.md"):  # while the caller would be building
            (tmp_path / name).write_text(name)
            time.sleep(0.2)
        time.sleep(0.5)
        seen: set[str] = set()
        while str(tmp_path / "c.md") not in seen:
            seen |= watching.next_batch()
        assert {str(tmp_path / "b.md"), str(tmp_path / "c.md")} <= seen
    finally:
        watching.close()


def test_stop_ends_the_watch(tmp_path):
    stop = threading.Event()
    done = threading.Event()

    def run():
        for _batch in changes([Path(tmp_path)], 0.1, stop_event=stop):
            pass
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.3)
    stop.set()
    assert done.wait(10)


def test_polling_takes_over_when_the_kernel_cannot_watch(tmp_path, monkeypatch):
    import newsroom.dev.watch as watch_module

    def no_watches(*paths, **options):
        raise OSError("OS file watch limit reached")
        yield  # a generator, like watchfiles.watch

    monkeypatch.setattr(watch_module.watchfiles, "watch", no_watches)
    watching = Watching([tmp_path], False)
    try:
        (tmp_path / "a.md").write_text("a")
        assert str(tmp_path / "a.md") in watching.next_batch()
    finally:
        watching.close()


def test_livereload_reloads_the_browser_when_a_served_file_changes(tmp_path):
    """End to end: `python -m newsroom.dev.livereload` sees a change and tells the page."""
    import asyncio
    import concurrent.futures
    import json
    import socket
    import subprocess
    import sys

    from tornado.websocket import websocket_connect

    (tmp_path / "index.html").write_text("<!doctype html><title>Home</title>")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "newsroom.dev.livereload", str(tmp_path), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()

    async def reload_message():
        while True:
            try:
                connection = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
                break
            except OSError:
                if time.monotonic() - started > 20:
                    raise
                await asyncio.sleep(0.1)
        connection.write_message(json.dumps(
            {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
        assert json.loads(await connection.read_message())["command"] == "hello"
        connection.write_message(json.dumps(
            {"command": "info", "url": f"http://127.0.0.1:{port}/"}))  # a page is open
        # livereload ignores changes in the first seconds after it starts,
        # which on a loaded machine can be well after the process started:
        # the file is changed again until a reload comes.
        await asyncio.sleep(max(0.0, 3.5 - (time.monotonic() - started)))
        for edit in range(10):
            (tmp_path / "index.html").write_text(f"<!doctype html><title>Change {edit}</title>")
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(connection.read_message(), 3))
                    if message.get("command") == "reload":
                        return message
            except asyncio.TimeoutError:
                continue
        raise AssertionError("no reload message after ten changes, three seconds apart")

    try:
        # In a thread of its own: a test process that drives the browser
        # (Playwright's sync API) already runs an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            message = thread.submit(asyncio.run, reload_message()).result()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert message["path"] == str(tmp_path / "index.html")
