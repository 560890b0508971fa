"""How long the test suite takes: today's against November's (a benchmark, not a test).

    .venv/bin/python bench/suite.py [--runs 3] [--baseline 9537126] [--no-warm-up]

The architecture work asked for the whole suite (browser and validator tests
included) to take under half the wall time it took in November, on two
cores. A wall time measured on one day and compared with one measured on
another says more about the machine's other load than about the suite
(this machine's runs of one commit vary by a quarter), so this measures
both in one run:

1. Checks out the baseline (by default 9537126, the last commit before the
   suite was reorganised: 682 tests, run as its README said, without
   pytest-xdist) into a temporary git worktree.
2. Runs one uncounted round of each suite first (photo renditions and the
   other caches of each tree are then warm, as on an editor's machine;
   --no-warm-up skips it), then --runs rounds alternating the two: the
   baseline's command, then today's README command (``-n 2``), each as
   ``CI=true`` so that a missing browser fails rather than skips.
3. Prints a Markdown table (tests, median, fastest and slowest wall time,
   median CPU seconds of the whole process tree) and the ratio of the
   medians, today's over the baseline's: the target is under 0.50.

Each suite runs in the Python of this virtual environment, with its own
tree first on the import path (PYTHONPATH), so each imports its own
``newsroom`` and plugins; both use the packages installed now. A suite that
fails a test stops the benchmark: a failing run's time means nothing.
``--tests`` narrows both suites to the given paths (each relative to its own
tree), for a quick look or for this script's own test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The measuring process of the build benchmark: RUSAGE_CHILDREN of a fresh
# process counts this one suite (pytest, its workers, builds, browsers,
# servers, validators), each counted when its parent waits for it.
from build import MEASURE  # noqa: E402  (bench/build.py)

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the suite's reorganisation, whose README measured
# 220 s for its 682 tests.
BASELINE = "9537126"
PYTEST = ["-m", "pytest", "-q", "-p", "no:cacheprovider"]
# Today's README command adds these (tests/bench/test_bench_suite.py checks
# them against .ci/run, which runs the README's command).
TODAY_OPTIONS = ["-n", "2"]

SUMMARY = re.compile(r"^=*\s*(?P<counts>(?:\d+ \w+(?:, )?)+) in (?P<seconds>[0-9.]+)s")


class SuiteError(Exception):
    """A suite could not be run, or did not pass."""


@dataclass
class Run:
    seconds: float
    cpu: float
    counts: dict[str, int]


@dataclass
class Suite:
    label: str
    tree: Path
    command: list[str]
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str = "seconds") -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs)


def summary_counts(log: str) -> dict[str, int]:
    """{"passed": 903, "skipped": 0, ...} from pytest's closing line.

    The line looks like ``903 passed, 2 skipped in 110.21s (0:01:50)``, with
    or without ``=`` around it (``-q`` leaves them out).
    """
    for line in reversed(log.splitlines()):
        found = SUMMARY.match(line.strip())
        if found:
            counts = {}
            for part in found.group("counts").split(", "):
                number, _, word = part.partition(" ")
                counts[word] = int(number)
            return counts
    raise SuiteError("no pytest summary line in the output")


def failed(counts: dict[str, int]) -> bool:
    return any(counts.get(word) for word in ("failed", "error", "errors"))


def measure(suite: Suite, logs: Path) -> Run:
    """Run ``suite`` once; its wall and CPU time and pytest's counts."""
    log = logs / f"{suite.label}-{len(suite.runs)}.log"
    env = {**os.environ, "CI": "true", "PYTHONPATH": str(suite.tree)}
    spec = {"command": suite.command, "cwd": str(suite.tree), "env": env, "log": str(log)}
    result = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(spec)],
                            capture_output=True, text=True, check=True)
    facts = json.loads(result.stdout)
    text = log.read_text(encoding="utf-8", errors="replace")
    try:
        counts = summary_counts(text)
    except SuiteError as error:
        raise SuiteError(f"{suite.label}: {error}; the end of its output:\n{text[-3000:]}")
    if facts["returncode"] != 0 or failed(counts):
        raise SuiteError(f"{suite.label} did not pass (exit {facts['returncode']}); "
                         f"the end of its output:\n{text[-3000:]}")
    run = Run(facts["seconds"], facts["cpu"], counts)
    print(f"  {suite.label:<16} {run.seconds:7.1f} s  cpu {run.cpu:7.1f} s  "
          f"{counts.get('passed', 0)} passed", file=sys.stderr, flush=True)
    return run


def table(baseline: Suite, today: Suite) -> list[str]:
    lines = ["| suite | tests | median wall s | fastest–slowest s | median CPU s | vs baseline |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for suite in (baseline, today):
        walls = [run.seconds for run in suite.runs]
        tests = sum(suite.runs[-1].counts.values())
        lines.append(f"| {suite.label} | {tests} | {suite.median():.1f} | "
                     f"{min(walls):.1f}–{max(walls):.1f} | {suite.median('cpu'):.1f} | "
                     f"{suite.median() / baseline.median():.2f}× |")
    return lines


def add_worktree(commit: str, where: Path) -> None:
    result = subprocess.run(["git", "worktree", "add", "--detach", "-q", str(where), commit],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SuiteError(f"cannot check out {commit}: {result.stderr.strip()}")


def remove_worktree(where: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(where)],
                   cwd=ROOT, capture_output=True)
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def run_benchmark(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    tree = work / "baseline"
    python = [sys.executable]
    try:
        add_worktree(args.baseline, tree)
        baseline = Suite(f"baseline {args.baseline}", tree, python + PYTEST + args.tests)
        today = Suite("today", ROOT, python + PYTEST + TODAY_OPTIONS + args.tests)
        logs = work / "logs"
        logs.mkdir()
        if not args.no_warm_up:
            print("warm-up (not counted)", file=sys.stderr, flush=True)
            for suite in (baseline, today):
                measure(suite, logs)
        for number in range(1, args.runs + 1):
            print(f"round {number} of {args.runs}", file=sys.stderr, flush=True)
            for suite in (baseline, today):
                suite.runs.append(measure(suite, logs))
    except SuiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        remove_worktree(tree)
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(table(baseline, today)))
    ratio = today.median() / baseline.median()
    print(f"\nToday's suite takes {ratio:.2f}× the wall time of {args.baseline}'s "
          f"(median of {args.runs}, alternating; target: under 0.50×).")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load:
        print(f"Load average at the end (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in load)}; "
              f"{len(os.sched_getaffinity(0))} usable cores.")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="counted rounds (default 3)")
    parser.add_argument("--baseline", default=BASELINE,
                        help=f"the commit to compare with (default {BASELINE})")
    parser.add_argument("--no-warm-up", action="store_true",
                        help="count from the first round (caches may be cold)")
    parser.add_argument("--tests", nargs="*", default=[],
                        help="only these test paths, in both trees")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return run_benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
