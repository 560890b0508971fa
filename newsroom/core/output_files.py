"""Writing an output file only when its bytes change.

A build into a fresh staging folder writes every file once anyway; the
incremental preview (newsroom/dev/incremental.py) writes into the folder it
serves. There, a file whose bytes are the same is left alone (its mtime,
inode and any open reader untouched), and a changed one is written to a
new file renamed over the old, so nobody ever reads half a page.
"""

from __future__ import annotations

import os
import tempfile


def _file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: What ``open(path, "w")`` would give a new file (read once: umask is per process).
FILE_MODE = _file_mode()


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
