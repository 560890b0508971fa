"""sitemaps: sitemap.xml, news-sitemap.xml and robots.txt.

Hooks ``content_written`` to note every HTML page Pelican writes (with the
date of its newest story as ``lastmod``), ``article_generator_finalized`` to
keep the published stories, and ``finalized`` to write, in publishing builds
only (they need the site's absolute address):

* ``sitemap.xml``: every page in the sitemaps.org 0.9 namespace, ``lastmod``
  in W3C date-time format; hidden pages (404), drafts and the paths in
  ``SITEMAP_EXCLUDE`` are left out;
* ``news-sitemap.xml``: a Google News sitemap of the stories published in
  the ``NEWS_SITEMAP_WINDOW_DAYS`` before the build time
  (``newsroom.core.clock.build_time``, so ``SOURCE_DATE_EPOCH`` reproduces it);
  with no recent story it is a valid, empty ``<urlset>``;
* ``robots.txt``: allows everything but drafts and names both sitemaps.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from pelican import signals

from newsroom.core.output_files import write_text_if_changed

from .documents import news_sitemap, robots_txt, sitemap

logger = logging.getLogger(__name__)

_pages: dict[str, object] = {}
_articles: list = []


def _latest(items) -> object | None:
    dates = [getattr(item, "modified", None) or item.date for item in items or []]
    return max(dates) if dates else None


def _lastmod(context):
    """The date a page last changed: its story's, or its newest story's."""
    if "article" in context:
        return _latest([context["article"]])
    if "page" in context:
        page = context["page"]
        return _latest([page]) if getattr(page, "date", None) else None
    if context.get("articles_page") is not None:
        return _latest(context["articles_page"].object_list)
    return _latest(context.get("dates") or context.get("articles"))


def _is_listed(context) -> bool:
    content = context.get("article") or context.get("page")
    return content is None or getattr(content, "status", "published") == "published"


def reset(pelican_object):
    _pages.clear()
    _articles.clear()


def note_page(path, context):
    if not _is_listed(context):
        return
    name = context["output_file"].replace(os.sep, "/")
    url = name[: -len("index.html")] if name.endswith("index.html") else name
    if any(url.startswith(prefix) for prefix in context["SITEMAP_EXCLUDE"]):
        return
    _pages[url] = _lastmod(context)


def keep_articles(generator):
    _articles[:] = generator.articles


def write_sitemaps(pelican_object):
    settings = pelican_object.settings
    site_url = settings["PUBLIC_SITEURL"]  # newsroom.core.settings
    if not site_url:
        logger.info("sitemaps: development build (no absolute SITEURL), skipped")
        return
    window = timedelta(days=float(settings["NEWS_SITEMAP_WINDOW_DAYS"]))
    documents = {
        "sitemap.xml": sitemap(site_url, _pages),
        "news-sitemap.xml": news_sitemap(site_url, _articles, window, settings),
        "robots.txt": robots_txt(site_url, settings),
    }
    for name, text in documents.items():
        write_text_if_changed(os.path.join(pelican_object.output_path, name), text)


def register():
    signals.initialized.connect(reset)
    signals.content_written.connect(note_page)
    signals.article_generator_finalized.connect(keep_articles)
    signals.finalized.connect(write_sitemaps)
