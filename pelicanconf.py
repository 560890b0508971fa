"""Pelican settings for development builds (`invoke build`, `invoke serve`).

Settings are grouped by concern; publishconf.py imports this file and
overrides what differs when the site goes live.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent

# --- Site identity ----------------------------------------------------------
SITENAME = "The Ledger"
SITE_DESCRIPTION = "News from a small newsroom, published as static files."
# The site's language, once: Pelican's language of every story, and (as the
# derived SITE_LANGUAGE) the BCP 47 tag of <html lang>, feeds, the news
# sitemap and JSON-LD. The publisher named in structured data and news
# sitemaps is SITENAME (PUBLISHER_NAME, derived). Plugin defaults and derived
# settings: newsroom/core/settings.py, applied by the settings_resolver plugin.
DEFAULT_LANG = "en"
# Site-relative URL of the logo (at least 112x112 px; drawn by
# scripts/make_publisher_logo.py into theme/static/images/).
PUBLISHER_LOGO = "theme/images/logo.png"

# --- URLs ---------------------------------------------------------------------
# Development builds use relative URLs so the output can be opened from any
# folder or port; publishconf.py sets an absolute SITEURL.
SITEURL = ""
RELATIVE_URLS = True
# The live site's address. publishconf.py publishes there unless SITEURL is
# given (environment or -e); development builds' share links point there.
# Everything that needs an absolute address (PUBLIC_SITEURL, SHARE_SITEURL,
# FEED_DOMAIN) is derived from SITEURL by newsroom/core/settings.py, never here.
LIVE_SITEURL = "https://news.example.org"

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
# Drafts (Status: draft) and scheduled stories (Date after the build time)
# are rendered here, with a banner and noindex, only by development builds;
# publishconf.py turns SHOW_UNPUBLISHED off and they are not written at all.
DRAFT_URL = "drafts/{slug}/"
DRAFT_SAVE_AS = "drafts/{slug}/index.html"
SHOW_UNPUBLISHED = True

# --- Content ------------------------------------------------------------------
PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
# Writer profiles (content/authors/jane-doe.md): never articles, pages or
# static files; the writer_profiles plugin reads them (see "Writers" below).
WRITER_PROFILE_PATHS = ["authors"]
STATIC_PATHS = ["images", "extra"]
# What the static folders may hold (extension -> what it is); any other file
# there fails the build, naming it (content_checks/static_files.py). Never add
# a type a browser may run or a server may obey: html, htm, xhtml, svg, svgz,
# xml, js, mjs, css, swf, wasm, php, ... Photos become renditions (see
# "Photos"); documents are published as they are; a photo's sidecar
# (photo.jpg.sidecar.txt) is read by the photos plugin and never published.
# Symbolic links anywhere in content/ and links that leave it are errors too.
STATIC_FILE_TYPES = {
    "jpg": "JPEG photo", "jpeg": "JPEG photo", "png": "PNG image",
    "webp": "WebP image", "avif": "AVIF image", "gif": "GIF image",
    "tif": "TIFF photo", "tiff": "TIFF photo",
    "pdf": "PDF document", "csv": "table (CSV)", "txt": "plain text",
    "sidecar.txt": "photo text for the photos plugin (never published)",
}
EXTRA_PATH_METADATA = {}
# Files Pelican never lists: editor and system leftovers (Emacs lock files
# .#*, backups *~, macOS .DS_Store), photo sidecars, and content/README.md,
# which explains the folder to editors. Any other file in ARTICLE_PATHS or
# PAGE_PATHS that is not Markdown (.txt, .rst, .docx, ...) fails the build.
IGNORE_FILES = [".#*", "*~", ".DS_Store", "README.md", "*.sidecar.*"]
TIMEZONE = "Africa/Nairobi"
DEFAULT_DATE_FORMAT = "%-d %B %Y"
DEFAULT_PAGINATION = 12
DEFAULT_ORPHANS = 0
# Page 2 of a list lives at .../page/2/ (clean URLs, like the rest of the site);
# "Newer stories" on page 2 of the home page links the site root, not index.html.
INDEX_URL = ""
PAGINATION_PATTERNS = [
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
]
# Sections, in navigation order. An article's Category must be one of them;
# any other value fails the build (a typo would otherwise create a section).
# Either a list of names, or (as here) a dict of name -> description: the
# description is shown under the section page's heading and is its meta
# description ("" for none). Code that only needs the names iterates over
# SECTIONS or tests `name in SECTIONS`, which works for both forms.
SECTIONS = {
    "News": "The day’s news from Kenya and the region.",
    "Politics": "Parliament, government and elections: who decides what, and why it matters.",
    "World": "International news and Kenya’s place in the world.",
    "Business": "Markets, companies, jobs and the economy.",
    "Sport": "Results, fixtures and the stories behind them.",
    "Culture": "Books, music, film, food and ideas.",
}
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

# Markdown extra without attr_list (it lets a story set any attribute, event
# handlers included) and md_in_html (raw HTML is off). The content_checks
# plugin adds its own reader rules on top; see "Untrusted content" below.
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.abbr": {},
        "markdown.extensions.def_list": {},
        "markdown.extensions.fenced_code": {},
        "markdown.extensions.footnotes": {},
        "markdown.extensions.tables": {},
    },
    "output_format": "html5",
}

# --- Theme --------------------------------------------------------------------
THEME = str(ROOT / "theme")
THEME_STATIC_DIR = "theme"
# Publishing only (publishconf.py): the theme's CSS and JS get content-hashed
# names (theme/css/site.<hash>.css), so servers may cache them for a year; the
# build lists every such file in immutable.txt (plugins/asset_fingerprints).
FINGERPRINT_ASSETS = False
# Autoescape everything; HTML values are marked safe explicitly in templates.
JINJA_ENVIRONMENT = {
    "trim_blocks": True,
    "lstrip_blocks": True,
    "autoescape": True,
    "extensions": [],
}
DIRECT_TEMPLATES = ["index", "categories", "tags", "authors", "archives", "search"]
# The search page (Pagefind UI); see "Discovery" below.
SEARCH_URL = "search/"
SEARCH_SAVE_AS = "search/index.html"
PAGINATED_TEMPLATES = {"index": None, "category": None, "tag": None, "author": None}
# Links in the footer (title, URL relative to the site root).
FOOTER_LINKS = [("About", "about/")]

# --- Reader experience --------------------------------------------------------
# "Related stories" (sharing tags): up to RELATED_STORIES_MAX (default 4).
# Share links are plain links (no scripts, no trackers): name and URL pattern;
# {url} and {title} are filled in URL-encoded. They share the public address
# (SHARE_SITEURL, derived: SITEURL, or LIVE_SITEURL in development builds,
# whose own URLs are relative).
SHARE_LINKS = [
    ("Email", "mailto:?subject={title}&body={url}"),
    ("WhatsApp", "https://wa.me/?text={title}%20{url}"),
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("X", "https://x.com/intent/post?text={title}&url={url}"),
    ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
]

# --- Plugins ------------------------------------------------------------------
PLUGIN_PATHS = [str(ROOT / "plugins")]
PLUGINS = [
    # First: plugin defaults and derived settings (newsroom/core/settings.py), so
    # every other plugin and template reads resolved settings.
    "settings_resolver",
    # Content is untrusted: stories are read by its Markdown reader (titles
    # and bodies are text, only the HTML and links the theme expects), and
    # every mistake (bad dates, unknown fields, missing files, broken images,
    # colliding URLs, unknown sections) is one clear error with a line number.
    "content_checks",
    # Reader experience: "previous/next story" and "related stories" links,
    # and the sections the navigation links to.
    "story_neighbours",
    "related_stories",
    "section_links",
    # Newsroom workflow: drafts and embargoed (future-dated) stories are
    # never published; `invoke publish` names the next scheduled story.
    "publication",
    # Discovery: feeds with full content and lead images, sitemaps and
    # robots.txt, JSON-LD helpers (all need an absolute SITEURL).
    "news_feeds",
    "sitemaps",
    "structured_data",
    # Photos: embedded metadata becomes captioned, credited, responsive
    # <figure>s; renditions are encoded once and cached (see "Photos" below).
    "photos",
    # Writers: content/authors/<slug>.md gives a writer page its name, role,
    # photo and bio; bylines must spell a known writer exactly.
    "writer_profiles",
    # Redirects: a story's old addresses (Redirect_from:) get a page that
    # sends readers on, and redirects.map for the web server (see README).
    # After content_checks, whose output check knows these pages.
    "redirects",
    # Theme CSS/JS under content-hashed names in the publishing build
    # (FINGERPRINT_ASSETS); templates link them with asset_url().
    "asset_fingerprints",
]

# --- Photos ---------------------------------------------------------------------
# Renditions (widths, formats, encoder options), crops, thumbnails, `sizes`,
# the output folder, workers, the decorative marker and the matte keep their
# defaults: the PHOTO_* entries of DEFAULTS in newsroom/core/settings.py, which say
# what each does. Set one here to change it. The encode cache lives outside
# the output (each build renders into a fresh folder), beside Pelican's cache.
PHOTO_CACHE_PATH = str(ROOT / ".cache" / "photos")

# --- Discovery ----------------------------------------------------------------
# Feeds, sitemaps, canonical/Open Graph/Twitter tags and JSON-LD need absolute
# URLs, so they appear only in builds with an absolute SITEURL (publishconf.py).
# A story stays in the Google News sitemap NEWS_SITEMAP_WINDOW_DAYS (default
# 2) before the build time (SOURCE_DATE_EPOCH).
# Site-relative URL prefixes left out of sitemap.xml (search result pages).
SITEMAP_EXCLUDE = ["search/"]
# Bylines that name the newsroom, not a person: Organization in JSON-LD.
DESK_BYLINES = ["Staff Reporter"]

# --- Writers ------------------------------------------------------------------
# A writer's page (author/<slug>/) shows the profile in content/authors/<slug>.md
# (writer_profiles plugin): name, role, photo and bio above their stories.
# Its `sizes` is WRITER_PHOTO_SIZES (default "9rem", in step with
# .writer-profile__photo in theme/static/css/site.css).

# Small template filters (plain text of HTML, ISO dates, reading time, ...).
from newsroom.core.filters import JINJA_FILTERS  # noqa: E402

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

# --- Security -----------------------------------------------------------------
# The Content-Security-Policy <meta> on every page (partials/security_meta.html):
# scripts only from the site, never inline, so injected markup cannot run;
# Pagefind compiles its WebAssembly index ('wasm-unsafe-eval', not
# 'unsafe-eval'). JSON-LD <script type="application/ld+json"> is data, not
# script, and needs no exception.
CONTENT_SECURITY_POLICY = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]
# Other sites see our origin, never the page a reader came from.
REFERRER_POLICY = "strict-origin-when-cross-origin"

# --- Build --------------------------------------------------------------------
OUTPUT_PATH = "output"
DELETE_OUTPUT_DIRECTORY = False  # the build driver swaps a fresh folder in
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
# Caches that survive between builds live outside the output folder.
CACHE_PATH = str(ROOT / ".cache" / "pelican")
# Publishing only (publishconf.py): a .gz and a .br copy beside every text
# file over 1 KB, for servers that send precompressed files
# (newsroom/build/precompress.py).
PRECOMPRESS = False

# --- Untrusted content ----------------------------------------------------------
# Every content file may come from outside the newsroom: it can only produce
# the pages, figures and links the theme defines (README, "Security and
# failure"). The metadata fields a story may use; any other key is an error
# that suggests the nearest of these.
STORY_METADATA = [
    "title", "date", "modified", "category", "tags", "slug", "author", "authors",
    "summary", "status", "image", "image_alt", "image_caption",
    # "Correction: 2024-06-16 10:00 | text", one line per correction
    # (plugins/content_checks/corrections.py).
    "correction",
    # "Redirect_from: /old/path/", one line per old address (plugins/redirects).
    "redirect_from",
]
# The fields a writer profile (WRITER_PROFILE_PATHS) may use; any other key
# is an error that suggests the nearest of these.
WRITER_METADATA = ["name", "role", "photo", "photo_alt"]
# Fields that may be given more than once in one file.
REPEATABLE_METADATA = ["correction", "redirect_from"]
# Keys that steer Pelican's output (Save_as, URL, Template, Lang, ...) are
# refused, except for the files named here (path inside content/).
STEERING_METADATA_ALLOWED = {
    "pages/404.md": ["save_as", "url", "template"],
}
# Fields whose values are text, HTML-escaped before typogrify.
PLAIN_TEXT_METADATA = ["title", "image_alt", "image_caption"]
# Seconds Markdown may spend on one story before it is reported (pasted text
# with thousands of "![" can take minutes).
MARKDOWN_TIME_LIMIT = 5
# A slug made from a long headline is cut at a word boundary to
# SLUG_MAX_LENGTH (default 80) characters.

# --- Readers ------------------------------------------------------------------
# Stories are Markdown only: Pelican's reStructuredText and HTML readers are
# off, and any other file among the stories fails the build, naming it.
READERS = {"rst": None, "html": None, "htm": None}
