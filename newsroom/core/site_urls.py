"""Absolute URLs for the public site, shared by feeds, sitemaps and metadata.

Feeds, sitemaps, canonical links, Open Graph and JSON-LD are read by other
programs that fetch the page from its public address, so they need absolute
URLs. Development builds use relative URLs (``SITEURL`` empty,
``RELATIVE_URLS`` on) and have no public address: there these outputs are
left out rather than filled with a guessed host.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit


def public_site_url(settings) -> str:
    """The absolute site URL without a trailing slash, or "" in dev builds.

    Computed once per build by ``newsroom.core.settings.resolve`` as
    ``PUBLIC_SITEURL``; plugins and templates read that setting.
    """
    site_url = str(settings.get("SITEURL") or "").rstrip("/")
    if settings.get("RELATIVE_URLS"):
        return ""
    if urlsplit(site_url).scheme not in ("http", "https"):
        return ""
    return site_url


def absolute_url(site_url: str, url: str) -> str:
    """Join a site-relative URL (like Pelican's ``article.url``) to the site."""
    return urljoin(site_url + "/", str(url).lstrip("/"))


def site_path(site_url: str) -> str:
    """The path part of the site URL, always ending in "/" (e.g. "/news/")."""
    path = urlsplit(site_url).path.rstrip("/")
    return path + "/"
