"""Watch the sources and rebuild on change (``invoke regenerate``, ``invoke livereload``).

Built on watchfiles (installed with Pelican): the kernel's file events
(inotify) where the filesystem sends them. On network and shared-folder
mounts (NFS, SMB, sshfs and other FUSE mounts, 9p, virtiofs, VirtualBox,
VMware and WSL shares) events for changes made on the other side never
arrive, so paths on those are polled every ``interval`` seconds instead, as
is everything when the kernel cannot watch (too many files for
``fs.inotify.max_user_watches``). ``WATCHFILES_FORCE_POLLING=1`` forces
polling anywhere (watchfiles' own switch).

A single watched file (``pelicanconf.py``) is watched through its folder:
editors save by writing a new file over the old one, which would end a
watch on the file itself. Changes under ``__pycache__``, ``.git``, ``.cache``
and editors' swap and backup files are ignored.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import watchfiles

logger = logging.getLogger(__name__)

IGNORED_PARTS = {"__pycache__", ".git", ".cache"}

#: Filesystems whose remote changes send no inotify event ("fuse.*" too).
POLLED_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "vboxsf", "vmhgfs",
    "prl_fs", "drvfs", "ceph", "glusterfs", "afs", "fuse", "fuseblk",
})


class SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' default ignores (caches, VCS folders, swap files) plus ours."""

    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, *sorted(IGNORED_PARTS))


def _unescape_mountinfo(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def filesystem_type(path, mountinfo: str | None = None) -> str | None:
    """The type of the filesystem ``path`` is on (Linux ``/proc/self/mountinfo``), or None."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    real = os.path.realpath(str(path))
    best, kind = "", None
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields = before.split()
        if len(fields) < 5 or not after:
            continue
        point = _unescape_mountinfo(fields[4])
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, after.split()[0]
    return kind


def needs_polling(path, mountinfo: str | None = None) -> bool:
    """True if changes under ``path`` may come without a kernel event."""
    kind = filesystem_type(path, mountinfo)
    return bool(kind) and (kind in POLLED_FILESYSTEMS or kind.startswith("fuse."))


def _watch_thread(out: queue.Queue, paths: list[str], recursive: bool, watch_filter,
                  stop: threading.Event, polling: bool | None, interval: float) -> None:
    """Put each batch of changed paths on ``out``; an error that ends watching, too."""
    while not stop.is_set():
        try:
            for changes in watchfiles.watch(
                    *paths, watch_filter=watch_filter, stop_event=stop, recursive=recursive,
                    force_polling=polling, poll_delay_ms=int(interval * 1000),
                    rust_timeout=1_000, raise_interrupt=False):
                out.put({path for _change, path in changes})
            return
        except OSError as error:
            if polling:
                out.put(error)
                return
            # No more kernel watches (or none at all here): poll instead.
            logger.warning("watching by polling every %s s (%s)", interval, error)
            polling = True


def changes(paths: Iterable[Path], interval: float = 0.5, *,
            stop_event: threading.Event | None = None,
            force_polling: bool | None = None) -> Iterator[set[str]]:
    """Yield the set of changed paths each time files under ``paths`` change.

    Changes made while the caller handles one batch come in the next batch.
    Ends when ``stop_event`` is set. ``force_polling``: None decides per path
    (see the module docstring).
    """
    stop = stop_event or threading.Event()
    folders, files = [], []
    for path in paths:
        path = Path(path).absolute()
        if path.is_dir():
            folders.append(str(path))
        elif path.exists():
            files.append(str(path))
    out: queue.Queue = queue.Queue()
    groups = []
    if folders:
        groups.append((folders, True, SourceFilter()))
    if files:
        wanted = set(files)
        groups.append((sorted({os.path.dirname(f) for f in files}), False,
                       lambda _change, path: path in wanted))
    threads = []
    for watched, recursive, watch_filter in groups:
        polling = force_polling
        if polling is None and any(needs_polling(path) for path in watched):
            polling = True
        thread = threading.Thread(
            target=_watch_thread, name="watch-sources", daemon=True,
            args=(out, watched, recursive, watch_filter, stop, polling, interval))
        thread.start()
        threads.append(thread)
    try:
        while not stop.is_set():
            try:
                batch = out.get(timeout=0.2)
            except queue.Empty:
                continue
            found: set[str] = set()
            while True:  # everything that has come in so far is one change
                if isinstance(batch, BaseException):
                    raise batch
                found |= batch
                try:
                    batch = out.get_nowait()
                except queue.Empty:
                    break
            yield found
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def watch(paths: list[Path], on_change: Callable[[], object], interval: float = 0.5):
    """Call ``on_change`` whenever a file under ``paths`` changes; forever."""
    for _changed in changes(paths, interval):
        on_change()
