"""Reading built output: pages, absolute URLs, JSON-LD."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import html as lxml_html

from helpers.building import PUBLIC_SITEURL


def site_file(output: Path, url: str, site_url: str = PUBLIC_SITEURL) -> Path:
    """The output file behind an absolute URL of the published site."""
    assert url.startswith(site_url + "/"), url
    path = url[len(site_url) + 1:].split("#")[0]
    if path == "" or path.endswith("/"):
        path += "index.html"
    return output / path


def html_pages(output: Path) -> list[Path]:
    """Every HTML page of a build (Pagefind's own files left out)."""
    return [path for path in sorted(output.rglob("*.html")) if "pagefind" not in path.parts]


def parse(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def text(element) -> str:
    """An element's text as a reader sees it: spaces folded, no-break spaces plain."""
    return re.sub(r"\s+", " ", element.text_content().replace("\xa0", " ")).strip()


def json_ld(document) -> list[dict]:
    """The JSON-LD objects of a parsed page."""
    return [json.loads(script.text)
            for script in document.xpath("//script[@type='application/ld+json']")]
