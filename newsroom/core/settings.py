"""The site's settings, resolved once: every plugin default and every derived value.

``resolve(settings)`` runs at Pelican's ``initialized`` signal (the
``settings_resolver`` plugin, first in ``PLUGINS``), so a build started with
``python -m newsroom.build`` and one started with ``python -m pelican`` see
the same settings; tools that read a settings file without running Pelican
(``newsroom.dev.new_story``, ``tasks.py``) call it themselves. After it, plugins
and templates read ``settings["NAME"]``: no ``.get(NAME, default)``, no
default anywhere else.

1. ``DEFAULTS``: every setting a plugin or newsroom tool reads that Pelican
   does not define, with the value it has when no settings file gives one.
   Applied with ``setdefault``: a value in pelicanconf.py, publishconf.py or
   ``-e KEY=VALUE`` wins. pelicanconf.py states the site's own choices (its
   identity, URL scheme, sections, content rules, security policy); tuning
   that keeps these defaults (photos, related stories, the news sitemap's
   window, slug length) is not repeated there.
2. Derived values, computed here only, from the settings as they are after
   every override (so ``-e SITEURL=https://example.org/news`` reaches feeds,
   canonical links, JSON-LD, sitemaps, share links and redirects.map alike):

   * ``PUBLIC_SITEURL``: the build's absolute address without a trailing
     slash, "" in development builds (relative URLs, or no http(s) SITEURL);
     everything read by other programs (canonical, Open Graph, JSON-LD,
     sitemaps, redirects.map) is written only when it is set. Always derived.
   * ``SHARE_SITEURL``: the address share links carry: ``PUBLIC_SITEURL``,
     or in development builds ``LIVE_SITEURL`` (the live site's address).
   * ``FEED_DOMAIN``: ``SITEURL`` (Pelican's own rule, applied again for
     settings that did not come through ``read_settings``).
   * ``SITE_LANGUAGE``: the BCP 47 tag of ``<html lang>``, feeds, the news
     sitemap and JSON-LD: ``DEFAULT_LANG`` (Pelican lowercases that; set
     ``SITE_LANGUAGE`` itself for a tag such as "en-KE").
   * ``PUBLISHER_NAME``: ``SITENAME``.
   * ``PHOTO_CACHE_PATH``: ``photos`` inside ``CACHE_PATH``.
   * ``COMPRESSION_CACHE_PATH``: ``compressed`` inside ``CACHE_PATH``: the
     ``.gz``/``.br`` bytes of publishing builds, by content
     (``newsroom.build.precompress``).
   * ``READ_CACHE_PATH``: ``reads`` inside ``CACHE_PATH``: what the story
     reader and typogrify made of each story, for full builds
     (``newsroom.build.read_cache``; ``READ_CACHE = False`` turns it off).
   * ``TEMPLATE_CACHE_PATH``: ``templates`` inside ``CACHE_PATH``; unless
     ``TEMPLATE_CACHE`` is False, ``JINJA_ENVIRONMENT`` gets a bytecode cache
     there (``newsroom.core.template_cache``).

   A derived value given explicitly wins (except ``PUBLIC_SITEURL``); give
   it with ``-e`` or in the file that is run, never in pelicanconf.py, which
   publishconf.py imports (a value that depends on ``SITEURL`` would then
   follow the development build's address).
"""

from __future__ import annotations

import copy
import os

from newsroom.core.photo_crops import crop_settings
from newsroom.core.site_urls import public_site_url
from newsroom.core.template_cache import with_template_cache

DEFAULTS: dict = {
    # --- Site identity (pelicanconf.py sets the site's) ------------------------
    # One line about the site: feeds and the home page's JSON-LD.
    "SITE_DESCRIPTION": "",
    # Site-relative URL of the publisher's logo (>= 112x112 px) for JSON-LD;
    # "" for none.
    "PUBLISHER_LOGO": "",
    # The live site's address: share links in development builds point there
    # (publishconf.py also uses it as SITEURL when none is given).
    "LIVE_SITEURL": "",
    # Bylines that name the newsroom, not a person (Organization in JSON-LD).
    "DESK_BYLINES": [],
    # Sections in navigation order: a list of names or a dict name ->
    # description. Empty: any Category is accepted.
    "SECTIONS": [],
    # The search page (JSON-LD SearchAction).
    "SEARCH_URL": "search/",

    # --- Reader experience ---------------------------------------------------
    # How many "related stories" (sharing tags) an article page lists.
    "RELATED_STORIES_MAX": 4,

    # --- Discovery -------------------------------------------------------------
    # Days before the build time (SOURCE_DATE_EPOCH) a story stays in the
    # Google News sitemap.
    "NEWS_SITEMAP_WINDOW_DAYS": 2,
    # Site-relative URL prefixes left out of sitemap.xml.
    "SITEMAP_EXCLUDE": [],

    # --- Newsroom workflow and hosting ---------------------------------------
    # Render drafts and scheduled stories (with a banner, noindex) at DRAFT_URL.
    "SHOW_UNPUBLISHED": True,
    # Theme CSS/JS under content-hashed names, listed in immutable.txt.
    "FINGERPRINT_ASSETS": False,
    # .gz and .br beside every text file over 1 KB.
    "PRECOMPRESS": False,
    # Releases `invoke publish` keeps beside a folder target.
    "PUBLISH_KEEP_RELEASES": 5,
    # Where `invoke publish` copies the site; "" means ask.
    "PUBLISH_TARGET": "",

    # --- Writers -------------------------------------------------------------
    # Folders of writer profiles (content/authors/jane-doe.md).
    "WRITER_PROFILE_PATHS": ["authors"],
    "WRITER_PROFILE_EXCLUDES": [],
    # `sizes` of the profile photo; in step with .writer-profile__photo in
    # theme/static/css/site.css.
    "WRITER_PHOTO_SIZES": "9rem",

    # --- Untrusted content (content_checks; pelicanconf.py sets the site's) --
    # Metadata fields a story may use; any other key is an error.
    "STORY_METADATA": [],
    # Fields a writer profile may use.
    "WRITER_METADATA": ["name", "role", "photo", "photo_alt"],
    # Fields that may be given more than once in one file.
    "REPEATABLE_METADATA": [],
    # Output-steering keys (Save_as, URL, ...) allowed per file (path in content/).
    "STEERING_METADATA_ALLOWED": {},
    # Fields whose values are text, HTML-escaped before typogrify.
    "PLAIN_TEXT_METADATA": ["title", "image_alt", "image_caption"],
    # Seconds Markdown may spend on one story; None: no limit.
    "MARKDOWN_TIME_LIMIT": None,
    # A slug made from a long headline is cut at a word boundary to this length.
    "SLUG_MAX_LENGTH": 80,
    # What the static folders may hold: extension -> what it is.
    "STATIC_FILE_TYPES": {
        "jpg": "JPEG photo", "jpeg": "JPEG photo", "png": "PNG image",
        "webp": "WebP image", "avif": "AVIF image", "gif": "GIF image",
        "tif": "TIFF photo", "tiff": "TIFF photo",
        "pdf": "PDF document", "csv": "table (CSV)", "txt": "plain text",
        "sidecar.txt": "photo text for the photos plugin (never published)",
    },

    # --- Photos ----------------------------------------------------------------
    # Folders under content/ whose images are photos: published only as
    # renditions, never as the original file, unless PHOTO_PUBLISH_ORIGINALS.
    "PHOTO_PATHS": ["images"],
    "PHOTO_PUBLISH_ORIGINALS": False,
    # Rendition widths in px (never wider than the original), formats in the
    # order browsers should try them (JPEG is always the fallback) and encoder
    # options (chosen with bench/photos.py: AVIF/WebP at about the SSIM of JPEG).
    "PHOTO_WIDTHS": [480, 800, 1200, 1600, 2000],
    "PHOTO_FORMATS": ["avif", "webp", "jpeg"],
    "PHOTO_ENCODER_OPTIONS": {
        "avif": {"quality": 70, "speed": 8, "max_threads": 1},
        "webp": {"quality": 85, "method": 4},
        "jpeg": {"quality": 82, "optimize": True, "progressive": True},
    },
    # The lead photo's centre crops for Open Graph and JSON-LD (JPEG, this
    # wide; names and ratios in newsroom/core/photo_crops.py), and its list
    # thumbnail (ratio and widths; the card shows it about 18rem wide).
    "PHOTO_CROPS": crop_settings(),
    "PHOTO_CROP_WIDTH": 1200,
    "PHOTO_THUMBNAIL_RATIO": [3, 2],
    "PHOTO_THUMBNAIL_WIDTHS": [400, 800],
    # `sizes` for body photos (the 40rem text column), the lead photo (60rem)
    # and thumbnails; keep them in step with theme/static/css/site.css.
    "PHOTO_SIZES": {
        "body": "(min-width: 44rem) 40rem, 100vw",
        "lead": "(min-width: 62rem) 60rem, 100vw",
        "thumbnail": "(min-width: 60rem) 18rem, (min-width: 40rem) 45vw, 100vw",
    },
    # Where renditions go in the output (the encode cache, PHOTO_CACHE_PATH,
    # is derived: see the module docstring).
    "PHOTO_OUTPUT_DIR": "images/renditions",
    # Encoder processes; None means one per CPU core.
    "PHOTO_WORKERS": None,
    # Alt text an editor writes for a photo that is only decoration (alt="").
    "PHOTO_DECORATIVE_MARKER": "(decorative)",
    # Background for transparent PNGs in the JPEG fallback.
    "PHOTO_MATTE": "#ffffff",
    # --- Build ------------------------------------------------------------------
    # Keep compiled templates between builds (newsroom/core/template_cache.py).
    "TEMPLATE_CACHE": True,
    # Full builds keep what the story reader and typogrify made of each story
    # in READ_CACHE_PATH and read the others on every core
    # (newsroom/build/read_cache.py).
    "READ_CACHE": True,
    # Processes that read the stories the read cache lacks; None means one
    # per CPU core, 1 reads them all in the build process.
    "READ_WORKERS": None,
    # A forked process that renders pages and feeds ahead of the build (full
    # builds of 200 pages or more; newsroom/build/parallel_render.py): None
    # decides by the site's size, 1 never, 2 always.
    "RENDER_WORKERS": None,
    # A build whose every input is unchanged since the last build into the same
    # output writes nothing (newsroom/build/up_to_date.py).
    "SKIP_UNCHANGED_BUILDS": True,
    # A page whose inputs (what its render read, the templates, settings and
    # code) are unchanged since the last build into the same output is not
    # rendered again: its published file is linked (newsroom/build/page_records.py).
    "SKIP_UNCHANGED_PAGES": True,
    # The search index in this many parts, each indexed again only when one of
    # its pages changed; the search page merges them (newsroom/build/search_parts.py).
    # More parts: less to index after an edit, a few more small files per search.
    "SEARCH_INDEX_PARTS": 4,
    # The newest this many indexed pages make the first part, small and quick
    # to index again after an edit (most edits are to the newest stories).
    "SEARCH_RECENT_PAGES": 50,
}

# Computed by ``resolve`` (see the module docstring); listed so that tools
# and tests know every name it sets.
DERIVED = ("PUBLIC_SITEURL", "SHARE_SITEURL", "FEED_DOMAIN", "SITE_LANGUAGE",
           "PUBLISHER_NAME", "PHOTO_CACHE_PATH", "TEMPLATE_CACHE_PATH",
           "COMPRESSION_CACHE_PATH", "READ_CACHE_PATH")


def _missing(settings, name: str) -> bool:
    return settings.get(name) in (None, "")


def resolve(settings: dict) -> dict:
    """Apply ``DEFAULTS`` and compute the derived values in ``settings``; return it.

    Changes ``settings`` in place. Running it again changes nothing.
    """
    for name, value in DEFAULTS.items():
        if name not in settings:
            settings[name] = copy.deepcopy(value)  # a build may change its copy
    site_url = settings.get("SITEURL") or ""
    settings["PUBLIC_SITEURL"] = public_site_url(settings)
    if _missing(settings, "SHARE_SITEURL"):
        settings["SHARE_SITEURL"] = settings["PUBLIC_SITEURL"] or settings["LIVE_SITEURL"]
    if _missing(settings, "FEED_DOMAIN"):
        settings["FEED_DOMAIN"] = site_url
    if _missing(settings, "SITE_LANGUAGE"):
        settings["SITE_LANGUAGE"] = settings.get("DEFAULT_LANG") or "en"
    if _missing(settings, "PUBLISHER_NAME"):
        settings["PUBLISHER_NAME"] = settings.get("SITENAME") or ""
    if _missing(settings, "PHOTO_CACHE_PATH"):
        settings["PHOTO_CACHE_PATH"] = os.path.join(settings.get("CACHE_PATH") or ".cache",
                                                    "photos")
    if _missing(settings, "COMPRESSION_CACHE_PATH"):
        settings["COMPRESSION_CACHE_PATH"] = os.path.join(
            settings.get("CACHE_PATH") or ".cache", "compressed")
    if _missing(settings, "READ_CACHE_PATH"):
        settings["READ_CACHE_PATH"] = os.path.join(settings.get("CACHE_PATH") or ".cache",
                                                   "reads")
    if _missing(settings, "TEMPLATE_CACHE_PATH"):
        settings["TEMPLATE_CACHE_PATH"] = os.path.join(settings.get("CACHE_PATH") or ".cache",
                                                       "templates")
    if settings["TEMPLATE_CACHE"]:
        settings["JINJA_ENVIRONMENT"] = with_template_cache(
            settings.get("JINJA_ENVIRONMENT") or {}, settings["TEMPLATE_CACHE_PATH"])
    return settings
