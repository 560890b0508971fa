"""Photos become captioned, credited, responsive figures: on the real article
(both builds) and on a small site of awkward photos the tests make."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from helpers.building import ARTICLE_URL, FIXTURES, ROOT, SEED, run_build, run_pelican
from helpers.photo_files import (UTF8_MARKER, gps_and_serial_exif, jpeg, png_with_alpha, two_tone,
                         xmp_packet)

PUBLIC = "https://news.example.org/"
ENCODED = re.compile(r"^Photos: (\d+) encoded, (\d+) reused$", re.MULTILINE)


def seed_lines() -> list[str]:
    return (FIXTURES / "seed_article.txt").read_text(encoding="utf-8").splitlines()


def srcset_entries(value: str) -> list[tuple[str, int]]:
    entries = []
    for candidate in value.split(","):
        url, width = candidate.split()
        assert width.endswith("w"), candidate
        entries.append((url, int(width[:-1])))
    return entries


def local_file(build, page_url: str, url: str) -> Path:
    """The output file a URL on the page at ``page_url`` points to."""
    if url.startswith(PUBLIC):
        return build.output / url[len(PUBLIC):]
    assert not urlsplit(url).scheme and not url.startswith("/"), url
    return Path(os.path.normpath(build.output / page_url / url))


def figures(build, page_url=ARTICLE_URL):
    return build.page(page_url).xpath("//figure[contains(concat(' ', @class, ' '), ' photo ')]")


def counts(build) -> tuple[int, int]:
    match = ENCODED.search(build.stdout)
    assert match, build.stdout
    return int(match.group(1)), int(match.group(2))


# --- the real article -------------------------------------------------------------

def test_three_figures_carry_the_seed_text(site):
    """The seed's alt text, captions and credit reach the page from the photos alone."""
    lines = seed_lines()
    lead, second, third = figures(site)
    expected = [  # (alt, caption, credit): seed lines 3-5, 15-16, 34-35, verbatim
        (lines[2], lines[3], "Haiti Times/United Nations"),
        (lines[14], lines[15], None),
        (lines[33], lines[34], None),
    ]
    for figure, (alt, caption, credit) in zip((lead, second, third), expected):
        assert figure.xpath(".//img/@alt") == [alt]
        assert figure.xpath(".//figcaption/span[@class='caption']/text()") == [caption]
        assert figure.xpath(".//figcaption/span[@class='credit']/text()") == (
            [credit] if credit else [])
    # The story's Markdown names the photos only: the text came from their
    # embedded metadata, not from the article.
    source = (ROOT / "content" / "articles" / SEED).read_text(encoding="utf-8")
    assert len(re.findall(r"^!\[\]\(\{static\}/images/[\w-]+\.jpg\)$", source, re.MULTILINE)) == 2
    assert "Image_alt" not in source and "<figure" not in source
    for alt, caption, credit in expected:
        for text in (alt, caption, credit):
            assert not text or text not in source, text


def test_lead_photo_is_eager_and_the_others_lazy(site):
    lead, *others = figures(site)
    assert "photo--lead" in lead.get("class").split()
    img = lead.find(".//img")
    assert img.get("fetchpriority") == "high" and img.get("loading") is None
    assert len(others) == 2
    for figure in others:
        img = figure.find(".//img")
        assert img.get("loading") == "lazy" and img.get("fetchpriority") is None
    for figure in figures(site):
        picture = figure.find("picture")
        types = [source.get("type") for source in picture.iter("source")]
        assert types == ["image/avif", "image/webp"]
        img = next(picture.iter("img"))
        assert img.get("decoding") == "async" and img.get("sizes")
        assert int(img.get("width")) >= 1200 and int(img.get("height")) > 0


@pytest.mark.parametrize("build_name", ["site", "published_site"])
def test_every_srcset_entry_exists_with_the_width_it_claims(build_name, request):
    build = request.getfixturevalue(build_name)
    pages = [ARTICLE_URL, "", "section/politics/"]
    checked = 0
    for page_url in pages:
        page = build.page(page_url)
        for element in page.xpath("//picture//source | //picture//img"):
            entries = srcset_entries(element.get("srcset"))
            widths = [w for _, w in entries]
            assert widths == sorted(set(widths)), widths
            if element.tag == "img":
                entries.append((element.get("src"), int(element.get("width"))))
            for url, width in entries:
                if build_name == "published_site":
                    assert url.startswith(PUBLIC), url
                path = local_file(build, page_url, url)
                with Image.open(path) as image:
                    assert image.width == width, (url, image.size)
                    assert image.format.lower() in (path.suffix[1:].replace("jpg", "jpeg"),)
                checked += 1
    assert checked > 40


def test_lead_photo_interface(published_site):
    """What other templates and plugins read from article.lead_photo."""
    page = published_site.page(ARTICLE_URL)
    og = page.xpath("//meta[@property='og:image']/@content")[0]
    with Image.open(local_file(published_site, ARTICLE_URL, og)) as image:
        assert image.width >= 1200 and abs(image.width / image.height - 16 / 9) < 0.01
    thumbnails = published_site.page("tag/haiti/").xpath("//article[@class='card']//img")
    assert thumbnails and all(img.get("alt") == "" for img in thumbnails)
    assert all(int(img.get("width")) <= 800 for img in thumbnails)


def test_originals_are_not_published(site):
    assert not list((site.output / "images").glob("*.jpg"))
    assert list((site.output / "images" / "renditions").glob("*.avif"))


# --- a small site of awkward photos -------------------------------------------------

PHOTO_ARTICLE = """Title: Photo cases
Date: 2024-06-01
Category: News
Image: {static}/images/gps.jpg
Image_caption: Lead caption from the article
Summary: Awkward photos ![Stray]({static}/images/small.jpg) in a standfirst.

Body text.

![]({static}/images/gps.jpg)

![Markdown alt](../images/rotated.jpg "Markdown caption")

![](/images/sidecar.jpg)

![(decorative)]({static}/images/decoration.png)

Text with an inline ![Inline alt]({static}/images/small.jpg) photo.
"""


def make_photo_content(root: Path) -> Path:
    content = root / "content"
    images = content / "images"
    jpeg(images / "gps.jpg", image=two_tone((640, 400)), exif=gps_and_serial_exif(),
         xmp=xmp_packet(alt="XMP alt", caption="XMP caption", credit="Agency/Photographer",
                        rights="© 2024 Agency",
                        extra="<aux:SerialNumber>SERIAL-123456</aux:SerialNumber>"),
         iim={(1, 90): UTF8_MARKER, (2, 120): b"IIM caption", (2, 110): b"IIM credit"})
    jpeg(images / "rotated.jpg", exif=gps_and_serial_exif(orientation=6))
    jpeg(images / "sidecar.jpg", image=two_tone((500, 300)))
    (images / "sidecar.jpg.sidecar.txt").write_text(
        "alt: Alt from the sidecar\ncredit: Sidecar Credit\n", encoding="utf-8")
    png_with_alpha(images / "decoration.png", size=(400, 200))
    jpeg(images / "small.jpg", image=two_tone((100, 60)))
    (content / "articles").mkdir(parents=True)
    (content / "articles" / "photos.md").write_text(PHOTO_ARTICLE, encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def photo_builds(tmp_path_factory):
    """Cold build, warm rebuild, one changed photo, changed widths (+ originals).

    Pelican in-process with the photos plugin alone: what these tests read
    is its work only.
    """
    root = tmp_path_factory.mktemp("photos")
    content = make_photo_content(root)
    settings = {"PATH": str(content), "PHOTO_CACHE_PATH": str(root / "cache")}

    def build(name, overrides=settings):
        return run_pelican(root / name, ["photos"], overrides=overrides)

    builds = {"cold": build("cold")}
    builds["warm"] = build("warm")
    jpeg(content / "images" / "rotated.jpg", image=two_tone(left=(20, 160, 20)),
         exif=gps_and_serial_exif(orientation=6))
    builds["changed"] = build("changed")
    builds["widths"] = build("widths", {
        **settings, "PHOTO_WIDTHS": [150, 480, 800, 1200, 1600, 2000],
        "PHOTO_PUBLISH_ORIGINALS": True})
    for name, run in builds.items():
        assert run.problems == [], (name, run.problems)
    return builds


PHOTO_PAGE = "2024/06/photo-cases/"


def test_second_build_encodes_nothing(photo_builds):
    encoded, reused = counts(photo_builds["cold"])
    assert encoded > 0 and reused == 0
    assert counts(photo_builds["warm"]) == (0, encoded)


def test_changed_photo_reencodes_only_its_renditions(photo_builds):
    total = sum(counts(photo_builds["cold"]))
    # rotated.jpg is 200 px wide upright: one width, three formats.
    assert counts(photo_builds["changed"]) == (3, total - 3)


def test_changed_widths_encode_only_the_new_width(photo_builds):
    # A 150 px rendition is new for every photo wider than 150 px, in three
    # formats; the lead photo's thumbnail and crops keep their own widths.
    wider = ["gps.jpg", "rotated.jpg", "sidecar.jpg", "decoration.png"]
    encoded, reused = counts(photo_builds["widths"])
    assert encoded == 3 * len(wider)
    assert reused == sum(counts(photo_builds["changed"]))


def test_metadata_precedence_in_the_page(photo_builds):
    build = photo_builds["cold"]
    page = build.page(PHOTO_PAGE)
    lead, gps, rotated, sidecar, decoration = figures(build, PHOTO_PAGE)
    # Lead: Image_caption beats XMP; alt and credit from XMP (XMP beats IIM).
    assert lead.xpath(".//img/@alt") == ["XMP alt"]
    assert lead.xpath(".//span[@class='caption']/text()") == ["Lead caption from the article"]
    assert lead.xpath(".//span[@class='credit']/text()") == ["Agency/Photographer"]
    assert gps.xpath(".//span[@class='caption']/text()") == ["XMP caption"]
    # Markdown alt and title beat everything; the photo stands upright.
    assert rotated.xpath(".//img/@alt") == ["Markdown alt"]
    assert rotated.xpath(".//span[@class='caption']/text()") == ["Markdown caption"]
    assert rotated.xpath(".//img/@width") == ["200"] and rotated.xpath(".//img/@height") == ["320"]
    assert sidecar.xpath(".//img/@alt") == ["Alt from the sidecar"]
    assert sidecar.xpath(".//span[@class='credit']/text()") == ["Sidecar Credit"]
    # Decorative: explicitly empty alt, no caption to show.
    assert decoration.xpath(".//img/@alt") == [""]
    assert decoration.find("figcaption") is None
    # Inline: a bare <picture> in the paragraph; never upscaled past 100 px.
    inline = page.xpath("//p/picture//img")
    assert [img.get("alt") for img in inline] == ["Inline alt"]
    assert inline[0].get("width") == "100"
    assert "newsroom-photo" not in (build.output / PHOTO_PAGE / "index.html").read_text()
    # A photo written into Summary: is left out of the standfirst.
    standfirst = page.xpath("//*[contains(@class, 'standfirst')]")
    assert standfirst and not standfirst[0].xpath(".//picture | .//img")
    assert "Awkward photos" in standfirst[0].text_content()


def _exiftool_groups(paths: list[Path]) -> dict[str, dict]:
    """Every tag exiftool finds in each file, by group (one exiftool run)."""
    result = subprocess.run(["exiftool", "-j", "-G1", "-a", "-u", *map(str, paths)],
                            capture_output=True, text=True, check=True)
    return {Path(found["SourceFile"]).name: found for found in json.loads(result.stdout)}


# File structure (container boxes, JPEG/JFIF headers) and the XMP credit and
# rights we write; never EXIF, GPS, IPTC, maker notes or other XMP.
ALLOWED_EXIFTOOL_GROUPS = {"ExifTool", "System", "File", "JFIF", "Composite", "QuickTime",
                           "RIFF", "Meta", "XMP-x", "XMP-dc", "XMP-photoshop", "XMP-rdf"}


def test_published_files_carry_no_gps_serial_or_other_metadata(photo_builds):
    renditions = sorted((photo_builds["cold"].output / "images" / "renditions").iterdir())
    assert len(renditions) == counts(photo_builds["cold"])[0]
    for path in renditions:
        data = path.read_bytes()
        assert b"SERIAL-123456" not in data and b"CameraMaker" not in data
        with Image.open(path) as image:
            assert not image.getexif(), path.name
            assert "photoshop" not in image.info and "icc_profile" not in image.info
    if shutil.which("exiftool") is None:
        return  # Pillow and the byte checks above still ran
    found = _exiftool_groups(renditions)
    assert sorted(found) == [path.name for path in renditions]
    for name, tags in found.items():
        groups = {key.split(":")[0] for key in tags if ":" in key}
        assert groups <= ALLOWED_EXIFTOOL_GROUPS, (name, groups - ALLOWED_EXIFTOOL_GROUPS)
        assert not [key for key in tags if "GPS" in key or "Serial" in key], name
    lead = next(p for p in renditions if p.name.startswith("gps-") and p.suffix == ".jpg")
    tags = found[lead.name]
    assert tags.get("XMP-photoshop:Credit") == "Agency/Photographer"
    assert tags.get("XMP-dc:Rights") == "© 2024 Agency"


def test_originals_and_sidecars_only_when_asked(photo_builds):
    images = photo_builds["cold"].output / "images"
    assert sorted(p.name for p in images.iterdir()) == ["renditions"]
    published = photo_builds["widths"].output / "images"
    assert (published / "gps.jpg").is_file() and (published / "decoration.png").is_file()
    assert not list(published.glob("*.sidecar.*"))


# --- mistakes ---------------------------------------------------------------------

def test_missing_alt_and_missing_file_are_clear_errors(tmp_path):
    content = tmp_path / "content"
    jpeg(content / "images" / "plain.jpg")
    articles = content / "articles"
    articles.mkdir(parents=True)
    (articles / "no-alt.md").write_text(
        "Title: No alt\nDate: 2024-06-01\nCategory: News\n\nText.\n\n"
        "![]({static}/images/plain.jpg)\n", encoding="utf-8")
    (articles / "no-lead-alt.md").write_text(
        "Title: No lead alt\nDate: 2024-06-01\nCategory: News\n"
        "Image: {static}/images/plain.jpg\n\nText.\n", encoding="utf-8")
    (articles / "no-file.md").write_text(
        "Title: No file\nDate: 2024-06-01\nCategory: News\n\nText.\n\n"
        "![A chart]({static}/images/chart.jpg)\n", encoding="utf-8")
    build = run_build(tmp_path / "output", search=False,
                      overrides={"PATH": str(content), "PHOTO_CACHE_PATH": str(tmp_path / "cache")})
    assert build.returncode == 1
    assert "Traceback" not in build.stderr + build.stdout
    errors = [line.removeprefix("error: ") for line in build.stderr.splitlines()
              if line.startswith("error: ")]
    expected = [
        r'^content/articles/no-alt\.md:7: photo "\{static\}/images/plain\.jpg" '
        r"\(content/images/plain\.jpg\) has no alt text; write it in the Markdown",
        r'^content/articles/no-lead-alt\.md:4: photo "\{static\}/images/plain\.jpg" '
        r"\(content/images/plain\.jpg\) has no alt text;.*\(decorative\) as its alt text$",
        r'^content/articles/no-file\.md:7: "\{static\}/images/chart\.jpg" points to '
        r"content/images/chart\.jpg, which does not exist",
    ]
    for pattern in expected:
        assert len([e for e in errors if re.search(pattern, e)]) == 1, "\n".join(errors)
    assert len(errors) == len(expected), "\n".join(errors)
    assert not build.output.exists()
