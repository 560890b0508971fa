"""structured_data: JSON-LD and the public URLs social metadata needs.

Hooks ``initialized`` to measure the publisher logo (``PUBLISHER_LOGO``; a
missing file fails the build with a clear error), and ``generator_init`` to
give templates these globals (their URLs are built on ``PUBLIC_SITEURL``,
derived once by ``newsroom.core.settings``):

* ``news_article_ld(article)``: a schema.org ``NewsArticle`` dict (its
  ``dateModified`` is the latest of Modified and the corrections, each
  correction a ``CorrectionComment``);
* ``website_ld()`` and ``organization_ld()``: the home page's ``WebSite``
  (with a ``SearchAction`` for the search page) and ``Organization``.

Templates serialise them with the ``script_json`` filter, which escapes
``<``, ``>`` and ``&`` so no headline can end the ``<script>`` element.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import pass_context
from pelican import signals
from PIL import Image, UnidentifiedImageError

from newsroom.core.problems import report_problem
from newsroom.core.render_records import reads_own_data_only

from . import schema


def logo_source(settings) -> Path:
    """The file behind the site-relative ``PUBLISHER_LOGO`` URL."""
    url = settings["PUBLISHER_LOGO"]
    static_prefix = settings["THEME_STATIC_DIR"].strip("/") + "/"
    if url.startswith(static_prefix):
        return Path(settings["THEME"]) / "static" / url[len(static_prefix):]
    return Path(settings["PATH"]) / url


def measure_logo(settings) -> dict | None:
    source = logo_source(settings)
    try:
        with Image.open(source) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError) as error:
        report_problem(
            "pelicanconf.py", None,
            f"PUBLISHER_LOGO {settings['PUBLISHER_LOGO']!r}: cannot read {source.name} "
            f"({error.__class__.__name__}); run scripts/make_publisher_logo.py or point "
            "PUBLISHER_LOGO at a PNG of at least 112x112 px")
        return None
    if min(width, height) < 112:
        report_problem(
            "pelicanconf.py", None,
            f"PUBLISHER_LOGO {settings['PUBLISHER_LOGO']!r} is {width}x{height} px; search "
            "engines need at least 112x112 px")
    return {"url": settings["PUBLISHER_LOGO"], "width": width, "height": height}


def prepare_settings(pelican_object):
    settings = pelican_object.settings
    settings["PUBLISHER_LOGO_IMAGE"] = (
        measure_logo(settings) if settings["PUBLISHER_LOGO"] else None
    )


@reads_own_data_only  # schema.news_article reads none of the stories it links to
@pass_context
def news_article_ld(context, article):
    return schema.news_article(article, context)


@pass_context
def website_ld(context):
    return schema.website(context)


@pass_context
def organization_ld(context):
    return schema.organization(context)


def add_globals(generator):
    env = getattr(generator, "env", None)
    if env is None:
        return
    env.globals.update(
        news_article_ld=news_article_ld,
        website_ld=website_ld,
        organization_ld=organization_ld,
    )


def register():
    signals.initialized.connect(prepare_settings)
    signals.generator_init.connect(add_globals)
