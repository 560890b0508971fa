"""story_neighbours links each story to the next newer and older one."""

from __future__ import annotations

from types import SimpleNamespace

from plugins.story_neighbours import link_neighbours


def test_neighbours_follow_the_generator_order():
    newest, middle, oldest = (SimpleNamespace(slug=s) for s in ("c", "b", "a"))
    link_neighbours(SimpleNamespace(articles=[newest, middle, oldest]))
    assert newest.newer_article is None and newest.older_article is middle
    assert middle.newer_article is newest and middle.older_article is oldest
    assert oldest.newer_article is middle and oldest.older_article is None


def test_a_single_story_has_no_neighbours():
    only = SimpleNamespace(slug="only")
    link_neighbours(SimpleNamespace(articles=[only]))
    assert only.newer_article is None and only.older_article is None


def test_built_pages_chain_through_every_story(filler_site):
    """Following "Older story" from the newest story visits every story once."""
    import posixpath

    from helpers.building import ARTICLE_URL, FILLER_ARTICLES

    url, seen = ARTICLE_URL, []
    while url:
        seen.append(url)
        links = filler_site.page(url).xpath("//*[contains(@class,'story-nav__older')]/a/@href")
        url = posixpath.normpath(posixpath.join(url, links[0])) + "/" if links else None
    assert len(seen) == len(set(seen)) == FILLER_ARTICLES + 1
