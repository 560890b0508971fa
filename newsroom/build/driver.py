"""Build the site: Pelican, then the search index, then an atomic swap.

This is the one code path behind ``invoke build``, ``invoke publish`` and the
test suite (which runs it as ``python -m newsroom.build``).

1. Pelican renders into a fresh staging folder beside the output folder.
   Stories read as in an earlier build come from the read cache, the others
   are read by worker processes (``newsroom.build.read_cache``); a forked
   child renders pages and feeds ahead of the build process, which writes
   them all (``newsroom.build.parallel_render``): a page or feed whose bytes
   the output folder already has is hard-linked from it instead, with its
   compressed copies when the last build's record vouches for them
   (``newsroom.build.published_links``); a page or feed whose inputs did
   not change since the last build is not rendered at all but taken from
   the output folder (``newsroom.build.page_records``).
2. Every warning or error Pelican or a plugin logs is collected (and made
   clear by ``newsroom.core.problems``); the build goes on so that all problems
   are reported in one run. A crash after reported problems is their
   consequence and is reported as one more line; a crash without any is a
   bug and keeps its traceback. Either way the build fails.
3. Pagefind indexes the staged pages in parts (``newsroom.build.search_parts``:
   only the parts whose pages changed; the others are linked from the
   published site), started as ``newsroom.compat.pagefind`` says (only the
   pages it can index, with less memory); ``newsroom.build.search_index``
   then stores each part's filter index in a stable order (reproducible
   builds).
   Publishing builds write ``.gz``/``.br`` copies of the text files
   (``PRECOMPRESS``, ``newsroom.build.precompress``) in worker processes,
   from the moment Pelican writes them (``CompressWhileWriting``) and while
   Pagefind runs, then list their content-named files in
   ``immutable.txt`` (``FINGERPRINT_ASSETS``, ``newsroom.build.site_files``)
   and compress what Pagefind and that step wrote.
4. Only if nothing went wrong is the staging folder given ordinary
   permissions (755/644 under umask 022) and swapped in for the output
   folder. A failed build leaves the previous output untouched: the bytes,
   modes and times of its files (links made from it change only their
   ctime and link count).

One build at a time per output folder (a lock file beside it; a second
build waits). Folders left by a killed build are removed by the next one.
SIGTERM/SIGINT remove the staging folder and stop Pagefind; Pagefind, photo,
compression, reading and rendering workers die with the build even when it
is SIGKILLed (Linux). An
output folder that is a mount point cannot be renamed: the site is then
staged inside it and swapped in entry by entry. A settings file that does
not load, a read-only output location or a full disk are reported as one
clear line, not a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import functools
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
from pathlib import Path

from newsroom.build import up_to_date
from newsroom.core.clock import (InvalidSourceDateEpoch, build_time, output_valid_until,
                                 reset_output_changes)
from newsroom.core.problems import ProblemCollector, shown_path
from newsroom.build.precompress import precompress
from newsroom.build import parallel_render
from newsroom.build.read_cache import ReadCache
from newsroom.publish.releases import make_readable, ordinary_modes
from newsroom.build.page_records import PageRecords
from newsroom.build.published_links import (PublishedFileChanged, PublishedLinks,
                                            save_record as save_copies_record)
from newsroom.build.search_parts import record_path as _search_record_path, save_record
from newsroom.build.site_files import immutable_files, write_immutable_list

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class BuildFailed(Exception):
    """The build found problems; ``problems`` lists them, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _parse_override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


class Interrupted(BaseException):
    """SIGTERM or SIGINT during a build.

    A BaseException, so that no ``except Exception`` in Pelican or a plugin
    swallows it on its way out.
    """

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _BuildState:
    """What the signal handler needs to know about the running build."""

    main_pid: int | None = None  # the build process (forked workers are not)
    forking_pid: int | None = None  # parent of the process being forked
    searchers: list = []  # the running Pagefind processes (one per part of the index)
    interrupted = False  # a stop signal is being handled: ignore more
    critical = False  # swapping or cleaning up: a signal waits (see main)
    pending: int | None = None
    up_to_date = False  # the last build() found nothing to do
    while_writing = None  # the CompressWhileWriting of the running Pelican
    pages: tuple[int, int] | None = None  # (rendered, in all) by the last build()


_state = _BuildState()
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()  # loaded before any fork: a child only calls it


def _die_with_parent(parent: int | None) -> None:
    """In a new child process: be killed when the build process dies.

    Runs between fork and exec (Pagefind) or at the start of a forked photo
    worker, so a SIGKILLed build leaves no process behind. Linux only; best
    effort elsewhere.
    """
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the build died before the line above took effect


def _before_fork() -> None:
    _state.forking_pid = os.getpid()


def _after_fork_in_child() -> None:
    _die_with_parent(_state.forking_pid)


def _on_stop_signal(signum, frame) -> None:
    if os.getpid() != _state.main_pid:
        # A forked photo worker (Ctrl-C reaches the whole process group): the
        # build itself cleans up; the worker just ends as the signal says.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _state.interrupted:
        return  # already stopping
    if _state.critical:
        _state.pending = signum  # the swap must not stop half-way
        return
    _state.interrupted = True
    for child in list(_state.searchers):
        if child.poll() is None:
            child.kill()
    raise Interrupted(signum)


@contextlib.contextmanager
def _signals_wait():
    """A stop signal that comes during the block is acted on at its end."""
    outer = _state.critical
    _state.critical = True
    try:
        yield
    finally:
        _state.critical = outer
    if not outer and _state.pending and not _state.interrupted:
        signum, _state.pending = _state.pending, None
        _on_stop_signal(signum, None)


def _own_name(name: str, output: Path) -> bool:
    """A name the build uses for its own folders beside (or inside) ``output``."""
    return name.startswith((f".{output.name}.staging-", f".{output.name}.previous-"))


def _remove_stale(output: Path) -> None:
    """Remove the staging and previous folders that killed builds left.

    Called only while holding the output's lock, so no running build's
    folders are touched.
    """
    places = [output.parent]
    if output.is_dir() and not output.is_symlink():
        places.append(output)  # builds into a mount point stage inside it
    for place in places:
        with os.scandir(place) as entries:
            stale = [entry for entry in entries if _own_name(entry.name, output)]
        for entry in stale:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass


class _OutputLock:
    """``flock`` on ``.<name>.lock`` beside the output: one build at a time.

    The file is removed (while still locked) when the build ends; a build
    that was waiting then finds a different or no file there and locks
    afresh, so two builds never both hold "the" lock.
    """

    def __init__(self, output: Path):
        self.output = output
        self.path = output.parent / f".{output.name}.lock"
        self.handle = None

    def acquire(self) -> None:
        announced = False
        while True:
            try:
                handle = open(self.path, "a")
            except OSError as error:
                # A mount point in a read-only folder: keep the lock inside it.
                if (error.errno not in (errno.EROFS, errno.EACCES, errno.EPERM)
                        or not _is_mount_point(self.output)
                        or self.path.parent != self.output.parent):
                    raise
                self.path = self.output / f".{self.output.name}.lock"
                continue
            try:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not announced:
                        print(f"Waiting for the other build into {self.output} to finish...",
                              file=sys.stderr, flush=True)
                        announced = True
                    fcntl.flock(handle, fcntl.LOCK_EX)
                held = os.fstat(handle.fileno())
                try:
                    current = os.stat(self.path)
                except FileNotFoundError:
                    current = None
                if current and (current.st_dev, current.st_ino) == (held.st_dev, held.st_ino):
                    self.handle = handle
                    return
            except BaseException:
                handle.close()
                raise
            handle.close()  # the previous holder removed that file: lock the new one

    def release(self) -> None:
        if self.handle is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        self.handle.close()
        self.handle = None


def _unescape_mountinfo(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)


def _is_mount_point(path: Path) -> bool:
    """True for a folder that is a mount point, which cannot be renamed away."""
    if not path.is_dir() or path.is_symlink():
        return False
    if os.path.ismount(path):
        return True
    try:  # bind mounts of the same filesystem: only the mount table knows
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
            points = {_unescape_mountinfo(line.split()[4]) for line in table if line.count(" ") > 4}
    except OSError:
        return False
    return str(path) in points


def _staging_dir(output: Path, inside: bool = False) -> Path:
    """A fresh folder beside ``output`` (inside it when it is a mount point)."""
    place = output if inside else output.parent
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.staging-", dir=place))


# --- the folders of the last site but one ------------------------------------------
#
# A build with one story changed puts the same 1,500 folders in a new
# staging folder as the last build did, and removes the 1,500 of the site it
# replaces. On ext4 a new inode is slow to find while many were freed in the
# last minute (the kernel skips those: ``recently_deleted``), so making and
# removing folders was a fifth of such a build's system time. Instead, the
# replaced site is emptied of files (its folders stay) and kept beside the
# output as ``.<name>.spare``, renamed there only once every file in it is
# gone; the next build takes those folders as its staging folder, and
# removes the ones its site does not fill. Only folders are ever kept: a
# spare found holding anything else is removed, not used.

def _spare_dir(output: Path) -> Path:
    """Where the emptied folders of the site a build replaced wait for the next build."""
    return output.parent / f".{output.name}.spare"


class _Spare:
    """The spare folders (``_spare_dir``), renamed to be a build's staging folder.

    Only folders were kept there; what else may have come into them since
    is removed (``find -delete``, in another process while the build reads
    its settings and starts Pelican), and the folders are listed. ``ready()``
    waits for that, before anything is written into the staging folder, and
    returns the folders (in no particular order).
    """

    def __init__(self, staging: Path):
        self.staging = staging
        self.process = None
        self.folders: list[str] | None = None
        finder = shutil.which("find")
        if finder is not None:
            try:
                self.process = subprocess.Popen(
                    [finder, os.path.abspath(staging), "-mindepth", "1",
                     "(", "-type", "d", "-print0", ")", "-o", "-delete"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, close_fds=True)
            except OSError:
                self.process = None

    def ready(self) -> list[str]:
        """The folders under the staging folder, once nothing else is in it (OSError if
        something cannot be removed)."""
        if self.folders is not None:
            return self.folders
        if self.process is not None:
            process, self.process = self.process, None
            try:
                output, _ = process.communicate()
            except BaseException:
                process.kill()
                process.wait()
                raise
            if process.returncode == 0:
                self.folders = [os.fsdecode(path) for path in output.split(b"\0") if path]
                return self.folders
        # No find, or it could not remove something: here, where what fails
        # raises the error that names it.
        self.folders = _remove_files(os.fspath(self.staging))
        return self.folders

    def stop(self) -> None:
        """A build that ends early: the cleaning process ends too."""
        if self.process is not None:
            process, self.process = self.process, None
            process.kill()
            process.wait()


def _reuse_spare(output: Path) -> _Spare | None:
    """The spare folders as a new staging folder (``_Spare``); None when there are none."""
    spare = _spare_dir(output)
    try:
        if not os.path.isdir(spare) or os.path.islink(spare):
            if os.path.lexists(spare):
                os.unlink(spare)
            return None
        import secrets

        staging = output.parent / f".{output.name}.staging-{secrets.token_hex(6)}"
        os.rename(spare, staging)
    except OSError:
        return None
    return _Spare(staging)


def _remove_empty_folders(folders: list[str], staging: Path, filled=()) -> None:
    """Remove those of ``folders`` (in any order) that nothing was put in.

    ``filled``: site paths of files known to be in the staging folder now
    (their folders are not tried).
    """
    kept = set()
    for relative in filled:
        parent = relative.rpartition("/")[0]
        while parent and parent not in kept:
            kept.add(parent)
            parent = parent.rpartition("/")[0]
    start = len(os.fspath(staging)) + 1
    for folder in sorted(folders, key=lambda path: -path.count(os.sep)):  # the deepest first
        if folder[start:].replace(os.sep, "/") in kept:
            continue
        try:
            os.rmdir(folder)
        except OSError:
            pass  # (not empty: the new site has files there)


def _move(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.move(source, target)  # another filesystem: copy, then remove


def _swap_entries(staging: Path, output: Path) -> None:
    """Swap the site into ``output`` entry by entry (``output`` cannot be renamed).

    For a mount point. Each top-level file or folder of the old site is set
    aside and the new one renamed in its place, so the folder stays
    servable throughout; on an error everything is put back.
    """
    previous = output / f".{output.name}.previous-{os.getpid()}"
    if os.path.lexists(previous):
        shutil.rmtree(previous)
    previous.mkdir()
    new = sorted(os.listdir(staging))
    old = sorted(name for name in os.listdir(output) if not _own_name(name, output)
                 and name != f".{output.name}.lock")
    set_aside: list[str] = []
    placed: list[str] = []
    try:
        for name in new:
            if os.path.lexists(output / name):
                os.replace(output / name, previous / name)
                set_aside.append(name)
            _move(staging / name, output / name)
            placed.append(name)
        for name in old:
            if name not in new:
                os.replace(output / name, previous / name)
                set_aside.append(name)
    except BaseException:
        for name in reversed(placed):
            _move(output / name, staging / name)
        for name in reversed(set_aside):
            os.replace(previous / name, output / name)
        shutil.rmtree(previous, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _swap_into_place(staging: Path, output: Path) -> Path | None:
    """Replace ``output`` with ``staging`` using renames on one filesystem.

    Returns the old site, set aside beside ``output``, for the caller to
    remove (None if there was none, or it is removed already).
    """
    if output.exists() or output.is_symlink():
        previous = output.parent / f".{output.name}.previous-{os.getpid()}"
        if previous.exists():
            shutil.rmtree(previous)
        try:
            os.replace(output, previous)
        except OSError as error:
            if error.errno not in (errno.EBUSY, errno.EXDEV) or not output.is_dir():
                raise
            _swap_entries(staging, output)  # a mount point we did not recognise
            return None
        try:
            os.replace(staging, output)
        except OSError:
            os.replace(previous, output)  # put the old site back, then report
            raise
        return previous
    os.replace(staging, output)
    return None


def _raise(error: OSError) -> None:
    raise error


def _remove_files(root: str) -> list[str]:
    """Remove everything under ``root`` but its folders (``find``'s work, where
    there is none); return the folders. OSError names what could not go."""
    folders = []
    for folder, names, files in os.walk(root, onerror=_raise):
        for name in files:  # (files, and symlinks of any kind)
            os.unlink(os.path.join(folder, name))
        folders += [os.path.join(folder, name) for name in names]
    return folders


class _Removal:
    """The old site being removed by ``rm -rf`` (another process: the build's
    own work meanwhile keeps its core, where a thread would share Python's
    lock with it), or by a thread where there is no ``rm``. ``join`` waits,
    and removes what is left.

    ``spare``: only its files are removed (``find -delete``), and its folders
    are renamed to ``spare`` once that has succeeded, for the next build
    (``_reuse_spare``); should anything fail, it is removed as a whole.
    """

    def __init__(self, path: Path, spare: Path | None = None):
        import threading

        self.path, self.spare, self.process, self.thread = path, spare, None, None
        self.failed = False
        if spare is not None:
            # (an absolute path: find cannot take it for an option)
            command = [shutil.which("find"), os.path.abspath(path), "-mindepth", "1",
                       "!", "-type", "d", "-delete"]
        else:
            command = [shutil.which("rm"), "-rf", "--", str(path)]
        if command[0] is not None:
            try:
                self.process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)
                return
            except OSError:
                pass
        self.thread = threading.Thread(target=self._in_thread, name="remove-old-site")
        self.thread.start()

    def _in_thread(self) -> None:
        if self.spare is None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        try:
            _remove_files(os.fspath(self.path))
        except OSError:
            self.failed = True

    def join(self) -> None:
        if self.process is not None:
            try:
                self.failed = self.process.wait() != 0
            except BaseException:  # a stop signal: rm ends with the build
                self.process.kill()
                self.process.wait()
                raise
            finally:
                self.process = None
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.spare is not None and not self.failed and os.path.lexists(self.path):
            try:
                if os.path.lexists(self.spare):
                    shutil.rmtree(self.spare)
                os.rename(self.path, self.spare)
                return
            except OSError:
                pass
        shutil.rmtree(self.path, ignore_errors=True)  # (rm could not remove everything)


def _removing(path: Path | None, spare: Path | None = None):
    """Start removing ``path`` (a folder; ``spare``: its files, see ``_Removal``);
    ``join`` what is returned.

    Files linked from the old site lose a name when it is removed, which
    changes their change time and link count: the records written
    meanwhile (the up-to-date record's digest of the output included)
    identify files by what stays, size, modification time and inode.
    """
    if path is None:
        return None
    # A folder (not a symlink the output was): its folders are kept for the next build.
    keep = spare is not None and os.path.isdir(path) and not os.path.islink(path)
    return _Removal(path, spare if keep else None)


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY = {errno.EROFS}
_DENIED = {errno.EACCES, errno.EPERM}


def _in_output_area(path: Path, output: Path) -> bool:
    """``path`` is in the output folder, its parent, or the build's own files beside it."""
    for part in (path, *path.parents):
        if part == output:
            return True
        if part.parent == output.parent and part.name.startswith(f".{output.name}."):
            return True
    return path == output.parent


def _storage_message(kind: int, where: str) -> str:
    if kind in _DISK_FULL:
        return (f"cannot write {where}: the disk is full (No space left on device); "
                "free some space there (a build needs room for a second copy of the "
                "site while it runs) or build into a folder on another disk with -o, "
                "then build again")
    if kind in _READ_ONLY:
        return (f"cannot write {where}: it is on a read-only file system; build into a "
                "writable folder with -o, or make that location writable, then build again")
    return (f"cannot write {where}: permission denied; build into a folder this user can "
            "write to with -o, or fix that folder's owner and permissions, then build again")


def _storage_problem(error: BaseException | None, output: Path) -> str | None:
    """The clear line for a full disk or an unwritable output location, if that is the error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _DISK_FULL | _READ_ONLY | _DENIED:
            # shutil's copies name the source first and the target second.
            paths = [Path(os.path.abspath(os.fsdecode(name)))
                     for name in (error.filename, error.filename2) if name]
            if not paths or any(_in_output_area(path, output) for path in paths):
                return _storage_message(error.errno, f"the output folder {output}")
            if error.errno not in _DENIED:  # e.g. the photo cache on a full disk
                return _storage_message(error.errno, str(paths[-1]))
        error = error.__cause__ or error.__context__
    return None


_STORAGE_WORDS = {
    errno.ENOSPC: ("No space left on device", "os error 28"),
    errno.EROFS: ("Read-only file system", "os error 30"),
}


def _storage_hint(problems: list[str], output: Path) -> list[str]:
    """Problems plus one clear line when some of them come from a full or read-only disk."""
    if any("the disk is full" in problem or "on a read-only file system" in problem
           for problem in problems):
        return problems  # already said
    for kind, words in _STORAGE_WORDS.items():
        if any(word in problem for problem in problems for word in words):
            return problems + [_storage_message(kind, f"the output folder {output}")]
    return problems


def _shown(path) -> str:
    """A file named in a settings error: relative to the project, else absolute."""
    return shown_path(None, os.path.abspath(os.fsdecode(path)), project_root=PROJECT_ROOT)


def _settings_problem(settings_path: Path, error: Exception) -> str | None:
    """A clear line for an exception raised while importing the settings file."""
    from newsroom.compat.pelican import raised_by_settings_file

    if not raised_by_settings_file(error):
        return None  # not the import: let the caller decide
    frames = traceback.extract_tb(error.__traceback__)
    if isinstance(error, SyntaxError) and error.filename:
        what = f"{type(error).__name__}: {error.msg}"
        where = f"{_shown(error.filename)}, line {error.lineno}"
    else:
        libraries = {os.path.abspath(sysconfig.get_paths()[key])
                     for key in ("stdlib", "platstdlib", "purelib", "platlib")}
        own = [frame for frame in frames if not frame.filename.startswith("<")
               and not any(os.path.abspath(frame.filename).startswith(folder + os.sep)
                           for folder in libraries)]
        what = f"{type(error).__name__}: {error}"
        where = (f"{_shown(own[-1].filename)}, line {own[-1].lineno}" if own
                 else _shown(settings_path))
    return (f"{_shown(settings_path)}: the settings file cannot be loaded ({what}; at {where}); "
            "it is Python: fix that line, then build again")


class CompressWhileWriting:
    """Hands the pages and feeds Pelican writes to compression workers as they come.

    A publishing build keeps both cores busy while Pelican renders, but not
    always (the render child waits for the build process, a generator
    starts); workers that run at a lower priority (``NICE``) use those
    moments instead of waiting for Pelican to finish. Pelican never writes
    a file twice; a file changed afterwards all the same is compressed
    again by ``Precompression.finish``. The build hands out whatever is
    left after Pelican (``compressing.start()``) and waits in ``finish_site``.
    """

    BATCH = 48  # files per hand-out (a feed goes at once: see ``written``)
    NICE = 10

    def __init__(self, staging: Path, search: bool, links=None):
        self.staging = staging
        self.search = search
        self.links = links  # PublishedLinks: pages whose copies were linked are left alone
        self.settings: dict | None = None
        self.compressing = None
        self.pool = None  # compression workers forked before Pelican (precompress.WorkerPool)
        self._enabled: bool | None = None
        self._waiting: list[str] = []

    def written(self, path, at_once: bool = False) -> None:
        """``path`` was written; ``at_once``: hand it out now (a feed: half a
        megabyte, written while the workers have the most time for it)."""
        if self._enabled is None:
            from newsroom.build.precompress import available

            settings = self.settings or {}
            self._enabled = bool(self.search and settings.get("PRECOMPRESS") and available())
        if not self._enabled or (self.links is not None and self.links.has_copies(path)):
            return
        self._waiting.append(os.fspath(path))
        if at_once or len(self._waiting) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._waiting:
            return
        if self.compressing is None:
            from newsroom.build.precompress import Precompression

            self.compressing = Precompression(
                self.staging, cache=Path(self.settings["COMPRESSION_CACHE_PATH"]),
                nice=self.NICE, pool=self.pool)
        with _signals_wait():  # workers are forked here: a signal must not be lost
            self.compressing.hand_out(self._waiting)
        self._waiting = []


def _compress_when_written(path, **_context) -> None:
    """``content_written`` receiver (newsroom/build/parallel_render.py knows it)."""
    if _state.while_writing is not None:
        _state.while_writing.written(path)


def _compress_feed_when_written(path, **_context) -> None:
    """``feed_written`` receiver (newsroom/build/parallel_render.py knows it)."""
    if _state.while_writing is not None:
        _state.while_writing.written(path, at_once=True)


def run_pelican(settings_path: Path, staging: Path, overrides: dict,
                output: Path | None = None, settings_out: dict | None = None,
                while_writing: CompressWhileWriting | None = None,
                links=None, pages=None, before_run=None) -> list[str]:
    """Render the site with Pelican into ``staging``; return problems found.

    ``settings_out``, when given, receives the settings the build ran with
    (plugins' additions included). ``while_writing`` gets each file Pelican
    writes. ``links`` (a ``PublishedLinks``): pages and feeds whose bytes
    ``output`` already publishes are linked from it, not written. ``pages``
    (a ``PageRecords``): pages whose inputs are unchanged since the last
    build into ``output`` are taken from it, not rendered (with
    ``SKIP_UNCHANGED_PAGES``). ``before_run``: called just before Pelican runs
    (the staging folder must be ready then).
    """
    # Imported here so that `--help` and errors in arguments stay fast.
    import pelican.log  # noqa: F401  (installs Pelican's logger class)
    from pelican import Pelican
    from pelican.plugins import signals
    from pelican.settings import read_settings

    from newsroom.compat.pelican import (index_article_lists, linear_archives_and_translations,
                                         memoised_slugify, remember_content_urls,
                                         stampless_reads_without_content_cache)

    # Same output, less time: Pelican formats a story's URL setting on every
    # use of its url/save_as (keep the answer while the story is unchanged),
    # its tag, section and writer pages search lists story by story, it
    # stats each story four times for a content cache that is off, and it
    # slugifies the same section and topic names for every story.
    remember_content_urls()
    index_article_lists()
    linear_archives_and_translations()
    stampless_reads_without_content_cache()
    memoised_slugify()
    collector = ProblemCollector(str(PROJECT_ROOT))
    reads = None
    root = logging.getLogger()
    root.addHandler(collector)
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        root.setLevel(logging.WARNING)
    try:
        override = dict(overrides)
        override["OUTPUT_PATH"] = str(staging)
        try:
            settings = read_settings(str(settings_path), override=override)
        except Exception as error:
            problem = _settings_problem(settings_path, error)
            if problem is None:
                raise
            raise BuildFailed([problem]) from None
        collector.content_root = os.path.abspath(settings["PATH"])
        site = Pelican(settings)
        if settings_out is not None:
            settings_out.update(site.settings)
        # Stories read as last time come from the read cache; the others are
        # read on every core (newsroom/build/read_cache.py).
        reads = ReadCache.for_build(site.settings, settings_path, PROJECT_ROOT)
        reads.install()
        if while_writing is not None:
            while_writing.settings = site.settings
            _state.while_writing = while_writing
            signals.content_written.connect(_compress_when_written)
            signals.feed_written.connect(_compress_feed_when_written)
        if links is not None and output is not None:
            # What the published site has byte for byte is linked from it
            # (newsroom/build/published_links.py).
            links.configure(published_copies_record(site.settings, output),
                            compression_key(site.settings))
            make_writer = site._get_writer
            site._get_writer = lambda: links.install(make_writer())
            links.start_folders()  # the pages' folders, made meanwhile on the other core
        if pages is not None and site.settings["SKIP_UNCHANGED_PAGES"]:
            # newsroom/build/page_records.py
            pages.install(site, settings_path, PROJECT_ROOT)
        # Pages and feeds rendered on two cores (newsroom/build/parallel_render.py).
        parallel_render.install(site)
        if before_run is not None:
            before_run()
        site.run()
    except BuildFailed:
        raise
    except PublishedFileChanged as error:  # not a bug: something else wrote there
        raise BuildFailed([str(error)]) from None
    except Exception as error:
        storage = _storage_problem(error, output or staging)
        if storage:  # a full disk or an unwritable output: not a bug
            collector.extra_problems.append(storage)
            return collector.problems
        if not collector.problems:
            raise  # nothing explains it: a bug, shown with its traceback
        # A crash after reported problems is almost always their consequence;
        # the editor needs the list, not a traceback.
        collector.extra_problems.append(
            f"the build stopped early ({type(error).__name__}); fix the problems "
            "above and build again"
        )
    finally:
        if while_writing is not None:
            _state.while_writing = None
            signals.content_written.disconnect(_compress_when_written)
            signals.feed_written.disconnect(_compress_feed_when_written)
        if reads is not None:
            reads.close()
        if pages is not None:
            pages.close()
        if links is not None:
            links.finish_folders()
        root.removeHandler(collector)
    return collector.problems


SEARCH_WORKERS = 2  # Pagefind processes at a time (each keeps a little more than one core busy)


def _run_searchers(jobs: list[tuple[list[str], dict[str, str], str]]) -> list[str]:
    """Run Pagefind for each (arguments, environment, part), a few at a time; problems found.

    However this ends (a failure, a stop signal), no Pagefind process
    outlives it: each is waited for, killed first if it still runs.
    """
    problems: list[str] = []
    waiting = list(jobs)
    running: list[tuple[subprocess.Popen, str]] = []  # each until it has been waited for
    try:
        while waiting or running:
            while waiting and len(running) < SEARCH_WORKERS and not problems:
                arguments, environment, part = waiting.pop(0)
                with _signals_wait():  # so that a started Pagefind is always known
                    child = subprocess.Popen(
                        arguments, env=environment, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        preexec_fn=(functools.partial(_die_with_parent, os.getpid())
                                    if _PRCTL else None))
                    _state.searchers.append(child)
                    running.append((child, part))
            if not running:
                break
            child, part = running[0]
            output, _ = child.communicate()
            running.pop(0)
            if child.returncode != 0:
                where = f" (part {part})" if part else ""
                detail = output.decode("utf-8", "replace").strip()
                problems.append(f"search index: Pagefind failed{where} "
                                f"(exit {child.returncode}): {detail}")
    finally:
        with _signals_wait():
            for child in _state.searchers:
                if child.poll() is None:
                    child.kill()
                child.wait()
            _state.searchers.clear()
    return problems


def run_pagefind(site: Path, parts: int = 1, record: Path | None = None,
                 live: Path | None = None, mode: int | None = None, recent: int = 0,
                 meanwhile=None):
    """Index ``site`` with Pagefind in ``parts`` parts (newsroom/build/search_parts.py).

    ``recent``: how many of the newest pages make a part of their own.
    ``meanwhile``: done in a thread while Pagefind runs (``index_site``).

    Returns its ``SearchIndex``: the problems found, and the record to keep
    once the site is published. ``live``: the published output folder,
    whose unchanged parts are reused.
    """
    # Pagefind dies with the build (even a SIGKILLed one) and is killed when
    # the build stops while it runs. Only the pages it can index, and a
    # frugal allocator: the same index with a third less memory
    # (newsroom/compat/pagefind.py).
    from newsroom.build.search_parts import (BUNDLE, MAX_PARTS, MAX_RECENT, SearchIndex,
                                             index_site, valid_parts, valid_recent)

    if not valid_parts(parts):
        return SearchIndex([], [f"settings: SEARCH_INDEX_PARTS is {parts!r}; it must be a "
                                f"whole number from 1 to {MAX_PARTS} (4 by default)"])
    if not valid_recent(recent):
        return SearchIndex([], [f"settings: SEARCH_RECENT_PAGES is {recent!r}; it must be a "
                                f"whole number from 0 to {MAX_RECENT} (50 by default)"])
    live_bundle = live / BUNDLE if live is not None and (live / BUNDLE).is_dir() else None
    return index_site(site, parts, _run_searchers, record, live_bundle, mode, recent=recent,
                      meanwhile=meanwhile)


def compression_key(settings: dict) -> str | None:
    """What decides the publishing build's compressed copies (None: it makes none)."""
    from newsroom.build.precompress import available, compression_key as key

    return key() if settings.get("PRECOMPRESS") and available() else None


def published_copies_record(settings: dict, output: Path) -> Path | None:
    """Where the record of the published compressed copies is kept (None: nowhere)."""
    from newsroom.build.published_links import record_path

    cache = settings.get("CACHE_PATH")
    return record_path(cache, output) if cache else None


def search_record(settings: dict, output: Path) -> Path | None:
    """Where the record of the published search index is kept (None: nowhere)."""
    cache = settings.get("CACHE_PATH")
    return _search_record_path(Path(cache), output) if cache else None


def _unchanged_check(settings_path: Path, output: Path, overrides: dict, search: bool,
                     modes, force: bool = False) -> tuple[tuple[Path, str] | None, dict | None]:
    """(record, fingerprint) of this build's inputs (newsroom/build/up_to_date.py),
    and the settings as read for it.

    The first is None when unchanged builds are not to be skipped (or
    ``force``), the settings too when they do not load: the build then runs
    and reports whatever is wrong.
    """
    from pelican.settings import read_settings

    from newsroom.core.settings import resolve

    logging.disable(logging.CRITICAL)  # the build itself reports what reading finds
    settings = None
    try:
        settings = resolve(read_settings(
            str(settings_path), override={**overrides, "OUTPUT_PATH": str(output)}))
        if force or not settings["SKIP_UNCHANGED_BUILDS"]:
            return None, settings
        fingerprint = up_to_date.input_fingerprint(settings, settings_path, output, search,
                                                   modes, up_to_date.code_roots(settings,
                                                                                PROJECT_ROOT))
        return (up_to_date.record_path(settings["CACHE_PATH"], output), fingerprint), settings
    except Exception:  # noqa: BLE001 - any failure here only means a full build
        return None, settings
    finally:
        logging.disable(logging.NOTSET)


def finish_site(site: Path, settings: dict, compressing=None, meanwhile=None) -> list[str]:
    """The publishing build's last steps on the staged ``site``; return problems found.

    ``meanwhile`` runs once, while the compression workers finish if there
    are any (it must not write files), else at the end.

    ``FINGERPRINT_ASSETS``: ``immutable.txt`` lists the content-named files
    (newsroom/build/site_files.py). ``PRECOMPRESS``: ``.gz`` and ``.br`` beside every
    text file over 1 KB (newsroom/build/precompress.py), the list included.
    ``compressing``: the ``Precompression`` that ``build`` started while Pagefind
    ran; it compresses the files written since and waits for the rest.
    """
    if settings["FINGERPRINT_ASSETS"]:  # resolved settings (newsroom/core/settings.py)
        fingerprints = settings.get("ASSET_FINGERPRINTS") or {}
        hashed = [published for plain, published in fingerprints.items() if published != plain]
        write_immutable_list(site, immutable_files(
            site, hashed, theme_dir=settings["THEME_STATIC_DIR"],
            photo_dir=settings["PHOTO_OUTPUT_DIR"]))
    if settings["PRECOMPRESS"]:
        try:
            import brotli  # noqa: F401
        except ImportError:
            return ["precompression: the brotli package is not installed; install the "
                    "project again (.venv/bin/pip install -e .) or set PRECOMPRESS = False"]
        if compressing is not None:
            compressing.finish(meanwhile)
            return []
        precompress(site, cache=Path(settings["COMPRESSION_CACHE_PATH"]))
    if meanwhile is not None:
        meanwhile()
    return []


def build(
    settings_path: Path,
    output: Path,
    overrides: dict | None = None,
    search: bool = True,
    force: bool = False,
) -> Path:
    """Build the whole site and swap it into ``output``; raise BuildFailed.

    When nothing the build reads changed since the last build into
    ``output`` (and ``force`` is False), nothing is written and
    ``_state.up_to_date`` says so (newsroom/build/up_to_date.py).
    """
    _state.up_to_date = False
    _state.pages = None
    # Pelican without the reStructuredText reader it imports for nothing here
    # (a third of its import time; newsroom/compat/rst_off.py).
    from newsroom.compat.rst_off import import_pelican

    import_pelican()
    settings_path = Path(settings_path).resolve()
    output = Path(output).resolve()
    if not settings_path.is_file():
        raise BuildFailed([f"{settings_path}: settings file not found"])
    try:
        build_time()  # a bad SOURCE_DATE_EPOCH is a setup mistake, not a bug
    except InvalidSourceDateEpoch as error:
        raise BuildFailed([f"{error}; unset it, or set it to a whole number of "
                           "seconds such as $(git log -1 --format=%ct)"]) from None
    modes = ordinary_modes()  # read before any thread starts (umask is per process)
    lock = _OutputLock(output)
    staging = removing = None
    try:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()  # a second build into this output waits here
            _remove_stale(output)  # what killed builds left; only while locked
            unchanged, early_settings = _unchanged_check(
                settings_path, output, overrides or {}, search, modes, force)
            if unchanged and output.is_dir() and up_to_date.is_up_to_date(
                    *unchanged, output, build_time(), lambda name: _own_name(name, output)):
                _state.up_to_date = True
                return output
            reset_output_changes()
            inside = _is_mount_point(output)
            recycled = None
            with _signals_wait():  # a folder made must be known, to be removed
                if not inside:
                    recycled = _reuse_spare(output)
                    staging = recycled.staging if recycled is not None else None
                if staging is None:
                    staging = _staging_dir(output, inside)
            settings: dict = {}
            searched = None
            links = PublishedLinks(staging, output if output.is_dir() else None, modes[1])
            links.folders_made = recycled is not None  # (the spare has them)
            pages = PageRecords(output, modes[1])
            while_writing = CompressWhileWriting(staging, search, links)
            compressing = None
            try:
                if search and early_settings is not None and early_settings["PRECOMPRESS"]:
                    from newsroom.build.precompress import WorkerPool, available

                    if available():
                        with _signals_wait():  # a signal raised in a fork handler is lost
                            while_writing.pool = WorkerPool.start(CompressWhileWriting.NICE)
                # Pelican's pages and feeds are compressed as they are written
                # (CompressWhileWriting), what is left while Pagefind indexes
                # them; finish_site then compresses what Pagefind and it wrote
                # (the same files in the end as one pass after).
                problems = run_pelican(settings_path, staging, overrides or {}, output,
                                       settings, while_writing, links, pages,
                                       recycled.ready if recycled is not None else None)
                if recycled is not None:  # as a clean build: no empty folder
                    _remove_empty_folders(recycled.ready(), staging, links.filled)
                compressing = while_writing.compressing
                # While Pagefind runs: the page records (pages are final now)
                # and, with workers forked already, handing out what is to
                # compress (Pagefind works in a hidden folder of the site
                # meanwhile: that is left to finish_site).
                meanwhile = [functools.partial(pages.prepare, staging)]
                if not problems and settings["PRECOMPRESS"]:
                    from newsroom.build.precompress import Precompression, available

                    if compressing is None and available():
                        compressing = while_writing.compressing = Precompression(
                            staging, cache=Path(settings["COMPRESSION_CACHE_PATH"]),
                            nice=CompressWhileWriting.NICE, pool=while_writing.pool)
                    if compressing is not None:
                        # Pages linked with their copies are compressed already.
                        adopt = functools.partial(compressing.adopt, [
                            staging / relative for relative in links.with_copies])
                        if search and compressing.given is not None:
                            meanwhile[:0] = [adopt, functools.partial(compressing.start,
                                                                      hidden=False)]
                        else:
                            adopt()
                            with _signals_wait():  # a signal raised in a fork handler is lost
                                compressing.start()
                if not problems and search:
                    searched = run_pagefind(
                        staging, settings["SEARCH_INDEX_PARTS"],
                        search_record(settings, output), output, modes[1],
                        settings["SEARCH_RECENT_PAGES"],
                        meanwhile=lambda: [step() for step in meanwhile])
                    problems += searched.problems
                if not problems:
                    # Ordinary permissions for the web server while the last
                    # copies are compressed (they are made with them).
                    problems += finish_site(staging, settings, compressing,
                                            functools.partial(make_readable, staging, modes))
            finally:
                if recycled is not None:
                    recycled.stop()
                if while_writing.compressing is not None:
                    # a failed or stopped build: no worker stays
                    while_writing.compressing.stop()
                if while_writing.pool is not None:
                    while_writing.pool.close()  # (never used, or ended already)
            if problems:
                raise BuildFailed(_storage_hint(problems, output))
            _state.critical = True  # from here a stop signal waits (see main)
            previous = None  # (removing: see the finally clause)
            if inside:
                _swap_entries(staging, output)
            else:
                previous = _swap_into_place(staging, output)
            # (while the records below are written)
            removing = _removing(previous, None if inside else _spare_dir(output))
            if searched is not None:
                save_record(search_record(settings, output), searched.record)
            pages.save()
            _state.pages = pages.counts()
            save_copies_record(published_copies_record(settings, output), output,
                               compression_key(settings) if compressing is not None else None,
                               compressing.handed_out if compressing is not None else (),
                               {relative: links.copies[relative] for relative in links.with_copies})
            if unchanged:
                # With SOURCE_DATE_EPOCH the time is an input like the others.
                # (Made while the old site's files go: its digest of the output
                # leaves out what their removal changes, see up_to_date.py.)
                until = None if os.environ.get("SOURCE_DATE_EPOCH") else output_valid_until()
                up_to_date.write_record(unchanged[0], unchanged[1], output, until,
                                        lambda name: _own_name(name, output))
            if removing is not None:
                removing.join()
        except OSError as error:
            problem = _storage_problem(error, output)
            if problem is None:
                raise
            raise BuildFailed([problem]) from None
    finally:
        _state.critical = True  # cleaning up must not stop half-way either
        if removing is not None:
            removing.join()
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        lock.release()
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsroom.build",
        description="Build the site into OUTPUT; on any problem, keep the old OUTPUT.",
    )
    parser.add_argument(
        "-s", "--settings", default=str(PROJECT_ROOT / "pelicanconf.py"),
        help="Pelican settings file (default: pelicanconf.py)",
    )
    parser.add_argument(
        "-o", "--output", default=None,
        help="output folder (default: the settings' OUTPUT_PATH)",
    )
    parser.add_argument(
        "-e", "--setting", action="append", default=[], type=_parse_override,
        metavar="KEY=VALUE", help="override a setting (VALUE is JSON or a string)",
    )
    parser.add_argument(
        "--no-search", action="store_true", help="skip the Pagefind search index"
    )
    parser.add_argument(
        "--force", action="store_true",
        help="build even when nothing changed since the last build into OUTPUT",
    )
    args = parser.parse_args(argv)
    overrides = dict(args.setting)
    output = Path(args.output) if args.output else PROJECT_ROOT / "output"
    started = time.monotonic()
    _state.main_pid = os.getpid()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _on_stop_signal)
    # Forked photo workers die with the build too, so a killed build cannot
    # leave one holding the photo cache's lock.
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    try:
        build(Path(args.settings), output, overrides, search=not args.no_search,
              force=args.force)
    except Interrupted as stop:
        print(
            f"Build failed: interrupted ({stop}). The previous site in {output} "
            "was left as it was.",
            file=sys.stderr,
        )
        return 128 + stop.signum
    except BuildFailed as failure:
        print(
            f"Build failed: {len(failure.problems)} problem(s). "
            f"The previous site in {output} was left as it was.",
            file=sys.stderr,
        )
        for problem in failure.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    if _state.up_to_date:
        print(f"Up to date: nothing {output} was built from has changed; nothing written "
              f"({time.monotonic() - started:.1f} s)")
        return 0
    rendered = ""
    if _state.pages is not None:
        made, pages = _state.pages
        rendered = (f" ({made} of {pages} pages rendered; the others were unchanged)"
                    if made < pages else f" ({pages} pages rendered)")
    print(f"Built {output} in {time.monotonic() - started:.1f} s{rendered}")
    if _state.pending:
        print(f"({signal.Signals(_state.pending).name} came while the new site was "
              "being put in place; the build finished first.)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
