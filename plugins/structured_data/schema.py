"""schema.org objects for JSON-LD, built from Pelican content and settings.

``settings`` is any mapping with the resolved site settings (a template
context works; see ``newsroom.core.settings``). URLs are absolute, built on
``PUBLIC_SITEURL``.
"""

from __future__ import annotations

from newsroom.core.filters import isodate, plain
from newsroom.core.photo_crops import ARTICLE_IMAGE_CROPS
from newsroom.core.site_urls import absolute_url

HEADLINE_MAX = 110  # Google's limit for NewsArticle.headline


def headline(title_html: str, limit: int = HEADLINE_MAX) -> str:
    """Plain-text headline of at most ``limit`` characters.

    A longer one is cut at the last word boundary and ends in an ellipsis.
    """
    text = plain(title_html)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # A cut that ends a word (the next character is a space) keeps that word.
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"


def image_object(site_url: str, rendition: dict) -> dict:
    return {
        "@type": "ImageObject",
        "url": absolute_url(site_url, rendition["url"]),
        "width": int(rendition["width"]),
        "height": int(rendition["height"]),
    }


def organization_id(settings) -> str:
    return absolute_url(settings["PUBLIC_SITEURL"], "#organization")


def organization(settings) -> dict:
    site_url = settings["PUBLIC_SITEURL"]
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": organization_id(settings),
        "name": settings["PUBLISHER_NAME"],
        "url": site_url + "/",
    }
    logo = settings.get("PUBLISHER_LOGO_IMAGE")
    if logo:
        data["logo"] = image_object(site_url, logo)
    return data


def website(settings) -> dict:
    site_url = settings["PUBLIC_SITEURL"]
    search_url = absolute_url(site_url, settings["SEARCH_URL"])
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "@id": absolute_url(site_url, "#website"),
        "name": settings["SITENAME"],
        "url": site_url + "/",
        "description": settings["SITE_DESCRIPTION"],
        "inLanguage": settings["SITE_LANGUAGE"],
        "publisher": {"@id": organization_id(settings)},
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": f"{search_url}?q={{search_term_string}}",
            },
            "query-input": "required name=search_term_string",
        },
    }


def author(settings, person) -> dict:
    # A desk byline ("Staff Reporter") names the newsroom, not a person.
    desk = person.name in settings["DESK_BYLINES"]
    site_url = settings["PUBLIC_SITEURL"]
    data = {
        "@type": "Organization" if desk else "Person",
        "name": person.name,
        "url": absolute_url(site_url, person.url),
    }
    # A writer with a profile (writer_profiles plugin: content/authors/<slug>.md):
    # their role and photo.
    profile = (settings.get("writer_profiles") or {}).get(getattr(person, "slug", None))
    if profile is not None and not desk:
        if getattr(profile, "role", ""):
            data["jobTitle"] = profile.role
        image = getattr(profile, "image", None)
        if image:
            data["image"] = absolute_url(site_url, image["url"])
    return data


def news_article(article, settings) -> dict:
    site_url = settings["PUBLIC_SITEURL"]
    url = absolute_url(site_url, article.url)
    publisher = organization(settings)
    del publisher["@context"]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url + "#article",
        "headline": headline(article.title),
        "description": plain(getattr(article, "summary", "")),
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "datePublished": isodate(article.date),
        "dateModified": isodate(getattr(article, "modified", None) or article.date),
        "author": [author(settings, person) for person in getattr(article, "authors", [])],
        "publisher": publisher,
        "articleSection": article.category.name,
        "keywords": ", ".join(tag.name for tag in getattr(article, "tags", [])),
        "inLanguage": settings["SITE_LANGUAGE"],
        "isAccessibleForFree": True,
    }
    photo = getattr(article, "lead_photo", None)
    crops = getattr(photo, "crops", None) or {}
    images = [image_object(site_url, crops[name]) for name in ARTICLE_IMAGE_CROPS
              if name in crops]
    if images:
        data["image"] = images
    corrections = getattr(article, "corrections", None)
    if corrections:
        data["correction"] = [correction_comment(item) for item in corrections]
    return data


def correction_comment(correction) -> dict:
    """One ``Correction:`` line (content_checks/corrections.py) as schema.org data."""
    return {
        "@type": "CorrectionComment",
        "text": plain(correction.text),
        "datePublished": isodate(correction.date),
    }
