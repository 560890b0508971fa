"""related_for_all picks what the plain rule picks, with work that grows linearly."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.related_stories import related_by_tags, related_for_all


def reference(articles, limit):
    """The rule written out: for each article, every other one that shares a tag,
    met in the article's tag order, then in corpus order; ranked by shared tags
    (counted per tag occurrence), newest first, then slug (a stable sort)."""
    results = []
    for article in articles:
        tags = list(article.tags or [])
        met = []
        for tag in tags:
            for other in articles:
                if other is not article and tag in (other.tags or []) \
                        and not any(other is seen for seen in met):
                    met.append(other)

        def shared(other):
            return sum((other.tags or []).count(tag) for tag in tags)

        met.sort(key=lambda other: (-shared(other), -other.date.timestamp(), other.slug))
        results.append(met[:limit])
    return results


def story(slug, hours, tags):
    return SimpleNamespace(slug=slug, date=datetime(2024, 1, 1) + timedelta(hours=hours),
                           tags=tags)


stories = st.lists(
    st.builds(
        story,
        slug=st.sampled_from(["a", "b", "c", "d"]),  # few slugs and dates: many ties
        hours=st.integers(0, 3),
        tags=st.one_of(st.none(), st.lists(st.sampled_from(["k", "h", "g", "s", "p"]),
                                           max_size=4)),
    ),
    max_size=14,
)


def same(left, right):
    return [[id(item) for item in row] for row in left] == \
        [[id(item) for item in row] for row in right]


@settings(max_examples=400, deadline=None)
@given(stories, st.integers(0, 6))
def test_same_choice_and_order_as_the_rule(articles, limit):
    expected = reference(articles, limit)
    assert same(related_for_all(articles, limit), expected)
    by_tag = {}
    for article in articles:
        for tag in article.tags or []:
            by_tag.setdefault(tag, []).append(article)
    assert same([related_by_tags(article, by_tag, limit) for article in articles], expected)


@settings(max_examples=200, deadline=None)
@given(stories.map(lambda items: [story(f"s{n}-{item.slug}", item.date.hour, sorted(set(item.tags or [])))
                                  for n, item in enumerate(items)]),
       st.integers(1, 5))
def test_distinct_tags_take_the_indexed_path(articles, limit):
    work = Counter()
    assert same(related_for_all(articles, limit, work), reference(articles, limit))
    assert work["read"] or not any(article.tags for article in articles)


def corpus(count, seed=7):
    rng = random.Random(seed)
    pool = [f"topic-{n}" for n in range(12)]
    return [story(f"story-{n}", rng.randrange(24 * 365), rng.sample(pool, rng.randint(1, 4)))
            for n in range(count)]


def test_work_grows_linearly_with_the_story_count():
    counts = {}
    for size in (500, 4000):
        work = Counter()
        related_for_all(corpus(size), 4, work)
        counts[size] = sum(work.values())
    # Eight times the stories: about eight times the work (never 64 times).
    assert counts[4000] <= 8 * counts[500] * 1.25, counts
    # And a bounded amount per story: at most 15 index entries for 4 tags,
    # and a small number of list reads that does not depend on the count.
    assert counts[4000] / 4000 < 200, counts


# --- the answer kept from one build to the next (related_positions) ---------------

def rebuilt(articles):
    """The next build's objects for the same stories (new objects, same values)."""
    return [SimpleNamespace(slug=a.slug, date=a.date,
                            tags=None if a.tags is None else list(a.tags))
            for a in articles]


def changes(articles, rng):
    """Each input related_for_all reads, changed in one story (or the list itself)."""
    n = rng.randrange(len(articles))
    copy = rebuilt(articles)
    kind = rng.choice(["tag", "date", "slug", "order", "add", "drop", "none"])
    if kind == "tag":
        copy[n].tags = (copy[n].tags or []) + [f"new-{rng.randrange(3)}"]
    elif kind == "date":
        copy[n].date = copy[n].date + timedelta(hours=rng.choice([-30, 1, 400]))
    elif kind == "slug":
        copy[n].slug = copy[n].slug + "-x"
    elif kind == "order":
        copy.insert(0, copy.pop(n))
    elif kind == "add":
        copy.append(story(f"added-{n}", n, ["topic-1", "topic-2"]))
    elif kind == "drop" and len(copy) > 1:
        copy.pop(n)
    return copy


def test_kept_related_stories_follow_every_input():
    from plugins import related_stories

    rng = random.Random(11)
    articles = corpus(60)
    limit = 4
    for _build in range(120):
        if rng.random() < 0.1:
            limit = rng.choice([0, 1, 4, 6])
        articles = changes(articles, rng) if rng.random() < 0.8 else rebuilt(articles)
        positions = related_stories.related_positions(articles, limit)
        expected = related_for_all(articles, limit)
        assert same([[articles[i] for i in row] for row in positions], expected)


def test_an_unchanged_site_reuses_the_answer_and_a_new_one_does_not():
    from plugins import related_stories

    articles = corpus(40)
    first = related_stories.related_positions(articles, 4)
    assert related_stories.related_positions(rebuilt(articles), 4) is first
    assert related_stories.related_positions(articles, 3) is not first
    twice = articles + articles[:1]  # the same article listed twice: never kept
    assert related_stories.inputs_key(twice, 4) is None


def test_topics_count_by_slug_and_mixed_kinds_are_not_kept():
    from pelican.urlwrappers import Tag

    from plugins import related_stories

    settings = {}
    one = [SimpleNamespace(slug="a", date=datetime(2024, 1, 1), tags=[Tag("Kenya", settings)]),
           SimpleNamespace(slug="b", date=datetime(2024, 1, 2), tags=[Tag("kenya", settings)])]
    two = [SimpleNamespace(slug="a", date=datetime(2024, 1, 1), tags=[Tag("KENYA", settings)]),
           SimpleNamespace(slug="b", date=datetime(2024, 1, 2), tags=[Tag("kenya", settings)])]
    renamed = [SimpleNamespace(slug="a", date=datetime(2024, 1, 1), tags=[Tag("Haiti", settings)]),
               SimpleNamespace(slug="b", date=datetime(2024, 1, 2), tags=[Tag("kenya", settings)])]
    assert related_stories.inputs_key(one, 4) == related_stories.inputs_key(two, 4)
    assert related_stories.inputs_key(one, 4) != related_stories.inputs_key(renamed, 4)
    for articles in (one, two, renamed):
        assert same([[articles[i] for i in row]
                     for row in related_stories.related_positions(articles, 4)],
                    related_for_all(articles, 4))
    mixed = [SimpleNamespace(slug="a", date=datetime(2024, 1, 1), tags=[Tag("Kenya", settings)]),
             SimpleNamespace(slug="b", date=datetime(2024, 1, 2), tags=["kenya"])]
    assert related_stories.inputs_key(mixed, 4) is None


def test_the_answer_is_kept_on_disk_for_the_next_process(tmp_path, monkeypatch):
    """related_positions with a cache folder: a new process (no answer in
    memory) takes the kept answer for the same inputs, and works it out again
    for other inputs, or when the kept file is damaged or out of range."""
    from plugins import related_stories

    rng = random.Random(5)
    articles = corpus(50)
    first = related_stories.related_positions(articles, 4, str(tmp_path))
    kept = tmp_path / "related" / "positions.json"
    assert kept.is_file()
    calls = []
    original = related_stories.related_for_all
    monkeypatch.setattr(related_stories, "related_for_all",
                        lambda *args: calls.append(1) or original(*args))
    monkeypatch.setattr(related_stories, "_last", None)  # a new process
    assert related_stories.related_positions(rebuilt(articles), 4, str(tmp_path)) == first
    assert calls == []
    for _build in range(30):  # other inputs: worked out again, and right
        monkeypatch.setattr(related_stories, "_last", None)
        articles = changes(articles, rng)
        positions = related_stories.related_positions(articles, 4, str(tmp_path))
        assert same([[articles[i] for i in row] for row in positions],
                    related_for_all(articles, 4))
    for damage in ("{not json", json.dumps({"inputs": "x", "positions": []})):
        kept.write_text(damage, encoding="utf-8")
        monkeypatch.setattr(related_stories, "_last", None)
        calls.clear()
        positions = related_stories.related_positions(articles, 4, str(tmp_path))
        assert calls and same([[articles[i] for i in row] for row in positions],
                              related_for_all(articles, 4))
    data = json.loads(kept.read_text(encoding="utf-8"))
    data["positions"][0] = [len(articles)]  # out of range: not used
    kept.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(related_stories, "_last", None)
    calls.clear()
    related_stories.related_positions(articles, 4, str(tmp_path))
    assert calls
