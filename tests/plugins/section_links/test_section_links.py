"""section_links: the sections the theme links to, in SECTIONS order, only those with stories."""

from __future__ import annotations

from types import SimpleNamespace

from plugins.section_links import add_sections, sections_with_stories


def _category(name: str):
    return SimpleNamespace(name=name, url=f"section/{name.lower()}/")


def test_sections_follow_the_setting_and_skip_empty_ones():
    world, sport, culture = _category("World"), _category("Sport"), _category("Culture")
    categories = [(culture, ["c"]), (sport, []), (world, ["a", "b"])]
    assert sections_with_stories(["World", "Sport", "Culture", "Nowhere"], categories) == [
        world, culture]
    assert sections_with_stories({"Culture": "About culture", "World": "About the world"},
                                 categories) == [culture, world]  # a dict: its keys' order


def test_the_context_gets_sections_next_to_categories():
    world = _category("World")
    context = {"SECTIONS": ["World"], "categories": [(world, ["a"])]}
    add_sections([SimpleNamespace(), SimpleNamespace(context=context)])
    assert context["sections"] == [world]


def test_built_pages_link_every_section_with_stories_in_order(filler_site):
    from pelican.settings import read_settings

    from helpers.building import DEVELOPMENT

    sections = list(read_settings(str(DEVELOPMENT))["SECTIONS"])
    home = filler_site.page("")
    names = home.xpath("//nav[@class='section-nav']//li/a/text()")[1:]  # after "Home"
    assert names and names == [name for name in sections if name in names]
    for url in home.xpath("//nav[@class='section-nav']//li/a/@href")[1:]:
        assert "/section/" in url
