"""Pelican settings for development builds (`invoke build`, `invoke serve`).

Settings are grouped by concern; publishconf.py imports this file and
overrides what differs when the site goes live.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent

# --- Site identity ----------------------------------------------------------
SITENAME = "The Ledger"
SITE_DESCRIPTION = "News from a small newsroom, published as static files."
SITE_LANGUAGE = "en"  # BCP 47 tag for <html lang> and feeds
DEFAULT_LANG = "en"
# The publisher named in structured data and news sitemaps.
PUBLISHER_NAME = SITENAME
PUBLISHER_LOGO = "images/site/logo.png"

# --- URLs ---------------------------------------------------------------------
# Development builds use relative URLs so the output can be opened from any
# folder or port; publishconf.py sets an absolute SITEURL.
SITEURL = ""
RELATIVE_URLS = True

# Clean, permanent URLs: /2024/06/slug/ is served by any static file server
# as /2024/06/slug/index.html.
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "section/{slug}/"
CATEGORY_SAVE_AS = "section/{slug}/index.html"
CATEGORIES_URL = "section/"
CATEGORIES_SAVE_AS = "section/index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
TAGS_URL = "tag/"
TAGS_SAVE_AS = "tag/index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = "author/{slug}/index.html"
AUTHORS_URL = "author/"
AUTHORS_SAVE_AS = "author/index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = "archives/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
# Drafts are never published by accident; an editor previews them locally.
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = "drafts/{slug}/index.html"

# --- Content ------------------------------------------------------------------
PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "extra"]
EXTRA_PATH_METADATA = {}
# content/README.md explains the folder to editors; it is not an article.
IGNORE_FILES = [".#*", "README.md", "*.txt", "*.sidecar.*"]
TIMEZONE = "Africa/Nairobi"
DEFAULT_DATE_FORMAT = "%-d %B %Y"
DEFAULT_PAGINATION = 12
DEFAULT_ORPHANS = 0
# Sections, in navigation order. An article's Category must be one of them;
# any other value fails the build (a typo would otherwise create a section).
SECTIONS = ["News", "Politics", "World", "Business", "Sport", "Culture"]
DEFAULT_CATEGORY = "News"
USE_FOLDER_AS_CATEGORY = False
# Keep ordering deterministic: newest first, ties broken by slug.
ARTICLE_ORDER_BY = "reversed-date"
SLUGIFY_SOURCE = "title"

# --- Typography ---------------------------------------------------------------
# Curly quotes, proper dashes and ellipses. Typogrify also wraps capitals and
# ampersands in <span>s; templates strip those with the `plain` filter
# wherever text, not HTML, is needed (<title>, meta, attributes, feeds, JSON).
TYPOGRIFY = True
TYPOGRIFY_DASHES = "oldschool"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
    },
    "output_format": "html5",
}

# --- Theme --------------------------------------------------------------------
THEME = str(ROOT / "theme")
THEME_STATIC_DIR = "theme"
# Autoescape everything; HTML values are marked safe explicitly in templates.
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": True,
    "extensions": [],
}
DIRECT_TEMPLATES = ["index", "categories", "tags", "authors", "archives"]
PAGINATED_TEMPLATES = {"index": None, "category": None, "tag": None, "author": None}
# Links in the footer (title, URL relative to the site root).
FOOTER_LINKS = [("About", "about/")]

# --- Plugins ------------------------------------------------------------------
PLUGIN_PATHS = [str(ROOT / "plugins")]
PLUGINS = [
    # Markdown titles and bodies are text: escape raw HTML before typogrify.
    "plain_metadata",
]

# Small template filters (plain text of HTML, ISO dates, reading time, ...).
from newsroom.filters import JINJA_FILTERS  # noqa: E402

# --- Feeds --------------------------------------------------------------------
# Feeds need absolute URLs, so development builds leave them off.
FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None

# --- Build --------------------------------------------------------------------
OUTPUT_PATH = "output"
DELETE_OUTPUT_DIRECTORY = False  # the build driver swaps a fresh folder in
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
# Caches that survive between builds live outside the output folder.
CACHE_PATH = str(ROOT / ".cache" / "pelican")

# --- Readers ------------------------------------------------------------------
# Articles are Markdown only; raw .html files in content/ are not read.
READERS = {"html": None, "htm": None}
