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


# --- Browser and server helpers -------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> Path:
    """Debian's Chromium, or a skip (a failure in CI, where it must exist)."""
    path = Path(os.environ.get("CHROMIUM_PATH", CHROMIUM))
    if path.exists():
        return path
    message = f"Chromium not found at {path}: apt-get install chromium"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (no browser download)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class ServedSite:
    """A built site served by the preview server on a free loopback port."""

    def __init__(self, root: Path):
        import threading

        from newsroom.server import make_server

        self.root = root
        self.httpd = make_server(root, "127.0.0.1", 0)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def serve_site():
    """Factory: serve_site(path) -> ServedSite; all are stopped at the end."""
    servers: list[ServedSite] = []

    def start(root: Path) -> ServedSite:
        server = ServedSite(root)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def served_site(site, serve_site) -> ServedSite:
    """The development build, served over HTTP."""
    return serve_site(site.output)


# --- A mid-size corpus (theme) ------------------------------------------------

FILLER_ARTICLES = 30  # 31 stories with the seed: three home pages of 12


def filler_corpus_script():
    """scripts/make_filler_corpus.py as a module (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_filler_corpus", ROOT / "scripts" / "make_filler_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def filler_site(tmp_path_factory) -> BuildResult:
    """The real content plus neutral filler articles, built once per session."""
    filler = filler_corpus_script()
    base = tmp_path_factory.mktemp("filler")
    content = copy_content(base)
    # Every fourth filler story borrows a real photo, so cards show thumbnails.
    photos = sorted(path.name for path in (content / "images").glob("*.jpg"))
    filler.write_corpus(FILLER_ARTICLES, content / "articles" / "filler", photos)
    result = run_build(base / "output", overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 0, result.stderr
    return result
