"""Processes seen through /proc (Linux): a build's children, and whether one still runs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces and ")")."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    found, readable = [], False
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            found += [int(child) for child in
                      Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            readable = True
        except OSError:  # a thread that ended, or a kernel without the file
            continue
    if readable:
        return found
    # No /proc/<pid>/task/*/children: scan every process for its parent.
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(entry)[1]) == pid:
                    found.append(int(entry))
            except OSError:
                continue
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie has finished: only its exit status is left)."""
    try:
        return _stat_fields(pid)[0] not in ("Z", "X")
    except OSError:
        return False


@contextlib.contextmanager
def killed_on_exit(build: subprocess.Popen, pids: list[int]):
    """On leaving the block: SIGKILL each of ``pids`` still alive, and ``build`` if it still runs.

    ``pids`` may be filled inside the block (the children a test froze).
    """
    try:
        yield
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if build.poll() is None:
            build.kill()
            build.communicate()


def freeze_pagefind(build: subprocess.Popen, wanted: int = 1, timeout: float = 120) -> list[int]:
    """Stop (SIGSTOP) the build's Pagefind children as they start, until ``wanted`` are; their pids.

    A stopped Pagefind stays "running" for as long as the test needs, so the
    signal sent to the build next always lands while Pagefind runs. Fewer
    than ``wanted`` when the build ended or ``timeout`` passed first.
    """
    frozen: list[int] = []
    deadline = time.monotonic() + timeout
    while len(frozen) < wanted and time.monotonic() < deadline and build.poll() is None:
        for child in children(build.pid):
            if child in frozen:
                continue
            try:
                argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # `python -m pagefind ...` or the binary itself; not a fork of the
            # build, whose arguments may mention "pagefind" too.
            if b"pagefind" in argv or os.path.basename(argv[0]).startswith(b"pagefind"):
                os.kill(child, signal.SIGSTOP)
                frozen.append(child)
        time.sleep(0.001)
    return frozen
