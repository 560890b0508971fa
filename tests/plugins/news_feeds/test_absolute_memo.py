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
