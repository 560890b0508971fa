"""Rewrite the URLs inside an HTML fragment to absolute ones.

Feed readers show article HTML outside the site, where a relative ``src`` or
``srcset`` (inside ``<picture>`` too) would point nowhere. Only the URL
attributes of start tags change; text, comments and entities are copied
through untouched.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

URL_ATTRIBUTES = frozenset({"href", "src", "poster", "cite"})
SRCSET_ATTRIBUTES = frozenset({"srcset"})


def _absolute_srcset(value: str, base: str) -> str:
    candidates = []
    for candidate in value.split(","):
        parts = candidate.strip().split(None, 1)
        if not parts:
            continue
        parts[0] = urljoin(base, parts[0])
        candidates.append(" ".join(parts))
    return ", ".join(candidates)


class _UrlRewriter(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=False)
        self.base = base
        self.out: list[str] = []

    def _tag(self, tag, attrs, closing: str) -> str:
        if not any(name in URL_ATTRIBUTES | SRCSET_ATTRIBUTES for name, _ in attrs):
            return self.get_starttag_text()
        rendered = []
        for name, value in attrs:
            if value is None:
                rendered.append(f" {name}")
                continue
            if name in URL_ATTRIBUTES:
                value = urljoin(self.base, value.strip())
            elif name in SRCSET_ATTRIBUTES:
                value = _absolute_srcset(value, self.base)
            rendered.append(f' {name}="{escape(value, quote=True)}"')
        return f"<{tag}{''.join(rendered)}{closing}>"

    def handle_starttag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, ""))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, " /"))

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        # A CDATA section ends in "]]>", other marked sections in "]>".
        end = "]]>" if data.upper().startswith("CDATA[") else "]>"
        self.out.append(f"<![{data}{end}")


def absolutize(html: str, base: str) -> str:
    """``html`` with every link and image URL resolved against ``base``."""
    if not html:
        return html or ""
    rewriter = _UrlRewriter(base)
    rewriter.feed(str(html))
    rewriter.close()
    return "".join(rewriter.out)
