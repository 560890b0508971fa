"""related_stories: stories that share tags with an article.

Hooks ``article_generator_finalized`` and sets ``article.related_articles``
on every published article: up to ``RELATED_STORIES_MAX`` other articles
that share at least one tag, most shared tags first, then newest first, then
by slug, so the order is the same on every build.

The work grows about linearly with the number of stories (``related_for_all``):
every story is filed under each combination of its tags, in the tie-break
order (newest first, then slug), and an article reads only the lists of its
own tag combinations, most shared tags first, until it has enough. Scoring
every pair of stories (``related_by_tags``, kept as the plain statement of
the rule and for unusual input) grows with the square of the story count.

The answer is kept for the process while everything it reads is the same
(``related_positions``: each article's position, date, slug and tags, and
the limit, compared by value), so a preview build after a save that changed
none of those does not rank the stories again; and between builds, in
``<CACHE_PATH>/related/positions.json`` (under a hash of those inputs, this
file's code and Python's version), so a full build after an edit to a
story's text does not either.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

from pelican import signals
from pelican.urlwrappers import URLWrapper


def related_by_tags(article, articles_by_tag, limit):
    """The rule, stated plainly: score every article sharing a tag, then sort."""
    shared = Counter()  # keyed by id(): articles are not hashable by value
    others = {}
    for tag in getattr(article, "tags", None) or []:
        for other in articles_by_tag.get(tag, ()):
            if other is not article:
                shared[id(other)] += 1
                others[id(other)] = other
    ranked = sorted(
        others.values(),
        key=lambda other: (-shared[id(other)], -other.date.timestamp(), other.slug),
    )
    return ranked[:limit]


def _related_pairwise(articles, limit):
    articles_by_tag = {}
    for article in articles:
        for tag in getattr(article, "tags", None) or []:
            articles_by_tag.setdefault(tag, []).append(article)
    return [related_by_tags(article, articles_by_tag, limit) for article in articles]


def related_for_all(articles, limit, work=None):
    """``related_by_tags`` for every article in ``articles``, in about linear time.

    Returns one list per article, in the order of ``articles``, equal to what
    ``related_by_tags`` gives. ``work``, a ``Counter`` when given, counts the
    steps taken (index entries written, list items read), for tests.

    Each article is filed under every non-empty combination of its tags, in
    one list per combination sorted newest first, then by slug, then by
    position in ``articles``. An article with tags T shares exactly ``c`` of
    them with a story when the story is in the list of some ``c``-tag
    combination of T and in none of a larger one; so, for ``c`` from ``len(T)``
    down, merging the lists of the ``c``-tag combinations (skipping stories
    already taken with more shared tags) yields the stories that share ``c``
    tags in the rule's order, and the article stops as soon as it has
    ``limit``. Stories equal in date and slug are ordered at the end exactly
    as the rule's stable sort orders them (by the article's first tag that
    they share, then by position).

    The index holds ``2**k - 1`` entries for a story with ``k`` tags: cheap
    for the handful of tags a story has. Input the fast path does not cover
    (a tag given twice on one story, the same article listed twice, a limit
    that is not a non-negative integer) gets the plain rule.
    """
    if work is None:
        work = Counter()
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        return _related_pairwise(articles, limit)
    if len({id(article) for article in articles}) != len(articles):
        return _related_pairwise(articles, limit)
    tag_lists = []
    for article in articles:
        tags = list(getattr(article, "tags", None) or [])
        if len(set(tags)) != len(tags):  # counted twice by the rule: keep it plain
            return _related_pairwise(articles, limit)
        tag_lists.append(tags)
    if limit == 0:
        return [[] for _ in articles]

    # Sort key of the rule after the shared count, made total by position.
    keys = [(-article.date.timestamp(), article.slug, position)
            for position, article in enumerate(articles)]
    tag_sets = [frozenset(tags) for tags in tag_lists]
    index = {}
    for position, tags in enumerate(tag_lists):
        for size in range(1, len(tags) + 1):
            for combination in combinations(tags, size):
                index.setdefault(frozenset(combination), []).append(position)
                work["index"] += 1
    for positions in index.values():
        positions.sort(key=keys.__getitem__)

    results = []
    for position, article in enumerate(articles):
        tags = tag_lists[position]
        own = tag_sets[position]
        taken = []  # positions, by shared count, then in the rule's order
        for count in range(len(tags), 0, -1):
            lists = [index[frozenset(combination)] for combination in combinations(tags, count)]
            work["lists"] += len(lists)
            merged = heapq.merge(*lists, key=keys.__getitem__)
            previous = None
            boundary = None  # (date, slug) of the last one needed once ``limit`` is reached
            for other in merged:
                work["read"] += 1
                if other == previous:  # the same story from another combination
                    continue
                previous = other
                if other == position:
                    continue
                if boundary is not None and keys[other][:2] != boundary:
                    break
                if len(own & tag_sets[other]) != count:  # taken with more shared tags
                    continue
                taken.append(other)
                if boundary is None and len(taken) >= limit:
                    # Keep reading stories equal in date and slug: the rule
                    # orders those among themselves (below).
                    boundary = keys[other][:2]
            if len(taken) >= limit:
                break
        first_tag = {}
        for other in taken:
            first_tag[other] = next(i for i, tag in enumerate(tags) if tag in tag_sets[other])
        taken.sort(key=lambda other: (-len(own & tag_sets[other]), keys[other][:2],
                                      first_tag[other], other))
        results.append([articles[other] for other in taken[:limit]])
    return results


def _tag_key(tag):
    # What the rule compares of a tag: a topic (Pelican's Tag) is equal to
    # another of its class with the same slug (and hashed by it); a string
    # by its value.
    if isinstance(tag, URLWrapper):
        return (type(tag), tag.slug)
    if type(tag) is str:
        return (str, tag)
    raise TypeError("another kind of tag")


def inputs_key(articles, limit):
    """Everything ``related_for_all`` reads, by value: each article's position,
    date (its timestamp), slug and tags; and the limit. None when that cannot
    be said of these articles (the same article twice, tags of mixed kinds)."""
    if len({id(article) for article in articles}) != len(articles):
        return None
    key = [(type(limit), limit)]
    kinds = set()
    try:
        for article in articles:
            tags = tuple(_tag_key(tag) for tag in getattr(article, "tags", None) or ())
            kinds.update(kind for kind, _value in tags)
            key.append((article.date.timestamp(), article.slug, tags))
    except (TypeError, AttributeError, ValueError, OverflowError, OSError):
        return None
    if str in kinds and len(kinds) > 1:
        return None  # a string equals a topic by its slug: not said by the key
    return tuple(key)


# The last answer (``related_positions``): (inputs_key, positions).
_last: tuple | None = None


def _kept_path(cache: str | None) -> Path | None:
    return Path(cache) / "related" / "positions.json" if cache else None


def _digest(key: tuple) -> str:
    """``key`` (``inputs_key``), with this file's code and Python's version, hashed."""
    digest = hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=20)
    digest.update(sys.version.encode())
    with contextlib.suppress(OSError):
        digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _kept(path: Path | None, digest: str, count: int) -> list | None:
    """The positions kept at ``path`` for ``digest``, if whole and in range."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != digest:
        return None
    positions = data.get("positions")
    if not isinstance(positions, list) or len(positions) != count:
        return None
    for related in positions:
        if not isinstance(related, list) or not all(
                type(index) is int and 0 <= index < count for index in related):
            return None
    return positions


def related_positions(articles, limit, cache: str | None = None):
    """``related_for_all(articles, limit)``, as positions in ``articles``.

    Kept for the process while the inputs (``inputs_key``) are the same: the
    preview builds again on every save, with new article objects whose
    tags, dates and slugs are mostly what they were. ``cache``: the folder
    that keeps the answer between builds too (``CACHE_PATH``).
    """
    global _last
    key = inputs_key(articles, limit)
    if key is not None and _last is not None and _last[0] == key:
        return _last[1]
    path = _kept_path(cache) if key is not None else None
    digest = _digest(key) if path is not None else ""
    positions = _kept(path, digest, len(articles))
    if positions is None:
        position = {id(article): index for index, article in enumerate(articles)}
        positions = [[position[id(other)] for other in related]
                     for related in related_for_all(articles, limit)]
        if path is not None:
            with contextlib.suppress(OSError):  # (a cache: not kept is no error)
                from newsroom.core.output_files import write_text_if_changed

                path.parent.mkdir(parents=True, exist_ok=True)
                write_text_if_changed(path, json.dumps({"inputs": digest,
                                                        "positions": positions}))
    _last = (key, positions) if key is not None else None
    return positions


def add_related_articles(generator):
    limit = generator.settings["RELATED_STORIES_MAX"]
    articles = list(generator.articles)
    for article, related in zip(articles, related_positions(
            articles, limit, generator.settings.get("CACHE_PATH"))):
        article.related_articles = [articles[index] for index in related]


def register():
    signals.article_generator_finalized.connect(add_related_articles)
