"""Shared fixtures: build the real site into temporary folders.

Builds run `python -m newsroom.build`, the code path behind `invoke build`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLE_URL = "2024/06/ruto-macron-infrastructure-haiti-mission/"


@dataclass
class BuildResult:
    returncode: int
    stdout: str
    stderr: str
    output: Path

    def page(self, url: str):
        """Parse the page at site-relative ``url`` with lxml."""
        path = self.output / url
        if url.endswith("/") or url == "":
            path = path / "index.html"
        return lxml_html.fromstring(path.read_bytes())

    def exists(self, url: str) -> bool:
        path = self.output / url
        return (path / "index.html").is_file() if url.endswith("/") else path.is_file()


def run_build(
    output: Path,
    settings: Path = ROOT / "pelicanconf.py",
    overrides: dict | None = None,
    search: bool = True,
    env: dict | None = None,
) -> BuildResult:
    """Run the real build command; return its exit code, logs and output."""
    command = [sys.executable, "-m", "newsroom.build", "-s", str(settings), "-o", str(output)]
    for key, value in (overrides or {}).items():
        import json

        command += ["-e", f"{key}={json.dumps(value)}"]
    if not search:
        command.append("--no-search")
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return BuildResult(result.returncode, result.stdout, result.stderr, output)


def copy_content(destination: Path) -> Path:
    """A writable copy of content/ for tests that add or break articles."""
    target = destination / "content"
    shutil.copytree(ROOT / "content", target)
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> BuildResult:
    """The development build of the real content, built once per session."""
    result = run_build(tmp_path_factory.mktemp("site") / "output")
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="session")
def published_site(tmp_path_factory) -> BuildResult:
    """The publishconf build (absolute URLs, feeds), built once per session."""
    result = run_build(
        tmp_path_factory.mktemp("published") / "output",
        settings=ROOT / "publishconf.py",
    )
    assert result.returncode == 0, result.stderr
    return result
