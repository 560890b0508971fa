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

Each entry's XML is made once (``_KeptEntries``, ``entries``): a story is in
many feeds (all stories, its section, each writer, each tag), and a build
with one story changed writes the ten feeds that story is in, whose other
99 entries each are the last build's. The XML is a function of the entry's
fields alone, which feedgenerator makes from ``add_item``'s arguments
alone, so it is kept under a hash of those (``entry_digest``, given by the
writer with them; else of the entry's fields) and of the feed class, with
the code that writes it (this file, feedgenerator's, Python's version), in
``<CACHE_PATH>/feeds/entries-<hash>.json`` (absolute_memo.py's
``KeptAnswers``), and written into the feed as it is.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime

import feedgenerator
from feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from feedgenerator.django.utils import feedgenerator as django_feedgenerator, xmlutils
from feedgenerator.django.utils.feedgenerator import rfc3339_date

from newsroom.core.clock import build_time, output_changes_at

from .absolute_memo import KeptAnswers

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


class EntryMemo(KeptAnswers):
    """Feed entries' XML (``entries-<hash>.json``)."""

    kind = "entries"
    sources = (__file__, django_feedgenerator.__file__, xmlutils.__file__,
               feedgenerator.__file__)


#: This process's entries, from and into the cache (loaded and saved by __init__.py).
entries = EntryMemo()


def _fields(value):
    """``value`` (an entry's field) as JSON, every detail of it that the XML shows."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return ["datetime", value.isoformat(), repr(value.tzinfo)]
    if isinstance(value, Enclosure):
        return ["enclosure", _fields(value.url), _fields(value.length),
                _fields(value.mime_type)]
    if isinstance(value, (list, tuple)):
        return [_fields(part) for part in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: _fields(part) for key, part in value.items()}
    raise TypeError(type(value).__name__)  # not known: made every time


def entry_digest(fields: dict) -> str | None:
    """A digest of the fields an entry is made from (``add_item``'s arguments:
    feedgenerator makes the entry from them alone); None if they cannot be said."""
    try:
        text = json.dumps(_fields(fields), sort_keys=True)
    except TypeError:
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _KeptEntries:
    """``write_items`` with each entry's XML kept (``entries``)."""

    entry_element = "entry"

    def write_items(self, handler):
        for item in self.items:
            # (written as it is: the XML was escaped when it was made)
            handler.ignorableWhitespace(self._entry_xml(item))

    def _entry_xml(self, item) -> str:
        def make() -> str:
            out = io.StringIO()
            writer = xmlutils.SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
            writer.startElement(self.entry_element, self.item_attributes(item))
            self.add_item_elements(writer, item)
            writer.endElement(self.entry_element)
            return out.getvalue()

        if item.get("pubdate") is None and item.get("updateddate") is None:
            return make()  # (feedgenerator dates such an entry by the wall clock)
        # The digest of the arguments it was made from (given with them by
        # the writer, ``entry_digest``), else of the entry itself.
        digest = item.get("entry_digest")
        if digest is None:
            digest = entry_digest(item)
            if digest is None:
                return make()
            digest = f"item:{digest}"
        return entries.answer(f"{type(self).__qualname__}:{digest}", make)


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


class NewsAtomFeed(_KeptEntries, _ReproducibleDates, Atom1Feed):
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


class NewsRssFeed(_KeptEntries, _ReproducibleDates, Rss201rev2Feed):
    entry_element = "item"

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
