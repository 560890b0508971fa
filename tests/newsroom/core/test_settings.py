"""newsroom.core.settings: every plugin default applied once, every derived value computed once.

Unit tests of ``resolve`` on plain dicts and on the real settings files, and
one pair of publishing builds showing that ``-e SITEURL=...`` alone (no
environment variable) reaches every absolute URL, exactly as the
environment variable does.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from pelican.settings import read_settings

from helpers.building import (ARTICLE_URL, DEVELOPMENT, PUBLISHING, PUBLIC_SITEURL, SEED,
                              copy_content, hash_tree, run_build)
from newsroom.core.settings import DEFAULTS, DERIVED, resolve

SUBPATH = "https://example.org/news"


# --- resolve on plain dicts ----------------------------------------------------------

def test_every_default_is_applied_to_empty_settings():
    settings = resolve({})
    for name, value in DEFAULTS.items():
        assert settings[name] == value, name
    assert set(DERIVED) <= set(settings)


def test_defaults_are_copies_a_build_may_change():
    first = resolve({})
    first["PHOTO_WIDTHS"].append(9999)
    first["PHOTO_SIZES"]["body"] = "changed"
    assert 9999 not in DEFAULTS["PHOTO_WIDTHS"]
    assert resolve({})["PHOTO_SIZES"] == DEFAULTS["PHOTO_SIZES"]


def test_resolving_twice_changes_nothing():
    once = resolve({"SITEURL": SUBPATH, "SITENAME": "The Ledger", "DEFAULT_LANG": "sw"})
    snapshot = json.dumps(once, sort_keys=True, default=str)
    assert json.dumps(resolve(once), sort_keys=True, default=str) == snapshot


def test_an_explicit_setting_wins_over_its_default():
    settings = resolve({"PHOTO_WIDTHS": [100], "RELATED_STORIES_MAX": 2,
                        "SHOW_UNPUBLISHED": False, "MARKDOWN_TIME_LIMIT": None})
    assert settings["PHOTO_WIDTHS"] == [100]
    assert settings["RELATED_STORIES_MAX"] == 2
    assert settings["SHOW_UNPUBLISHED"] is False
    assert settings["MARKDOWN_TIME_LIMIT"] is None
    assert settings["PHOTO_FORMATS"] == DEFAULTS["PHOTO_FORMATS"]  # the rest: defaults


def test_an_explicit_derived_value_wins():
    settings = resolve({
        "SITEURL": SUBPATH, "SITENAME": "The Ledger", "DEFAULT_LANG": "en",
        "SHARE_SITEURL": "https://share.example", "FEED_DOMAIN": "https://feeds.example",
        "SITE_LANGUAGE": "en-KE", "PUBLISHER_NAME": "Ledger Media", "PHOTO_CACHE_PATH": "/c",
    })
    assert settings["SHARE_SITEURL"] == "https://share.example"
    assert settings["FEED_DOMAIN"] == "https://feeds.example"
    assert settings["SITE_LANGUAGE"] == "en-KE"
    assert settings["PUBLISHER_NAME"] == "Ledger Media"
    assert settings["PHOTO_CACHE_PATH"] == "/c"


def test_the_public_address_is_always_derived_from_siteurl():
    # PUBLIC_SITEURL decides whether canonical links, JSON-LD and sitemaps are
    # written at all: it follows SITEURL, whatever a settings file says.
    settings = resolve({"SITEURL": SUBPATH, "PUBLIC_SITEURL": "https://elsewhere.example"})
    assert settings["PUBLIC_SITEURL"] == SUBPATH


def test_a_publishing_build_derives_everything_from_siteurl():
    settings = resolve({"SITEURL": SUBPATH, "RELATIVE_URLS": False, "SITENAME": "The Ledger",
                        "DEFAULT_LANG": "en", "LIVE_SITEURL": PUBLIC_SITEURL,
                        "CACHE_PATH": "/cache"})
    assert settings["PUBLIC_SITEURL"] == SUBPATH
    assert settings["SHARE_SITEURL"] == SUBPATH
    assert settings["FEED_DOMAIN"] == SUBPATH
    assert settings["SITE_LANGUAGE"] == "en"
    assert settings["PUBLISHER_NAME"] == "The Ledger"
    assert settings["PHOTO_CACHE_PATH"] == "/cache/photos"


@pytest.mark.parametrize("site_url, relative", [("", True), ("", False),
                                                (PUBLIC_SITEURL, True),
                                                ("file:///tmp/site", False)])
def test_a_development_build_has_no_public_address_but_shares_the_live_one(site_url, relative):
    settings = resolve({"SITEURL": site_url, "RELATIVE_URLS": relative,
                        "LIVE_SITEURL": PUBLIC_SITEURL})
    assert settings["PUBLIC_SITEURL"] == ""
    assert settings["SHARE_SITEURL"] == PUBLIC_SITEURL


# --- the real settings files -----------------------------------------------------------

def test_development_settings_resolve_to_the_live_share_address(monkeypatch):
    monkeypatch.delenv("SITEURL", raising=False)
    settings = resolve(read_settings(str(DEVELOPMENT)))
    assert settings["SITEURL"] == "" and settings["PUBLIC_SITEURL"] == ""
    assert settings["SHARE_SITEURL"] == PUBLIC_SITEURL
    assert settings["SITE_LANGUAGE"] == settings["DEFAULT_LANG"] == "en"
    assert settings["PUBLISHER_NAME"] == settings["SITENAME"]


def test_publishconf_derives_nothing_when_imported(monkeypatch):
    monkeypatch.delenv("SITEURL", raising=False)
    settings = read_settings(str(PUBLISHING), override={"SITEURL": SUBPATH})
    for name in ("PUBLIC_SITEURL", "SHARE_SITEURL", "SITE_LANGUAGE", "PUBLISHER_NAME"):
        assert name not in settings, name
    # Pelican's own rule: FEED_DOMAIN follows the SITEURL the build ends up with.
    assert settings["FEED_DOMAIN"] == SUBPATH
    resolved = resolve(settings)
    assert {name: resolved[name] for name in ("PUBLIC_SITEURL", "SHARE_SITEURL",
                                              "FEED_DOMAIN")} == dict.fromkeys(
        ("PUBLIC_SITEURL", "SHARE_SITEURL", "FEED_DOMAIN"), SUBPATH)


def test_publishconf_publishes_at_the_live_address_by_default(monkeypatch):
    monkeypatch.delenv("SITEURL", raising=False)
    settings = resolve(read_settings(str(PUBLISHING)))
    assert settings["SITEURL"] == settings["PUBLIC_SITEURL"] == PUBLIC_SITEURL
    assert settings["SHARE_SITEURL"] == PUBLIC_SITEURL


def test_the_resolver_is_the_first_plugin():
    assert read_settings(str(DEVELOPMENT))["PLUGINS"][0] == "settings_resolver"


def test_the_resolver_refuses_to_run_after_other_plugins():
    from plugins.settings_resolver import resolve_settings

    late = SimpleNamespace(settings={"PLUGINS": ["content_checks", "settings_resolver"]})
    with pytest.raises(RuntimeError, match="first entry of PLUGINS"):
        resolve_settings(late)
    first = SimpleNamespace(settings={"PLUGINS": ["settings_resolver", "photos"]})
    resolve_settings(first)
    assert first.settings["PHOTO_WIDTHS"] == DEFAULTS["PHOTO_WIDTHS"]


# --- -e SITEURL=... carries through a whole build ---------------------------------------

TEXT_SUFFIXES = (".html", ".xml", ".txt", ".map", ".json")


def _texts(output):
    return {path.relative_to(output).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(output.rglob("*"))
            if path.is_file() and path.name.endswith(TEXT_SUFFIXES)}


@pytest.fixture(scope="module")
def subpath_builds(tmp_path_factory):
    """The publishing build at SUBPATH: once from -e only, once from the environment."""
    base = tmp_path_factory.mktemp("subpath")
    content = copy_content(base)
    seed = content / "articles" / SEED
    head, _, body = seed.read_text(encoding="utf-8").partition("\n\n")
    seed.write_text(f"{head}\nRedirect_from: /old/ruto-macron/\n\n{body}", encoding="utf-8")
    overrides = {"PATH": str(content)}
    epoch = {"SOURCE_DATE_EPOCH": "1718640000"}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SITEURL", raising=False)  # -e alone: no environment variable
        from_option = run_build(base / "option", settings=PUBLISHING, search=False,
                                overrides={**overrides, "SITEURL": SUBPATH}, env=epoch)
    from_env = run_build(base / "env", settings=PUBLISHING, search=False, overrides=overrides,
                         env={**epoch, "SITEURL": SUBPATH})
    for result in (from_option, from_env):
        assert result.returncode == 0, result.stderr
    return SimpleNamespace(option=from_option, env=from_env)


def test_siteurl_from_the_command_line_reaches_every_absolute_url(subpath_builds):
    site = subpath_builds.option
    texts = _texts(site.output)
    leaks = sorted(name for name, text in texts.items() if "news.example.org" in text)
    assert not leaks, leaks
    story = f"{SUBPATH}/{ARTICLE_URL}"
    page = site.page(ARTICLE_URL)
    # Canonical and Open Graph.
    assert page.xpath("//head/link[@rel='canonical']/@href") == [story]
    assert page.xpath("//head/meta[@property='og:url']/@content") == [story]
    # JSON-LD.
    (ld,) = [json.loads(text) for text in page.xpath("//script[@type='application/ld+json']/text()")]
    assert ld["url"] == story and ld["publisher"]["url"] == SUBPATH + "/"
    # Feed autodiscovery and the feeds themselves.
    assert f"{SUBPATH}/feeds/all.atom.xml" in page.xpath("//head/link[@rel='alternate']/@href")
    atom = texts["feeds/all.atom.xml"]
    assert f"<id>{SUBPATH}/feeds/all.atom.xml</id>" in atom
    assert f'href="{story}"' in atom
    assert f"<link>{story}</link>" in texts["feeds/all.rss.xml"]
    # Sitemaps and robots.txt.
    assert f"<loc>{story}</loc>" in texts["sitemap.xml"]
    assert f"Sitemap: {SUBPATH}/sitemap.xml" in texts["robots.txt"]
    assert "Disallow: /news/drafts/" in texts["robots.txt"]
    # Share links.
    shares = page.xpath("//*[contains(@class,'story__share')]//a/@href")
    assert shares and all(quote(story, safe="") in href or quote(story, safe="/") in href
                          for href in shares), shares
    # redirects.map: paths as the server sees them, with the sub-path.
    assert re.search(rf"^/news/old/ruto-macron/ /news/{re.escape(ARTICLE_URL)};$",
                     texts["redirects.map"], re.MULTILINE), texts["redirects.map"]


def test_siteurl_from_the_command_line_builds_what_the_environment_builds(subpath_builds):
    assert hash_tree(subpath_builds.option.output) == hash_tree(subpath_builds.env.output)
