"""One problem, one log line: ``content/articles/x.md:LINE: what; how to fix``.

A thin wrapper over the problems API in ``newsroom.core.problems`` (paths are
shown with its ``shown_path``).
"""

from __future__ import annotations

from newsroom.core.problems import report_problem


def report(where: str, line: int | None, problem: str, *paths: str,
           broken_file: str | None = None, once: tuple | None = None) -> None:
    report_problem(where, line, problem, covers=paths, broken_file=broken_file, once=once)
