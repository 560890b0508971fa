"""Copy a built site to a folder target without a half-copied state.

The new site is copied beside the target first and then swapped in with
renames, so a web server reading the target never sees a partial copy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def copy_site(source: Path, target: Path) -> None:
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{target.name}.incoming-{os.getpid()}"
    if incoming.exists():
        shutil.rmtree(incoming)
    shutil.copytree(source, incoming, symlinks=False)
    if target.exists():
        previous = target.parent / f".{target.name}.previous-{os.getpid()}"
        os.replace(target, previous)
        os.replace(incoming, target)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(incoming, target)
