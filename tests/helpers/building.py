"""Build the site for tests: the real build command, or Pelican in-process.

``run_build`` runs ``python -m newsroom.build`` (the code path behind
``invoke build``) in a subprocess: exit code, logs and output, exactly as an
editor sees them. It is what the session's shared builds and the tests of
whole-build behaviour (failures, atomic swaps, signals) use.

``run_pelican`` runs Pelican in this process with only the plugins a test
names (plus ``settings_resolver``, which every plugin relies on), through
``newsroom.build.run_pelican`` so that problems come back as the build would
print them. It is for tests of one plugin on a few small files: no
subprocess, no Pagefind, no other plugin in the way.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DEVELOPMENT = ROOT / "pelicanconf.py"
PUBLISHING = ROOT / "publishconf.py"
ARTICLE_URL = "2024/06/ruto-macron-infrastructure-haiti-mission/"
SEED = "2024-06-15-ruto-macron-infrastructure-haiti-mission.md"
# The address publishconf.py publishes at when SITEURL is not given.
PUBLIC_SITEURL = "https://news.example.org"
# A fixed build time for builds that must not depend on the clock:
# 17 June 2024, 16:00 UTC.
EPOCH = "1718640000"
FILLER_ARTICLES = 30  # 31 stories with the seed: three home pages of 12


class BuiltSite:
    """A built site in ``output``: read its pages."""

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


@dataclass
class BuildResult(BuiltSite):
    """What ``python -m newsroom.build`` did: exit code, logs, output folder."""

    returncode: int
    stdout: str
    stderr: str
    output: Path

    @property
    def errors(self) -> list[str]:
        """The build's ``error: ...`` lines, without the prefix."""
        return error_lines(self)


def error_lines(result) -> list[str]:
    """The ``error: ...`` lines a failed build printed, without the prefix."""
    return [line.removeprefix("error: ") for line in result.stderr.splitlines()
            if line.startswith("error: ")]


def run_build(
    output: Path,
    settings: Path = DEVELOPMENT,
    overrides: dict | None = None,
    search: bool = True,
    env: dict | None = None,
) -> BuildResult:
    """Run the real build command; return its exit code, logs and output."""
    command = [sys.executable, "-m", "newsroom.build", "-s", str(settings), "-o", str(output)]
    for key, value in (overrides or {}).items():
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


def write_files(root: Path, files: dict) -> None:
    """Write ``{relative path: text or bytes}`` under ``root``."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")


def spare_entries(output: Path) -> list[str]:
    """What the kept folders of the last site but one (``.<output>.spare``) hold
    that is not a folder: must always be nothing."""
    spare = output.parent / f".{output.name}.spare"
    if not spare.exists():
        return []
    return sorted(str(path.relative_to(spare)) for path in spare.rglob("*")
                  if path.is_symlink() or not path.is_dir())


def leftovers(output: Path) -> list[str]:
    """The build's own entries beside ``output`` (and, for a mount point, inside it),
    but its kept folders, which must hold only folders."""
    assert spare_entries(output) == []
    places = [output.parent] + ([output] if output.is_dir() else [])
    return sorted(str(path) for place in places for path in place.iterdir()
                  if path.name.startswith(f".{output.name}.")
                  and path.name != f".{output.name}.spare")


def hash_tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256), symlinks included."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() or path.is_symlink()
    }


def load_script(name: str):
    """scripts/<name>.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def filler_content(base: Path, articles: int = FILLER_ARTICLES) -> Path:
    """A copy of content/ plus ``articles`` neutral filler stories."""
    content = copy_content(base)
    # Every fourth filler story borrows a real photo, so cards show thumbnails.
    photos = sorted(path.name for path in (content / "images").glob("*.jpg"))
    load_script("make_filler_corpus").write_corpus(
        articles, content / "articles" / "filler", photos)
    return content


# --- Pelican in-process, with chosen plugins -----------------------------------------

# Plugins every build keeps, whatever the test names: settings_resolver sets
# up what every plugin reads (resolved settings), and the theme calls
# asset_fingerprints' asset_url() and structured_data's JSON-LD functions on
# every page. Kept only if the settings file lists them.
CORE_PLUGINS = ("settings_resolver", "asset_fingerprints", "structured_data")


@dataclass
class PelicanRun(BuiltSite):
    """What an in-process Pelican run wrote and reported."""

    output: Path
    problems: list[str]
    settings: dict = field(repr=False)
    stdout: str = ""


@contextlib.contextmanager
def _environment(env: dict | None):
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _forget_earlier_runs() -> None:
    """Pelican keeps plugins' signal receivers and seen log messages per process.

    Disconnect every receiver (the plugins of the next run connect theirs
    again), clear Pelican's log filter, which drops a warning it has
    already let through once, and forget the problems reported (which
    content_checks does at the start of a build, but a run may be without
    it): without this, a plugin of an earlier run in this process would
    still run, its warnings would be missing, or its problems would count.
    """
    import weakref

    from blinker import Signal
    from pelican.log import LimitFilter
    from pelican.plugins import signals

    from newsroom.core.problems import forget_problems

    for signal in vars(signals).values():
        if isinstance(signal, Signal):
            for receiver in list(signal.receivers.values()):
                if isinstance(receiver, weakref.ref):
                    receiver = receiver()
                if receiver is not None:
                    signal.disconnect(receiver)
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    forget_problems()


def run_pelican(
    output: Path,
    plugins: list[str],
    settings: Path = DEVELOPMENT,
    overrides: dict | None = None,
    env: dict | None = None,
    links=None,
) -> PelicanRun:
    """Render with Pelican in this process, with only ``plugins`` and CORE_PLUGINS.

    ``overrides`` are settings as ``-e KEY=VALUE`` gives them (``PATH`` for a
    content folder of the test's own); ``env`` is set while the settings are
    read and Pelican runs (``SOURCE_DATE_EPOCH``, ``SITEURL``); ``links``, a
    ``PublishedLinks``, links what its published folder has already. Photo
    encoders run in this process (``PHOTO_WORKERS`` 1): no forking of the
    test process; and every story is read afresh (``READ_CACHE`` False: no
    read cache, so no reader workers either), whatever earlier runs kept. What plugins print is in ``stdout``.
    """
    from pelican.settings import read_settings

    from newsroom.build.driver import run_pelican as render

    with _environment(env):
        configured = read_settings(str(settings))["PLUGINS"]
        unknown = [name for name in plugins if name not in configured]
        if unknown:
            raise ValueError(f"{settings.name} has no plugin {unknown}")
        chosen = [name for name in configured if name in plugins or name in CORE_PLUGINS]
        _forget_earlier_runs()
        output.mkdir(parents=True, exist_ok=True)
        resolved: dict = {}
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                problems = render(settings, output,
                                  {"PHOTO_WORKERS": 1, "READ_CACHE": False,
                                   **(overrides or {}), "PLUGINS": chosen},
                                  Path(links.live) if links is not None and links.live
                                  else output, resolved, links=links)
        finally:
            _forget_earlier_runs()
    return PelicanRun(output, problems, resolved, printed.getvalue())

