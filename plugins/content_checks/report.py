"""One problem, one log line: ``content/articles/x.md:LINE: what; how to fix``.

Thin wrappers over the problems API in ``newsroom.problems``.
"""

from __future__ import annotations

from newsroom.problems import report_problem, shown_path


def shown(content_root: str, path: str) -> str:
    return shown_path(content_root, path)


def report(where: str, line: int | None, problem: str, *paths: str,
           broken_file: str | None = None, once: tuple | None = None) -> None:
    report_problem(where, line, problem, covers=paths, broken_file=broken_file, once=once)
