"""Build the site: Pelican, then the search index, then an atomic swap.

This is the one code path behind ``invoke build``, ``invoke publish`` and the
test suite (which runs it as ``python -m newsroom.build``).

1. Pelican renders into a fresh staging folder beside the output folder.
2. Every warning or error Pelican or a plugin logs is collected (and made
   clear by ``newsroom.problems``); the build goes on so that all problems
   are reported in one run. A crash after reported problems is their
   consequence and is reported as one more line; a crash without any is a
   bug and keeps its traceback. Either way the build fails.
3. Pagefind indexes the staged pages; ``newsroom.search_index`` then
   stores its filter index in a stable order (reproducible builds).
4. Only if nothing went wrong is the staging folder swapped in for the
   output folder. A failed build leaves the previous output untouched.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsroom.clock import InvalidSourceDateEpoch, build_time
from newsroom.problems import ProblemCollector
from newsroom.search_index import sort_filter_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class BuildFailed(Exception):
    """The build found problems; ``problems`` lists them, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _parse_override(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _staging_dir(output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.staging-", dir=output.parent))


def _swap_into_place(staging: Path, output: Path) -> None:
    """Replace ``output`` with ``staging`` using renames on one filesystem."""
    if output.exists() or output.is_symlink():
        previous = output.parent / f".{output.name}.previous-{os.getpid()}"
        if previous.exists():
            shutil.rmtree(previous)
        os.replace(output, previous)
        try:
            os.replace(staging, output)
        except OSError:
            os.replace(previous, output)  # put the old site back, then report
            raise
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(staging, output)


def run_pelican(settings_path: Path, staging: Path, overrides: dict) -> list[str]:
    """Render the site with Pelican into ``staging``; return problems found."""
    # Imported here so that `--help` and errors in arguments stay fast.
    import pelican.log  # noqa: F401  (installs Pelican's logger class)
    from pelican import Pelican
    from pelican.settings import read_settings

    collector = ProblemCollector(str(PROJECT_ROOT))
    root = logging.getLogger()
    root.addHandler(collector)
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        root.setLevel(logging.WARNING)
    try:
        override = dict(overrides)
        override["OUTPUT_PATH"] = str(staging)
        settings = read_settings(str(settings_path), override=override)
        collector.content_root = os.path.abspath(settings["PATH"])
        site = Pelican(settings)
        site.run()
    except Exception as error:
        if not collector.problems:
            raise  # nothing explains it: a bug, shown with its traceback
        # A crash after reported problems is almost always their consequence;
        # the editor needs the list, not a traceback.
        collector.extra_problems.append(
            f"the build stopped early ({type(error).__name__}); fix the problems "
            "above and build again"
        )
    finally:
        root.removeHandler(collector)
    return collector.problems


def run_pagefind(site: Path) -> list[str]:
    """Index ``site`` with Pagefind; return problems found."""
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        return [f"search index: Pagefind failed (exit {result.returncode}): {detail}"]
    # Pagefind writes filter values in random order; sort them (reproducible builds).
    try:
        sort_filter_values(site / "pagefind")
    except (OSError, ValueError, KeyError) as error:
        return [f"search index: cannot put Pagefind's index in a stable order ({error}); "
                "a newer Pagefind may have changed its format: pin the version that "
                "works in pyproject.toml"]
    return []


def build(
    settings_path: Path,
    output: Path,
    overrides: dict | None = None,
    search: bool = True,
) -> Path:
    """Build the whole site and swap it into ``output``; raise BuildFailed."""
    settings_path = Path(settings_path).resolve()
    output = Path(output).resolve()
    if not settings_path.is_file():
        raise BuildFailed([f"{settings_path}: settings file not found"])
    try:
        build_time()  # a bad SOURCE_DATE_EPOCH is a setup mistake, not a bug
    except InvalidSourceDateEpoch as error:
        raise BuildFailed([f"{error}; unset it, or set it to a whole number of "
                           "seconds such as $(git log -1 --format=%ct)"]) from None
    staging = _staging_dir(output)
    try:
        problems = run_pelican(settings_path, staging, overrides or {})
        if not problems and search:
            problems += run_pagefind(staging)
        if problems:
            raise BuildFailed(problems)
        _swap_into_place(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsroom.build",
        description="Build the site into OUTPUT; on any problem, keep the old OUTPUT.",
    )
    parser.add_argument(
        "-s", "--settings", default=str(PROJECT_ROOT / "pelicanconf.py"),
        help="Pelican settings file (default: pelicanconf.py)",
    )
    parser.add_argument(
        "-o", "--output", default=None,
        help="output folder (default: the settings' OUTPUT_PATH)",
    )
    parser.add_argument(
        "-e", "--setting", action="append", default=[], type=_parse_override,
        metavar="KEY=VALUE", help="override a setting (VALUE is JSON or a string)",
    )
    parser.add_argument(
        "--no-search", action="store_true", help="skip the Pagefind search index"
    )
    args = parser.parse_args(argv)
    overrides = dict(args.setting)
    output = Path(args.output) if args.output else PROJECT_ROOT / "output"
    started = time.monotonic()
    try:
        build(Path(args.settings), output, overrides, search=not args.no_search)
    except BuildFailed as failure:
        print(
            f"Build failed: {len(failure.problems)} problem(s). "
            f"The previous site in {output} was left as it was.",
            file=sys.stderr,
        )
        for problem in failure.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    print(f"Built {output} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
