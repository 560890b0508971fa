"""Atom and RSS feed classes with what news readers expect.

feedgenerator's classes (which Pelican uses) carry one author per entry and
no media elements. These subclasses add, per entry:

* every author (Atom ``<author>`` with ``<uri>``, RSS ``<dc:creator>``);
* the lead photo as an enclosure and as Media RSS ``<media:content>`` with
  its description and credit;
* the full body (Atom ``<content>``, RSS ``<content:encoded>``) next to the
  standfirst, and the updated date in RSS (``<atom:updated>``).

A feed without entries is dated by the build clock, never by the wall clock,
so builds stay reproducible.
"""

from __future__ import annotations

from feedgenerator import Atom1Feed, Rss201rev2Feed
from feedgenerator.django.utils.feedgenerator import rfc3339_date

from newsroom.core.clock import build_time, output_changes_at

MEDIA_NS = "http://search.yahoo.com/mrss/"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"


def _add_media(handler, media: dict | None) -> None:
    if not media:
        return
    attributes = {
        "url": media["url"],
        "type": media["type"],
        "medium": "image",
        "width": str(media["width"]),
        "height": str(media["height"]),
    }
    if media.get("length"):
        attributes["fileSize"] = str(media["length"])
    handler.startElement("media:content", attributes)
    if media.get("description"):
        handler.addQuickElement(
            "media:description", media["description"], {"type": "plain"}
        )
    if media.get("credit"):
        handler.addQuickElement("media:credit", media["credit"])
    handler.endElement("media:content")


class _ReproducibleDates:
    def latest_post_date(self):
        dates = [
            item.get("updateddate") or item.get("pubdate")
            for item in self.items
            if item.get("updateddate") or item.get("pubdate")
        ]
        # Never a time after the build: a feed must not announce the future.
        now = build_time()
        if not dates or max(dates) > now:
            output_changes_at(now)  # the feed carries the build time itself
        return min(max(dates), now) if dates else now


class NewsAtomFeed(_ReproducibleDates, Atom1Feed):
    def root_attributes(self):
        attributes = super().root_attributes()
        attributes["xmlns:media"] = MEDIA_NS
        return attributes

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, uri in item.get("authors") or ():
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            if uri:
                handler.addQuickElement("uri", uri)
            handler.endElement("author")
        _add_media(handler, item.get("media"))


class NewsRssFeed(_ReproducibleDates, Rss201rev2Feed):
    def rss_attributes(self):
        attributes = super().rss_attributes()
        attributes["xmlns:media"] = MEDIA_NS
        attributes["xmlns:content"] = CONTENT_NS
        attributes["xmlns:dc"] = DC_NS
        return attributes

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, _uri in item.get("authors") or ():
            handler.addQuickElement("dc:creator", name)
        if item.get("updateddate") is not None:
            handler.addQuickElement("atom:updated", rfc3339_date(item["updateddate"]))
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])
        _add_media(handler, item.get("media"))
