"""JSON-LD on the built site: NewsArticle, WebSite, Organization, escaping."""

from __future__ import annotations

import json
import re

from PIL import Image

from helpers.building import ARTICLE_URL, PUBLIC_SITEURL
from helpers.discovery import HOSTILE_TITLE, LONG_TITLE
from helpers.parsing import site_file

W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$")


def json_ld(site, url: str) -> list[dict]:
    doc = site.page(url)
    return [json.loads(script.text) for script in doc.xpath("//script[@type='application/ld+json']")]


def of_type(objects: list[dict], kind: str) -> dict:
    found = [item for item in objects if item.get("@type") == kind]
    assert len(found) == 1, (kind, objects)
    return found[0]


def assert_image_file(output, image: dict, min_width: int = 0) -> None:
    assert image["@type"] == "ImageObject"
    assert isinstance(image["width"], int) and isinstance(image["height"], int)
    assert image["width"] >= min_width, image
    with Image.open(site_file(output, image["url"])) as file:
        assert file.size == (image["width"], image["height"]), image["url"]


def test_news_article_has_required_and_recommended_properties(published_site):
    article = of_type(json_ld(published_site, ARTICLE_URL), "NewsArticle")
    url = f"{PUBLIC_SITEURL}/{ARTICLE_URL}"
    assert article["@context"] == "https://schema.org"
    assert article["headline"].startswith("Ruto & Macron Discuss Infrastructure")
    assert len(article["headline"]) <= 110
    assert article["url"] == url
    assert article["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert W3C_DATETIME.match(article["datePublished"]), article["datePublished"]
    assert W3C_DATETIME.match(article["dateModified"]), article["dateModified"]
    assert article["datePublished"] == "2024-06-15T00:00:00+03:00"
    assert article["articleSection"] == "Politics"
    assert isinstance(article["keywords"], str)
    assert "Haiti" in article["keywords"].split(", ")
    assert isinstance(article["description"], str) and article["description"]
    assert "<" not in article["description"]
    authors = article["author"]
    assert isinstance(authors, list) and authors
    for author in authors:
        assert author["@type"] in ("Person", "Organization")
        assert author["name"]
        assert site_file(published_site.output, author["url"]).is_file()
    publisher = article["publisher"]
    assert publisher["@type"] == "Organization" and publisher["name"] == "The Ledger"
    assert_image_file(published_site.output, publisher["logo"], min_width=112)
    assert publisher["logo"]["height"] >= 112


def test_news_article_images_are_the_three_crops(published_site):
    article = of_type(json_ld(published_site, ARTICLE_URL), "NewsArticle")
    images = article["image"]
    assert isinstance(images, list) and len(images) == 3
    ratios = []
    for image in images:
        assert_image_file(published_site.output, image, min_width=1200)
        ratios.append(round(image["width"] / image["height"], 2))
    assert ratios == [round(16 / 9, 2), round(4 / 3, 2), 1.0]


def test_home_page_has_website_with_search_and_organization(published_site):
    objects = json_ld(published_site, "")
    website = of_type(objects, "WebSite")
    organization = of_type(objects, "Organization")
    assert website["url"] == PUBLIC_SITEURL + "/"
    assert website["name"] == "The Ledger"
    action = website["potentialAction"]
    assert action["@type"] == "SearchAction"
    template = action["target"]["urlTemplate"]
    assert template == f"{PUBLIC_SITEURL}/search/?q={{search_term_string}}"
    assert site_file(published_site.output, template.split("?")[0]).is_file()
    assert action["query-input"] == "required name=search_term_string"
    assert website["publisher"]["@id"] == organization["@id"]
    assert organization["name"] == "The Ledger"
    assert organization["url"] == PUBLIC_SITEURL + "/"
    assert_image_file(published_site.output, organization["logo"], min_width=112)


def test_only_article_and_home_pages_carry_json_ld(published_site):
    assert json_ld(published_site, "tag/haiti/") == []
    assert json_ld(published_site, "about/") == []


def test_script_and_comment_in_headline_do_not_break_out(discovery_site):
    url = "2024/06/hostile-headline/"
    raw = (discovery_site.output / url / "index.html").read_text(encoding="utf-8")
    head = raw.split("</head>")[0]
    # Exactly the two tags of the one JSON-LD script: nothing was closed early.
    assert head.count("<script") == 1 and head.count("</script") == 1
    assert "<!--" not in head
    doc = discovery_site.page(url)
    scripts = doc.xpath("//script[@type='application/ld+json']")
    assert len(scripts) == 1
    article = json.loads(scripts[0].text)  # the element's text is the whole JSON
    assert article["@type"] == "NewsArticle"
    # The headline round-trips: it is the page's <h1> as text (typography's
    # no-break spaces become plain spaces).
    page_headline = " ".join(doc.xpath("//h1")[0].text_content().split())
    assert article["headline"] == page_headline
    # Typography turns "--" into a dash in headlines; the tag keeps "<!--".
    assert "</script><script>alert(1)</script>" in article["headline"]
    assert "<!-- comment </script> tag" in article["keywords"].split(", ")
    assert not doc.xpath("//script[not(@type='application/ld+json') and contains(., 'alert')]")
    assert HOSTILE_TITLE.startswith(article["headline"][:9])


def test_long_headline_is_cut_on_a_word_with_an_ellipsis(discovery_site):
    article = of_type(json_ld(discovery_site, "2024/06/long-headline/"), "NewsArticle")
    headline = article["headline"]
    assert len(LONG_TITLE) > 110
    assert len(headline) <= 110
    assert headline.endswith("\u2026")
    kept = headline[:-1]
    assert LONG_TITLE.startswith(kept)
    assert LONG_TITLE[len(kept)] == " ", "cut inside a word"


def test_people_and_desk_bylines_are_typed(discovery_site):
    article = of_type(json_ld(discovery_site, "2024/06/hostile-headline/"), "NewsArticle")
    assert [(a["@type"], a["name"]) for a in article["author"]] == [
        ("Person", "Jane Wanjiru"),
        ("Organization", "Staff Reporter"),
    ]
    for author in article["author"]:
        assert site_file(discovery_site.output, author["url"]).is_file()
