"""Drafts and embargoed stories never reach a public file, byte for byte.

One content folder with a draft and a story scheduled for 2030, each full of
canary words (headline, standfirst, body, tag, slug, photo caption, a photo
used only by it). The publishing build must not contain any canary in any
file, the search index decompressed included; the development build shows
both with banners and keeps them out of lists and search; a later build time
lifts the embargo everywhere.
"""

from __future__ import annotations

import gzip
import re
import shutil
from datetime import UTC, datetime

import brotli
import feedparser
import pytest

from helpers.building import ROOT, copy_content, run_build

BEFORE_EMBARGO = int(datetime(2024, 7, 1, tzinfo=UTC).timestamp())
AFTER_EMBARGO = int(datetime(2030, 1, 2, tzinfo=UTC).timestamp())

DRAFT = """Title: Draftcanary headline about the budget
Date: 2024-06-20 10:00
Category: Business
Tags: Draftcanarytag
Status: draft
Slug: draftcanary-slug
Summary: Draftcanarysummary standfirst.
Image: {static}/images/draftcanary-photo.jpg
Image_caption: Draftcanarycaption under the photo

Draftcanarybody paragraph of a story nobody may read yet.
"""

EMBARGOED = """Title: Embargocanary results of the inquiry
Date: 2030-01-01 09:00
Category: World
Tags: Embargocanarytag
Slug: embargocanary-slug
Summary: Embargocanarysummary standfirst.
Image: {static}/images/embargocanary-photo.jpg
Image_caption: Embargocanarycaption under the photo

Embargocanarybody paragraph under embargo until 2030.
"""

CANARIES = ("draftcanary", "embargocanary")


def public_bytes(output):
    """Every file of the output as bytes, Pagefind's gzip files decompressed."""
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        elif path.suffix == ".br":
            data = brotli.decompress(data)
        yield path, data


def leaks(output, canaries=CANARIES) -> list[str]:
    found = []
    for path, data in public_bytes(output):
        lowered = data.lower()
        for canary in canaries:
            if canary.encode() in lowered or canary.encode() in path.as_posix().lower().encode():
                found.append(f"{path.relative_to(output)}: {canary}")
    return found


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workflow")
    content = copy_content(folder)
    photo = next((content / "images").glob("*.jpg"))
    shutil.copyfile(photo, content / "images" / "draftcanary-photo.jpg")
    shutil.copyfile(photo, content / "images" / "embargocanary-photo.jpg")
    (content / "articles" / "draft.md").write_text(DRAFT, encoding="utf-8")
    (content / "articles" / "embargoed.md").write_text(EMBARGOED, encoding="utf-8")
    return content


def build(content, tmp_path_factory, name, settings, epoch):
    return run_build(tmp_path_factory.mktemp(name) / "output", settings=settings,
                     overrides={"PATH": str(content)},
                     env={"SOURCE_DATE_EPOCH": str(epoch)})


@pytest.fixture(scope="module")
def published(content, tmp_path_factory):
    result = build(content, tmp_path_factory, "published", ROOT / "publishconf.py",
                   BEFORE_EMBARGO)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def development(content, tmp_path_factory):
    result = build(content, tmp_path_factory, "development", ROOT / "pelicanconf.py",
                   BEFORE_EMBARGO)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def lifted(content, tmp_path_factory):
    result = build(content, tmp_path_factory, "lifted", ROOT / "publishconf.py",
                   AFTER_EMBARGO)
    assert result.returncode == 0, result.stderr
    return result


def test_no_byte_of_unpublished_text_in_any_public_file(published):
    assert (published.output / "pagefind").is_dir()
    assert list(published.output.rglob("*.pf_fragment"))
    assert list(published.output.rglob("*.br")) and list(published.output.rglob("*.gz"))
    assert leaks(published.output) == []


def test_the_leak_check_finds_a_leak(published, tmp_path):
    # The check above must be able to fail: plant one canary in a copy.
    copy = tmp_path / "copy"
    shutil.copytree(published.output, copy)
    fragment = next(copy.rglob("*.pf_fragment"))
    fragment.write_bytes(gzip.compress(gzip.decompress(fragment.read_bytes()) + b"Draftcanary"))
    assert leaks(copy) == [f"{fragment.relative_to(copy)}: draftcanary"]


def test_publishing_build_writes_no_file_for_them(published):
    assert not (published.output / "drafts").exists()
    assert not list(published.output.glob("2030/**/*"))
    renditions = [p.name for p in (published.output / "images" / "renditions").iterdir()]
    assert renditions
    assert not [n for n in renditions if "canary" in n]


def test_feeds_never_claim_a_time_after_the_build(published):
    limit = datetime.fromtimestamp(BEFORE_EMBARGO, UTC)
    for name in ("all.atom.xml", "all.rss.xml"):
        feed = feedparser.parse((published.output / "feeds" / name).read_bytes())
        assert feed.bozo == 0
        for entry in feed.entries:
            assert "canary" not in entry.title.lower()
    atom = feedparser.parse((published.output / "feeds" / "all.atom.xml").read_bytes())
    updated = datetime(*atom.feed.updated_parsed[:6], tzinfo=UTC)
    assert updated <= limit


def test_publish_names_the_next_scheduled_story(published):
    assert ("Next scheduled story: content/articles/embargoed.md at 2030-01-01 09:00 EAT"
            in published.stdout), published.stdout


def test_development_build_shows_them_with_banners_and_noindex(development):
    draft = development.page("drafts/draftcanary-slug/")
    assert draft.xpath("string(//p[@class='unpublished-banner'])").split() == [
        "Draft:", "not", "published"]
    assert draft.xpath("//meta[@name='robots']/@content") == ["noindex"]
    scheduled = development.page("drafts/embargocanary-slug/")
    banner = " ".join(scheduled.xpath("string(//p[@class='unpublished-banner'])").split())
    assert banner.startswith("Scheduled for ") and "2030" in banner, banner
    assert scheduled.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert not scheduled.xpath("//*[@data-pagefind-body]")


def test_development_build_keeps_them_out_of_lists_and_search(development):
    for path, data in public_bytes(development.output):
        relative = path.relative_to(development.output).as_posix()
        if relative.startswith("drafts/") or "/renditions/" in relative:
            continue
        assert not re.search(rb"draftcanary|embargocanary", data.lower()), relative


def test_lifting_the_embargo_publishes_it_everywhere(lifted):
    page = lifted.page("2030/01/embargocanary-slug/")
    assert "Embargocanarybody" in page.text_content()
    home = (lifted.output / "index.html").read_text()
    assert "embargocanary-slug" in home
    atom = feedparser.parse((lifted.output / "feeds" / "all.atom.xml").read_bytes())
    assert any("Embargocanary" in entry.title for entry in atom.entries)
    assert "embargocanary-slug" in (lifted.output / "sitemap.xml").read_text()
    found = [path for path, data in public_bytes(lifted.output / "pagefind")
             if b"embargocanarybody" in data.lower()]
    assert found
    assert [n for n in (lifted.output / "images" / "renditions").iterdir()
            if n.name.startswith("embargocanary-photo")]
    # The draft stays a draft whatever the time.
    assert leaks(lifted.output, ("draftcanary",)) == []


def test_a_published_story_may_not_link_a_draft(content, tmp_path):
    linking = tmp_path / "content"
    shutil.copytree(content, linking)
    (linking / "articles" / "linking.md").write_text(
        "Title: Linking\nDate: 2024-06-21\nCategory: News\n\n"
        "See [the draft]({filename}draft.md).\n", encoding="utf-8")
    result = run_build(tmp_path / "output", settings=ROOT / "publishconf.py",
                       overrides={"PATH": str(linking)}, search=False,
                       env={"SOURCE_DATE_EPOCH": str(BEFORE_EMBARGO)})
    assert result.returncode == 1
    assert ("error: content/articles/linking.md: links content/articles/draft.md, which is "
            "a draft or scheduled for later and is not published") in result.stderr
    assert "Traceback" not in result.stderr
