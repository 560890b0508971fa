"""news_feeds: Atom and RSS feeds fit for news readers.

Hooks ``get_writer`` and hands Pelican a Writer whose feeds (the ones the
FEED_* settings switch on: all stories, per section, per tag) carry for each
story:

* the headline as plain text (no typogrify markup or entities);
* the standfirst and the full body, every link and image URL absolute
  (``src`` and ``srcset`` of ``<picture>`` sources too);
* the lead photo (``article.lead_photo``, from the photo pipeline) as an
  enclosure and as ``<media:content>`` with alt text and credit;
* every author with the author page URL, the section and tags;
* published and updated dates, and a stable tag: URI as id, derived from the
  permanent URL and the publication date, so editing a story never makes it
  look new to a feed reader. ``updated`` is ``article.modified``: the latest
  of Modified and the story's corrections (content_checks/corrections.py).

Pelican can use only one writer; no other plugin may hook ``get_writer``.

Also hooks ``initialized`` and ``finalized``: the absolute HTML and each
entry's XML are kept between builds (``absolute_memo.py``, ``feed_classes.py``).
"""

from __future__ import annotations

import os

from feedgenerator import Enclosure, get_tag_uri
from pelican import signals

from newsroom.compat.pelican import FeedWriter
from newsroom.core.filters import plain
from newsroom.core.site_urls import absolute_url

from .absolute_memo import AbsoluteMemo
from .feed_classes import NewsAtomFeed, NewsRssFeed, entries, entry_digest

#: This process's absolute HTML, from and into the cache (absolute_memo.py).
memo = AbsoluteMemo()


def lead_image(article, site_url: str, output_path: str) -> dict | None:
    """The lead photo's largest JPEG as a feed media dict, or None."""
    photo = getattr(article, "lead_photo", None)
    if not photo or not getattr(photo, "fallback", None):
        return None
    rendition = photo.fallback
    local_file = os.path.join(output_path, *rendition["url"].split("/"))
    return {
        "url": absolute_url(site_url, rendition["url"]),
        "type": rendition["type"],
        "width": rendition["width"],
        "height": rendition["height"],
        # RSS requires a length; 0 is the documented value when unknown.
        "length": os.path.getsize(local_file) if os.path.isfile(local_file) else 0,
        "description": photo.alt or photo.caption,
        "credit": photo.credit,
    }


class NewsFeedWriter(FeedWriter):
    """Pelican's Writer with richer feed entries (see the module docstring)."""

    def new_feed(self, feed_type, feed_title, context, site_url, feed_url):
        feed_class = NewsRssFeed if feed_type == "rss" else NewsAtomFeed
        title = context["SITENAME"]
        if feed_title:
            title = f"{title}: {plain(feed_title)}"
        return feed_class(
            title=title,
            link=site_url + "/",
            feed_url=feed_url,
            feed_guid=feed_url,
            description=context["SITE_DESCRIPTION"],
            language=context["SITE_LANGUAGE"],
            # Atom needs an author for the feed when an entry has none.
            author_name=context["PUBLISHER_NAME"],
            author_link=site_url + "/",
        )

    def add_feed_item(self, feed, item, site_url):
        # A story is in many feeds: its fields are worked out once a build
        # (stories do not change while feeds are written), with a digest of
        # them that names its entry (feed_classes.py: each feed class's XML
        # of the entry is kept under it).
        kept = self.__dict__.setdefault("_kept_entry_fields", {})
        found = kept.get((id(item), site_url))
        if found is None or found[0] is not item:
            fields = self._entry_fields(item, site_url)
            found = kept[(id(item), site_url)] = (item, fields, entry_digest(fields))
        feed.add_item(**found[1], entry_digest=found[2])

    def _entry_fields(self, item, site_url) -> dict:
        link = absolute_url(site_url, item.url)
        summary = memo.absolutize(item.summary, link)
        body = memo.absolutize(item.get_content(site_url), link)
        media = lead_image(item, site_url, self.output_path)
        enclosures = None
        if media:
            enclosures = [Enclosure(media["url"], str(media["length"]), media["type"])]
        categories = [item.category.name] if getattr(item, "category", None) else []
        categories += [tag.name for tag in getattr(item, "tags", [])]
        authors = [
            (author.name, absolute_url(site_url, author.url))
            for author in getattr(item, "authors", [])
        ]
        modified = getattr(item, "modified", None) or item.date
        return dict(
            title=plain(item.title),
            link=link,
            unique_id=get_tag_uri(link, item.date),
            unique_id_is_permalink=False,
            description=summary,
            content=body,
            categories=categories or None,
            pubdate=item.date,
            updateddate=modified,
            enclosures=enclosures,
            authors=authors,
            media=media,
        )


def get_writer(pelican_object):
    return NewsFeedWriter


def load_memo(pelican_object):
    memo.load(pelican_object.settings)
    entries.load(pelican_object.settings)


def save_memo(pelican_object):
    memo.save()
    entries.save()


def register():
    signals.get_writer.connect(get_writer)
    signals.initialized.connect(load_memo)
    signals.finalized.connect(save_memo)
