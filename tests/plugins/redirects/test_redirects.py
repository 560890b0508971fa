"""Redirect_from: old addresses lead to the story (redirects plugin), on real builds."""

from __future__ import annotations

import posixpath
import re

import pytest

from helpers.building import PUBLISHING, copy_content, run_build
from helpers.validator import vnu_errors

MOVED_URL = "2024/06/moved-story/"


def story(title: str, slug: str, *redirects: str, status: str | None = None,
          date: str = "2024-06-20 10:00") -> str:
    """A story file; its Redirect_from lines start on line 5."""
    lines = [f"Title: {title}", f"Date: {date}", "Category: World", f"Slug: {slug}"]
    lines += [f"Redirect_from: {path}" for path in redirects]
    if status:
        lines.append(f"Status: {status}")
    return "\n".join(lines) + f"\n\nBody text of {title}.\n"


@pytest.fixture(scope="module")
def redirect_builds(tmp_path_factory):
    """The real content plus a moved story (three old paths, one key repeated),
    a draft and an embargoed story with an old path each; a development and a
    publishing build (under a sub-path, so the map's paths carry it)."""
    base = tmp_path_factory.mktemp("redirects")
    content = copy_content(base)
    (content / "articles" / "2024-06-20-moved.md").write_text(story(
        "A story that moved <em>&</em> more", "moved-story",
        "/2023/05/old-slug/", "/old/story.html", "/legacy"), encoding="utf-8")
    (content / "articles" / "2024-06-21-draft.md").write_text(story(
        "A draft", "draft-story", "/draft-old/", status="draft"), encoding="utf-8")
    (content / "articles" / "2030-01-01-embargoed.md").write_text(story(
        "An embargoed story", "embargoed-story", "/embargoedcanary-old/",
        date="2030-01-01 09:00"), encoding="utf-8")
    overrides = {"PATH": str(content)}
    dev = run_build(base / "dev", overrides=overrides, search=False)
    assert dev.returncode == 0, dev.stderr
    published = run_build(base / "published", settings=PUBLISHING,
                          overrides=overrides, env={"SITEURL": "https://example.org/news"})
    assert published.returncode == 0, published.stderr
    return dev, published


def redirect_of(page) -> dict:
    refresh = page.xpath('//meta[@http-equiv="refresh"]/@content')
    assert len(refresh) == 1
    delay, _, target = refresh[0].partition(";")
    assert delay == "0" and target.strip().startswith("url=")
    return {
        "refresh": target.strip().removeprefix("url="),
        "canonical": page.xpath('//link[@rel="canonical"]/@href'),
        "robots": page.xpath('//meta[@name="robots"]/@content'),
        "links": page.xpath("//main//a/@href"),
    }


@pytest.mark.parametrize("old_file", [
    "2023/05/old-slug/index.html",  # "/2023/05/old-slug/": a folder
    "old/story.html",  # "/old/story.html": the file as given
    "legacy/index.html",  # "/legacy": a folder too
])
def test_each_old_path_gets_a_page_that_sends_readers_on(redirect_builds, old_file):
    dev, _ = redirect_builds
    page = dev.page(old_file)
    found = redirect_of(page)
    # Relative in development builds: resolve it from the page's own folder.
    target = posixpath.normpath(posixpath.join(posixpath.dirname(old_file), found["refresh"]))
    assert target + "/" == MOVED_URL
    assert (dev.output / target / "index.html").is_file()
    assert found["canonical"] == [found["refresh"]]
    assert found["robots"] == ["noindex"]
    assert found["links"] == [found["refresh"]]  # a visible link for every reader
    assert page.xpath("//script") == []
    assert page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert "A story that moved" in page.xpath("string(//main//a)")
    # The headline is text: its "<em>" is shown as typed, never an element.
    assert "<em>" in page.xpath("string(//main//a)") and not page.xpath("//main//em")


def test_publishing_build_points_to_the_absolute_address(redirect_builds):
    _, published = redirect_builds
    found = redirect_of(published.page("2023/05/old-slug/"))
    assert found["refresh"] == f"https://example.org/news/{MOVED_URL}"
    assert found["canonical"] == [found["refresh"]]
    assert "old-slug" not in (published.output / "sitemap.xml").read_text(encoding="utf-8")


def map_lines(build) -> list[str]:
    text = (build.output / "redirects.map").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_redirects_map_has_one_sorted_line_per_old_path(redirect_builds):
    dev, published = redirect_builds
    assert map_lines(dev) == [
        f"/2023/05/old-slug/ /{MOVED_URL};",
        f"/legacy /{MOVED_URL};",
        f"/old/story.html /{MOVED_URL};",
    ]
    # Paths as the server sees them: with the site's sub-path.
    assert map_lines(published) == [
        f"/news/2023/05/old-slug/ /news/{MOVED_URL};",
        f"/news/legacy /news/{MOVED_URL};",
        f"/news/old/story.html /news/{MOVED_URL};",
    ]
    for line in map_lines(dev) + map_lines(published):
        assert re.fullmatch(r"/[A-Za-z0-9._~/-]* /[A-Za-z0-9._~/-]*;", line), line


def test_drafts_and_embargoed_stories_get_no_redirect(redirect_builds):
    for build in redirect_builds:
        assert not build.exists("draft-old/")
        assert not build.exists("embargoedcanary-old/")
        assert not any("draft" in line or "embargoed" in line for line in map_lines(build))
    _, published = redirect_builds
    for path in published.output.rglob("*"):
        assert "embargoedcanary" not in path.as_posix()
        assert not path.is_file() or b"embargoedcanary" not in path.read_bytes()


def test_a_site_without_redirects_has_an_empty_map(site):
    assert map_lines(site) == []


@pytest.mark.validator
def test_redirect_pages_are_valid_html(redirect_builds):
    pages = [build.output / name for build in redirect_builds
             for name in ("2023/05/old-slug/index.html", "old/story.html")]
    errors = vnu_errors(pages)
    assert not errors, "\n".join(errors)


# --- mistakes ------------------------------------------------------------------

A = "content/articles/a.md"


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("redirect-mistakes")
    content = copy_content(base)
    articles = content / "articles"
    (content / "extra").mkdir()
    (content / "extra" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    files = {
        "a.md": story("First", "first-story", "/shared/"),
        "b.md": story("Second", "second-story", "/shared/index.html"),
        # The About page, another story's address, a section page, a file.
        "c.md": story("Third", "third-story", "/about/", "/2024/06/first-story/",
                      "/section/world/", "/extra/data.csv/", "/theme/old/"),
        "d.md": story("Fourth", "fourth-story", "/twice/", "/twice"),
        "e.md": story("Fifth", "fifth-story", "old/path/", "https://old.example.com/a/b?x=1",
                      "/a/../b/", "/.htaccess", "/caf\u00e9/", "/one/ /two/", "/story?id=3",
                      ""),
        # A draft is checked too: its claim clashes before it is published.
        "f.md": story("Sixth", "sixth-story", "/shared/", status="draft"),
    }
    for name, text in files.items():
        (articles / name).write_text(text, encoding="utf-8")
    result = run_build(base / "output", overrides={"PATH": str(content)}, search=False)
    lines = [line.removeprefix("error: ") for line in result.stderr.splitlines()
             if line.startswith("error: ")]
    return result, lines


def test_mistakes_fail_the_build_without_a_traceback(broken_build):
    result, lines = broken_build
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not (result.output / "redirects.map").exists()


@pytest.mark.parametrize("pattern", [
    # Two stories claiming one path (two spellings of one file): both named, with lines.
    r'^content/articles/b\.md:5: Redirect_from "/shared/index\.html" writes the file '
    r'shared/index\.html, which content/articles/a\.md:5 \(Redirect_from "/shared/"\) also '
    r"claims; an old address can lead to one story only: remove one of the two lines$",
    r"^content/articles/f\.md:5: Redirect_from \"/shared/\" writes the file shared/index\.html, "
    r"which content/articles/a\.md:5 ",
    # A live page: the story that owns it is refused, naming the redirect's file and line.
    r'^content/pages/about\.md:\d+: Slug "about" gives the file about/index\.html, which the '
    r'redirect on content/articles/c\.md:5 \(Redirect_from "/about/"\) also writes; give it a '
    r'different "Slug:" line, or remove that Redirect_from line$',
    r'^content/articles/a\.md:4: Slug "first-story" gives the file '
    r"2024/06/first-story/index\.html, which the redirect on content/articles/c\.md:6 ",
    # Pages and files of the build that are not stories.
    r'^content/articles/c\.md:7: Redirect_from "/section/world/" writes the file '
    r'section/world/index\.html, which the section page of "World" also writes: it is a live '
    r"page of this site, not an old address; remove this line$",
    r'^content/articles/c\.md:8: Redirect_from "/extra/data\.csv/" writes the file '
    r"extra/data\.csv/index\.html, inside extra/data\.csv, which content/extra/data\.csv "
    r"writes as a file; remove this line$",
    r'^content/articles/c\.md:9: Redirect_from "/theme/old/" writes the file '
    r"theme/old/index\.html inside theme/, where the theme's own files are published",
    # One story naming one file twice.
    r'^content/articles/d\.md:6: Redirect_from "/twice" writes the file twice/index\.html, '
    r"as line 5 already does; keep one of the two lines$",
    # Bad old paths, each on its line.
    r'^content/articles/e\.md:5: Redirect_from "old/path/" must start with "/"',
    r'^content/articles/e\.md:6: Redirect_from "https://old\.example\.com/a/b\?x=1" is a full '
    r'address; give only its path on this site, e\.g\. "Redirect_from: /a/b"$',
    r'^content/articles/e\.md:7: Redirect_from "/a/\.\./b/" has an empty, "\." or "\.\." segment',
    r'^content/articles/e\.md:8: Redirect_from "/\.htaccess" has a part starting with "\."',
    r'^content/articles/e\.md:9: Redirect_from "/caf\u00e9/" may only contain letters A-Z and '
    r"a-z, digits and - \. _ ~ /",
    r'^content/articles/e\.md:10: Redirect_from "/one/ /two/" contains a space; give one path '
    r"per line",
    r'^content/articles/e\.md:11: Redirect_from "/story\?id=3" has a query or fragment',
    r"^content/articles/e\.md:12: Redirect_from is empty; write the old address as a path",
])
def test_each_mistake_is_one_clear_line(broken_build, pattern):
    _, lines = broken_build
    matches = [line for line in lines if re.search(pattern, line)]
    assert len(matches) == 1, "\n".join(lines)


def test_nothing_else_is_reported(broken_build):
    result, lines = broken_build
    assert len(lines) == 16, "\n".join(lines)
    assert f"Build failed: {len(lines)} problem(s)" in result.stderr
