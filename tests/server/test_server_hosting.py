"""The publishing build on real servers, with the configs in deploy/ (README, "Hosting").

nginx and Caddy each serve the site at the root of a host and under /news/
(built with SITEURL set to the server's address), from a scratch folder
owned by root with ordinary modes, with unprivileged workers when the tests
run as root. The checks: a crawl from the home page (every internal link,
feed and sitemap URL 200) and every file of the build with its type, caching
and security headers; the site's 404 page; the 301s for folders without a
slash and for moved stories (redirects.map); precompressed .gz and .br sent
as they are; search in Chromium through the server.

A missing nginx or Caddy skips its tests, except in CI (CI=true), where it
is a failure (.ci/run installs them).
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import html as lxml_html

from helpers.browser import search
from helpers.building import ARTICLE_URL, ROOT, copy_content, run_build
from helpers.hosting import (IMMUTABLE_CACHE, IN_CI, NGINX_BROTLI_MODULE, PERMISSIONS_POLICY_FEATURES,
                             SHORT_CACHE, Caddy, Client, Nginx, Site, crawl, free_port,
                             immutable_paths, precompressed_variants, redirect_pairs, require_caddy,
                             require_nginx, scratch_dir, site_files, worker_user)

pytestmark = pytest.mark.server

ARTICLE_SOURCE = "2024-06-15-ruto-macron-infrastructure-haiti-mission.md"
# Old addresses of the article, one of each kind a story may name.
OLD_ADDRESSES = ["/2024/06/ruto-macron-talks/", "/legacy", "/stories/ruto-macron.html"]

# Expected media type per file name ending (longest ending first), and
# whether the server must name the charset.
TYPES = [
    (".atom.xml", "application/atom+xml", True),
    (".rss.xml", "application/rss+xml", True),
    (".xml", "application/xml", True),
    (".html", "text/html", True),
    (".css", "text/css", True),
    (".js", ("text/javascript", "application/javascript"), True),
    (".json", "application/json", False),
    (".txt", "text/plain", True),
    (".svg", "image/svg+xml", False),
    (".avif", "image/avif", False),
    (".webp", "image/webp", False),
    (".jpg", "image/jpeg", False),
    (".png", "image/png", False),
    (".wasm", "application/wasm", False),
    (".pdf", "application/pdf", False),
    (".csv", "text/csv", False),
    # Pagefind's files are gzip data that Pagefind unpacks itself.
    (".pf_fragment", "application/octet-stream", False),
    (".pf_index", "application/octet-stream", False),
    (".pf_meta", "application/octet-stream", False),
    (".pf_filter", "application/octet-stream", False),
    (".pagefind", "application/octet-stream", False),
]
# A file of each type the build does not write today, added to the served
# copy so that its type is checked too.
PROBES = {"probe/module.wasm": b"\0asm\1\0\0\0", "probe/table.csv": b"a,b\n1,2\n"}


def expected_type(path: str):
    for ending, media, charset in TYPES:
        if path.endswith(ending):
            return media, charset
    raise AssertionError(f"no expected type for {path}: add it to TYPES and to deploy/")


def security_policy() -> tuple[str, str]:
    """The CSP of the pages' <meta> (pelicanconf.py) and the referrer policy."""
    from pelican.settings import read_settings

    settings = read_settings(str(ROOT / "publishconf.py"))
    return "; ".join(settings["CONTENT_SECURITY_POLICY"]), settings["REFERRER_POLICY"]


def header_problems(response, path: str) -> list[str]:
    """What is wrong with the security headers of one response."""
    policy, referrer = security_policy()
    problems = []
    wanted = {
        "Content-Security-Policy": f"{policy}; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": referrer,
    }
    for name, value in wanted.items():
        if response.header(name) != value:
            problems.append(f"{path} ({response.status}): {name} is {response.header(name)!r}")
    features = {part.split("=")[0].strip() for part in response.header("Permissions-Policy").split(",")}
    if not PERMISSIONS_POLICY_FEATURES <= features:
        problems.append(f"{path}: Permissions-Policy {response.header('Permissions-Policy')!r}")
    return problems


# --- the sites and the servers -----------------------------------------------------------

@pytest.fixture(scope="module")
def content_with_redirects(tmp_path_factory) -> Path:
    content = copy_content(tmp_path_factory.mktemp("hosting-content"))
    story = content / "articles" / ARTICLE_SOURCE
    text = story.read_text(encoding="utf-8")
    lines = "".join(f"Redirect_from: {old}\n" for old in OLD_ADDRESSES)
    story.write_text(re.sub(r"^(Slug: .*\n)", lambda m: m.group(1) + lines, text, count=1,
                            flags=re.M), encoding="utf-8")
    return content


def build_sites(scratch: Path, content: Path) -> tuple[Site, Site]:
    """The publishing build at the root of a host and under /news/, each for its own port."""
    root = Site(output=scratch / "root" / "site", prefix="/", port=free_port())
    root.docroot = root.output
    sub = Site(output=scratch / "sub" / "www" / "news", prefix="/news/", port=free_port())
    sub.docroot = sub.output.parent
    for site in (root, sub):
        site.output.parent.mkdir(parents=True)
        for folder in [site.output.parent, *site.output.parent.parents]:
            if folder == scratch.parent:
                break
            folder.chmod(0o755)

    def build(site: Site):
        return run_build(site.output, settings=ROOT / "publishconf.py",
                         overrides={"PATH": str(content)},
                         env={"SITEURL": site.url.rstrip("/")})

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(build, (root, sub)))
    for result in results:
        assert result.returncode == 0, result.stderr
    for site in (root, sub):
        # The build compresses a redirects.map over 1 KB; these must not be served either.
        for suffix in (".gz", ".br"):
            copy = site.output / f"redirects.map{suffix}"
            if not copy.exists():
                copy.write_bytes((site.output / "redirects.map").read_bytes())
                copy.chmod(0o644)
        for name, data in PROBES.items():
            (site.output / name).parent.mkdir(exist_ok=True)
            (site.output / name).write_bytes(data)
            (site.output / name).parent.chmod(0o755)
            (site.output / name).chmod(0o644)
    return root, sub


class Served:
    """One kind of server with the site at the root and under /news/."""

    def __init__(self, kind: str, root: Site, sub: Site, servers: list, brotli: bool):
        self.kind = kind
        self.sites = {"root": root, "subpath": sub}
        self.servers = servers
        self.brotli = brotli


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def served(request, content_with_redirects):
    kind = request.param
    (require_nginx if kind == "nginx" else require_caddy)()
    scratch = scratch_dir(f"newsroom-{kind}-")
    servers = []
    try:
        root, sub = build_sites(scratch, content_with_redirects)
        if kind == "nginx":
            brotli = NGINX_BROTLI_MODULE.exists()
            for site, name in ((root, "root"), (sub, "sub")):
                work = scratch / f"nginx-{name}"
                work.mkdir()
                servers.append(Nginx(work, site, brotli).start())
        else:
            brotli = True  # Caddy's file_server has precompressed br built in
            work = scratch / "caddy"
            work.mkdir()
            work.chmod(0o755)
            servers.append(Caddy(work, [root, sub]).start())
        yield Served(kind, root, sub, servers, brotli)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(params=["root", "subpath"])
def site(request, served) -> Site:
    return served.sites[request.param]


@pytest.fixture
def client(site):
    connection = Client(site.port)
    yield connection
    connection.close()


def redirect_sources(site: Site) -> set[str]:
    return {old for old, _new in redirect_pairs(site.output)}


# --- the tests ---------------------------------------------------------------------------

def test_workers_run_unprivileged(served):
    user = worker_user()
    if user is None:
        pytest.skip("the tests do not run as root: the servers run as this user")
    for server in served.servers:
        assert server.worker_users() == {user}, f"{served.kind} runs as {server.worker_users()}"
    # What they serve is root's, with ordinary modes, and readable to them.
    index = served.sites["root"].output / "index.html"
    assert index.stat().st_uid == 0 and oct(index.stat().st_mode & 0o777) == "0o644"


def test_crawl_from_the_home_page(served, site, client):
    """Every internal link, feed, sitemap URL and Pagefind file answers 200."""
    start = [site.prefix, site.prefix + "robots.txt"]
    result = crawl(client, site, start)
    assert result.failures == [], result.failures
    crawled = set(result.responses)
    files = site_files(site.output)
    # Every page of the build is reachable from the home page (but the 404
    # page and the pages left at old addresses, which nothing links).
    pages = set()
    for path in files:
        if not path.endswith(".html") or path == "404.html":
            continue
        if b'http-equiv="refresh"' in (site.output / path).read_bytes():
            continue
        pages.add(site.prefix + (path[: -len("index.html")] if path.endswith("index.html") else path))
    assert len(pages) > 10
    assert sorted(pages - crawled) == []
    # Sitemaps and feeds: the main ones are linked; the section, topic and
    # writer pages link only their Atom feed, so the RSS twins are fetched.
    feeds_and_maps = {site.prefix + p for p in files if p.endswith(".xml")}
    linked = {site.prefix + p for p in ("sitemap.xml", "news-sitemap.xml",
                                        "feeds/all.atom.xml", "feeds/all.rss.xml")}
    assert linked <= crawled and len(feeds_and_maps & crawled) > len(feeds_and_maps) / 2
    unlinked = sorted(feeds_and_maps - crawled)
    assert [(p, client.get(p).status) for p in unlinked] == [(p, 200) for p in unlinked]
    # Pagefind's whole bundle.
    pagefind = [site.prefix + p for p in files if p.startswith("pagefind/")]
    assert len(pagefind) > 5
    failed = [(p, client.get(p).status) for p in pagefind]
    assert [f for f in failed if f[1] != 200] == []


def test_every_file_has_its_type_caching_and_headers(served, site, client):
    immutable = immutable_paths(site.output)
    assert immutable, "the publishing build lists its content-named files in immutable.txt"
    old = redirect_sources(site)
    problems = []
    checked = 0
    for path in site_files(site.output):
        url = site.prefix + path
        if path.endswith((".gz", ".br")) or path == "redirects.map" or url in old:
            continue
        response = client.get(url)
        checked += 1
        if response.status != 200:
            problems.append(f"{url}: {response.status}")
            continue
        if response.body != (site.output / path).read_bytes():
            problems.append(f"{url}: the body is not the file")
        media, charset = expected_type(path)
        if response.media_type not in ((media,) if isinstance(media, str) else media):
            problems.append(f"{url}: Content-Type {response.header('Content-Type')!r}, not {media}")
        if charset and "charset=utf-8" not in response.header("Content-Type").lower().replace(" ", ""):
            problems.append(f"{url}: Content-Type {response.header('Content-Type')!r} names no charset")
        cache = IMMUTABLE_CACHE if path in immutable else SHORT_CACHE
        if response.header("Cache-Control") != cache:
            problems.append(f"{url}: Cache-Control {response.header('Cache-Control')!r}, not {cache!r}")
        problems += header_problems(response, url)
    assert checked > 100
    assert problems == [], "\n".join(problems[:40])


def test_headers_match_the_pages_own_policy(served, site, client):
    """The CSP header is the <meta> policy plus frame-ancestors; the referrer policy is the same."""
    response = client.get(site.prefix)
    page = lxml_html.fromstring(response.body)
    meta_policy = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]
    assert response.header("Content-Security-Policy") == f"{meta_policy}; frame-ancestors 'none'"
    assert response.header("Referrer-Policy") == page.xpath('//meta[@name="referrer"]/@content')[0]


@pytest.mark.parametrize("missing", ["no-such-page/", "no/such/file.css", "2099/01/nothing",
                                     "images/", "theme/", "pagefind/",
                                     "theme/css/site.0123456789.css", "feeds/nothing.atom.xml"])
def test_unknown_address_is_the_sites_404_page(served, site, client, missing):
    response = client.get(site.prefix + missing)
    assert response.status == 404
    assert response.body == (site.output / "404.html").read_bytes()
    assert response.media_type == "text/html"
    # Never cached for a year, even where the name looks content-hashed.
    assert response.header("Cache-Control") == SHORT_CACHE
    assert header_problems(response, missing) == []


def test_private_files_are_not_served(served, site, client):
    for path in ["redirects.map", "redirects.map.gz", "redirects.map.br", "redirects.caddy",
                 ".htaccess", "theme/.secret"]:
        response = client.get(site.prefix + path)
        assert response.status == 404, path
        assert response.body == (site.output / "404.html").read_bytes()


def test_folder_without_slash_is_a_301(served, site, client):
    folders = sorted({site.prefix + path[: -len("/index.html")]
                      for path in site_files(site.output) if path.endswith("/index.html")})
    old = redirect_sources(site)
    folders = [folder for folder in folders if folder not in old]
    assert len(folders) > 10
    for folder in folders:
        response = client.get(folder)
        assert response.status == 301, folder
        assert response.header("Location") in (folder + "/", f"http://127.0.0.1:{site.port}{folder}/")
        assert header_problems(response, folder) == []
    response = client.get(folders[0] + "?page=2")
    assert response.status == 301
    assert response.header("Location").endswith(folders[0] + "/?page=2")
    if site.prefix != "/":
        response = client.get(site.prefix.rstrip("/"))
        assert (response.status, response.header("Location")) in (
            (301, site.prefix), (301, f"http://127.0.0.1:{site.port}{site.prefix}"))


def test_old_addresses_are_301_to_the_story(served, site, client):
    pairs = redirect_pairs(site.output)
    assert sorted(old for old, _ in pairs) == sorted(
        site.prefix.rstrip("/") + old for old in OLD_ADDRESSES)
    for old, new in pairs:
        response = client.get(old)
        assert response.status == 301, old
        assert response.header("Location") in (new, f"http://127.0.0.1:{site.port}{new}"), old
        assert new == site.prefix + ARTICLE_URL
        assert client.get(new).status == 200


def test_precompressed_files_are_sent_as_they_are(served, site, client):
    variants = precompressed_variants(site.output)
    if not variants:
        pytest.fail("the publishing build wrote no .gz files (PRECOMPRESS in publishconf.py)")
    old = redirect_sources(site)
    problems = []
    for path in variants:
        url = site.prefix + path
        if path == "redirects.map" or url in old:
            continue
        original = (site.output / path).read_bytes()
        asks = [("gzip", "gzip", ".gz")]
        if served.brotli and (site.output / f"{path}.br").exists():
            asks += [("br", "br", ".br"), ("gzip, deflate, br", "br", ".br")]
        for accept, encoding, suffix in asks:
            response = client.get(url, {"Accept-Encoding": accept})
            if response.header("Content-Encoding") != encoding:
                problems.append(f"{url} ({accept}): Content-Encoding "
                                f"{response.header('Content-Encoding')!r}")
            elif response.body != (site.output / f"{path}{suffix}").read_bytes():
                problems.append(f"{url} ({accept}): not the build's {suffix} file")
            elif response.decoded() != original:
                problems.append(f"{url} ({accept}): does not unpack to the file")
            if "accept-encoding" not in response.header("Vary").lower():
                problems.append(f"{url} ({accept}): no Vary: Accept-Encoding")
        plain = client.get(url)
        if plain.header("Content-Encoding") or plain.body != original:
            problems.append(f"{url}: a client that asks for no encoding gets one")
    assert problems == [], "\n".join(problems[:30])
    if not served.brotli:
        (pytest.fail if IN_CI else pytest.skip)(f"nginx's brotli module is not installed ({NGINX_BROTLI_MODULE}: "
                    "apt-get install libnginx-mod-http-brotli-static): gzip checked, br not")


def test_pagefind_files_are_not_encoded_again(served, site, client):
    files = [p for p in site_files(site.output)
             if p.startswith("pagefind/") and p.endswith((".pf_fragment", ".pf_index",
                                                          ".pf_meta", ".pf_filter", ".pagefind"))]
    assert files
    for path in files:
        response = client.get(site.prefix + path, {"Accept-Encoding": "gzip, br"})
        assert response.status == 200
        assert response.header("Content-Encoding") == "", path
        assert response.body == (site.output / path).read_bytes()


# --- search in Chromium, through the server ----------------------------------------------

@pytest.mark.browser
def test_search_works_through_the_server(browser, served, site):
    page = browser.new_page()
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        links = search(page, site.url, "Macron")
        assert links and links[0] == site.url + ARTICLE_URL
        with page.expect_navigation():
            page.locator(".pagefind-ui__result-link").first.click()
        assert page.url == site.url + ARTICLE_URL
        assert page.locator("h1").inner_text().startswith("Ruto & Macron")
        assert failed == [], failed
        assert errors == [], errors
    finally:
        page.close()
