"""No page, feed entry or search result of a hostile site runs script (Chromium).

A copy of the real content gets stories, a page and photos whose every field
(headline, standfirst, topics, writers, photo alt text, caption and credit,
body) is full of script payloads written as text. Editors may type all of
that: it must come out as the characters they typed. The site is built once
with the publishing settings (feeds) and the Pagefind index, served over
HTTP, and then, in Debian's Chromium:

* every HTML page with any trace of the hostile content (all but the
  theme's own pages and the real story's topic pages) is opened, scrolled
  and every element sent mouse, pointer and focus events, once under the
  site's Content-Security-Policy (no violation may be reported) and once
  with the policy bypassed (so the HTML itself must carry no script),
  where the real mouse also hovers its links;
* every entry of the all-stories Atom and RSS feeds is rendered as a feed
  reader would, with no policy at all, and checked statically too;
* the search page is searched for payload words, so Pagefind shows excerpts
  full of payload text, with and without the policy.

The payloads go into titles, standfirsts, topics, writers, bodies (raw HTML,
code, lists, tables, footnotes, abbreviations, link text and titles,
autolinks), corrections, a page, a redirect page (``Redirect_from:``),
``Image_alt``/``Image_caption``, a photo's XMP and a photo's sidecar.

Every payload, if it ran, would set ``window.__pwned`` (or open a dialog).
An init script turns that global into a trap that records any assignment
and listens for ``securitypolicyviolation`` events. The positive controls at
the end show that the trap, the listeners and the static checks catch a real
payload, so a green run means something.

Stories the site must refuse (``javascript:`` links, attribute lists with
event handlers) are not in this site: ``test_script_links_and_handler_attributes_fail_the_build``
builds them on their own and expects the build to fail.
"""

from __future__ import annotations

import json
import re
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import pytest
from lxml import etree
from lxml import html as lxml_html
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from helpers.browser import RESULTS_SETTLED, search_field
from helpers.building import EPOCH, PUBLISHING, ROOT, copy_content, run_build
from helpers.escaping import normalise

pytestmark = pytest.mark.browser

# --- Hostile, accepted content ----------------------------------------------------

RUN = "window.__pwned=1"
SCRIPT = f"<script>{RUN}</script>"
IMG = f'<img src=x onerror="{RUN}">'
SVG = f'"><svg onload={RUN}>'
TITLE_BREAK = f"</title><script>{RUN}</script>"
RAW_LINK = f'<a href="javascript:{RUN}">raw link</a>'
TEMPLATE = "{{ 7*7 }} {% raw %} {{ SITENAME }} {# comment #} ${7*7} <%= 7*7 %>"
ENTITIES = (f"&lt;script&gt;{RUN}&lt;/script&gt; &#60;img src=x onerror={RUN}&#62; "
            f"&#x3C;svg onload={RUN}&#x3E; &amp;lt;script&amp;gt;")
# Line and paragraph separators end a JavaScript string literal in old
# engines; right-to-left override and zero-width space hide what text says.
UNICODE = f"sep\u2028line\u2029para \u202e>tpircs/< <scr\u200bipt>{RUN}</scr\u200bipt>"

MARKUP_STORY = f"""Title: Markup {SCRIPT} {IMG} {SVG} {TITLE_BREAK} ends
Date: 2024-06-12 08:00
Category: World
Tags: Tag {SCRIPT}, {IMG} pwned, Topic {SVG}
Authors: Writer {SCRIPT}; Second {IMG}
Summary: Standfirst {SCRIPT} {IMG} {SVG} {TITLE_BREAK} {RAW_LINK}
Slug: hostile-markup
Image: {{static}}/images/hostile-xmp.jpg
Correction: 2024-06-12 09:00 | Corrected {SCRIPT} {IMG} {SVG} {TITLE_BREAK} {RAW_LINK}
Correction: 2024-06-12 10:00 | Again {TEMPLATE} {ENTITIES} [x](javascript:{RUN})
Redirect_from: /old/hostile-markup/

Paragraph with {SCRIPT} and {IMG} and {SVG} and {TITLE_BREAK} as text.

{SCRIPT}

{IMG}

{RAW_LINK} and <a href="https://example.org/" onmouseover="{RUN}">hover me</a>

<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>

<svg><script>{RUN}</script></svg> <math><mtext><script>{RUN}</script></mtext></math>

<style>@import "javascript:{RUN}";</style>

<meta http-equiv="refresh" content="0;url=javascript:{RUN}">

<details open ontoggle="{RUN}"><summary>details</summary></details>

<object data="javascript:{RUN}"></object> <embed src="javascript:{RUN}">

<body onload="{RUN}"> <input autofocus onfocus="{RUN}"> <video><source onerror="{RUN}"></video>

<!-- <script>{RUN}</script> --> <![CDATA[<script>{RUN}</script>]]>

Inline code `{SCRIPT}` and a block:

    {SCRIPT}

```html
{IMG}
```

> Quote {IMG}

* List item <svg/onload={RUN}>
* Second <body onload={RUN}>

1. Ordered {SCRIPT}

| Head {SCRIPT} | Other |
|---|---|
| <img src=x onerror={RUN}> | cell |

Term {SCRIPT}
:   Definition {IMG}

A footnote[^evil] and PWN, an abbreviation.

[^evil]: Note {SVG}

*[PWN]: "><img src=x onerror={RUN}>

Emphasis *{SCRIPT}* and **{IMG}**, the end.
"""

LINKS_STORY = f"""Title: Links javascript:{RUN} and [a](javascript:{RUN})
Date: 2024-06-11 08:00
Category: News
Tags: Links, javascript:{RUN}
Authors: Staff Reporter
Summary: Link text javascript:{RUN} is text, like <a href="javascript:{RUN}">x</a>.
Slug: hostile-links

[javascript:{RUN}](https://example.org/js-as-text) is link text.

[a](https://example.org/"onmouseover="{RUN}) breaks out of nothing.

[b](https://example.org/title "title&quot; onmouseover=&quot;{RUN}") has a title.

[c](https://example.org/single 'x" onmouseover="{RUN}') has another.

[d](<https://example.org/a b"onmouseover="{RUN}>) has angle brackets.

<https://example.org/"onmouseover="{RUN}> is an autolink; <javascript:{RUN}> is not.

<https://example.org/&quot;onmouseover=&quot;{RUN}> has entities.

[e][ref] is a reference link.

[ref]: https://example.org/?q="><script>{RUN}</script>

Bare text: javascript:{RUN} and data:text/html,{SCRIPT} and vbscript:msgbox(1).

[mail](mailto:desk@example.org?subject="><script>{RUN}</script>) and [call](tel:+254700000000).

![Alt "><svg onload={RUN}> {SCRIPT}]({{static}}/images/hostile-xmp.jpg "Caption </figcaption><script>{RUN}</script>")
"""

TEMPLATE_STORY = f"""Title: Template {TEMPLATE} {ENTITIES} {UNICODE}
Date: 2024-06-10 08:00
Category: Culture
Tags: {{{{ 7*7 }}}} maths, &lt;script&gt; entity, {UNICODE}
Authors: Writer {{% raw %}} {{{{ 7*7 }}}}
Summary: Standfirst {{% endraw %}} {{{{ article.title }}}} {ENTITIES} {UNICODE}
Slug: hostile-template
Image: {{static}}/images/hostile-sidecar.jpg
Image_alt: Alt "><img src=x onerror={RUN}> {{{{ 7*7 }}}} &lt;script&gt;
Image_caption: Caption </figcaption></figure>{SCRIPT} {{% raw %}}

Body {TEMPLATE} and {{% endraw %}} {{%- if true %}}x{{% endif %}} {{{{ ''.__class__ }}}}.

Entities typed by the editor: {ENTITIES}.

Escapes typed by the editor: \\u003cscript\\u003e{RUN}\\u003c/script\\u003e and \\x3cscript\\x3e.

Unicode: {UNICODE} and U+2028 alone:\u2028done.
"""

HOSTILE_PAGE = f"""Title: Page {SCRIPT} {SVG} {TEMPLATE}
Slug: hostile-page
Summary: Page standfirst {IMG} {ENTITIES}

Page body {SCRIPT} {IMG} {RAW_LINK} [javascript:{RUN}](https://example.org/).
"""

PHOTO_TEXT = {
    "alt": f'Alt {SVG} {IMG} {TEMPLATE}',
    "caption": f"Caption {TITLE_BREAK} </figcaption>{SCRIPT}",
    "credit": f"Credit {IMG} &lt;script&gt;",
    "creator": f"Creator {SCRIPT}",
    "rights": f"Rights {SVG}",
}
# Sidecar lines are "field: value", "#" starts a comment and U+2028 ends a
# line there, so neither is used here.
SIDECAR_TEXT = {
    "alt": f"Sidecar alt {SVG} {IMG}",
    "caption": f"Sidecar caption </figcaption></figure>{SCRIPT}",
    "credit": f"Sidecar credit {IMG} {{{{ 7*7 }}}}",
    "creator": f"Sidecar creator {SCRIPT}",
    "copyright": f"Sidecar copyright {SVG} \u202e>tpircs/< <scr\u200bipt>{RUN}</scr\u200bipt>",
}


def xmp_photo(path: Path, text: dict, colour: tuple[int, int, int]) -> None:
    """A flat JPEG (encodes fast, same bytes every run) with hostile XMP."""
    values = {name: xml_escape(value) for name, value in text.items()}
    xmp = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
 xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{values["caption"]}</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>{values["creator"]}</rdf:li></rdf:Seq></dc:creator>
<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{values["rights"]}</rdf:li></rdf:Alt></dc:rights>
<photoshop:Credit>{values["credit"]}</photoshop:Credit>
<Iptc4xmpCore:AltTextAccessibility><rdf:Alt><rdf:li xml:lang="x-default">{values["alt"]}</rdf:li></rdf:Alt></Iptc4xmpCore:AltTextAccessibility>
</rdf:Description></rdf:RDF></x:xmpmeta>"""
    Image.new("RGB", (1600, 1000), colour).save(path, "JPEG", xmp=xmp.encode("utf-8"))


def write_hostile_content(content: Path) -> None:
    images = content / "images"
    xmp_photo(images / "hostile-xmp.jpg", PHOTO_TEXT, (90, 110, 130))
    xmp_photo(images / "hostile-sidecar.jpg", {name: "" for name in PHOTO_TEXT}, (130, 100, 80))
    (images / "hostile-sidecar.jpg.sidecar.txt").write_text(
        "".join(f"{name}: {value}\n" for name, value in SIDECAR_TEXT.items()), encoding="utf-8")
    articles = content / "articles"
    for name, text in (("2024-06-12-hostile-markup.md", MARKUP_STORY),
                       ("2024-06-11-hostile-links.md", LINKS_STORY),
                       ("2024-06-10-hostile-template.md", TEMPLATE_STORY)):
        (articles / name).write_text(text, encoding="utf-8")
    (content / "pages" / "hostile-page.md").write_text(HOSTILE_PAGE, encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, serve_site):
    """The hostile publishing build (feeds, search index), served over HTTP.

    SITEURL is the server's address, so every page, feed and search result
    links and loads the site's own files from the test server.
    """
    work = tmp_path_factory.mktemp("no-script")
    content = copy_content(work)
    write_hostile_content(content)
    www = work / "www"
    www.mkdir()
    server = serve_site(www)
    output = www / "site"
    result = run_build(
        output, settings=PUBLISHING, overrides={"PATH": str(content)},
        env={"SITEURL": f"{server.url}site", "SOURCE_DATE_EPOCH": EPOCH},
    )
    assert result.returncode == 0, result.stderr
    return SimpleNamespace(output=output, url=f"{server.url}site/", origin=server.url.rstrip("/"))


# --- The trap -----------------------------------------------------------------------

# Runs before any script of every document (and frame): assigning
# window.__pwned is recorded with a stack, reading it says whether anything
# did; CSP violations are recorded on window, which survives document.open().
TRAP = r"""
(() => {
  const hits = [];
  const violations = [];
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return hits.length ? hits[hits.length - 1].value : undefined; },
    set(value) { hits.push({ value: String(value), where: String(new Error().stack) }); },
  });
  Object.defineProperty(window, "__noScriptReport", {
    value: () => ({ hits: hits.slice(), violations: violations.slice() }),
  });
  window.addEventListener("securitypolicyviolation", (event) => {
    violations.push({
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      sample: event.sample,
      element: event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 200) : "",
    });
  }, true);
})();
"""

# Every element gets the events a reader's mouse, finger and keyboard would
# send; inline handlers (onmouseover=, onfocus=, ...) fire on synthetic events.
PROVOKE = r"""
() => {
  const kinds = ["mouseover", "mouseenter", "mousemove", "mouseout", "pointerover",
                 "pointerenter", "focusin", "focus", "blur", "animationstart", "toggle"];
  let count = 0;
  for (const element of document.querySelectorAll("*")) {
    for (const kind of kinds) {
      element.dispatchEvent(new Event(kind, { bubbles: false }));
    }
    if (typeof element.focus === "function") element.focus();
    if (element.tagName === "DETAILS") element.open = !element.open;
    count += 1;
  }
  return count;
}
"""

# What the browser made of the document: elements that can run or embed
# something, event-handler attributes, and every URL an attribute holds,
# resolved by the browser's own URL parser (which drops tabs and newlines,
# as "java&#9;script:" tricks rely on).
INSPECT = r"""
() => {
  const found = { handlers: [], elements: [], urls: [] };
  const dangerous = ["IFRAME", "FRAME", "FRAMESET", "OBJECT", "EMBED", "APPLET", "BASE",
                     "svg", "math", "FORM", "STYLE", "LINK", "META", "SCRIPT", "TEMPLATE"];
  const urlAttributes = ["href", "src", "action", "formaction", "data", "poster", "cite",
                         "background", "ping", "xlink:href", "content"];
  for (const element of document.querySelectorAll("*")) {
    const where = element.outerHTML.slice(0, 160);
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith("on")) found.handlers.push(where);
      if (name === "srcset") {
        for (const candidate of attribute.value.split(",")) {
          const url = candidate.trim().split(/\s+/)[0];
          if (url) found.urls.push({ url, where });
        }
      } else if (name === "content") {
        // <meta http-equiv="refresh" content="0; url=..."> navigates there.
        const refresh = element.localName === "meta"
          && (element.getAttribute("http-equiv") || "").toLowerCase() === "refresh";
        const match = refresh && /url\s*=\s*['"]?([^'"]*)/i.exec(attribute.value);
        if (match) found.urls.push({ url: match[1], where });
      } else if (urlAttributes.includes(name)) {
        found.urls.push({ url: attribute.value, where });
      }
    }
    if (dangerous.includes(element.tagName) || dangerous.includes(element.localName)) {
      found.elements.push({
        tag: element.localName, type: element.getAttribute("type"), src: element.src || "",
        rel: element.getAttribute("rel"), httpEquiv: element.getAttribute("http-equiv"),
        inHead: !!element.closest("head"), where,
      });
    }
  }
  found.urls = found.urls.map(({ url, where }) => {
    let protocol;
    try { protocol = new URL(url, document.baseURI).protocol; }
    catch (error) { protocol = "invalid:"; }
    return { url, protocol, where };
  });
  return found;
}
"""

SAFE_PROTOCOLS = {"http:", "https:", "mailto:", "tel:"}
# Pagefind's UI (trusted code, loaded from the site) makes its own search
# form with action="javascript:void(0);"; the CSP keeps that from running
# (test_search_browser.py presses Enter in it).
PAGEFIND_FORM = '<form class="pagefind-ui__form '

# Where the mouse goes to hover a link: the centre of its largest box. A link
# broken over two lines has a box for each, and the centre of the two
# together can fall between them, off the link.
HOVER_POINT = r"""
(link) => {
  const boxes = Array.from(link.getClientRects()).filter(box => box.width > 0 && box.height > 0);
  if (!boxes.length) return null;
  const box = boxes.reduce((best, box) =>
    box.width * box.height > best.width * best.height ? box : best);
  return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
}
"""
# Scroll link number ``index`` of ``selector`` into view; its point, if on screen.
HOVER_TARGET = rf"""
([selector, index]) => {{
  const link = document.querySelectorAll(selector)[index];
  if (!link) return null;
  link.scrollIntoView({{ block: "center", inline: "center" }});
  const point = ({HOVER_POINT})(link);
  if (!point || point.x < 0 || point.y < 0
      || point.x >= window.innerWidth || point.y >= window.innerHeight) return null;
  return point;
}}
"""

# The point of every link of ``selector`` in the viewport (null for one with
# no box); {index} for one below it, to be scrolled to.
HOVER_TARGETS = rf"""
(selector) => Array.from(document.querySelectorAll(selector), (link, index) => {{
  const point = ({HOVER_POINT})(link);
  if (!point) return null;
  if (point.x < 0 || point.y < 0
      || point.x >= window.innerWidth || point.y >= window.innerHeight) return {{ index }};
  return point;
}})
"""
# The browser window: a desktop width; pages are shown whole up to TALLEST.
WIDTH, MIN_HEIGHT, TALLEST = 1280, 720, 12000
# Every image the page asked for has loaded or failed: waited for in the
# page, checked again at each image's load or error event (and every 100 ms,
# for images added meanwhile), for up to 30 s, like Playwright's own waits.
IMAGES_DONE = r"""
async () => {
  const deadline = Date.now() + 30000;
  for (;;) {
    const loading = Array.from(document.images).filter(image => !image.complete);
    if (!loading.length) return;
    if (Date.now() > deadline) {
      throw new Error("images still loading after 30 s: "
                      + loading.map(image => image.currentSrc || image.src).join(" "));
    }
    await new Promise(resolve => {
      for (const image of loading) {
        image.addEventListener("load", resolve, { once: true });
        image.addEventListener("error", resolve, { once: true });
      }
      setTimeout(resolve, 100);
    });
  }
}
"""
# What provoked events set off later (a details element's toggle event, CSS
# animation events) has run: two rendering frames, then a task.
SETTLED = """() => new Promise(resolve =>
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))))"""

# Exercise, first half, in one call: the page's height, and if the viewport
# (``viewport``: its height now, null once resized) is already what that
# height asks for, the rest: a page taller than TALLEST is scrolled through,
# lazy images now in view load (their errors count too), and the hover
# targets are measured from the top. Results come back as JSON text:
# Playwright's own encoding of them takes several times longer.
SHOW = rf"""
async ({{ viewport, tall, links }}) => {{
  const height = document.documentElement.scrollHeight;
  if (viewport !== null && Math.max({MIN_HEIGHT}, Math.min(height, {TALLEST})) !== viewport) {{
    return JSON.stringify({{ height }});
  }}
  if (tall === null ? height > {TALLEST} : tall) {{
    for (let y = 0; y <= document.documentElement.scrollHeight; y += 400) {{
      window.scrollTo(0, y);
      await new Promise(resolve => setTimeout(resolve, 10));
    }}
  }}
  await ({IMAGES_DONE})();
  window.scrollTo(0, 0);
  return JSON.stringify({{ height, targets: links === null ? [] : ({HOVER_TARGETS})(links) }});
}}
"""

# Exercise, second half: every element provoked (from the top), what that
# set off has run, and images it revealed have loaded.
PROVOKE_AND_SETTLE = rf"""
async () => {{
  window.scrollTo(0, 0);
  ({PROVOKE})();
  await ({SETTLED})();
  await ({IMAGES_DONE})();
}}
"""

# One frame's report: what the trap recorded (or why it could not say),
# whether window.__pwned reads as set, and (if asked) what INSPECT finds, as
# JSON text (Playwright's own encoding of INSPECT's findings takes tens of
# milliseconds a page).
OBSERVE = rf"""
(inspect) => {{
  let trap;
  try {{ trap = window.__noScriptReport(); }}
  catch (error) {{ trap = {{ error: String(error) }}; }}
  return JSON.stringify({{
    trap, pwned: typeof window.__pwned, found: inspect ? ({INSPECT})() : null,
  }});
}}
"""


class Watched:
    """A page with the trap installed and everything suspicious recorded."""

    def __init__(self, context):
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.popups: list[str] = []
        self.page.add_init_script(TRAP)
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        # ERR_ABORTED: the previous page's requests, cut off by leaving it.
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})")
                     if "ERR_ABORTED" not in (r.failure or "") else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.url} ({r.status})")
                     if r.status >= 400 else None)
        self.page.on("popup", lambda p: self.popups.append(p.url))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def reset(self):
        for record in (self.dialogs, self.console, self.errors, self.failed, self.popups):
            record.clear()

    def exercise(self, links: str | None = "main a") -> None:
        """Show the whole page, hover ``links`` (None: none), provoke every element.

        The viewport is made as tall as the page (up to TALLEST): every lazy
        image is then in view and loads, and every link can be hovered
        without scrolling to it. What a taller page keeps below that is
        scrolled to, as a reader would. Each call to the browser is a round
        trip, so what runs in the page runs in one call before the mouse
        moves (SHOW) and one after (PROVOKE_AND_SETTLE).
        """
        page = self.page
        size = page.viewport_size or {}
        viewport = size.get("height") if size.get("width") == WIDTH else -1
        shown = json.loads(page.evaluate(SHOW, {"viewport": viewport, "tall": None,
                                                "links": links}))
        if "targets" not in shown:
            height = shown["height"]
            page.set_viewport_size({"width": WIDTH,
                                    "height": max(MIN_HEIGHT, min(height, TALLEST))})
            shown = json.loads(page.evaluate(SHOW, {"viewport": None, "tall": height > TALLEST,
                                                    "links": links}))
        # The real mouse over every link that can be on screen (where the
        # hostile text is: the header and footer are the theme's own).
        for box in shown["targets"]:
            if box is None:
                continue
            if box.get("index") is not None:  # below the viewport: scroll to it first
                box = page.evaluate(HOVER_TARGET, [links, box["index"]])
                if not box:
                    continue
            page.mouse.move(box["x"], box["y"])
        page.evaluate(PROVOKE_AND_SETTLE)

    def observe(self) -> tuple[dict, dict | None]:
        """(report, found): trap hits and CSP violations of every frame and
        what the page logged; what INSPECT finds in the main frame.

        Each frame answers in one call (the main frame for INSPECT too);
        there should be only the main frame.
        """
        hits, violations = [], []
        main = self.page.main_frame
        found, pwned = None, "not answered"
        for frame in self.page.frames:
            try:
                answer = json.loads(frame.evaluate(OBSERVE, frame is main))
            except Exception as error:  # a frame without the trap is itself suspicious
                hits.append({"value": "no trap", "where": f"{frame.url}: {error}"})
                continue
            if frame is main:
                found, pwned = answer["found"], answer["pwned"]
            trap = answer["trap"]
            if "error" in trap:
                hits.append({"value": "no trap", "where": f"{frame.url}: {trap['error']}"})
                continue
            hits += trap["hits"]
            violations += trap["violations"]
        report = {
            "pwned": pwned,
            "hits": hits, "violations": violations, "dialogs": list(self.dialogs),
            "console": list(self.console), "page errors": list(self.errors),
            "failed requests": list(self.failed), "popups": list(self.popups),
            "frames": [f.url for f in self.page.frames],
        }
        return report, found


def script_problems(report: dict, where: str) -> list[str]:
    """Everything in ``report`` that says script ran, tried to, or something broke."""
    checks = [
        (report["pwned"] != "undefined" or report["hits"], "a payload ran (window.__pwned set)",
         report["hits"]),
        (report["dialogs"], "a dialog opened", report["dialogs"]),
        (report["violations"], "Content-Security-Policy violation", report["violations"]),
        (report["popups"], "a window opened", report["popups"]),
        (report["page errors"], "script error", report["page errors"]),
        (report["console"], "console error or warning", report["console"]),
        # An injected <img src=x> would be fetched (and fail) even when CSP
        # blocks its onerror handler.
        (report["failed requests"], "failed request", report["failed requests"]),
        (len(report["frames"]) != 1, "a frame was created", report["frames"]),
    ]
    return [f"{where}: {what}: {detail}" for failed, what, detail in checks if failed]


def _allowed_element(element: dict, site_origin: str) -> bool:
    tag = element["tag"]
    if tag == "script":
        # JSON-LD data blocks and the site's own script files.
        return (element["type"] == "application/ld+json"
                or element["src"].startswith(site_origin + "/"))
    if tag in ("meta", "link"):
        # The theme's <head>: charset, viewport, CSP, stylesheets, feeds, and
        # the refresh of a redirect page (its URL is checked with the others).
        return element["inHead"]
    return tag == "form" and element["where"].startswith(PAGEFIND_FORM)


def dom_problems(found: dict | None, where: str, site_origin: str) -> list[str]:
    """Anything in the parsed document that could run or embed script."""
    if found is None:  # the main frame did not answer (Watched.observe says why)
        return [f"{where}: the page could not be inspected"]
    problems = [f"{where}: event handler attribute: {h}" for h in found["handlers"]]
    problems += [f"{where}: {u['protocol']} URL: {u['where']}" for u in found["urls"]
                 if u["protocol"] not in SAFE_PROTOCOLS
                 and not (u["url"] == "javascript:void(0);"
                          and u["where"].startswith(PAGEFIND_FORM))]
    problems += [f"{where}: <{e['tag']}> element: {e['where']}" for e in found["elements"]
                 if not _allowed_element(e, site_origin)]
    return problems


# --- Pages --------------------------------------------------------------------------

def page_urls(site, with_paths: bool = False) -> list:
    """The address of every HTML file of the build (with the file, if asked)."""
    urls = []
    for path in sorted(site.output.rglob("*.html")):
        relative = path.relative_to(site.output).as_posix()
        url = site.url + (relative[:-len("index.html")] if relative == "index.html"
                          or relative.endswith("/index.html") else relative)
        urls.append((url, path) if with_paths else url)
    return urls


def test_the_hostile_site_has_the_payloads_as_text(hostile_site):
    """The payloads reached the pages as text, so the browser tests test something."""
    def text(url: str, xpath: str) -> str:
        page = lxml_html.fromstring((hostile_site.output / url / "index.html").read_bytes())
        return normalise(page.xpath(f"string({xpath})"))

    headline = text("2024/06/hostile-markup", "//h1")
    for payload in (SCRIPT, IMG, SVG, TITLE_BREAK):
        assert normalise(payload) in headline, payload
    body = text("2024/06/hostile-markup", '//div[contains(@class, "story__body")]')
    for payload in (SCRIPT, IMG, RAW_LINK, "<svg/onload=", "<body onload=", '<iframe srcdoc="'):
        assert normalise(payload) in body, payload
    corrections = text("2024/06/hostile-markup", '//div[contains(@class, "story__corrections")]')
    for payload in (SCRIPT, IMG, RAW_LINK, f"[x](javascript:{RUN})", "{{ 7*7 }}"):
        assert normalise(payload) in corrections, payload
    moved = text("old/hostile-markup", "//main//a")
    assert normalise(SCRIPT) in moved and normalise(IMG) in moved
    link_text = text("2024/06/hostile-links", "//a[@href='https://example.org/js-as-text']")
    assert link_text == f"javascript:{RUN}"
    headline = text("2024/06/hostile-template", "//h1")
    assert "{{ 7*7 }}" in headline and "49" not in headline
    assert normalise(ENTITIES) in headline
    assert len(page_urls(hostile_site)) > 30


def refresh_target(path: Path) -> str | None:
    """Where a redirect page (Redirect_from:) sends the browser, if it is one."""
    document = lxml_html.fromstring(path.read_bytes())
    refresh = '//meta[translate(@http-equiv, "REFSH", "refsh")="refresh"]/@content'
    for content in document.xpath(refresh):
        match = re.search(r"url\s*=\s*(\S+)", content, re.IGNORECASE)
        return match.group(1) if match else content
    return None


# The real mouse hovers the links once, with the policy bypassed: an inline
# handler would run there. Under the enforced policy PROVOKE's events reach
# every handler just the same (and a blocked one is a reported violation),
# so hovering again there would only repeat a few hundred mouse moves.
HOVERED = {"bypassed": "main a", "enforced": None}


# Any trace of the hostile content in a page's bytes: payload text, the
# hostile stories' and photos' names (links, cards, renditions), template
# syntax. A page without any is made of the theme and the real stories
# alone (the 404 and about pages, topic pages of the real story):
# tests/theme/test_security_meta.py checks those, on both builds, in the
# browser too.
HOSTILE_TRACE = re.compile(rb"pwned|hostile|7\*7|javascript", re.IGNORECASE)


def hostile_pages(site) -> list[tuple[str, Path]]:
    """(address, file) of every page of ``site`` with a trace of the hostile content."""
    return [(url, path) for url, path in page_urls(site, with_paths=True)
            if HOSTILE_TRACE.search(path.read_bytes())]


@pytest.mark.parametrize("policy", ["enforced", "bypassed"])
def test_no_page_runs_script(browser, hostile_site, policy):
    """Every page with hostile content: nothing runs, under the site's CSP and with it bypassed."""
    context = browser.new_context(bypass_csp=policy == "bypassed")
    watched = Watched(context)
    problems = []
    redirects = 0
    pages = hostile_pages(hostile_site)
    # Every story, topic, section, writer and list page that shows them.
    assert len(pages) >= 25, [url for url, _path in pages]
    for url, path in pages:
        watched.reset()
        target = refresh_target(path)
        if target:
            # A redirect page: it must send readers to a page of the site.
            # The move is stopped so that the page itself is checked too.
            redirects += 1
            if not target.startswith(hostile_site.url):
                problems.append(f"{url}: redirects to {target}")
            watched.page.route(target, lambda route: route.abort("aborted"))
            try:
                with watched.page.expect_request(target, timeout=10_000):
                    watched.page.goto(url, wait_until="load")
            except PlaywrightTimeout:
                problems.append(f"{url}: did not move to {target}")
        else:
            watched.page.goto(url, wait_until="load")
        watched.exercise(links=HOVERED[policy])
        if watched.page.url != url:
            problems.append(f"{url}: navigated to {watched.page.url}")
        report, found = watched.observe()
        problems += script_problems(report, url)
        problems += dom_problems(found, url, hostile_site.origin)
        if target:
            watched.page.unroute(target)
    context.close()
    assert redirects == 1
    assert problems == [], "\n".join(problems)


# --- Feeds --------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
FORBIDDEN_IN_FEEDS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet",
                      "svg", "math", "style", "link", "meta", "base", "form", "template"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "cite",
                  "background", "ping", "xlink:href", "srcset"}


def feed_entries(output: Path) -> list[tuple[str, str, str]]:
    """(feed and entry, field, HTML) for each HTML field of each entry.

    Parsed with lxml, not feedparser: feedparser sanitises entry HTML, and
    the point is what a reader that does not sanitise would render.
    """
    entries = []
    atom = etree.parse(str(output / "feeds" / "all.atom.xml"))
    for entry in atom.iter(f"{ATOM}entry"):
        title = entry.findtext(f"{ATOM}title")
        for field in ("summary", "content"):
            element = entry.find(f"{ATOM}{field}")
            if element is not None and element.get("type") == "html":
                entries.append((f"all.atom.xml {title!r}", field, element.text or ""))
    rss = etree.parse(str(output / "feeds" / "all.rss.xml"))
    for item in rss.iter("item"):
        title = item.findtext("title")
        for field, name in (("description", "description"), ("content:encoded", CONTENT_ENCODED)):
            element = item.find(name)
            if element is not None:
                entries.append((f"all.rss.xml {title!r}", field, element.text or ""))
    return entries


def scheme_of(url: str) -> str | None:
    """The URL scheme as a browser sees it (tabs and newlines dropped), or None."""
    url = re.sub(r"[\t\n\r]", "", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                "\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else None


def static_feed_problems(html: str) -> list[str]:
    """What in an entry's HTML could run script, by lxml's reading of it."""
    if not html.strip():
        return []
    fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    problems = []
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower().rpartition("}")[2]
        if tag in FORBIDDEN_IN_FEEDS:
            problems.append(f"<{tag}> element")
        for name, value in element.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...> event handler")
            urls = []
            if name == "srcset":
                urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
            elif name in URL_ATTRIBUTES:
                urls = [value]
            for url in urls:
                scheme = scheme_of(url)
                if scheme is not None and f"{scheme}:" not in SAFE_PROTOCOLS:
                    problems.append(f"<{tag} {name}={url!r}>")
    return problems


def test_feed_entries_hold_the_payloads(hostile_site):
    entries = feed_entries(hostile_site.output)
    # Every story (the real ones and three hostile ones) with a standfirst
    # and a body, in two feeds.
    stories = len(list((ROOT / "content" / "articles").rglob("*.md"))) + 3
    assert len(entries) == stories * 2 * 2, [e[:2] for e in entries]
    text = normalise(" ".join(
        lxml_html.fragment_fromstring(html, create_parent="div").text_content()
        for _where, _field, html in entries if html.strip()))
    for payload in (SCRIPT, IMG, SVG, TITLE_BREAK, RAW_LINK, f"javascript:{RUN}",
                    "{% raw %}", "{{ article.title }}", "\\u003cscript\\u003e"):
        assert normalise(payload) in text, payload


def test_feed_entries_carry_no_script_statically(hostile_site):
    problems = []
    for where, field, html in feed_entries(hostile_site.output):
        problems += [f"{where} <{field}>: {p}" for p in static_feed_problems(html)]
    assert problems == [], "\n".join(problems)


def test_feed_entries_run_nothing_in_a_reader_without_csp(browser, hostile_site, serve_site,
                                                          tmp_path):
    """Each entry's HTML shown as-is, as a feed reader would, with no policy at all.

    The reader's pages come from a second local server (another origin):
    Chromium does not let about:blank load the entries' images from the
    loopback address, and the images are part of what must stay inert.
    """
    reader = serve_site(tmp_path)
    (tmp_path / "favicon.ico").write_bytes(b"")  # Chromium asks for it
    context = browser.new_context()
    watched = Watched(context)
    problems = []
    for number, (where, field, html) in enumerate(feed_entries(hostile_site.output)):
        name = f"entry-{number}.html"
        (tmp_path / name).write_text(f"<!doctype html><meta charset=utf-8><title>entry</title>"
                                     f"<body><article>{html}</article></body>", encoding="utf-8")
        watched.reset()
        watched.page.goto(reader.url + name, wait_until="load")
        watched.exercise(links="article a")
        where = f"{where} <{field}>"
        if watched.page.url != reader.url + name:
            problems.append(f"{where}: navigated to {watched.page.url}")
        report, found = watched.observe()
        problems += script_problems(report, where)
        # Only the wrapper's own <meta charset> may be there.
        if found is not None:
            found["elements"] = [e for e in found["elements"] if not (
                e["tag"] == "meta" and e["inHead"] and not e["httpEquiv"])]
        problems += dom_problems(found, where, hostile_site.origin)
    context.close()
    assert problems == [], "\n".join(problems)


# --- Search -------------------------------------------------------------------------

SEARCH_TERMS = ["pwned", "onerror", "script", "onload", "javascript", "onmouseover", "iframe"]
# Queries are shown back on the page ("No results for ..."): hostile too.
HOSTILE_QUERIES = [IMG, SCRIPT, SVG]
# Search pages taking turns (see test_search_results_run_nothing).
SEARCH_TABS = 2

RESULTS_CLEARED = """() => !document.querySelector('.pagefind-ui__result')
    && !(document.querySelector('.pagefind-ui__message') || {}).textContent"""
# After "Load more results": more results than before, none still loading.
MORE_SHOWN = """(shown) =>
    document.querySelectorAll('.pagefind-ui__result').length > shown
    && !document.querySelector('.pagefind-ui__result.pagefind-ui__loading')"""


def wait_in_page(page, predicate: str, arg=None) -> None:
    """Wait until ``predicate`` (a function of ``arg``, on the document) holds.

    Checked in the page after each change to the document (and every
    100 ms), for up to 30 s: like Playwright's wait_for_function, without
    asking for a frame every 16 ms while nothing changes (as for 300 ms
    before each search).
    """
    page.evaluate(f"""async (arg) => {{
      const ready = {predicate};
      const deadline = Date.now() + 30000;
      while (!ready(arg)) {{
        if (Date.now() > deadline) throw new Error("still waiting after 30 s for " + ready);
        await new Promise(resolve => {{
          const observer = new MutationObserver(() => {{ observer.disconnect(); resolve(); }});
          observer.observe(document, {{ subtree: true, childList: true, attributes: true,
                                        characterData: true }});
          setTimeout(() => {{ observer.disconnect(); resolve(); }}, 100);
        }});
      }}
    }}""", arg)


# What the results show, read in one call (as JSON text), and whether there
# is a "Load more results" button on screen (by Playwright's test of
# visibility: a box, and not visibility: hidden).
RESULTS_SHOWN = """() => {
  const texts = selector => Array.from(document.querySelectorAll(selector), e => e.innerText);
  const button = document.querySelector('.pagefind-ui__button');
  const box = button && button.getBoundingClientRect();
  return JSON.stringify({
    more: !!button && box.width > 0 && box.height > 0
      && getComputedStyle(button).visibility !== 'hidden',
    shown: document.querySelectorAll('.pagefind-ui__result').length,
    message: (document.querySelector('.pagefind-ui__message') || {}).innerText ?? null,
    excerpts: texts('.pagefind-ui__result-excerpt'),
    titles: texts('.pagefind-ui__result-link'),
  });
}"""


def start_search(watched: Watched, base_url: str, query: str, typed: bool) -> None:
    """Type ``query`` on the search page (opened once, then searched again),
    or (``typed`` false) open the search page's address with it (?q=)."""
    page = watched.page
    if not typed:
        page.goto(f"{base_url}search/?q={quote(query)}")
        return
    field = search_field(page, base_url)
    if field.input_value():
        # Emptying the field takes the last results and message away at
        # once, so the ones waited for next are this term's.
        field.fill("")
        wait_in_page(page, RESULTS_CLEARED)
    field.fill(query)


def search_results(watched: Watched) -> dict:
    """The results of the search started last, all of them loaded."""
    page = watched.page
    wait_in_page(page, RESULTS_SETTLED)
    while (results := json.loads(page.evaluate(RESULTS_SHOWN)))["more"]:
        page.locator(".pagefind-ui__button").first.click()
        wait_in_page(page, MORE_SHOWN, results["shown"])
        wait_in_page(page, RESULTS_SETTLED)
    return {name: results[name] for name in ("message", "excerpts", "titles")}


def take_turns(context, items, start, check, tabs: int) -> None:
    """``start(watched, item)``, later ``check(watched, item)``, for each item
    in order, on ``tabs`` watched pages of ``context`` taking turns.

    The next item is started before this one is checked, so that it waits
    (for Pagefind to search) while this one is exercised. The page checked
    is brought to the front first: Chromium gives a page behind others about
    a frame a second.
    """
    waiting = deque()
    for item in items:
        if len(waiting) < tabs:
            watched = Watched(context)
        else:
            watched, earlier = waiting.popleft()
            watched.page.bring_to_front()
            check(watched, earlier)
        watched.reset()
        start(watched, item)
        waiting.append((watched, item))
    while waiting:
        watched, earlier = waiting.popleft()
        watched.page.bring_to_front()
        check(watched, earlier)


@pytest.mark.parametrize("policy", ["enforced", "bypassed"])
def test_search_results_run_nothing(browser, hostile_site, policy):
    """Pagefind's results quote the payloads; nothing in them runs.

    The terms are typed, and the hostile queries also come straight from
    the address (?q=, the SearchAction URL): the page shows the query back.
    Pagefind searches 300 ms after the last keystroke: SEARCH_TABS search
    pages take turns (``take_turns``), each searching again and again, and
    one's results are exercised while the next waits.
    """
    context = browser.new_context(bypass_csp=policy == "bypassed")
    problems = []

    def start(watched: Watched, search: tuple[str, bool]) -> None:
        start_search(watched, hostile_site.url, *search)

    def check(watched: Watched, search: tuple[str, bool]) -> None:
        query, typed = search
        results = search_results(watched)
        where = f"search for {query!r}" if typed else f"search/?q={query!r}"
        # The excerpts quote the payloads: they are on screen, as text.
        shown = " ".join(results["excerpts"])
        if query in SEARCH_TERMS and not (query in shown.lower() and "pwned" in shown):
            problems.append(f"{where}: no excerpt shows the payload text: {results}")
        watched.exercise(links=HOVERED[policy])
        report, found = watched.observe()
        problems.extend(script_problems(report, where))
        problems.extend(dom_problems(found, where, hostile_site.origin))

    searches = ([(term, True) for term in SEARCH_TERMS + HOSTILE_QUERIES]
                + [(query, False) for query in HOSTILE_QUERIES])
    take_turns(context, searches, start, check, tabs=SEARCH_TABS)
    context.close()
    assert problems == [], "\n".join(problems)


# --- Positive controls: the checks above catch real script ---------------------------

CONTROL_ORIGIN = "http://control.invalid"
CONTROL_CSP = ("default-src 'self'; script-src 'self'; img-src 'self' data:; "
               "style-src 'self'; object-src 'none'")


@pytest.fixture(scope="module")
def open_control(browser):
    """open_control(policy, body, others) -> Watched: ``body`` opened at
    CONTROL_ORIGIN/page, with the policy enforced or bypassed; any other
    address of that origin answers 404 (``others`` "404") or fails ("abort").

    The controls share one watched page per policy (a new page costs a
    renderer process). Each opens its own document anew, and everything a
    control asserts comes from that document: its trap and its DOM.
    """
    served = {"body": "", "others": "404"}

    def answer(route):
        if route.request.url.endswith("/page"):
            route.fulfill(status=200, content_type="text/html", body=served["body"])
        elif served["others"] == "404":
            route.fulfill(status=404, body="")
        else:
            route.abort()

    contexts, pages = [], {}
    for policy in ("enforced", "bypassed"):
        contexts.append(browser.new_context(bypass_csp=policy == "bypassed"))
        pages[policy] = Watched(contexts[-1])
        pages[policy].page.route(f"{CONTROL_ORIGIN}/**", answer)

    def open_(policy: str, body: str, others: str) -> Watched:
        served.update(body=body, others=others)
        watched = pages[policy]
        watched.reset()
        watched.page.goto(f"{CONTROL_ORIGIN}/page")
        return watched

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.parametrize("payload", [
    f"<img src=x onerror=\"{RUN}\">",
    f"<script>{RUN}</script>",
    f'<a href="https://example.org/" onmouseover="{RUN}">hover</a>',
    f'<input onfocus="{RUN}">',
    f"<svg onload=\"{RUN}\"></svg>",
    f"<details ontoggle=\"{RUN}\"><summary>x</summary></details>",
])
@pytest.mark.parametrize("policy", ["enforced", "bypassed"])
def test_controls_catch_a_real_payload(open_control, payload, policy):
    """Markup that is not text is caught: it runs without CSP, violates it with."""
    body = (f'<!doctype html><meta http-equiv="Content-Security-Policy" content="{CONTROL_CSP}">'
            f"<title>control</title><main>{payload}</main>")
    watched = open_control(policy, body, others="404")
    watched.exercise()
    report, found = watched.observe()
    if policy == "bypassed":
        assert report["hits"] and report["pwned"] != "undefined", report
    else:
        assert report["violations"] and not report["hits"], report
    assert script_problems(report, "control")
    assert dom_problems(found, "control", CONTROL_ORIGIN)


@pytest.mark.parametrize("markup", [
    f'<a href="java&#9;script:{RUN}">x</a>',
    f'<meta http-equiv="refresh" content="0; url=javascript:{RUN}">',
    '<iframe src="/frame"></iframe>',
    '<form action="/submit"><button>x</button></form>',
])
def test_controls_catch_script_urls_and_embeds_in_a_page(open_control, markup):
    """What runs only on a click, or embeds another document, is caught too."""
    body = f"<!doctype html><title>control</title><main>{markup}</main>"
    watched = open_control("enforced", body, others="abort")
    assert dom_problems(watched.observe()[1], "control", CONTROL_ORIGIN)


def test_controls_catch_a_script_url_in_a_feed_entry():
    for html in ('<a href="java&#9;script:alert(1)">x</a>', '<a href=" JaVaScRiPt:alert(1)">x</a>',
                 '<img src="x" onerror="alert(1)">', "<svg><script>alert(1)</script></svg>",
                 '<img srcset="https://example.org/a.jpg 1x, data:image/svg+xml,x 2x">'):
        assert static_feed_problems(html), html
    safe = '<a href="https://example.org/">x</a> <a href="mailto:x@example.org">m</a>'
    assert static_feed_problems(safe) == []


# --- Stories the site must refuse ---------------------------------------------------

REFUSED = {
    "js-link": "[x](javascript:alert(1))",
    # Standfirsts are Markdown too (they are shown on cards and in feeds).
    "js-link-summary": "Summary: Standfirst [x](javascript:alert(1)).",
    "js-link-case": "[x](JaVaScRiPt:alert(1))",
    "js-link-space": "[x]( javascript:alert(1))",
    "js-link-angle": "[x](<javascript:alert(1)>)",
    "js-link-entity": "[x](&#106;avascript:alert(1))",
    "js-link-tab": "[x](java&#9;script:alert(1))",
    "js-link-named-entities": "[x](java&Tab;script&colon;alert(1))",
    "js-reference": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "vbscript-link": "[x](vbscript:msgbox(1))",
    "data-link": "[x](data:text/html,<script>alert(1)</script>)",
    "attr-paragraph": 'A paragraph.\n{: onclick="alert(1)" }',
    "attr-heading": '## A heading {: onmouseover="alert(1)" }',
    "attr-no-colon": '## A heading { onmouseover="alert(1)" }',
    "attr-link": '[x](https://example.org/){: onclick="alert(1)" }',
    "attr-href": '[x](https://example.org/){: href="javascript:alert(1)" }',
    "attr-image": '![Alt]({static}/images/ruto-conille.jpg){: onerror="alert(1)" }',
}


def test_script_links_and_handler_attributes_fail_the_build(tmp_path):
    """Each story is an error naming its file; nothing is written."""
    content = copy_content(tmp_path)
    for number, (name, markdown) in enumerate(REFUSED.items()):
        # A "Summary:" line belongs in the metadata block, anything else in the body.
        field, body = (markdown + "\n", "") if markdown.startswith("Summary:") else ("", markdown)
        (content / "articles" / f"refused-{name}.md").write_text(
            f"Title: Refused {name}\nDate: 2024-06-0{1 + number % 9} 08:00\nCategory: News\n"
            f"Slug: refused-{name}\n{field}\nText before.\n\n{body}\n\nText after.\n",
            encoding="utf-8")
    output = tmp_path / "output"
    result = run_build(output, settings=PUBLISHING,
                       overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 1, result.stdout + result.stderr
    not_named = [name for name in REFUSED if f"refused-{name}.md" not in result.stderr]
    assert not_named == [], f"not reported: {not_named}\n{result.stderr}"
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".output")] == []
