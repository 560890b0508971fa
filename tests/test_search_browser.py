"""Search in a real browser: Pagefind UI on the built site (Debian Chromium)."""

from __future__ import annotations

import json

import pytest

from helpers.browser import search
from helpers.search_bundles import PART_WORDS, harbour_story
from helpers.building import ARTICLE_URL, PUBLISHING, copy_content, run_build

pytestmark = pytest.mark.browser

NEW_WORD = "Zanzibarite"  # in no story until the test adds one
NEW_STORY = f"""Title: Ferry timetable changes announced
Date: 2024-06-20 08:00
Category: News
Tags: Transport
Authors: Staff Reporter
Summary: The port authority published a new ferry timetable.
Slug: ferry-timetable

The port authority said the {NEW_WORD} ferry will run twice a day from July.
"""


@pytest.fixture(scope="module")
def shared_tab(browser):
    """One tab for the whole file, and the console errors it has shown.

    A new tab costs a renderer process; a new page in this one, a
    navigation. The preview server sends ``Cache-Control: no-store``, so
    nothing a test loaded is reused from a cache by the next.
    """
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, errors
    context.close()


def fresh(page, errors: list[str], scheme: str = "light"):
    """``page`` on a blank document in colour ``scheme``, its errors forgotten."""
    page.goto("about:blank")
    page.emulate_media(color_scheme=scheme)
    errors.clear()
    return page, errors


@pytest.fixture
def tab(shared_tab):
    """(page, console errors): the shared tab, blank, light, no errors yet."""
    return fresh(*shared_tab)


def test_macron_finds_the_article_first(tab, served_site):
    # That a search loads nothing from elsewhere: test_no_policy_violations_in_the_browser
    # (tests/theme/test_security_meta.py), whose policy allows only the site itself.
    page, errors = tab
    links = search(page, served_site.url, "Macron")
    assert links and links[0] == served_site.url + ARTICLE_URL
    title = page.locator(".pagefind-ui__result-link").first.inner_text()
    assert title.startswith("Ruto & Macron")
    assert errors == [], errors


def test_query_in_the_address_runs_a_search(tab, served_site):
    page, errors = tab
    page.goto(served_site.url + "search/?q=Haiti")
    page.wait_for_selector(".pagefind-ui__result-link")
    assert page.locator(".pagefind-ui__search-input").input_value() == "Haiti"
    assert errors == [], errors


def rgb(css_colour: str) -> tuple[int, ...]:
    return tuple(int(part) for part in css_colour[css_colour.index("(") + 1:-1].split(",")[:3])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_ui_follows_the_colour_scheme(tab, served_site, scheme):
    page, errors = tab
    page.emulate_media(color_scheme=scheme)
    search(page, served_site.url, "Macron")
    body = page.locator("body")
    paper = body.evaluate("e => getComputedStyle(e).backgroundColor")
    ink = body.evaluate("e => getComputedStyle(e).color")
    brightness = sum(rgb(paper))
    assert brightness < 150 if scheme == "dark" else brightness > 600, paper
    field = page.locator(".pagefind-ui__search-input")
    assert field.evaluate("e => getComputedStyle(e).backgroundColor") == paper
    assert field.evaluate("e => getComputedStyle(e).color") == ink
    link = page.locator(".pagefind-ui__result-link").first
    assert link.evaluate("e => getComputedStyle(e).color") == ink
    # Pressing Enter must not try Pagefind's javascript: form action (CSP):
    # Pagefind cancels the key, so the form is never submitted.
    page.evaluate("""() => {
        window.__enter = [];
        window.addEventListener("keydown", event => window.__enter.push(event.defaultPrevented));
        for (const kind of ["submit", "securitypolicyviolation"]) {
            window.addEventListener(kind, () => window.__enter.push(kind), true);
        }
    }""")
    field.press("Enter")
    page.wait_for_function("() => window.__enter.length > 0")
    assert page.evaluate("window.__enter") == [True]
    assert page.url == served_site.url + "search/"
    # The page with its results, in this scheme, passes axe-core.
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], [(v["id"], v["nodes"][0]["target"]) for v in violations]
    assert errors == [], errors


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory, serve_site):
    """A publishing build living under /news/ of a server, from a content copy.

    With the harbour stories, whose pages fall into every part of the search index.
    """
    work = tmp_path_factory.mktemp("subpath")
    content = copy_content(work)
    for number, word in enumerate(PART_WORDS):
        (content / "articles" / f"harbour-{number}.md").write_text(
            harbour_story(number, word), encoding="utf-8")
    (work / "www").mkdir()
    server = serve_site(work / "www")
    site_url = f"{server.url}news"
    output = work / "www" / "news"
    result = run_build(
        output,
        settings=PUBLISHING,
        # The two newest stories in the recent part, the others in the three
        # hashed ones: this small site's index then has every kind of part.
        overrides={"PATH": str(content), "SEARCH_RECENT_PAGES": 2},
        env={"SITEURL": site_url},
    )
    assert result.returncode == 0, result.stderr
    return {"content": content, "output": output, "url": site_url + "/"}


def test_search_works_under_a_sub_path(tab, subpath_site):
    page, errors = tab
    links = search(page, subpath_site["url"], "Macron")
    assert links and links[0] == subpath_site["url"] + ARTICLE_URL
    with page.expect_navigation():
        page.locator(".pagefind-ui__result-link").first.click()
    assert page.url == subpath_site["url"] + ARTICLE_URL
    assert page.locator("h1").inner_text().startswith("Ruto & Macron")
    assert errors == [], errors


def test_search_finds_stories_in_every_part_of_the_index(tab, subpath_site):
    page, errors = tab
    folders = json.loads((subpath_site["output"] / "pagefind" / "parts.json").read_text())
    assert len(folders) == 3, folders  # four parts: the first, and three merged
    for number, word in enumerate(PART_WORDS):
        links = search(page, subpath_site["url"], word)
        assert links == [f"{subpath_site['url']}2024/05/harbour-report-{number}/"], word
    # One search counts and lists the stories of every part.
    search(page, subpath_site["url"], "harbour")
    shown = page.locator(".pagefind-ui__message").inner_text()
    assert shown.startswith(f"{len(PART_WORDS)} results"), shown
    assert errors == [], errors


def test_new_article_is_findable_after_a_rebuild(tab, subpath_site):
    page, _errors = tab
    assert search(page, subpath_site["url"], NEW_WORD) == []
    (subpath_site["content"] / "articles" / "2024-06-20-ferry.md").write_text(NEW_STORY, encoding="utf-8")
    result = run_build(
        subpath_site["output"],
        settings=PUBLISHING,
        overrides={"PATH": str(subpath_site["content"]), "SEARCH_RECENT_PAGES": 2},
        env={"SITEURL": subpath_site["url"].rstrip("/")},
    )
    assert result.returncode == 0, result.stderr
    # Search again in a new document; only its errors count.
    page, errors = fresh(page, _errors)
    links = search(page, subpath_site["url"], NEW_WORD)
    assert links == [subpath_site["url"] + "2024/06/ferry-timetable/"]
    assert errors == [], errors
