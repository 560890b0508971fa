"""Pelican settings for publishing (`invoke preview`, `invoke publish`).

Everything in pelicanconf.py applies; this file changes what differs on the
live site: absolute URLs, feeds, and files for hosting (fingerprinted CSS/JS,
immutable.txt, .gz/.br copies, releases kept by `invoke publish`).
"""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F401,F403

# The public address of the site, without a trailing slash: LIVE_SITEURL
# (pelicanconf.py), or SITEURL from the environment or from
# `python -m newsroom.build -e SITEURL=...` when publishing elsewhere (a
# sub-path such as https://example.org/news works too). Nothing is derived
# from it here: feeds (FEED_DOMAIN), canonical links, JSON-LD, sitemaps
# (PUBLIC_SITEURL), share links (SHARE_SITEURL) and redirects.map follow
# whatever SITEURL the build ends up with (newsroom/core/settings.py).
SITEURL = os.environ.get("SITEURL", LIVE_SITEURL).rstrip("/")  # noqa: F405
RELATIVE_URLS = False
# Drafts and stories scheduled for later are not written at all.
SHOW_UNPUBLISHED = False

# --- Feeds ----------------------------------------------------------------
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/section/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/section/{slug}.rss.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag/{slug}.rss.xml"
# Each writer's stories (the writer page links the Atom feed).
AUTHOR_FEED_ATOM = "feeds/author/{slug}.atom.xml"
AUTHOR_FEED_RSS = "feeds/author/{slug}.rss.xml"

# --- Hosting --------------------------------------------------------------
# Theme CSS/JS under content-hashed names, listed with every other
# content-named file in immutable.txt; .gz and .br beside each text file over
# 1 KB (README, "Publishing").
FINGERPRINT_ASSETS = True
PRECOMPRESS = True
# Releases `invoke publish` keeps beside a folder target, for `invoke rollback`.
PUBLISH_KEEP_RELEASES = 5

# Where `invoke publish` copies the site: a folder, or user@host:path for
# rsync. Empty means "ask": publishing never guesses a destination.
PUBLISH_TARGET = os.environ.get("PUBLISH_TARGET", "")
