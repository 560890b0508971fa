"""plugins/news_feeds/absolute_memo.py: the feeds' absolute HTML kept between builds.

In-process publishing builds with the feeds on count the HTML rewritten
(``absolute_urls.absolutize``); the feeds must be byte for byte those of a
build without the kept answers.
"""

from __future__ import annotations

import json

import pytest

from helpers.building import EPOCH, PUBLISHING, filler_content, hash_tree, run_pelican
from plugins.news_feeds import absolute_memo

PLUGINS = ["content_checks", "photos", "news_feeds"]


@pytest.fixture
def rewritten(monkeypatch):
    """The HTML each build rewrote (its base URL), in order.

    Counted where the rewriting parses it: Pelican loads the plugin as a
    module of its own, not the ``plugins.news_feeds`` this file imports.
    """
    from html.parser import HTMLParser

    calls: list[str] = []
    original = HTMLParser.feed

    def counting(parser, data):
        if type(parser).__name__ == absolute_memo.absolute_urls._UrlRewriter.__name__:
            calls.append(parser.base)
        return original(parser, data)

    monkeypatch.setattr(HTMLParser, "feed", counting)
    return calls


def feeds(output):
    return {name: digest for name, digest in hash_tree(output).items()
            if name.startswith("feeds/")}


def build(tmp_path, content, name, cache):
    result = run_pelican(tmp_path / name, PLUGINS, settings=PUBLISHING,
                         overrides={"PATH": str(content), "CACHE_PATH": str(cache)},
                         env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.problems == [], result.problems
    return result.output


def test_feeds_rewrite_only_html_they_have_not_seen(tmp_path, rewritten):
    content = filler_content(tmp_path, articles=6)
    cache = tmp_path / "cache"
    first = build(tmp_path, content, "first", cache)
    assert feeds(first) and rewritten
    kept = list((cache / "feeds").glob("absolute-*.json"))
    assert len(kept) == 1
    rewritten.clear()
    # Nothing changed: every story's HTML comes from the cache.
    second = build(tmp_path, content, "second", cache)
    assert rewritten == []
    assert feeds(second) == feeds(first)
    # One story's body changed: its body alone is rewritten again.
    story = sorted((content / "articles" / "filler").glob("*.md"))[2]
    story.write_text(story.read_text(encoding="utf-8").replace(
        "\n\n", "\n\nA sentence [with a link](/about/) added later.\n\n", 1), encoding="utf-8")
    third = build(tmp_path, content, "third", cache)
    assert len(rewritten) == 1
    clean = build(tmp_path, content, "clean", tmp_path / "clean-cache")
    assert feeds(third) == feeds(clean)
    assert any(b'href="https://news.example.org/about/"' in (third / name).read_bytes()
               for name in feeds(third))


def test_kept_answers_of_other_code_or_a_damaged_file_are_not_used(tmp_path, rewritten):
    content = filler_content(tmp_path, articles=3)
    cache = tmp_path / "cache"
    first = build(tmp_path, content, "first", cache)
    (kept,) = (cache / "feeds").glob("absolute-*.json")
    data = json.loads(kept.read_text(encoding="utf-8"))
    # Answers made by other code: not used, made again (the same feeds).
    data["code"] = "other"
    data["entries"] = {key: "<p>stale</p>" for key in data["entries"]}
    kept.write_text(json.dumps(data), encoding="utf-8")
    rewritten.clear()
    second = build(tmp_path, content, "second", cache)
    assert rewritten and feeds(second) == feeds(first)
    # A file that is not JSON: the same.
    kept.write_text("{not json", encoding="utf-8")
    rewritten.clear()
    third = build(tmp_path, content, "third", cache)
    assert rewritten and feeds(third) == feeds(first)
    assert json.loads(kept.read_text(encoding="utf-8"))["code"] != "other"


# --- each entry's XML, kept (feed_classes.py) -----------------------------------------

@pytest.fixture
def entries_made(monkeypatch):
    """The feed entries whose XML each build made (their links), in order."""
    from feedgenerator import Atom1Feed, Rss201rev2Feed

    made: list[str] = []
    for feed_class in (Atom1Feed, Rss201rev2Feed):
        original = feed_class.add_item_elements

        def counting(feed, handler, item, original=original):
            made.append(item["link"])
            return original(feed, handler, item)

        monkeypatch.setattr(feed_class, "add_item_elements", counting)
    return made


def test_feed_entries_are_made_once_and_written_as_made(tmp_path, entries_made):
    content = filler_content(tmp_path, articles=6)
    cache = tmp_path / "cache"
    first = build(tmp_path, content, "first", cache)
    # A story is in several feeds (all stories, its section, writer and tags)
    # of both kinds; within one build its entry of each kind is made once.
    assert entries_made and all(entries_made.count(link) == 2 for link in entries_made)
    assert len(list((cache / "feeds").glob("entries-*.json"))) == 1
    entries_made.clear()
    second = build(tmp_path, content, "second", cache)
    assert entries_made == [] and feeds(second) == feeds(first)
    story = sorted((content / "articles" / "filler").glob("*.md"))[2]
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                     encoding="utf-8")
    entries_made.clear()
    third = build(tmp_path, content, "third", cache)
    assert len(entries_made) == 2 and len(set(entries_made)) == 1  # its Atom and RSS entry
    clean = build(tmp_path, content, "clean", tmp_path / "clean-cache")
    assert feeds(third) == feeds(clean)


def test_kept_entries_are_the_xml_feedgenerator_writes(monkeypatch):
    """The feed classes write each entry's XML as feedgenerator does, kept or not."""
    from datetime import datetime, timezone

    from feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed

    from plugins.news_feeds import feed_classes

    monkeypatch.setattr(feed_classes, "entries", feed_classes.EntryMemo())
    for ours, plain in ((feed_classes.NewsAtomFeed, Atom1Feed),
                        (feed_classes.NewsRssFeed, Rss201rev2Feed)):
        reference = type("Reference", (ours,), {"write_items": plain.write_items})

        def feed(feed_class):
            made = feed_class(title="T & <t>", link="https://x.example/", description="D",
                              language="en", author_name="Desk")
            for number in range(3):
                made.add_item(
                    title=f"Story {number} <b>&amp;</b> “quoted”", link=f"https://x.example/{number}/",
                    description="<p>standfirst &amp; more</p>", content="<p>body ü</p>",
                    unique_id=f"tag:x.example,2024:{number}", unique_id_is_permalink=False,
                    pubdate=datetime(2024, 6, number + 1, 9, tzinfo=timezone.utc),
                    updateddate=datetime(2024, 6, number + 2, 9, tzinfo=timezone.utc),
                    categories=["News", "Tag"], authors=[("A. Writer", "https://x.example/a/")],
                    enclosures=[Enclosure("https://x.example/p.jpg", "123", "image/jpeg")],
                    media={"url": "https://x.example/p.jpg", "type": "image/jpeg",
                           "width": 10, "height": 5, "length": 123,
                           "description": "alt", "credit": "Photo"})
            return made.writeString("utf-8")

        expected = feed(reference)
        assert feed(ours) == expected  # made
        assert feed_classes.entries.used  # ... and kept
        assert feed(ours) == expected  # kept
