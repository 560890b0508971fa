"""Zero-downtime publish, seen by readers: crawl nginx and Caddy while releases flip.

Two builds that differ in a story (its page, the home page, lists and feeds)
and in the theme's stylesheet (a new fingerprinted name) go live one after
the other in the folder both servers serve: v1, then v2, v1 again and
`invoke rollback` (back to v2), with `newsroom.publish.releases.publish_folder` and
`rollback_folder`, the code behind `invoke publish --target DIR` and
`invoke rollback`, and after each flip a graceful reload of both servers, as
the README says (redirects). Meanwhile reader threads load pages over and
over: a page, then, after a short random pause, the stylesheets, scripts and
images it names. Every answer must be 200, and every page with its files
must come from one release: each body (unpacked when it came gzip- or
br-encoded) is compared with the two builds' own files, so a page of v1
whose stylesheet came from v2 (or whose fingerprinted stylesheet was gone
after the flip) is an error.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import html as lxml_html

from helpers.building import ROOT, copy_content, run_build
from helpers.hosting import (NGINX_BROTLI_MODULE, Caddy, Client, Nginx, Site, free_port, require_caddy,
                             require_nginx, scratch_dir, site_files)

pytestmark = pytest.mark.server

ARTICLE_SOURCE = "2024-06-15-ruto-macron-infrastructure-haiti-mission.md"
READERS_PER_SERVER = 3
MIN_PAGES_BETWEEN_FLIPS = 40  # page loads per server before and after each publish
TIME_LIMIT = 30.0  # seconds of crawling at most


def local_paths(page_bytes: bytes, base: str) -> list[str]:
    """Site paths of what a browser loads with the page: stylesheets, scripts, images."""
    doc = lxml_html.fromstring(page_bytes)
    urls = doc.xpath("//link[@rel='stylesheet' or @rel='icon']/@href|//script/@src"
                     "|//img/@src")
    for srcset in doc.xpath("//img/@srcset|//source/@srcset"):
        urls += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
    return sorted({url[len(base) - 1:] for url in urls if url.startswith(base)})


def file_of(path: str) -> str:
    relative = path.lstrip("/")
    return relative + "index.html" if relative == "" or relative.endswith("/") else relative


def release_files(output: Path) -> dict[str, bytes]:
    return {path: (output / path).read_bytes() for path in site_files(output)
            if not path.endswith((".gz", ".br"))}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """Two publishing builds, v1 and v2, for the same address."""
    work = tmp_path_factory.mktemp("releases")
    port = free_port()
    versions = {}
    content_v1 = copy_content(work / "v1")
    content_v2 = copy_content(work / "v2")
    story = content_v2 / "articles" / ARTICLE_SOURCE
    text = story.read_text(encoding="utf-8")
    story.write_text(text.replace("Summary: President William Ruto has garnered",
                                  "Summary: Updated: President William Ruto has garnered")
                     + "\nThis paragraph was added in the second release.\n", encoding="utf-8")
    theme_v2 = work / "theme-v2"
    shutil.copytree(ROOT / "theme", theme_v2)
    with open(theme_v2 / "static" / "css" / "site.css", "a", encoding="utf-8") as css:
        css.write("\n/* second release */\n.release-two { color: inherit; }\n")

    def build(name, content, overrides):
        return name, run_build(work / name / "output", settings=ROOT / "publishconf.py",
                               overrides={"PATH": str(content), **overrides},
                               env={"SITEURL": f"http://127.0.0.1:{port}"})

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: build(*args), [
            ("v1", content_v1, {}), ("v2", content_v2, {"THEME": str(theme_v2)})]))
    for name, result in results:
        assert result.returncode == 0, result.stderr
        versions[name] = result.output
    v1, v2 = (release_files(versions[name]) for name in ("v1", "v2"))
    changed_css = [p for p in set(v1) ^ set(v2) if p.endswith(".css")]
    assert changed_css, "the second release must have a new stylesheet name (fingerprints)"
    return {"outputs": versions, "files": {"v1": v1, "v2": v2},
            "base": f"http://127.0.0.1:{port}/"}


class Reader(threading.Thread):
    """Loads pages with their files until told to stop; records errors and versions seen."""

    def __init__(self, name, port, pages, releases, stop, seed):
        super().__init__(name=name, daemon=True)
        self.client = Client(port)
        self.pages = pages
        self.files = releases["files"]
        self.base = releases["base"]
        self.stop = stop
        self.random = random.Random(seed)
        self.errors: list[str] = []
        self.loads = 0
        self.requests = 0
        self.versions: list[str] = []  # the release of each page load, in order

    def fetch(self, path):
        encoding = self.random.choice(["", "gzip", "br", "gzip, br"])
        self.requests += 1
        response = self.client.get(path, {"Accept-Encoding": encoding} if encoding else None)
        return response.status, (response.decoded() if response.status == 200 else b"")

    def load_page(self):
        path = self.random.choice(self.pages)
        status, body = self.fetch(path)
        if status != 200:
            self.errors.append(f"{self.name}: {path}: {status}")
            return
        candidates = {v for v, files in self.files.items() if files.get(file_of(path)) == body}
        if not candidates:
            self.errors.append(f"{self.name}: {path}: a page of neither release")
            return
        time.sleep(self.random.uniform(0, 0.02))  # the browser parses, then asks for the rest
        for asset in local_paths(body, self.base):
            status, data = self.fetch(asset)
            if status != 200:
                self.errors.append(f"{self.name}: {asset} of {path} ({'/'.join(sorted(candidates))}): {status}")
                return
            matching = {v for v in candidates if self.files[v].get(file_of(asset)) == data}
            if not matching:
                self.errors.append(f"{self.name}: mixed versions: {path} of "
                                   f"{'/'.join(sorted(candidates))} got another release's {asset}")
                return
            candidates = matching
        self.loads += 1
        if len(candidates) == 1:
            self.versions.append(candidates.pop())

    def run(self):
        try:
            while not self.stop.is_set():
                self.load_page()
        except Exception as error:  # a dropped connection, a timeout: an error too
            self.errors.append(f"{self.name}: {type(error).__name__}: {error}")
        finally:
            self.client.close()


def test_readers_never_see_an_error_or_two_releases_during_publishes(releases):
    from newsroom.publish.releases import live_release, publish_folder, rollback_folder

    have_nginx = _available(require_nginx)
    have_caddy = _available(require_caddy)
    if not (have_nginx or have_caddy):
        pytest.skip("neither nginx nor caddy is installed: apt-get install nginx caddy")
    scratch = scratch_dir("newsroom-publish-")
    target = scratch / "site"
    servers = []
    stop = threading.Event()
    readers: list[Reader] = []
    try:
        first = publish_folder(releases["outputs"]["v1"], target, keep=5)
        assert target.is_symlink() and live_release(target) == first.release
        ports = []
        if have_nginx:
            (scratch / "nginx").mkdir()
            nginx = Nginx(scratch / "nginx", Site(target, "/", free_port(), target),
                          brotli=NGINX_BROTLI_MODULE.exists())
            servers.append(nginx.start())
            ports.append(nginx.site.port)
        if have_caddy:
            (scratch / "caddy").mkdir()
            caddy = Caddy(scratch / "caddy", [Site(target, "/", free_port(), target)])
            servers.append(caddy.start())
            ports.append(caddy.sites[0].port)
        v1, v2 = releases["files"]["v1"], releases["files"]["v2"]
        pages = sorted("/" + (p[: -len("index.html")] if p.endswith("index.html") else p)
                       for p in set(v1) & set(v2)
                       if p.endswith(".html") and p != "404.html"
                       and b'http-equiv="refresh"' not in v1[p])
        assert len(pages) > 10
        for number, port in enumerate(ports):
            for reader in range(READERS_PER_SERVER):
                readers.append(Reader(f"{servers[number].kind}-{reader}", port, pages,
                                      releases, stop, seed=number * 10 + reader))
        for reader in readers:
            reader.start()
        started = time.monotonic()

        def wait_for_loads():
            goal = [r.loads + MIN_PAGES_BETWEEN_FLIPS // READERS_PER_SERVER for r in readers]
            while any(r.loads < g for r, g in zip(readers, goal)) and not _failed(readers):
                assert time.monotonic() - started < TIME_LIMIT, "the readers are too slow"
                time.sleep(0.02)

        wait_for_loads()
        flips = {}
        for step in ("v2", "v1", "rollback"):
            if step == "rollback":  # back to the release before the live one: v2's
                flip = rollback_folder(target)
                assert flip.release == flips["v2"].release
            else:
                flip = publish_folder(releases["outputs"][step], target, keep=5)
                assert flip.changed
            assert live_release(target) == flip.release
            flips[step] = flip
            for server in servers:
                server.reload()  # as after every publish (redirects), graceful
            wait_for_loads()
        stop.set()
        for reader in readers:
            reader.join(timeout=10)
        errors = [error for reader in readers for error in reader.errors]
        assert errors == [], "\n".join(errors[:20])
        for reader in readers:
            # Each reader saw v1, v2, v1 again, then v2 (the rollback), in that
            # order: the flips happened while it read.
            runs = [v for i, v in enumerate(reader.versions) if i == 0 or reader.versions[i - 1] != v]
            assert runs == ["v1", "v2", "v1", "v2"], (reader.name, runs)
        assert sum(r.requests for r in readers) > 200
        # The live release (v2, rolled back to) now also holds v1's
        # fingerprinted stylesheet, for pages of v1 still loading at the flip.
        live = target.resolve()
        carried = [p for p in set(v1) - set(v2) if p.endswith(".css")]
        assert carried and all((live / p).read_bytes() == v1[p] for p in carried)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=10)
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _failed(readers) -> bool:
    return any(reader.errors for reader in readers) or not any(r.is_alive() for r in readers)


def _available(require) -> bool:
    """True when the server is installed; in CI a missing one fails (require does that)."""
    try:
        require()
        return True
    except pytest.skip.Exception:
        return False
