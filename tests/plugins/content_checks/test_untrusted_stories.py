"""A story can only produce the pages, figures and links the theme defines.

Hostile and mistaken stories are written by the test into a copy of content/;
one build of all of them must fail with one clear line per file, and a
second build shows that the allowed forms of the same things work.
"""

from __future__ import annotations

import re
import time

import pytest

from helpers.building import PUBLISHING, copy_content, error_lines, run_build

HEAD = "Title: {title}\nDate: 2024-06-01\nCategory: News\n"


def story(title: str, extra: str = "", body: str = "Body text.") -> str:
    return HEAD.format(title=title) + extra + "\n" + body + "\n"


# file name (under content/) -> (source, pattern of its one error line)
HOSTILE = {
    "articles/save-as.md": (
        story("Save as", "Save_as: index.html\n"),
        r'^content/articles/save-as\.md:4: "Save_as:" decides where or how Pelican writes '
        r"this file, and stories may not do that; remove the line",
    ),
    "articles/url.md": (
        story("Url", "URL: theme/js/search.js\n"),
        r'^content/articles/url\.md:4: "URL:" decides where or how Pelican writes',
    ),
    "articles/template.md": (
        story("Template", "Template: ../../etc/passwd\n"),
        r'^content/articles/template\.md:4: "Template:" decides where',
    ),
    "articles/lang.md": (
        story("Lang", "Lang: fr\n"),
        r'^content/articles/lang\.md:4: "Lang:" decides where',
    ),
    "articles/status.md": (
        story("Status", "Status: live\n"),
        r'^content/articles/status\.md:4: Status "live" is not one of: published, draft, hidden$',
    ),
    "articles/catgory.md": (
        "Title: Misspelt\nDate: 2024-06-01\nCatgory: World\n\nBody.\n",
        r'^content/articles/catgory\.md:3: unknown field "Catgory:"; did you mean "Category:"\?$',
    ),
    "articles/sumary.md": (
        story("Sumary", "Sumary: A standfirst.\n"),
        r'^content/articles/sumary\.md:4: unknown field "Sumary:"; did you mean "Summary:"\?$',
    ),
    "articles/tag.md": (
        story("Tag", "Tag: Kenya\n"),
        r'^content/articles/tag\.md:4: unknown field "Tag:"; did you mean "Tags:"\?$',
    ),
    "articles/twice.md": (
        story("Twice", "Category: World\n"),
        r'^content/articles/twice\.md:4: "Category:" is given twice \(first on line 3\); keep one$',
    ),
    "articles/attribute-list.md": (
        story("Attributes", body='A paragraph.\n{: onclick="window.x=1" style="color:red"}'),
        r'^content/articles/attribute-list\.md:6: attribute lists such as "\{: onclick=',
    ),
    "articles/fenced-attributes.md": (
        story("Fenced attributes", body='~~~ {.python #main onmouseover="x()"}\nprint(1)\n~~~'),
        r'^content/articles/fenced-attributes\.md: the attribute id="main" on <pre> is not '
        r"allowed in stories",
    ),
    "articles/javascript-link.md": (
        story("Javascript", body="[Click](javascript:alert(document.domain))"),
        r'^content/articles/javascript-link\.md:5: link target "javascript:alert\(document\.'
        r'domain\)" is not allowed \(javascript: ',
    ),
    "articles/hidden-scheme.md": (
        story("Hidden scheme", body="[Click](JaVa&#x09;ScRiPt:alert(1))"),
        r"^content/articles/hidden-scheme\.md:5: link target .* is not allowed \(javascript: ",
    ),
    "articles/vbscript-link.md": (
        story("Vbscript", body="[Click][ref]\n\n[ref]: vbscript:msgbox(1)"),
        r"^content/articles/vbscript-link\.md:7: link target .* is not allowed \(vbscript: ",
    ),
    "articles/data-link.md": (
        story("Data", body="[Open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
        r"^content/articles/data-link\.md:5: link target .* is not allowed \(data: ",
    ),
    "articles/data-image.md": (
        story("Data image", body="![Pixel](data:image/gif;base64,R0lGODlhAQABAAAAACw=)"),
        r"^content/articles/data-image\.md:5: image target .* is not allowed \(data: ",
    ),
    "articles/summary-script.md": (
        story("Summary script", "Summary: Read [this](javascript:alert(1)) now.\n"),
        r"^content/articles/summary-script\.md:4: link target .* is not allowed \(javascript: ",
    ),
    "articles/reference-image.md": (
        story("Reference image", body="![The river][p]\n\n[p]: ../images/missing.jpg"),
        r'^content/articles/reference-image\.md:7: "\.\./images/missing\.jpg" points to '
        r"content/images/missing\.jpg, which does not exist; fix the path or add the file$",
    ),
    "articles/dead-site-path.md": (
        story("Dead site path", body="See [the old story](/2019/01/gone/)."),
        r'^content/articles/dead-site-path\.md:5: link "/2019/01/gone/" is not a page of this site',
    ),
    "articles/dead-relative.md": (
        story("Dead relative", body="See [the other story](other-story.md)."),
        r'^content/articles/dead-relative\.md:5: "other-story\.md" points to '
        r"content/articles/other-story\.md, which does not exist",
    ),
    "articles/indicator.md": (
        story("Indicator", body="See [Kenya]({tag}kenya)."),
        r'^content/articles/indicator\.md:5: "\{tag\}kenya" is not a link this site supports',
    ),
    "articles/network-path.md": (
        story("Network path", body="See [there](//example.org/x)."),
        r'^content/articles/network-path\.md:5: link "//example\.org/x" has no scheme',
    ),
    "articles/long-tag.md": (
        story("Long tag", "Tags: " + "word " * 40 + "\n"),
        r'^content/articles/long-tag\.md:4: Tags: "word .*" is too long to name a page',
    ),
    "pages/theme.md": (
        "Title: Theme\nSlug: theme\n\nA page over the theme's files.\n",
        r'^content/pages/theme\.md:2: Slug "theme" gives the file theme/index\.html, inside '
        r"theme/, where the theme's own files are published",
    ),
    "pages/pagefind.md": (
        "Title: Pagefind\nSlug: pagefind\n\nA page over the search index.\n",
        r'^content/pages/pagefind\.md:2: Slug "pagefind" gives the file pagefind/index\.html, '
        r"inside pagefind/, where the search index's files are published",
    ),
    "pages/search.md": (
        "Title: Search\nSlug: search\n\nA page over the search page.\n",
        r'^content/pages/search\.md:2: Slug "search" gives the file search/index\.html, '
        r'which the "search" page of the theme also writes',
    ),
    "pages/section.md": (
        "Title: Section\nSlug: section\n\nA page over the list of sections.\n",
        r'^content/pages/section\.md:2: Slug "section" gives the file section/index\.html, '
        r"which the list of categories also writes",
    ),
    "pages/year.md": (
        "Title: 2024\n\nA page over the year archive.\n",
        r"^content/pages/year\.md:1: the Title gives the file 2024/index\.html, which the "
        r"year archive also writes",
    ),
}


def write_files(content, files: dict) -> None:
    for name, (source, _pattern) in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")



# A story whose Markdown takes Python-Markdown ages to read ("![" unclosed
# 20000 times), under a 1 s limit.
BRACKETS = {"articles/brackets.md": (story("Brackets", body="![" * 20000), None)}
BRACKETS_LINE = (
    "content/articles/brackets.md: Markdown needs more than 1 s to read this story "
    "(thousands of unclosed [ or ![ or * ?); look for text pasted from another program "
    "and clean it up")


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """ONE publishing build of every hostile story, the steered pages (their
    steering keys allowed) and the pathological Markdown: each problem is
    independent of the others, and all must be reported in one run."""
    folder = tmp_path_factory.mktemp("hostile")
    content = copy_content(folder)
    for files in (HOSTILE, STEERED, BRACKETS):
        write_files(content, files)
    allowed = {name: ["save_as"] for name in STEERED}
    allowed["pages/404.md"] = ["save_as", "url", "template"]
    started = time.monotonic()
    result = run_build(folder / "output", settings=PUBLISHING, search=False, overrides={
        "PATH": str(content), "STEERING_METADATA_ALLOWED": allowed, "MARKDOWN_TIME_LIMIT": 1})
    result.seconds = time.monotonic() - started
    result.folder = folder
    return result


def test_hostile_stories_fail_the_build_without_traceback(hostile_build):
    assert hostile_build.returncode == 1
    assert "Traceback" not in hostile_build.stderr + hostile_build.stdout
    assert not hostile_build.output.exists()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_story_is_one_clear_line(hostile_build, name):
    lines = error_lines(hostile_build)
    pattern = re.compile(HOSTILE[name][1])
    matching = [line for line in lines if pattern.search(line)]
    assert len(matching) == 1, "\n".join(lines)
    about_file = [line for line in lines if line.split(":")[0] == f"content/{name}"]
    assert about_file == matching, "\n".join(about_file)


def test_every_problem_is_reported_in_one_run(hostile_build):
    problems = len(HOSTILE) + len(STEERED) + len(BRACKETS)
    assert f"Build failed: {problems} problem(s)" in hostile_build.stderr, (
        "\n".join(error_lines(hostile_build)))


# --- Steering keys a site developer allows for one file still stay in the site --------

STEERED = {
    "pages/over-script.md": (
        "Title: Over a script\nSave_as: theme/js/search.js\n\nText.\n",
        r'^content/pages/over-script\.md:2: Save_as "theme/js/search\.js" gives the file '
        r"theme/js/search\.js, inside theme/, where the theme's own files are published",
    ),
    "pages/over-rendition.md": (
        "Title: Over a rendition\nSave_as: images/renditions/photo-480w-0123456789ab.jpg\n\nT.\n",
        r"^content/pages/over-rendition\.md:2: Save_as .* inside images/renditions/, where the "
        r"photo renditions are published",
    ),
    "pages/htaccess.md": (
        "Title: Server settings\nSave_as: .htaccess\n\nT.\n",
        r'^content/pages/htaccess\.md:2: Save_as "\.htaccess" gives the file \.htaccess, a '
        r"hidden file that web servers may read",
    ),
    "pages/outside.md": (
        "Title: Outside\nSave_as: ../../outside.html\n\nT.\n",
        # Pelican itself refuses this one before any check sees it.
        r"^content/pages/outside\.md: its URL '\.\./\.\./outside\.html' leaves the site",
    ),
    "pages/over-feed.md": (
        "Title: Over the feed\nSave_as: feeds/all.atom.xml\n\nT.\n",
        r"^content/pages/over-feed\.md:2: Save_as .* inside feeds/, where the feeds are published",
    ),
    "pages/over-robots.md": (
        "Title: Over robots\nSave_as: robots.txt\n\nT.\n",
        r"^content/pages/over-robots\.md:2: Save_as .* which the sitemaps also writes",
    ),
}


def test_allowed_steering_keys_still_cannot_leave_or_collide(hostile_build):
    lines = error_lines(hostile_build)
    for name, (_source, pattern) in STEERED.items():
        matching = [line for line in lines if re.search(pattern, line)]
        assert len(matching) == 1, "\n".join(lines)
        assert matching[0].startswith(f"content/{name}"), matching
    assert len([line for line in lines if line.startswith("content/pages/")]) == (
        len(STEERED) + len([name for name in HOSTILE if name.startswith("pages/")])), (
        "\n".join(lines))
    folder = hostile_build.folder  # the output is folder/output
    assert not (folder / "outside.html").exists()
    assert not (folder.parent / "outside.html").exists()


# --- What is allowed works ---------------------------------------------------------

LONG_HEADLINE = ("Parliament debates the long and winding road to reform " * 6).strip()


def test_allowed_links_resolve_and_long_headlines_get_short_urls(tmp_path):
    content = copy_content(tmp_path)
    (content / "articles" / "linked.md").write_text(story(
        LONG_HEADLINE,
        body="See [the seed story](2024-06-15-ruto-macron-infrastructure-haiti-mission.md), "
             "[about us](/about/), [mail](mailto:desk@example.org), [call](tel:+254700000000) "
             "and [the web](https://example.org/a?b=c#d). A {curly} brace and {1, 2}."
             "\n\nWrite to <desk@example.org>.\n\n~~~python\nprint({1: 2})\n~~~"))
    result = run_build(tmp_path / "output", overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 0, result.stderr
    pages = list((tmp_path / "output" / "2024" / "06").glob("parliament-*/index.html"))
    assert len(pages) == 1
    slug = pages[0].parent.name
    assert len(slug) <= 80 and not slug.endswith("-")
    from lxml import html

    page = html.fromstring(pages[0].read_bytes())
    hrefs = page.xpath("//div[contains(@class, 'story-body')]//a/@href") or page.xpath(
        "//article//p//a/@href")
    assert any(h.endswith("2024/06/ruto-macron-infrastructure-haiti-mission/") for h in hrefs), hrefs
    assert any(h.endswith("/about/") for h in hrefs), hrefs
    assert "mailto:desk@example.org" in hrefs and "tel:+254700000000" in hrefs
    assert hrefs.count("mailto:desk@example.org") >= 2  # the link and the autolink
    assert b"&#109;&#97;&#105;&#108;&#116;&#111;&#58;" in pages[0].read_bytes()
    assert not page.xpath("//*[@onclick or @onerror or @style]")


def test_pathological_markdown_is_reported_by_name_in_bounded_time(hostile_build):
    assert hostile_build.seconds < 60
    about = [line for line in error_lines(hostile_build)
             if line.startswith("content/articles/brackets.md")]
    assert about == [BRACKETS_LINE]
