"""Watch the sources and rebuild on change (``invoke regenerate``).

Polling keeps it dependency-free and works on every filesystem, including
network and container mounts where inotify events do not arrive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

IGNORED_PARTS = {"__pycache__", ".git", ".cache"}


def snapshot(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """Map every watched file to its (mtime_ns, size)."""
    state: dict[str, tuple[int, int]] = {}
    for base in paths:
        base = Path(base)
        files = [base] if base.is_file() else base.rglob("*") if base.is_dir() else []
        for path in files:
            if IGNORED_PARTS.intersection(path.parts) or not path.is_file():
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def watch(paths: list[Path], on_change: Callable[[], object], interval: float = 0.5):
    """Call ``on_change`` whenever a file under ``paths`` changes; forever."""
    previous = snapshot(paths)
    while True:
        time.sleep(interval)
        current = snapshot(paths)
        if current != previous:
            previous = current
            on_change()
