"""Fingerprinted theme assets (plugins/asset_fingerprints) and immutable.txt.

The publishing build names the theme's CSS and JS after their content and
every page links those names; the development build is what it always was.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shutil
from pathlib import Path

import pytest

from helpers.building import DEVELOPMENT, PUBLISHING, ROOT, write_files
from newsroom.build.site_files import IMMUTABLE_LIST, immutable_pattern, read_immutable_list
from plugins.asset_fingerprints import FingerprintCycle, fingerprint, hashed_name

PUBLIC = "https://news.example.org/"
STATIC = ROOT / "theme" / "static"
STORY = "Title: A story\nDate: 2024-06-01\nCategory: News\n\nText.\n"
HASHED = re.compile(r"^(?P<stem>[^/]+)\.(?P<hash>[0-9a-f]{10})\.(?P<ext>css|js)$")


def theme_sources() -> dict[str, bytes]:
    return {path.relative_to(STATIC).as_posix(): path.read_bytes()
            for path in sorted(STATIC.rglob("*")) if path.is_file()}


def html_pages(output: Path):
    for path in sorted(output.rglob("*.html")):
        if "pagefind" not in path.parts:
            yield path


def local_references(output: Path, page: Path, prefix: str) -> list[str]:
    """Site-relative paths of the files a page loads or links (href, src, srcset)."""
    from lxml import html as lxml_html

    doc = lxml_html.fromstring(page.read_bytes())
    urls = doc.xpath("//link/@href|//script/@src|//img/@src|//source/@src")
    for srcset in doc.xpath("//img/@srcset|//source/@srcset"):
        urls += [part.strip().split()[0] for part in srcset.split(",") if part.strip()]
    found = []
    base = posixpath.dirname(page.relative_to(output).as_posix())
    for url in urls:
        if prefix and url.startswith(prefix):
            found.append(url[len(prefix):])
        elif not prefix and not re.match(r"^([a-z]+:)?//", url) and not url.startswith("#"):
            found.append(posixpath.normpath(posixpath.join(base, url)))
    return [url.split("#")[0].split("?")[0] for url in found]


# --- the publishing build ---------------------------------------------------------

def test_theme_css_and_js_have_content_hashed_names(published_site):
    theme = published_site.output / "theme"
    sources = theme_sources()
    published = {path.relative_to(theme).as_posix() for path in theme.rglob("*")
                 if path.is_file() and not path.name.endswith((".gz", ".br"))}
    expected = set()
    for path, data in sources.items():
        if path.endswith((".css", ".js")):
            name = hashed_name(path, data)
            expected.add(name)
            assert (theme / name).read_bytes() == data, name  # no url() to rewrite today
            digest = HASHED.match(posixpath.basename(name))["hash"]
            assert digest == hashlib.sha256(data).hexdigest()[:10]
            assert not (theme / path).exists(), f"the unhashed {path} is published"
        else:
            expected.add(path)  # favicon, logo: same name, same bytes
            assert (theme / path).read_bytes() == data
    assert published == expected
    assert {name for name in published if name.endswith((".css", ".js"))} == {
        name for name in expected if HASHED.match(posixpath.basename(name))}


def test_every_page_loads_existing_hashed_assets(published_site):
    output = published_site.output
    seen = set()
    pages = list(html_pages(output))
    assert len(pages) > 10
    for page in pages:
        for path in local_references(output, page, PUBLIC):
            if path.startswith("theme/"):
                seen.add(path)
                if path.endswith((".css", ".js")):
                    assert HASHED.match(posixpath.basename(path)), f"{page}: {path} is not hashed"
            if path.startswith(("theme/", "images/", "pagefind/")):
                assert (output / path).is_file(), f"{page}: {path} does not exist"
        text = page.read_text(encoding="utf-8")
        for plain in ("theme/css/site.css", "theme/css/print.css", "theme/css/search.css",
                      "theme/js/search.js"):
            assert plain not in text, f"{page} names {plain}"
    stems = {re.sub(r"\.[0-9a-f]{10}\.", ".", path) for path in seen}
    assert {"theme/css/site.css", "theme/css/print.css", "theme/css/search.css",
            "theme/js/search.js"} <= stems


def test_immutable_list_names_every_content_named_file(published_site):
    output = published_site.output
    listed = read_immutable_list(output)
    assert listed == sorted(listed) and len(set(listed)) == len(listed)
    assert (output / IMMUTABLE_LIST).read_text(encoding="utf-8").startswith("# ")
    for path in listed:
        assert (output / path).is_file(), path
        assert not path.endswith((".gz", ".br"))
    theme = [path for path in listed if path.startswith("theme/")]
    assert len(theme) == 4 and all(HASHED.match(posixpath.basename(p)) for p in theme)
    assert any(re.fullmatch(r"pagefind/fragment/[^/]+\.pf_fragment", p) for p in listed)
    assert any(re.fullmatch(r"pagefind/index/[^/]+\.pf_index", p) for p in listed)
    assert any(re.fullmatch(r"pagefind/pagefind\.en_[0-9a-f]+\.pf_meta", p) for p in listed)
    assert any(p.startswith("images/renditions/") for p in listed)
    # Everything else keeps its name from version to version.
    for mutable in ("pagefind/pagefind-entry.json", "pagefind/pagefind-ui.js",
                    "pagefind/pagefind.js", "pagefind/wasm.en.pagefind", "theme/favicon.svg",
                    "theme/images/logo.png", "index.html", "feeds/all.atom.xml",
                    "sitemap.xml", IMMUTABLE_LIST):
        assert mutable not in listed
    # The list and the name rules (used for releases without a list) agree.
    rules = immutable_pattern()
    every = [p.relative_to(output).as_posix() for p in output.rglob("*")
             if p.is_file() and not p.name.endswith((".gz", ".br"))]
    assert sorted(p for p in every if rules.match(p)) == listed


# --- the development build ----------------------------------------------------------

def test_development_build_keeps_plain_names_and_bytes(site):
    output = site.output
    theme = output / "theme"
    published = {path.relative_to(theme).as_posix(): path.read_bytes()
                 for path in theme.rglob("*") if path.is_file()}
    assert published == theme_sources()
    assert not (output / IMMUTABLE_LIST).exists()
    assert not [p for p in output.rglob("*") if p.name.endswith((".gz", ".br"))]
    head = site.page("search/")
    assert head.xpath("//link[@rel='stylesheet']/@href")[:2] == [
        "../theme/css/site.css", "../theme/css/print.css"]
    assert "../theme/js/search.js" in head.xpath("//script/@src")
    assert "../theme/css/search.css" in head.xpath("//link[@rel='stylesheet']/@href")


def test_asset_url_of_a_missing_file_fails_the_build(in_process, tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    head = theme / "templates" / "partials" / "head.html"
    head.write_text(head.read_text(encoding="utf-8").replace(
        "asset_url('css/print.css')", "asset_url('css/prnt.css')"), encoding="utf-8")
    write_files(tmp_path / "content", {"articles/a.md": STORY})
    run = in_process(["asset_fingerprints"], tmp_path / "content",
                     overrides={"THEME": str(theme)})
    assert len(run.problems) == 1, run.problems
    assert "asset_url('css/prnt.css') names no file of the theme's static folder" in run.problems[0]


# --- the hashing itself ---------------------------------------------------------------

def test_hashed_name_puts_the_digest_between_stem_and_extension():
    data = b"body{}"
    digest = hashlib.sha256(data).hexdigest()[:10]
    assert hashed_name("css/site.css", data) == f"css/site.{digest}.css"
    assert hashed_name("app.min.js", data) == f"app.min.{digest}.js"


def test_css_urls_of_fingerprinted_files_are_rewritten_before_hashing():
    files = {
        "css/site.css": b'@font-face{src:url("../fonts/a.woff2")}\n'
                        b'.x{background:url(../css/part.css?v=1#top)}\n'
                        b".y{background:url('https://example.org/a.css')}\n",
        "css/part.css": b".part{}",
        "js/app.js": b"var css = 'url(site.css)';",
    }
    result = fingerprint(files)
    assert set(result) == {"css/site.css", "css/part.css", "js/app.js"}
    part_name = posixpath.basename(result["css/part.css"][0])
    site_name, site_bytes = result["css/site.css"]
    assert site_bytes == files["css/site.css"].replace(b"part.css", part_name.encode())
    assert site_name == hashed_name("css/site.css", site_bytes)  # hash of the rewritten bytes
    assert result["js/app.js"][1] == files["js/app.js"]  # JavaScript is never rewritten


def test_stylesheets_that_point_at_each_other_are_refused():
    with pytest.raises(FingerprintCycle):
        fingerprint({"a.css": b".a{background:url(b.css)}", "b.css": b".b{background:url(a.css)}"})


def test_site_links_and_reserved_names_follow_the_published_files(in_process, tmp_path):
    """A story may link theme files only as they are published; immutable.txt is the build's."""
    write_files(tmp_path / "content", {"articles/2024-06-16-links.md": (
        "Title: Links to the theme\nDate: 2024-06-16 10:00\nCategory: Politics\n"
        "Authors: Staff Reporter\nSummary: Links.\nRedirect_from: /immutable.txt\n\n"
        "The [icon](/theme/favicon.svg) and the [stylesheet](/theme/css/site.css).\n")})
    redirect = ('content/articles/2024-06-16-links.md:6: Redirect_from "/immutable.txt" writes '
                "the file immutable.txt/index.html, inside immutable.txt, which the publishing "
                "build (its list of content-named files) writes as a file; remove this line")
    css_link = 'content/articles/2024-06-16-links.md:8: link "/theme/css/site.css" is not a page'
    for settings, expected in ((DEVELOPMENT, [redirect]), (PUBLISHING, [css_link, redirect])):
        run = in_process(["content_checks", "redirects", "asset_fingerprints"],
                         tmp_path / "content", settings=settings)
        assert len(run.problems) == len(expected), (settings.name, run.problems)
        for line, start in zip(sorted(run.problems), sorted(expected)):
            assert line.startswith(start), (settings.name, line)
