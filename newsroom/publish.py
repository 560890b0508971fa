"""Copy a built site to a folder target without a half-copied state.

The new site is copied beside the target first and then swapped in with
renames, so a web server reading the target never sees a partial copy.
Every folder and file gets ordinary permissions (755 and 644 under the usual
umask 022), whatever the source had, so a web server running as another user
can read them.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path


def ordinary_modes() -> tuple[int, int]:
    """(folder mode, file mode) under this process's umask: 0o755 and 0o644 for 022."""
    umask = os.umask(0o022)  # the only way to read it portably: set, then put back
    os.umask(umask)
    return 0o777 & ~umask, 0o666 & ~umask


def make_readable(root: Path, modes: tuple[int, int] | None = None) -> None:
    """Give ``root`` and every folder and file under it ordinary permissions.

    Web servers run as another user: a folder made by ``mkdtemp`` (700)
    answers 403. One walk; only entries with another mode are changed.
    Symlinks are left alone (chmod would follow them out of the tree).
    """
    dir_mode, file_mode = modes or ordinary_modes()

    def fix(path: str, wanted: int) -> None:
        info = os.lstat(path)
        if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != wanted:
            os.chmod(path, wanted)

    def fail(error: OSError) -> None:
        raise error

    fix(str(root), dir_mode)
    for folder, folders, files in os.walk(root, onerror=fail):
        for name in folders:  # before os.walk goes into them
            fix(os.path.join(folder, name), dir_mode)
        for name in files:
            fix(os.path.join(folder, name), file_mode)


def copy_site(source: Path, target: Path) -> None:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{target.name}.incoming-{os.getpid()}"
    if incoming.exists():
        shutil.rmtree(incoming)
    shutil.copytree(source, incoming, symlinks=False)
    make_readable(incoming)  # copytree keeps the source's modes
    if target.exists():
        previous = target.parent / f".{target.name}.previous-{os.getpid()}"
        os.replace(target, previous)
        os.replace(incoming, target)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(incoming, target)
