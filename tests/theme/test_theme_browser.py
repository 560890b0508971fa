"""The theme in Debian's Chromium: axe-core, reflow, keyboard, photos, print.

Pages come from the filler build (a realistic home page with a grid and
pagination) served over HTTP; the search page from the real build, which
has the Pagefind index. Every page a test opens here must request nothing
from another site (the browser's side of that check; the built files':
test_theme_budgets.py). Screenshots of the home and article pages, at 390
and 1280 px in light and dark, go to $SCREENSHOT_DIR (default:
screenshots/ at the repository root) for people to look at.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from helpers.browser import off_site, record_requests
from helpers.building import ARTICLE_URL, ROOT

pytestmark = pytest.mark.browser

PAGES = {
    "home": "",
    "article": ARTICLE_URL,
    # A filler story with a correction box (scripts/make_filler_corpus.py).
    "corrected": "2023/01/filler-story-10/",
    "section": "section/politics/",
    "tag": "tag/haiti/",
    "author": "author/staff-reporter/",
    "archives": "archives/",
    "month": "2024/06/",
    "404": "no/such/page/",
}
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")
LEAD_IMAGE = "main figure.photo--lead img, main figure.story__lead img"


@pytest.fixture(scope="module")
def filler_served(filler_site, serve_site):
    return serve_site(filler_site.output)


@pytest.fixture(scope="module")
def open_page(browser, filler_served):
    """open_page(path, width=390, scheme="light", base=None, bypass_csp=False) -> page.

    One tab, reused from test to test (another for pages that need
    ``bypass_csp``, which is a context's setting): each call takes it to a
    blank page, sets the window width and colour scheme (and ends any print
    emulation), then loads ``path`` as a new tab would: a new document,
    at the top, nothing left from the test before. Opening a tab costs a
    renderer process each time; loading a page in one costs a navigation.

    Every request a page makes is recorded; done(page) fails the test if one
    left the served site (no CDN, fonts or scripts from elsewhere).
    """
    contexts = []
    tabs = {}

    def open_(path, width=390, scheme="light", base=None, bypass_csp=False):
        base = base or filler_served.url
        if bypass_csp not in tabs:
            context = browser.new_context(bypass_csp=bypass_csp)
            contexts.append(context)
            tab = context.new_page()
            tabs[bypass_csp] = (tab, record_requests(tab))
        page, requests = tabs[bypass_csp]
        page.goto("about:blank")
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(media="null", color_scheme=scheme)
        OUTSIDE_CHECKS[id(page)] = (requests, len(requests), base)
        page.goto(base + path, wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


OUTSIDE_CHECKS: dict[int, tuple[list, int, str]] = {}


def done(page):
    """The test is done with ``page``: fail if it requested anything from elsewhere."""
    requests, start, base = OUTSIDE_CHECKS.pop(id(page))
    outside = off_site(requests[start:], base)
    assert not outside, f"requests left the site: {outside}"


# --- axe-core -----------------------------------------------------------------

def inject_axe(page) -> None:
    """Put axe-core (the copy axe-playwright-python bundles) in ``page``, once
    per page: the runs that follow, one per colour scheme, share it."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)


def axe_violations(page) -> list[str]:
    """axe-core's violations on ``page`` as it is now (inject_axe first)."""
    violations = page.evaluate(
        "options => axe.run(options).then(results => results.violations)",
        {"resultTypes": ["violations"]},
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] if isinstance(node["target"][0], str) else str(node["target"]) for node in v["nodes"][:5])
        for v in violations
    ]


@pytest.mark.parametrize("name", list(PAGES) + ["search"])
def test_axe_finds_no_violations(open_page, served_site, site, name):
    """axe-core on every kind of page, in the light and the dark colour scheme."""
    if name == "search":
        if not site.exists("search/"):
            pytest.fail("search/index.html is missing from the build")
        page = open_page("search/", scheme=SCHEMES[0], base=served_site.url, bypass_csp=True)
    else:
        page = open_page(PAGES[name], scheme=SCHEMES[0], bypass_csp=True)
    inject_axe(page)
    violations = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        violations += [f"{scheme}: {violation}" for violation in axe_violations(page)]
    done(page)
    assert not violations, "\n".join(violations)


# --- Reflow, photos, keyboard -------------------------------------------------------

@pytest.mark.parametrize("name", ["home", "article", "corrected", "archives", "404"])
def test_no_horizontal_scrolling(open_page, name):
    page = open_page(PAGES[name], width=320)
    overflows = {}
    for width in (320,) + WIDTHS:  # the window resized, as a reader would
        page.set_viewport_size({"width": width, "height": 900})
        overflows[width] = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth")
    done(page)
    assert all(overflow <= 0 for overflow in overflows.values()), (
        f"{name} scrolls sideways (px by window width): {overflows}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "article"])
def test_lead_image_loads(open_page, name, width):
    page = open_page(PAGES[name], width=width)
    headline = page.locator("h1").inner_text() if name == "article" else ""
    image = page.locator(LEAD_IMAGE).first
    image.scroll_into_view_if_needed()
    loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
    box = image.bounding_box()
    done(page)
    assert loaded, f"the lead image on {name} did not load"
    assert box and box["width"] > 0.5 * min(width, 600)
    if name == "article":
        assert headline.startswith("Ruto & Macron")


@pytest.mark.parametrize("width", WIDTHS)
def test_captions_and_credits_are_visible(open_page, width):
    page = open_page(ARTICLE_URL, width=width)
    figures = page.locator("main article figure")
    assert figures.count() == 3
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        assert figure.locator("figcaption .caption").is_visible(), f"figure {index}: caption hidden"
    assert page.locator("main article figure.photo--lead figcaption .credit").is_visible()
    done(page)


def test_tab_reaches_skip_link_then_main_content(open_page):
    page = open_page(ARTICLE_URL)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, text: document.activeElement.textContent.trim(),"
        " outline: getComputedStyle(document.activeElement).outlineStyle,"
        " top: document.activeElement.getBoundingClientRect().top})"
    )
    assert focused["cls"] == "skip-link" and focused["text"] == "Skip to main content"
    assert focused["outline"] != "none", "focus is visible"
    assert 0 <= focused["top"] < 100, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    in_main = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    done(page)
    assert in_main, "the next Tab stays in the main content"


def test_404_page_is_styled_and_links_work_at_any_depth(open_page, filler_served):
    page = open_page(PAGES["404"])
    font = page.evaluate("getComputedStyle(document.querySelector('.site-title')).fontWeight")
    archives = page.get_by_role("link", name="archives").first
    archives.click()
    page.wait_for_load_state()
    url = page.url
    done(page)
    assert font == "700", "the stylesheet loaded"
    assert url == filler_served.url + "archives/"


def test_print_layout_keeps_story_drops_navigation(open_page):
    page = open_page(ARTICLE_URL)
    page.emulate_media(media="print")
    hidden = page.evaluate(
        "() => ['.section-nav', '.site-footer', '.story__share', '.story-nav', '.related']"
        ".map(s => document.querySelector(s)).filter(Boolean)"
        ".map(e => getComputedStyle(e).display)"
    )
    caption = page.locator("main article figure figcaption").first.is_visible()
    link_after = page.evaluate(
        "getComputedStyle(document.querySelector('.byline a'), '::after').content"
    )
    done(page)
    assert hidden and set(hidden) == {"none"}
    assert caption
    assert "attr(href)" in link_after or "author/" in link_after


# --- Screenshots ------------------------------------------------------------------

def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Lazy images load only near the viewport: bring each one in and wait until
# it is decoded (or broken, or 10 s have passed). The indexes of the images
# that are not shown (no box on the page) or did not load.
LOAD_EVERY_IMAGE = """async images => {
    const failed = [];
    for (const [index, image] of images.entries()) {
        if (image.getClientRects().length === 0) {
            failed.push(index);
            continue;
        }
        image.scrollIntoView({block: "nearest"});
        const loaded = await Promise.race([
            image.decode().then(() => image.naturalWidth > 0, () => false),
            new Promise(resolve => setTimeout(() => resolve(false), 10_000)),
        ]);
        if (!loaded) failed.push(index);
    }
    return failed;
}"""

# The size Playwright's page.screenshot(full_page=True) gives the page.
FULL_PAGE_SIZE = """async () => {
    await document.fonts.ready;
    const body = document.body, root = document.documentElement;
    return {
        width: Math.max(body.scrollWidth, root.scrollWidth, body.offsetWidth,
                        root.offsetWidth, body.clientWidth, root.clientWidth),
        height: Math.max(body.scrollHeight, root.scrollHeight, body.offsetHeight,
                         root.offsetHeight, body.clientHeight, root.clientHeight),
    };
}"""


def full_page_png(page) -> bytes:
    """The whole page as PNG, as page.screenshot(full_page=True) takes it, but
    with Chromium's fast PNG encoding (Page.captureScreenshot's
    optimizeForSpeed, which Playwright does not pass): the same pixels in a
    larger file, in about half the time."""
    size = page.evaluate(FULL_PAGE_SIZE)
    session = page.context.new_cdp_session(page)
    try:
        shot = session.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True,
            "clip": {"x": 0, "y": 0, **size, "scale": 1},
        })
    finally:
        session.detach()
    return base64.b64decode(shot["data"])


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["home", "article"])
def test_screenshots(open_page, name, width, scheme):
    page = open_page(PAGES[name], width=width, scheme=scheme)
    not_loaded = page.locator("img").evaluate_all(LOAD_EVERY_IMAGE)
    assert not not_loaded, f"images {not_loaded} (in document order) not shown or not loaded"
    page.evaluate("window.scrollTo(0, 0)")
    path = screenshot_dir() / f"{name}-{width}-{scheme}.png"
    path.write_bytes(full_page_png(page))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    done(page)
    assert path.stat().st_size > 10_000
    dark = background in ("rgb(18, 18, 18)",)
    assert dark == (scheme == "dark"), f"{scheme} scheme shows background {background}"
