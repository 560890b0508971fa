"""The source watcher behind `invoke regenerate` and `invoke livereload` (newsroom/dev/watch.py)."""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from pathlib import Path

import pytest

from newsroom.dev.watch import _polling, changes, filesystem_type, needs_polling

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


def inotify_watched_inodes() -> set[int] | None:
    """Inodes this process's inotify instances watch (Linux /proc); None if it cannot tell."""
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return None
    inodes = set()
    for descriptor in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{descriptor}") != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{descriptor}").read_text()
        except OSError:  # closed meanwhile
            continue
        # "inotify wd:1 ino:3c4 sdev:... mask:...": one line per watch.
        inodes |= {int(field.removeprefix("ino:"), 16) for line in info.splitlines()
                   if line.startswith("inotify ") for field in line.split()
                   if field.startswith("ino:")}
    return inodes


class Watching:
    """``changes()`` running in a thread; ``next_batch()`` waits for one.

    Made once the watch has started (``_wait_until_started``).
    """

    def __init__(self, paths, force_polling):
        self.stop = threading.Event()
        self.batches: queue.Queue = queue.Queue()
        self.marks = 0
        self.thread = threading.Thread(target=self._run, args=(paths, force_polling))
        self.thread.start()
        self._wait_until_started([Path(path) for path in paths], force_polling)

    def _run(self, paths, force_polling):
        for batch in changes(paths, 0.1, stop_event=self.stop, force_polling=force_polling):
            self.batches.put(batch)

    def mark(self, folder: Path) -> str:
        """A new empty file in ``folder``, made in one step (one kernel event); its path."""
        self.marks += 1
        path = folder / f"watch-mark-{self.marks}.txt"
        try:
            os.mknod(path, 0o644 | stat.S_IFREG)
        except (AttributeError, PermissionError):  # no mknod for files here (macOS)
            path.touch(exist_ok=False)
        return str(path)

    def _wait_until_started(self, paths: list[Path], force_polling, timeout: float = 10) -> None:
        """Until a new file in each watched folder is seen: the watch has started.

        A new file is made in each folder every 0.1 s until one of that
        folder's is seen (one made earlier, before its watch started, is
        never seen); then batches are read until the last one made in each
        folder is seen too, so that none of them comes after this returns.

        A single file is watched through its folder, for that file alone, and
        with kernel events in a watch of its own: no new file shows that this
        watch runs, and a change to the file could not be told from a later
        one. Its watch has started once this process has an inotify watch on
        the folder (events from then on wait in the kernel until read); that
        is waited for, half a second at most, which is all the watch gets
        where /proc cannot tell or where the kernel cannot watch and the file
        is polled instead. Polled from the start, the file is in the
        folders' watch.
        """
        started = time.monotonic()
        files = [path for path in paths if path.is_file()]
        if files and not _polling(force_polling, [str(path) for path in paths]):
            folders_of_files = {path.parent.stat().st_ino for path in files}
            while time.monotonic() < started + 0.5:
                watched = inotify_watched_inodes()
                if watched is not None and folders_of_files <= watched:
                    break
                time.sleep(0.01)
        folders = [path for path in paths if path.is_dir()]
        made: dict[Path, list[str]] = {folder: [] for folder in folders}
        seen: set[str] = set()
        waiting = set(folders)
        while waiting or any(marks[-1] not in seen for marks in made.values()):
            assert time.monotonic() < started + timeout, f"the watch of {paths} never started"
            for folder in waiting:
                made[folder].append(self.mark(folder))
            try:
                seen |= self.batches.get(timeout=0.1)
            except queue.Empty:
                pass
            waiting = {folder for folder in waiting if not seen.intersection(made[folder])}

    def next_batch(self, timeout=10) -> set[str]:
        return self.batches.get(timeout=timeout)

    def changes_until(self, paths: set[str]) -> set[str]:
        """Every path in the batches that come until all of ``paths`` have been seen.

        Changes come in order: one made before ``paths`` changed comes in an
        earlier batch or in the same one, never later. So ``== paths`` says
        that nothing else changed before them, without waiting for a
        quiet spell.
        """
        seen: set[str] = set()
        while not paths <= seen:
            seen |= self.next_batch()
        return seen

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

    def save_settings(value: int) -> None:
        # Editors save by writing a new file over the old one.
        (tmp_path / "pelicanconf.tmp").write_text(f"A = {value}\n")
        os.replace(tmp_path / "pelicanconf.tmp", settings)

    watching = Watching([content, settings], force_polling)
    try:
        story.write_text("Title: A\n")
        assert str(story) in watching.next_batch()
        # Seen once: the next change that comes is a new file made after it.
        mark = watching.mark(content)
        assert watching.changes_until({mark}) == {mark}
        # A new file over the settings file: seen every time.
        for n in range(2):
            save_settings(n + 2)
            assert str(settings) in watching.next_batch()
        # Caches are not sources, nor is a file beside the settings file: the
        # next changes that come are those made after them, in the content
        # folder's watch and in the settings file's.
        (content / "__pycache__" / "x.pyc").write_bytes(b"x")
        (tmp_path / "unwatched.txt").write_text("x")
        mark = watching.mark(content)
        save_settings(4)
        assert watching.changes_until({mark, str(settings)}) == {mark, str(settings)}
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
        # A change made before the server's watch has started is missed (on
        # a loaded machine that can be well after the process started), and
        # livereload's own handler drops one in its first seconds: the file
        # is changed every quarter second until a reload comes.
        edits = 0
        while time.monotonic() - started < 30:
            edits += 1
            (tmp_path / "index.html").write_text(f"<!doctype html><title>Change {edits}</title>")
            try:
                while True:
                    message = json.loads(await asyncio.wait_for(connection.read_message(), 0.25))
                    if message.get("command") == "reload":
                        return message
            except asyncio.TimeoutError:
                continue
        raise AssertionError(f"no reload message after {edits} changes in 30 seconds")

    try:
        # In a thread of its own: a test process that drives the browser
        # (Playwright's sync API) already runs an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            message = thread.submit(asyncio.run, reload_message()).result()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert message["path"] == str(tmp_path / "index.html")
