"""Reading photo metadata (IIM, XMP, sidecar) and making renditions, on files
the tests make themselves."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from plugins.photos.metadata import PhotoText, decode_iim, read_sidecar, read_source, read_xmp
from plugins.photos.model import plan_photo
from newsroom.core.settings import resolve
from plugins.photos.renditions import encode, make_job, source_digest

from helpers.photo_files import (UTF8_MARKER, gps_and_serial_exif, jpeg, png_with_alpha,
                          two_tone, xmp_packet)

CAPTION, CREDIT, CREATOR, RIGHTS = (2, 120), (2, 110), (2, 80), (2, 116)


def test_iim_only(tmp_path):
    path = jpeg(tmp_path / "iim.jpg", iim={
        (1, 90): UTF8_MARKER,
        CAPTION: "Délégués à Nairobi, “quoted”".encode(),
        CREDIT: b"Agency/Photographer",
        CREATOR: b"Jane Doe",
        RIGHTS: "© 2024 Agency".encode(),
    })
    facts = read_source(path)
    assert facts.xmp == {}
    assert facts.iim == {"caption": "Délégués à Nairobi, “quoted”", "credit": "Agency/Photographer",
                         "creator": "Jane Doe", "copyright": "© 2024 Agency"}


def test_xmp_only(tmp_path):
    path = jpeg(tmp_path / "xmp.jpg", xmp=xmp_packet(
        alt="Two people shake hands", caption="Leaders meet & talk", credit="Agency",
        creator="Jane Doe", rights="© 2024 Agency"))
    facts = read_source(path)
    assert facts.iim == {}
    assert facts.xmp == {"alt": "Two people shake hands", "caption": "Leaders meet & talk",
                         "credit": "Agency", "creator": "Jane Doe", "copyright": "© 2024 Agency"}


def test_xmp_wins_over_conflicting_iim(tmp_path):
    path = jpeg(tmp_path / "both.jpg",
                iim={(1, 90): UTF8_MARKER, CAPTION: b"IIM caption", CREDIT: b"IIM credit",
                     RIGHTS: b"IIM rights"},
                xmp=xmp_packet(alt="XMP alt", caption="XMP caption", credit="XMP credit"))
    facts = read_source(path)
    text = PhotoText.first_of({}, {}, facts.xmp, facts.iim)
    assert text == PhotoText(alt="XMP alt", caption="XMP caption", credit="XMP credit",
                             creator="", copyright="IIM rights")


def test_markdown_beats_sidecar_beats_xmp(tmp_path):
    path = jpeg(tmp_path / "layers.jpg", xmp=xmp_packet(alt="XMP alt", caption="XMP caption",
                                                       credit="XMP credit"))
    (tmp_path / "layers.jpg.sidecar.txt").write_text(
        "# written by the photo desk\nalt: Sidecar alt\ncaption: Sidecar caption\n",
        encoding="utf-8")
    facts = read_source(path)
    sidecar = read_sidecar(path)
    text = PhotoText.first_of({"alt": "Markdown alt"}, sidecar, facts.xmp, facts.iim)
    assert (text.alt, text.caption, text.credit) == ("Markdown alt", "Sidecar caption", "XMP credit")


def test_latin1_iim_without_marker(tmp_path):
    path = jpeg(tmp_path / "latin1.jpg",
                iim={CAPTION: "Café in Zürich, ½ price".encode("latin-1"),
                     CREDIT: "Agence Française".encode("latin-1")})
    assert read_source(path).iim == {"caption": "Café in Zürich, ½ price",
                                     "credit": "Agence Française"}


@pytest.mark.parametrize("raw, marker, expected", [
    ("Zürich".encode("utf-8"), UTF8_MARKER, "Zürich"),
    ("Zürich".encode("utf-8"), None, "Zürich"),  # valid UTF-8 without the marker
    ("Zürich".encode("latin-1"), None, "Zürich"),
    ("Zürich".encode("latin-1"), b"\x1b.A", "Zürich"),  # marked ISO 8859-1
    ("\u2018quoted\u2019".encode("cp1252"), None, "\u2018quoted\u2019"),
])
def test_iim_text_decoding(raw, marker, expected):
    assert decode_iim(raw, marker) == expected


def test_no_metadata(tmp_path):
    facts = read_source(jpeg(tmp_path / "plain.jpg"))
    assert (facts.xmp, facts.iim, facts.orientation) == ({}, {}, 1)
    assert PhotoText.first_of({}, read_sidecar(tmp_path / "plain.jpg"), facts.xmp, facts.iim) == PhotoText()


def _plan(settings_overrides, path, lead=False):
    facts = read_source(path)
    return plan_photo(resolve(settings_overrides), path, facts, source_digest(path),
                      PhotoText(alt="x"), False, lead)


def test_exif_rotated_photo_is_upright(tmp_path):
    # Stored 320x200, left red, right blue; orientation 6 = turn 90° clockwise to view.
    path = jpeg(tmp_path / "rotated.jpg", exif=gps_and_serial_exif(orientation=6))
    facts = read_source(path)
    assert (facts.width, facts.height, facts.orientation) == (200, 320, 6)
    photo, jobs = _plan({"PHOTO_WIDTHS": [100]}, path)
    assert (photo.width, photo.height) == (100, 160)
    jpeg_job = next(job for job in jobs if job.format == "jpeg")
    image = Image.open(io.BytesIO(encode(jpeg_job))).convert("RGB")
    assert image.size == (100, 160)
    top, bottom = image.getpixel((50, 20)), image.getpixel((50, 140))
    assert top[0] > 150 and top[2] < 80, top  # the red (left) half is now on top
    assert bottom[2] > 150 and bottom[0] < 80, bottom


def test_png_with_alpha(tmp_path):
    path = png_with_alpha(tmp_path / "logo.png")
    facts = read_source(path)
    assert facts.has_alpha
    _photo, jobs = _plan({"PHOTO_WIDTHS": [150]}, path)
    by_format = {job.format: job for job in jobs}
    fallback = Image.open(io.BytesIO(encode(by_format["jpeg"])))
    assert fallback.mode == "RGB"
    assert fallback.getpixel((140, 50))[1] > 240  # transparent part: white matte, not black
    webp = Image.open(io.BytesIO(encode(by_format["webp"])))
    assert webp.mode == "RGBA" and webp.getpixel((140, 50))[3] == 0


def test_photo_smaller_than_smallest_width_is_never_upscaled(tmp_path):
    path = jpeg(tmp_path / "small.jpg", image=two_tone((300, 200)))
    photo, jobs = _plan({"PHOTO_WIDTHS": [480, 800, 1200]}, path, lead=True)
    assert all(job.width <= 300 and job.height <= 200 for job in jobs)  # never upscaled
    assert [r["width"] for r in photo.picture.fallback] == [300]
    assert all(len(items) == 1 for _type, items in photo.picture.sources)
    assert (photo.width, photo.height) == (300, 200)
    assert photo.crops["1x1"]["width"] == 200  # the square crop of a 300x200 photo
    for job in jobs:
        assert Image.open(io.BytesIO(encode(job))).size == (job.width, job.height)


def test_renditions_keep_only_credit_and_copyright(tmp_path):
    path = jpeg(tmp_path / "gps.jpg", exif=gps_and_serial_exif(),
                xmp=xmp_packet(alt="a", credit="Agency", rights="© Agency",
                               extra="<aux:SerialNumber>SERIAL-123456</aux:SerialNumber>"))
    job = make_job(path, source_digest(path), (0, 0, 320, 200), 160, "jpeg",
                   {"quality": 80}, "Agency", "© Agency", "#ffffff")
    data = encode(job)
    image = Image.open(io.BytesIO(data))
    assert not image.getexif()  # no EXIF at all: no GPS, camera, serial, dates
    assert "photoshop" not in image.info and "icc_profile" not in image.info
    assert read_xmp(image) == {"credit": "Agency", "copyright": "© Agency"}
    assert b"SERIAL" not in data and b"CameraMaker" not in data and b"Model X" not in data


def test_sidecar_mistake_names_line(tmp_path):
    path = jpeg(tmp_path / "bad.jpg")
    (tmp_path / "bad.jpg.sidecar.txt").write_text("alt: fine\nphotographer Jane\n",
                                                  encoding="utf-8")
    from plugins.photos.metadata import SidecarError

    with pytest.raises(SidecarError) as raised:
        read_sidecar(path)
    assert raised.value.line == 2


# --- the committed stand-in photos ---------------------------------------------------

CONTENT_IMAGES = Path(__file__).resolve().parents[3] / "content" / "images"
STANDINS = ["un-security-council-kenya-haiti-collage.jpg", "ruto-macron-paris-2023.jpg",
            "ruto-conille.jpg"]


@pytest.mark.parametrize("name", STANDINS)
def test_standin_photos_carry_seed_metadata_as_iim_and_xmp(name):
    from PIL import IptcImagePlugin

    path = CONTENT_IMAGES / name
    assert path.stat().st_size <= 1_500_000
    facts = read_source(path)
    assert facts.width >= 2000
    assert facts.xmp["alt"] and facts.xmp["caption"] == facts.iim["caption"]
    with Image.open(path) as image:
        assert IptcImagePlugin.getiptcinfo(image)[(1, 90)] == UTF8_MARKER
        # Photo-like detail, not flat colour: many distinct colours.
        assert len(image.reduce(8).getcolors(1 << 20) or []) > 5000
    lead = name == STANDINS[0]
    assert facts.xmp.get("credit", "") == facts.iim.get("credit", "") == (
        "Haiti Times/United Nations" if lead else "")


# --- control characters are kept for the plugin to report, never lost ------------------

def test_iim_trailing_nul_padding_is_dropped_other_controls_kept():
    assert decode_iim(b"Padded caption\x00\x00\x00", UTF8_MARKER) == "Padded caption"
    assert decode_iim(b"Padded caption\x00", None) == "Padded caption"
    assert decode_iim(b"NUL\x00inside", UTF8_MARKER) == "NUL\x00inside"
    assert decode_iim(b"Bell\x07 and\x1ctoo", None) == "Bell\x07 and\x1ctoo"
    # Ordinary whitespace is still one space; controls that \s matches are not whitespace.
    assert decode_iim(b"  two\r\n lines\t", UTF8_MARKER) == "two lines"
    assert decode_iim(b"tab\x0bvertical", UTF8_MARKER) == "tab\x0bvertical"


def test_xmp_with_control_characters_still_parses(tmp_path):
    # Raw \x07 and a reference to U+0085 are not XML 1.0 text: the packet used
    # to fail to parse, and every field in it (alt text, credit) was lost.
    packet = xmp_packet(alt="Alt", caption="Bell\x07 here", credit="Agency&#x85;",
                        rights="Fine").replace(b"Agency&amp;#x85;", b"Agency&#x85;")
    facts = read_source(jpeg(tmp_path / "controls.jpg", xmp=packet))
    assert facts.xmp == {"alt": "Alt", "caption": "Bell\x07 here", "credit": "Agency\x85",
                         "copyright": "Fine"}


def test_xmp_without_control_characters_is_read_as_before(tmp_path):
    packet = xmp_packet(alt="Alt &#38; more", caption="Tab\there", credit="A &amp; B")
    facts = read_source(jpeg(tmp_path / "plain.jpg", xmp=packet))
    assert facts.xmp == {"alt": "Alt &#38; more", "caption": "Tab here", "credit": "A &amp; B"}


def test_sidecar_control_characters_name_line_column_and_field(tmp_path):
    from plugins.photos.metadata import SidecarError

    path = jpeg(tmp_path / "x.jpg")
    (tmp_path / "x.jpg.sidecar.txt").write_text(
        "\ufeff# comment\ncaption: A vertical\x0btab does not end the line\n"
        "credit: Bell\x07\nalt: fine\n", encoding="utf-8")
    with pytest.raises(SidecarError) as raised:
        read_sidecar(path)
    assert raised.value.problems == [
        (2, "the caption of x.jpg contains the control character U+000B at column 20; "
            "delete it (pages and feeds cannot contain it)"),
        (3, "the credit of x.jpg contains the control character U+0007 at column 13; "
            "delete it (pages and feeds cannot contain it)"),
    ]


def test_sidecar_field_given_twice(tmp_path):
    from plugins.photos.metadata import SidecarError

    path = jpeg(tmp_path / "x.jpg")
    (tmp_path / "x.jpg.sidecar.txt").write_text("alt: one\ncredit: c\nalt: two\n",
                                                encoding="utf-8")
    with pytest.raises(SidecarError) as raised:
        read_sidecar(path)
    assert raised.value.problems == [
        (3, '"alt" is given twice (first on line 1); keep one of them')]
