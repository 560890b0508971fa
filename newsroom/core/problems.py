"""Collect what went wrong during a build as one clear line per problem.

Every WARNING or ERROR record from Pelican or a plugin becomes a problem.
Pelican's own messages are vague (no line, sometimes no file, absolute
paths); the plugins report the same mistakes earlier and precisely through
``report_problem`` (the problems API below), naming the files involved.
Pelican's follow-up messages about those files are then dropped, and the
rest are reworded so that each still names its file and says what to do
(the wording Pelican uses is in ``newsroom.compat.pelican``).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import PurePosixPath


def _source_path(value) -> str:
    return str(getattr(value, "source_path", value))


class ProblemCollector(logging.Handler):
    """Logging handler that keeps every warning and error for the summary."""

    def __init__(self, project_root: str, content_root: str | None = None):
        super().__init__(level=logging.WARNING)
        self._records: list[tuple] = []
        # Problems found outside logging (e.g. a crash after reported errors).
        self.extra_problems: list[str] = []
        self.project_root = os.path.abspath(project_root)
        self.content_root = content_root
        self.covered: set[str] = set()
        # Linked files (images) reported missing or damaged.
        self.broken: set[str] = set()

    # --- paths -------------------------------------------------------------

    def shown(self, path: str) -> str:
        """A path as editors know it: content/articles/x.md (``shown_path``)."""
        return shown_path(self.content_root, path) if self.content_root else str(path)

    def _relative_paths(self, message: str) -> str:
        # The machine's folders mean nothing to an editor and must not leak
        # into logs that may be shared.
        if self.content_root:
            content_parent = os.path.dirname(self.content_root) + os.sep
            message = message.replace(content_parent, "")
        return message.replace(self.project_root + os.sep, "")

    # --- Pelican's messages ------------------------------------------------

    def _is_covered(self, *values) -> bool:
        return any(_source_path(value) in self.covered for value in values)

    def _translate(self, template: str, args: tuple, message: str, error) -> str | None:
        # Which Pelican message this is: its templates are in newsroom/compat/pelican.py.
        from newsroom.compat.pelican import message_kind

        kind = message_kind(template)
        if kind == "unreadable" and args:
            if self._is_covered(args[0]):
                return None
            detail = f" ({type(error).__name__}: {error})" if error else ""
            return (f"{self.shown(args[0])}: could not be read{detail}; "
                    "check the metadata block at the top of the file")
        if kind == "missing_field" and args:
            source = _source_path(args[0])
            if self._is_covered(source):
                return None
            field = str(args[1]).capitalize()
            return (f'{self.shown(source)}: no {field}; add a line "{field}: ..." '
                    "to the metadata block at the top of the file")
        if kind == "outside_output" and args:
            source = _source_path(args[0])
            return None if self._is_covered(source) else (
                f"{self.shown(source)}: its URL {args[1]!r} leaves the site; "
                'give it a "Slug:" of lowercase letters, digits and hyphens')
        if kind == "no_slug" and len(args) > 1:
            return None if self._is_covered(f"{args[0]}:{args[1]}") else (
                f'{args[0]} "{args[1]}" has no letters or digits to make its page URL '
                "from; reword it where it is used")
        if kind == "missing_link" and args:
            if self._is_covered(args[0]):
                return None
            return (f"a link to '{args[0]}' points to a file that does not exist "
                    "in content/; fix the link's path")
        if kind == "missing_file" and args:
            return None if self._is_covered(args[0]) else (
                f"{self.shown(args[0])} does not exist; fix the link that names it")
        if kind == "duplicate_field" and len(args) > 1:
            # The story reader reports a repeated field with both line numbers.
            return None if self._is_covered(args[1]) else (
                f"{self.shown(args[1])}: {str(args[0]).capitalize()} is given twice; keep one")
        if kind in ("duplicate_items", "duplicate_originals"):
            sources = [a for a in args if isinstance(a, str) and os.path.isabs(a)]
            if self._is_covered(*sources):
                return None
            names = " and ".join(self.shown(s) for s in sources)
            return f'{names} have the same Slug; give each a different "Slug:" line'
        return message

    def _is_echo(self, paths) -> bool:
        """A plugin's message about a file already reported as missing or broken."""
        return any(os.path.normpath(str(path)) in self.broken for path in paths)

    def emit(self, record: logging.LogRecord) -> None:
        # Translation waits until the build ends, when every file that
        # content_checks reported is known; only the exception Pelican is
        # handling right now (it logs from inside its except block) must be
        # captured at once.
        paths = getattr(record, COVERS_EXTRA, None)
        broken = getattr(record, BROKEN_EXTRA, None)
        if paths:
            self.covered.update(str(path) for path in paths)
        self.broken.update(os.path.normpath(str(path)) for path in broken or ())
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not hide the problem
            message = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        error = None if paths else sys.exc_info()[1]
        echo_of = () if broken else tuple(paths or ())
        self._records.append((bool(paths), str(record.msg), args, message, error, echo_of))

    @property
    def problems(self) -> list[str]:
        problems: list[str] = []
        for precise, template, args, message, error, echo_of in self._records:
            if echo_of and self._is_echo(echo_of):
                continue
            text = message if precise else self._translate(template, args, message, error)
            if text is None:
                continue
            text = self._relative_paths(text.strip())
            if text and text not in problems:
                problems.append(text)
        return problems + self.extra_problems


# --- The problems API: how every plugin reports a problem ------------------------
#
# One explicit contract instead of logging conventions spread over plugins:
# a plugin calls ``report_problem`` (never ``logger.error`` with hand-made
# extras), asks ``problems_reported()`` before doing work that only makes
# sense on good content, and displays paths with ``shown_path``. No check
# depends on another plugin being enabled: each reports through this module.

#: ``LogRecord`` extras read by ``ProblemCollector`` (set only here).
COVERS_EXTRA = "problem_paths"
BROKEN_EXTRA = "broken_files"

problem_logger = logging.getLogger("newsroom.core.problems")

# Where each problem of the current build was found (display paths), and
# the absolute paths of the files the problems are about.
_reported: list[str] = []
_reported_files: set[str] = set()
_once: set[tuple] = set()


def shown_path(content_root: str | None, path, *, project_root=None) -> str:
    """``content/articles/x.md``: a path as editors know it, whatever the checkout.

    The one way every message shows a path. It is shown relative to the
    project: the content folder's parent, or ``project_root`` when given.
    A relative ``path`` is taken as relative to the content folder.

    Outside the project, a content path (a link, a photo) is shown relative
    to it ("../x"), never as this machine's absolute path. With
    ``project_root`` (``content_root`` may then be None) the path is one a
    developer named (a settings file, the theme, a new story's file) and is
    shown as given when it lies outside the project; symbolic links are
    resolved before comparing.
    """
    if project_root is not None:
        given = str(path)
        base = os.path.realpath(str(project_root))
        real = os.path.realpath(os.path.join(str(content_root or base), given))
        if os.path.commonpath([base, real]) != base:
            return given
        return _posix(os.path.relpath(real, base))
    content_root = str(content_root)
    if not os.path.isabs(content_root):
        content_root = os.path.abspath(content_root)  # from the working folder
    return _shown_in_content(content_root, str(path))


@functools.lru_cache(maxsize=1 << 16)
def _shown_in_content(content_root: str, path: str) -> str:
    # Strings only, content_root absolute: the answer depends on nothing else
    # (no file is looked at, the working folder is not used), so it is kept;
    # a build asks for each story's several times.
    content_root = os.path.abspath(content_root)
    path = os.path.abspath(os.path.join(content_root, path))
    return _posix(os.path.relpath(path, os.path.dirname(content_root)))


def _posix(relative: str) -> str:
    return PurePosixPath(*PurePosixPath(relative.replace(os.sep, "/")).parts).as_posix()


def control_character_key(path, line: int, column: int) -> tuple:
    """``once=`` key of a control character in a file: two checks, one line."""
    return ("control character", os.path.abspath(str(path)), line, column)


def report_problem(where: str, line: int | None, problem: str, covers=(),
                   broken_file: str | None = None, once: tuple | None = None) -> None:
    """Report one problem as ``where:line: problem`` and fail the build.

    ``where`` is a display path (``shown_path``); ``problem`` says what is
    wrong and how to fix it. ``covers`` lists the files and values the
    problem is about (absolute or content-relative paths, link targets):
    Pelican's own vaguer messages about them are then dropped.
    ``broken_file``: a linked file (an image) that is missing or damaged;
    later messages of other plugins about that file are echoes too.
    ``once``: a key for the fact itself (e.g. ``control_character_key``);
    when two checks find the same fact, only the first one's line is kept.
    """
    if once is not None:
        if once in _once:
            return
        _once.add(once)
    _reported.append(where)
    _reported_files.update(os.path.normpath(str(path)) for path in (*covers, broken_file or "")
                           if os.path.isabs(str(path)))
    location = f"{where}:{line}" if line else where
    extra = {COVERS_EXTRA: [str(path) for path in covers],
             BROKEN_EXTRA: [str(broken_file)] if broken_file else []}
    problem_logger.error("%s: %s", location, problem, extra=extra)


def problems_reported() -> bool:
    """True once any problem has been reported in this build."""
    return bool(_reported)


def problem_reported_about(path) -> bool:
    """True if a problem of this build already names the file at ``path``."""
    return os.path.normpath(os.path.abspath(str(path))) in _reported_files


def forget_problems() -> None:
    """Start a new build (one process may run several: tests, previews)."""
    _reported.clear()
    _reported_files.clear()
    _once.clear()


class WarningCounter(logging.Handler):
    """Counts the warnings and errors logged while it is attached.

    Caches of reads (the preview's and ``newsroom.build.read_cache``) keep
    only a read during which the count did not move.
    """

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += 1
