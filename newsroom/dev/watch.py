"""Watch the sources and rebuild on change (``invoke regenerate``, ``invoke livereload``).

Changes are seen through the kernel's file events (inotify), read by
watchfiles (installed with Pelican). Where those events do not come, the
files are polled every ``interval`` seconds instead:

* on network and shared-folder mounts (NFS, SMB, sshfs and other FUSE
  mounts, 9p, virtiofs, VirtualBox, VMware and WSL shares), where a change
  made on the other side sends no event (``needs_polling``);
* when the kernel cannot watch (more folders than
  ``fs.inotify.max_user_watches``);
* everywhere when ``WATCHFILES_FORCE_POLLING`` is set (watchfiles' switch,
  with its meaning: any value but ``false``/``disable``/``disabled``).

The polling is ours, not watchfiles' ``force_polling``: that one compares
modification times in whole seconds, so a second save within the same
second goes unseen (tests/newsroom/dev/test_watch.py saves twice in a row).
Ours compares each file's modification time in nanoseconds and its size.

A single watched file (``pelicanconf.py``) is watched through its folder:
editors save by writing a new file over the old one, which would end a
kernel watch on the file itself. Changes under ``__pycache__``, ``.git``,
``.cache`` and the like, and editors' swap and backup files, are ignored.
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

#: Folders whose changes are never a source change (watchfiles' list and ours).
IGNORED_DIRS = (*watchfiles.DefaultFilter.ignore_dirs, ".cache")

#: Filesystems whose remote changes send no inotify event ("fuse.*" too).
POLLED_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "virtiofs", "vboxsf", "vmhgfs",
    "prl_fs", "drvfs", "ceph", "glusterfs", "afs", "fuse", "fuseblk",
})


class SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' default ignores (caches, VCS folders, swap files) plus ours."""

    ignore_dirs = IGNORED_DIRS


_SOURCES = SourceFilter()


def _is_source(path: str) -> bool:
    return _SOURCES(watchfiles.Change.modified, path)


# --- which filesystems need polling -------------------------------------------------

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


def _polling(force_polling: bool | None, paths: list[str]) -> bool:
    if force_polling is not None:
        return force_polling
    switch = os.getenv("WATCHFILES_FORCE_POLLING")
    if switch:
        return switch.lower() not in {"false", "disable", "disabled"}
    return any(needs_polling(path) for path in paths)


# --- polling ------------------------------------------------------------------------

def snapshot(paths: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Map every watched file to its (mtime_ns, size)."""
    state: dict[str, tuple[int, int]] = {}
    for base in paths:
        if os.path.isdir(base):
            found = []
            for folder, folders, names in os.walk(base):
                folders[:] = [name for name in folders if name not in IGNORED_DIRS]
                found += [os.path.join(folder, name) for name in names]
        else:
            found = [base]
        for path in found:
            if not _is_source(path):
                continue
            try:
                stat = os.stat(path)
            except OSError:
                continue
            state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


def _poll(out: queue.Queue, paths: list[str], stop: threading.Event, interval: float) -> None:
    previous = snapshot(paths)
    while not stop.wait(interval):
        current = snapshot(paths)
        if current != previous:
            out.put({path for path in current.keys() | previous.keys()
                     if current.get(path) != previous.get(path)})
            previous = current


# --- kernel events ------------------------------------------------------------------

def _events(out: queue.Queue, watched: list[str], recursive: bool, watch_filter,
            stop: threading.Event, interval: float, poll_paths: list[str]) -> None:
    try:
        for found in watchfiles.watch(*watched, watch_filter=watch_filter, stop_event=stop,
                                      recursive=recursive, force_polling=False,
                                      rust_timeout=1_000, raise_interrupt=False):
            out.put({path for _change, path in found})
    except OSError as error:
        if stop.is_set():
            return
        # No more kernel watches (or none at all here): poll instead.
        logger.warning("watching %s by polling every %s s (%s)",
                       ", ".join(poll_paths), interval, error)
        _poll(out, poll_paths, stop, interval)


def _run(target, *args) -> None:
    """Run a watcher; an error that ends it is handed to ``changes`` on its queue."""
    try:
        target(*args)
    except Exception as error:  # noqa: BLE001 (re-raised by the consumer)
        args[0].put(error)


def changes(paths: Iterable[Path], interval: float = 0.5, *,
            stop_event: threading.Event | None = None,
            force_polling: bool | None = None) -> Iterator[set[str]]:
    """Yield the set of changed paths each time files under ``paths`` change.

    Changes made while the caller handles one batch come in the next batch.
    Ends when ``stop_event`` is set. ``force_polling``: True polls, False
    never does, None decides (see the module docstring).
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
    jobs = []
    if _polling(force_polling, folders + files):
        jobs.append((_poll, out, folders + files, stop, interval))
    else:
        if folders:
            jobs.append((_events, out, folders, True, SourceFilter(), stop, interval, folders))
        if files:
            wanted = set(files)
            jobs.append((_events, out, sorted({os.path.dirname(f) for f in files}), False,
                         lambda _change, path: path in wanted, stop, interval, files))
    threads = [threading.Thread(target=_run, args=job, name="watch-sources", daemon=True)
               for job in jobs]
    for thread in threads:
        thread.start()
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
