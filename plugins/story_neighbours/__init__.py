"""story_neighbours: the newer and older story for "previous/next" links.

Hooks ``article_generator_finalized`` and sets, on every published article,
``article.newer_article`` and ``article.older_article`` (another article, or
None at either end). Neighbours follow the site-wide order of
``generator.articles`` (newest first), so they match the home page and the
archives. Hidden articles and drafts are never anyone's neighbour.
"""

from pelican import signals


def link_neighbours(generator):
    articles = generator.articles
    for index, article in enumerate(articles):
        article.newer_article = articles[index - 1] if index > 0 else None
        article.older_article = articles[index + 1] if index + 1 < len(articles) else None


def register():
    signals.article_generator_finalized.connect(link_neighbours)
