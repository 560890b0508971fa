"""Reading built output: the file behind a URL of the published site.

(The checks that hostile text stays text: ``helpers.escaping``.)
"""

from __future__ import annotations

from pathlib import Path

from helpers.building import PUBLIC_SITEURL


def site_file(output: Path, url: str, site_url: str = PUBLIC_SITEURL) -> Path:
    """The output file behind an absolute URL of the published site."""
    assert url.startswith(site_url + "/"), url
    path = url[len(site_url) + 1:].split("#")[0]
    if path == "" or path.endswith("/"):
        path += "index.html"
    return output / path
