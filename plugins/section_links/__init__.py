"""section_links: the sections the theme links to, without their stories.

Hooks ``all_generators_finalized`` and sets ``sections`` in the template
context: the sections named in ``SECTIONS``, in that order, that have at
least one published story, each as Pelican's category object (its name and
URL). The section navigation and the "page not found" page read it instead
of Pelican's ``categories``, which pairs each section with its list of
stories: a page that reads ``categories`` depends on every story's place in
every section, so the page records of full builds
(newsroom/core/render_records.py) would render every page again whenever a
story is added, removed or moved in time. The sections page, which counts
stories, still reads ``categories``.
"""

from pelican import signals


def sections_with_stories(sections, categories) -> list:
    """The category objects of ``categories`` ((category, stories) pairs) named in ``sections``, in that order."""
    by_name = {category.name: category for category, stories in categories if stories}
    return [by_name[name] for name in sections if name in by_name]


def add_sections(generators) -> None:
    for generator in generators:
        context = getattr(generator, "context", None)
        if context is not None and "categories" in context:
            context["sections"] = sections_with_stories(
                context.get("SECTIONS") or (), context["categories"])
            return


def register():
    signals.all_generators_finalized.connect(add_sections)
