"""bench/suite.py: the suite benchmark's parsing, command and worktree (no timing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from helpers.building import ROOT


@pytest.fixture(scope="module")
def suite_bench():
    """bench/suite.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_suite", ROOT / "bench" / "suite.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("line, counts", [
    ("903 passed in 110.21s (0:01:50)", {"passed": 903}),
    ("682 passed, 3 skipped in 283.76s (0:04:43)", {"passed": 682, "skipped": 3}),
    ("===== 1 failed, 12 passed, 1 error in 2.00s =====",
     {"failed": 1, "passed": 12, "error": 1}),
])
def test_summary_counts_read_pytests_closing_line(suite_bench, line, counts):
    log = f"tests/x.py ....\n{line}\n"
    assert suite_bench.summary_counts(log) == counts
    assert suite_bench.failed(counts) == ("failed" in line or "error" in line)


def test_a_log_without_a_summary_is_an_error(suite_bench):
    with pytest.raises(suite_bench.SuiteError, match="no pytest summary"):
        suite_bench.summary_counts("ERROR: file or directory not found: tests/nowhere.py\n")


def test_today_is_timed_with_the_readme_test_command(suite_bench):
    """The options today's suite runs with are the README's (and CI's)."""
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command = lines[-1].split("&&")[-1].split()
    assert command[:3] == [".venv/bin/python", "-m", "pytest"]
    assert command[3:] == suite_bench.TODAY_OPTIONS


def worktrees() -> str:
    return subprocess.run(["git", "worktree", "list"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def test_a_round_runs_both_trees_and_prints_the_ratio(suite_bench, capsys):
    """Both suites run (a quick test file of each), the table and ratio print,
    and the temporary worktree is gone afterwards."""
    before = worktrees()
    code = suite_bench.main(["--baseline", "HEAD", "--runs", "1", "--no-warm-up",
                             "--tests", "tests/newsroom/core/test_content_paths.py"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[2:]] == ["| baseline HEAD", "| today"]
    tests = {row.split(" | ")[1] for row in rows[2:]}
    assert len(tests) == 1 and int(tests.pop()) > 0
    assert "Today's suite takes" in out and "target: under 0.50×" in out
    assert worktrees() == before


def test_a_suite_that_does_not_pass_stops_the_benchmark(suite_bench, capsys):
    before = worktrees()
    code = suite_bench.main(["--baseline", "HEAD", "--runs", "1", "--no-warm-up",
                             "--tests", "tests/nowhere_at_all.py"])
    _out, err = capsys.readouterr()
    assert code == 1
    assert "error: baseline HEAD" in err
    assert worktrees() == before
