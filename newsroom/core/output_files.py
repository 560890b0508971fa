"""Writing output files: only when their bytes change, or always as new files.

A build into a fresh staging folder writes every file once anyway; the
incremental preview (newsroom/dev/incremental.py) writes into the folder it
serves. There, a file whose bytes are the same is left alone (its mtime,
inode and any open reader untouched), and a changed one is written to a
new file renamed over the old, so nobody ever reads half a page.

``write_new_file`` never writes into a file already there, which in a
staging folder may be a hard link to a published file
(newsroom/build/published_links.py).
"""

from __future__ import annotations

import contextlib
import os
import tempfile


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: What ``open(path, "w")`` would give a new file (read once: umask is per process).
FILE_MODE = _file_mode()


def write_new_file(path: str, data: bytes) -> None:
    """``data`` as a new file ``path`` (one already there is removed first), in few system calls."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    finally:
        os.close(handle)


def write_bytes_if_changed(path: str | os.PathLike, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it holds exactly that; True if written."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as old:
            if old.read() == data:
                return False
    except OSError:
        pass
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return True


def write_text_if_changed(path: str | os.PathLike, text: str) -> bool:
    """``write_bytes_if_changed`` for UTF-8 text (newlines as given)."""
    return write_bytes_if_changed(path, text.encode("utf-8"))
