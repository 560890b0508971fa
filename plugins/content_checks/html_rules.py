"""Markdown yields only the HTML the theme expects.

A Markdown treeprocessor that runs on the element tree Python-Markdown
actually built (after inline patterns and reference-style links are
resolved, before the photos plugin turns images into slots), so that the
rules see exactly what will be published, never a second parse of the text
that could disagree with it:

* elements and attributes outside ``ALLOWED`` are removed and reported
  (raw HTML and attribute lists are off, so only an extension can make
  them; the rule is the last line of defence);
* every link and image target is classified by ``target_kind``: ``http``,
  ``https``, ``mailto`` and ``tel`` links, fragments, site paths,
  ``{filename}``/``{static}``/``{attach}`` and plain relative paths to
  files in content/ are allowed; any other scheme (``javascript:``,
  ``vbscript:``, ``data:``, ...) is reported and the target removed;
* text that looks like an attribute list (``{: onclick=...}``) is reported:
  the extension is off, so it would otherwise be printed as it is.

Findings are kept on the Markdown instance (``md.story_findings``); the
story reader turns them into problems with file and line.
"""

from __future__ import annotations

import html
import os
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from urllib.parse import unquote

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

# Element -> attributes it may carry. Python-Markdown with abbr, def_list,
# fenced_code, footnotes and tables makes nothing else.
ALLOWED = {
    "p": set(), "br": set(), "hr": set(), "blockquote": set(),
    "h1": set(), "h2": set(), "h3": set(), "h4": set(), "h5": set(), "h6": set(),
    "em": set(), "strong": set(), "code": {"class"}, "pre": set(),
    "ul": set(), "ol": {"start"}, "li": {"id"},
    "dl": set(), "dt": set(), "dd": set(),
    "table": set(), "thead": set(), "tbody": set(), "tr": set(),
    "th": {"style", "align"}, "td": {"style", "align"},
    "a": {"href", "title", "class", "id"}, "img": {"src", "alt", "title"},
    "abbr": {"title"}, "sup": {"id"}, "div": {"class"},
}
# Attribute values the allowed extensions produce, and nothing else.
_VALUES = {
    "class": re.compile(r"^(?:footnote|footnote-ref|footnote-backref|language-[\w+#.-]+)$"),
    "id": re.compile(r"^fn(?:ref)?\d*:[\w-]+$"),
    "style": re.compile(r"^text-align: (?:left|right|center);?$"),
    "align": re.compile(r"^(?:left|right|center)$"),
    "start": re.compile(r"^\d{1,6}$"),
}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
INTRASITE = {"filename", "static", "attach"}
# Browsers drop ASCII tab and line breaks anywhere in a URL and C0 controls
# and spaces at either end; "java\tscript:" is javascript: to them.
_URL_NOISE = re.compile(r"[\t\n\r]")
_INDICATOR = re.compile(r"^[{|](?P<what>[a-z]*)[}|]")
_SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*):")
# What Python-Markdown's attr_list would have read as attributes:
# {: ...}, { #id }, { .class } or { key=value }.
ATTRIBUTE_LIST = re.compile(r"\{:[^}\n]*\}|\{[ ]*[#.][\w-][^}\n]*\}|\{[^}\n]*\b[\w-]+=[^}\n]*\}")
_NO_CHECK = {"code", "pre"}


def target_kind(value: str) -> tuple[str, str]:
    """(kind, cleaned target): how a browser or Pelican will read ``value``.

    kind is a scheme ("https", "javascript", ...), "intrasite" (Pelican's
    ``{filename}`` and friends), "indicator" (another ``{...}``),
    "fragment", "site" (a path from the site root), "network" (``//host``)
    or "relative".
    """
    # Python-Markdown writes e-mail autolinks as character references behind
    # its own placeholder for "&" (AMP_SUBSTITUTE); read them as a browser would.
    target = _URL_NOISE.sub("", html.unescape(value.replace(AMP_SUBSTITUTE, "&"))).strip("\x00 \x0b\x0c" + "".join(
        chr(c) for c in range(0x20)))
    indicator = _INDICATOR.match(target)
    if indicator:
        return ("intrasite" if indicator.group("what") in INTRASITE else "indicator"), target
    scheme = _SCHEME.match(target)
    if scheme:
        return scheme.group("scheme").lower(), target
    if target.startswith(("//", "\\\\", "/\\", "\\/")):
        return "network", target
    if target.startswith("#"):
        return "fragment", target
    if target.startswith(("/", "\\")):
        return "site", target
    return "relative", target


@dataclass
class Finding:
    """Something in the parsed story that breaks a rule, or a target to resolve."""

    what: str  # "element", "attribute", "scheme", "attribute-list", "target"
    element: str  # tag name
    value: str  # the attribute, target or text as written
    kind: str = ""  # target_kind of a link or image target


class StoryHtmlRules(Treeprocessor):
    def run(self, root):
        findings = getattr(self.md, "story_findings", None)
        if findings is None:
            findings = self.md.story_findings = []
        self._check(root, findings, in_code=False)

    def _check(self, parent: etree.Element, findings: list, in_code: bool) -> None:
        for child in list(parent):
            if not isinstance(child.tag, str):
                continue
            if child.tag not in ALLOWED:
                findings.append(Finding("element", child.tag, child.tag))
                parent.remove(child)
                continue
            for name in list(child.attrib):
                value = child.get(name)
                pattern = _VALUES.get(name)
                if name not in ALLOWED[child.tag] or (pattern and not pattern.match(value)):
                    findings.append(Finding("attribute", child.tag, f'{name}="{value}"'))
                    del child.attrib[name]
            for name in ("href", "src"):
                if child.get(name) is not None:
                    self._target(child, name, findings)
            code = in_code or child.tag in _NO_CHECK
            if not code:
                for text in (child.text, child.tail):
                    for match in ATTRIBUTE_LIST.finditer(text or ""):
                        findings.append(Finding("attribute-list", child.tag, match.group()))
            elif child.tail:
                for match in ATTRIBUTE_LIST.finditer(child.tail):
                    findings.append(Finding("attribute-list", parent.tag, match.group()))
            self._check(child, findings, code)

    def _target(self, element: etree.Element, name: str, findings: list) -> None:
        value = element.get(name)
        kind, target = target_kind(value)
        # "indicator" and "network" are refused by the reader with their own advice.
        allowed = {"intrasite", "fragment", "site", "relative", "indicator", "network"}
        if element.tag == "a":
            allowed |= LINK_SCHEMES
        else:
            allowed |= {"http", "https"}  # reported as "another site" by the reader
        if kind not in allowed:
            findings.append(Finding("scheme", element.tag, value, kind))
            element.set(name, "")
            return
        findings.append(Finding("target", element.tag, value, kind))
        source = getattr(self.md, "story_source_path", None)
        if kind == "relative" and element.tag == "a" and source:
            # "other.md" or "../extra/report.pdf": a file next to the story.
            # Pelican links it only when written {filename}other.md; say so.
            path = target.split("#", 1)[0].split("?", 1)[0]
            if path and os.path.isfile(os.path.join(os.path.dirname(source), unquote(path))):
                element.set(name, "{filename}" + target)


def check_stashed_html(md) -> None:
    """Apply the same rules to the HTML extensions stashed away from the tree.

    Raw HTML is off, so the stash holds only what extensions made, such as
    fenced code blocks, whose ``{#id .class}`` would otherwise slip by.
    """
    findings = getattr(md, "story_findings", None)
    if findings is None:
        findings = md.story_findings = []
    rules = StoryHtmlRules(md)
    for block in md.htmlStash.rawHtmlBlocks:
        try:
            root = etree.fromstring(f"<div>{block}</div>")
        except etree.ParseError:
            findings.append(Finding("element", "html", str(block)[:40]))
            continue
        rules._check(root, findings, in_code=False)


class StoryHtmlRulesExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        # After "inline" (20) builds links and images and footnotes (50) add
        # theirs; before the photos plugin's slots (15) and before attr_list
        # (8), which is not enabled and never may be.
        md.treeprocessors.register(StoryHtmlRules(md), "newsroom_html_rules", 16)
