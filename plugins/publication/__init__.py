"""publication: what is public is exactly what editors released, when they released it.

Hooks

* ``content_object_init``: an article dated after the build time
  (``newsroom.core.clock.build_time``: ``SOURCE_DATE_EPOCH`` when set, otherwise
  now) is *scheduled*: Pelican is told it is a draft, so it is in no list,
  feed, sitemap, archive, tag or writer page, and its ``scheduled_for``
  holds the date it goes live;
* ``article_generator_finalized`` and ``page_generator_finalized``: when
  ``SHOW_UNPUBLISHED`` is off (publishconf.py), drafts and scheduled stories
  are dropped altogether: no page, no photo rendition used only by them (the
  photos plugin encodes only for contents the build renders), no search
  fragment. Development builds render them at ``drafts/<slug>/`` with a
  banner and ``noindex``, out of every list and of the search index;
* ``all_generators_finalized``: a published page that links a dropped story
  with ``{filename}`` is an error (the link would be dead and would give the
  embargoed story's address away); the next scheduled story is printed, so
  the editor knows when to publish again.

Feeds never claim a time after the build (``news_feeds``' ``updated`` is
capped at the build time).
"""

from __future__ import annotations

import os
import re

from pelican import signals
from pelican.contents import Article

from newsroom.core.clock import build_time, output_changes_at
from newsroom.compat.pelican import body_html, summary_html
from newsroom.core.problems import report_problem, shown_path

# Per build: source paths of the stories left out, and the scheduled ones.
_left_out: set[str] = set()
_scheduled: list = []
_FILENAME_LINK = re.compile(r"""[{|]filename[|}](?P<target>[^"'\s<>]+)""")


def setup(pelican) -> None:
    _left_out.clear()
    _scheduled.clear()


def schedule(content) -> None:
    """A story dated after the build time waits: a draft until its time comes."""
    if not isinstance(content, Article) or getattr(content, "status", "") != "published":
        return
    date = getattr(content, "date", None)
    if date is None or date.tzinfo is None or date <= build_time():
        return
    output_changes_at(date)  # the embargo lifts then
    content.scheduled_for = date
    content.status = "draft"
    _scheduled.append(content)


def _drop_unpublished(generator, lists: tuple[str, ...]) -> None:
    if generator.settings["SHOW_UNPUBLISHED"]:
        return
    for name in lists:
        for content in getattr(generator, name, []):
            _left_out.add(content.source_path)
        setattr(generator, name, [])
        generator.context[name] = []
    # {filename} links must not find them (checked in check_links).
    generated = generator.context.get("generated_content", {})
    for key in [k for k, v in generated.items() if getattr(v, "source_path", None) in _left_out]:
        del generated[key]


def drop_unpublished_articles(generator) -> None:
    _drop_unpublished(generator, ("drafts", "drafts_translations"))


def drop_unpublished_pages(generator) -> None:
    _drop_unpublished(generator, ("draft_pages", "draft_translations"))


def _links_to_left_out(content, content_root: str):
    text = body_html(content) + (summary_html(content) or "")
    for match in _FILENAME_LINK.finditer(text):
        target = match.group("target").split("#", 1)[0].split("?", 1)[0]
        if target.startswith("/"):
            path = os.path.join(content_root, target.lstrip("/"))
        else:
            path = os.path.join(os.path.dirname(content.source_path), target)
        path = os.path.normpath(path)
        if path in _left_out:
            yield path


def check_links_and_report(generators) -> None:
    settings = generators[0].settings
    content_root = os.path.abspath(settings["PATH"])
    if _left_out:
        for generator in generators:
            for name in ("articles", "translations", "hidden_articles", "pages",
                         "hidden_pages"):
                for content in getattr(generator, name, []):
                    for target in sorted(set(_links_to_left_out(content, content_root))):
                        report_problem(
                            shown_path(content_root, content.source_path), None,
                            f"links {shown_path(content_root, target)}, which is a draft or "
                            "scheduled for later and is not published; remove the link or "
                            "publish both together", covers=[content.source_path])
    if _scheduled and not settings["SHOW_UNPUBLISHED"]:
        story = min(_scheduled, key=lambda c: (c.date, c.source_path))
        local = story.date.strftime("%Y-%m-%d %H:%M %Z").strip()
        more = f" ({len(_scheduled) - 1} more after it)" if len(_scheduled) > 1 else ""
        print(f"Next scheduled story: {shown_path(content_root, story.source_path)} at "
              f"{local}{more}; publish again then.", flush=True)


def register():
    signals.initialized.connect(setup)
    signals.content_object_init.connect(schedule)
    signals.article_generator_finalized.connect(drop_unpublished_articles)
    signals.page_generator_finalized.connect(drop_unpublished_pages)
    signals.all_generators_finalized.connect(check_links_and_report)

