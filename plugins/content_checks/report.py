"""One problem, one log line: ``content/articles/x.md:LINE: what; how to fix``."""

from __future__ import annotations

import logging
import os
from pathlib import Path, PurePosixPath

logger = logging.getLogger(__package__)

# Files with a reported problem in the current build.
reported: list[str] = []


def shown(content_root: str, path: str) -> str:
    """``content/articles/x.md``: relative to the project, whatever the checkout."""
    relative = os.path.relpath(path, content_root)
    return str(PurePosixPath(Path(content_root).name, *Path(relative).parts))


def report(where: str, line: int | None, problem: str, *paths: str,
           broken_file: str | None = None) -> None:
    """Log one problem; ``paths`` lets the build driver drop Pelican's echoes of it.

    ``broken_file``: a linked file (an image) that is missing or damaged;
    other plugins' later messages about that file are echoes too.
    """
    reported.append(where)
    location = f"{where}:{line}" if line else where
    extra = {"problem_paths": list(paths), "broken_files": [broken_file] if broken_file else []}
    logger.error("%s: %s", location, problem, extra=extra)
