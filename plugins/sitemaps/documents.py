"""The text of sitemap.xml, news-sitemap.xml and robots.txt."""

from __future__ import annotations

from xml.sax.saxutils import escape

from newsroom.core.clock import build_time, output_changes_at
from newsroom.core.filters import isodate, plain
from newsroom.core.site_urls import absolute_url, site_path

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def sitemap(site_url: str, pages: dict) -> str:
    """sitemaps.org 0.9 ``<urlset>`` of ``pages`` (site-relative URL -> lastmod)."""
    lines = [XML_DECLARATION + f'<urlset xmlns="{SITEMAP_NS}">']
    for url in sorted(pages):
        lines.append(f"  <url><loc>{escape(absolute_url(site_url, url))}</loc>")
        if pages[url] is not None:
            lines.append(f"    <lastmod>{isodate(pages[url])}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)


def recent(articles, window) -> list:
    """Stories published within ``window`` before the build time, newest first."""
    now = build_time()
    chosen = [a for a in articles if now - window <= a.date <= now]
    # The list changes when a chosen story leaves the window or a later one enters it.
    for article in articles:
        if article.date > now:
            output_changes_at(article.date)
    for article in chosen:
        output_changes_at(article.date + window)
    return sorted(chosen, key=lambda a: (a.date, a.url), reverse=True)


def news_sitemap(site_url: str, articles, window, settings) -> str:
    """Google News sitemap 0.9 of the recent stories (may be empty)."""
    name = escape(settings["PUBLISHER_NAME"])
    language = escape(settings["SITE_LANGUAGE"])
    lines = [XML_DECLARATION + f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">']
    for article in recent(articles, window):
        lines += [
            f"  <url><loc>{escape(absolute_url(site_url, article.url))}</loc>",
            "    <news:news>",
            "      <news:publication>",
            f"        <news:name>{name}</news:name>",
            f"        <news:language>{language}</news:language>",
            "      </news:publication>",
            f"      <news:publication_date>{isodate(article.date)}</news:publication_date>",
            f"      <news:title>{escape(plain(article.title))}</news:title>",
            "    </news:news>",
            "  </url>",
        ]
    lines.append("</urlset>\n")
    return "\n".join(lines)


def robots_txt(site_url: str, settings) -> str:
    """Crawl everything but drafts; name both sitemaps with absolute URLs."""
    drafts = settings["DRAFT_URL"].split("{", 1)[0]
    return (
        "User-agent: *\n"
        f"Disallow: {site_path(site_url)}{drafts}\n"
        f"\nSitemap: {absolute_url(site_url, 'sitemap.xml')}\n"
        f"Sitemap: {absolute_url(site_url, 'news-sitemap.xml')}\n"
    )
