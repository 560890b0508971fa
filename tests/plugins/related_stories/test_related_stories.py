"""related_stories ranks stories by shared tags, deterministically."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from newsroom.core.settings import resolve
from plugins.related_stories import add_related_articles


def story(slug, day, *tags):
    return SimpleNamespace(slug=slug, date=datetime(2024, 6, day), tags=list(tags))


def generator(articles, limit=None):
    settings = {} if limit is None else {"RELATED_STORIES_MAX": limit}
    return SimpleNamespace(articles=articles, settings=resolve(settings))


def test_most_shared_tags_first_then_newest_then_slug():
    main = story("main", 10, "kenya", "haiti", "g7")
    two_tags = story("two-tags", 1, "kenya", "haiti")
    one_new = story("one-new", 9, "g7")
    one_old_b = story("one-old-b", 2, "kenya")
    one_old_a = story("one-old-a", 2, "haiti")
    unrelated = story("unrelated", 11, "sport")
    add_related_articles(generator([main, two_tags, one_new, one_old_b, one_old_a, unrelated]))
    assert [s.slug for s in main.related_articles] == ["two-tags", "one-new", "one-old-a", "one-old-b"]
    assert unrelated.related_articles == []


def test_limit_and_no_self_reference():
    stories = [story(f"s{i}", i + 1, "topic") for i in range(6)]
    add_related_articles(generator(stories, limit=2))
    for item in stories:
        assert len(item.related_articles) == 2
        assert item not in item.related_articles


def test_stories_without_tags_have_no_related():
    lonely = SimpleNamespace(slug="lonely", date=datetime(2024, 6, 1), tags=None)
    add_related_articles(generator([lonely, story("other", 2, "x")]))
    assert lonely.related_articles == []
