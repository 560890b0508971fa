"""related_stories: stories that share tags with an article.

Hooks ``article_generator_finalized`` and sets ``article.related_articles``
on every published article: up to ``RELATED_STORIES_MAX`` other articles
that share at least one tag, most shared tags first, then newest first, then
by slug, so the order is the same on every build.
"""

from collections import Counter

from pelican import signals


def related_by_tags(article, articles_by_tag, limit):
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


def add_related_articles(generator):
    limit = generator.settings["RELATED_STORIES_MAX"]
    articles_by_tag = {}
    for article in generator.articles:
        for tag in getattr(article, "tags", None) or []:
            articles_by_tag.setdefault(tag, []).append(article)
    for article in generator.articles:
        article.related_articles = related_by_tags(article, articles_by_tag, limit)


def register():
    signals.article_generator_finalized.connect(add_related_articles)
