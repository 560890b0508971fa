"""Performance budgets on the built pages (publishing build: what readers get).

* The article page's HTML plus its render-blocking CSS fits in 14 KB of
  gzip: the first round trip of a new TCP connection (RFC 6928's initial
  window of ten segments).
* Article pages ship no JavaScript (JSON-LD data blocks are data, not code);
  no script blocks rendering. (No inline script or event handler:
  test_security_meta.py.)
* Every resource a page loads is the site's own, in both builds: the one
  place this is checked on the built files (in the browser: every page
  test_theme_browser.py opens).
* Every image declares width and height, so nothing shifts as it loads.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from helpers.building import ARTICLE_URL

INITIAL_WINDOW = 14 * 1024
PUBLIC = "https://news.example.org/"
DATA_SCRIPT_TYPES = {"application/ld+json"}


def html_pages(build):
    for path in sorted(build.output.rglob("*.html")):
        if "pagefind" in path.parts:
            continue
        yield path, build.page(str(path.relative_to(build.output)))


def local_file(build, url: str) -> Path:
    assert url.startswith(PUBLIC), f"{url} is not on the site"
    return build.output / url[len(PUBLIC):]


def render_blocking_stylesheets(doc) -> list[str]:
    hrefs = []
    for link in doc.xpath("//link[@rel='stylesheet']"):
        media = (link.get("media") or "all").strip().lower()
        if media in ("all", "screen") or "screen" in media:
            hrefs.append(link.get("href"))
    return hrefs


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def test_article_html_and_css_fit_the_first_round_trip(published_site):
    html = (published_site.output / ARTICLE_URL / "index.html").read_bytes()
    doc = published_site.page(ARTICLE_URL)
    sheets = render_blocking_stylesheets(doc)
    assert sheets, "the article page has a stylesheet"
    total = gzipped_size(html) + sum(gzipped_size(local_file(published_site, s).read_bytes()) for s in sheets)
    print(f"article HTML + render-blocking CSS: {total} bytes gzip (budget {INITIAL_WINDOW})")
    assert total <= INITIAL_WINDOW


def test_print_css_does_not_block_rendering(published_site):
    doc = published_site.page(ARTICLE_URL)
    print_links = doc.xpath("//link[@rel='stylesheet'][@media='print']/@href")
    assert print_links and local_file(published_site, print_links[0]).is_file()
    assert print_links[0] not in render_blocking_stylesheets(doc)


def test_article_pages_ship_no_javascript(site, published_site):
    for build in (site, published_site):
        doc = build.page(ARTICLE_URL)
        for script in doc.xpath("//script"):
            assert (script.get("type") or "").strip().lower() in DATA_SCRIPT_TYPES, script.attrib
            assert script.get("src") is None
        assert not doc.xpath("//link[@rel='modulepreload' or (@rel='preload' and @as='script')]")


def test_no_script_blocks_rendering(site, published_site):
    # Inline scripts and event handlers: tests/theme/test_security_meta.py.
    scripts = 0
    for build in (site, published_site):
        for path, doc in html_pages(build):
            for script in doc.xpath("//script[@src]"):
                scripts += 1
                kind = (script.get("type") or "").strip().lower()
                assert kind == "module" or script.get("defer") is not None or script.get("async") is not None, (
                    f"{path}: render-blocking script {script.get('src')}"
                )
    assert scripts  # the search page's


@pytest.mark.parametrize("build_name", ["site", "published_site"])
def test_every_resource_is_the_sites_own(build_name, request):
    """No page loads anything from another site (no CDN, fonts, scripts, images)."""
    build = request.getfixturevalue(build_name)
    for path, doc in html_pages(build):
        urls = doc.xpath(
            "//link[not(@rel='canonical' or @rel='alternate')]/@href|//script/@src|//img/@src"
            "|//iframe/@src|//video/@src|//audio/@src|//source/@src"
        )
        for srcset in doc.xpath("//img/@srcset|//source/@srcset"):
            urls += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
        for url in urls:
            assert url.startswith(PUBLIC) or not re.match(r"^([a-z]+:)?//", url), f"{path}: {url}"
    for css in (build.output / "theme").rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            assert not re.match(r"^([a-z]+:)?//", url), f"{css.name}: {url}"
        assert "@import" not in css.read_text(encoding="utf-8")


@pytest.mark.parametrize("build_name", ["site", "published_site"])
def test_every_image_has_width_and_height(build_name, request):
    build = request.getfixturevalue(build_name)
    images = 0
    for path, doc in html_pages(build):
        for img in doc.xpath("//img"):
            images += 1
            for attribute in ("width", "height"):
                value = img.get(attribute) or ""
                assert value.isdigit() and int(value) > 0, f"{path}: <img src={img.get('src')}> lacks {attribute}"
    assert images >= 4  # the home page's lead photo and the article's three
