"""Photos in unusual pixel modes look the same in every rendition as the
original: 16-bit and float grey, 16-bit RGB, bilevel, palette with and without
transparency, grey with alpha (straight and premultiplied), CMYK JPEG. And
ordinary RGB(A) photos are converted exactly as before (same pixels, same
names), so no cached rendition of them is ever made again."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageOps, ImageStat

from plugins.photos.metadata import PhotoText, read_source
from plugins.photos.model import plan_photo
from newsroom.core.settings import resolve
from plugins.photos.renditions import _upright_rgb, encode, make_job, source_digest

from helpers.building import run_pelican
from helpers.photo_files import png_with_alpha, two_tone

W, H = 240, 160


def gradient() -> Image.Image:
    """Grey, black on the left to white on the right (mean about 127)."""
    return Image.linear_gradient("L").rotate(90).resize((W, H))


def png16(path: Path, channels: int, pixel) -> Path:
    """A 16-bit PNG written by hand (Pillow cannot write 16-bit RGB)."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = b"".join(
        b"\x00" + b"".join(struct.pack(">" + "H" * channels, *pixel(x, y)) for x in range(W))
        for y in range(H))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", W, H, 16, colour_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def premultiplied_grey_tiff(path: Path, grey: Image.Image, alpha: Image.Image) -> Path:
    """A TIFF whose alpha is marked associated (premultiplied): Pillow opens it as "La"."""
    premultiplied = Image.merge("LA", (grey, alpha)).convert("La")
    buffer = io.BytesIO()
    Image.merge("LA", premultiplied.split()).save(buffer, "TIFF")
    data = buffer.getvalue()
    # ExtraSamples (338), SHORT, count 1, value 2 (unassociated) -> 1 (associated).
    entry = struct.pack("<HHIH", 338, 3, 1, 2)
    assert data.count(entry) == 1
    path.write_bytes(data.replace(entry, struct.pack("<HHIH", 338, 3, 1, 1)))
    return path


def mean(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L")).mean[0]


def channel_means(image: Image.Image) -> list[float]:
    return ImageStat.Stat(image.convert("RGB")).mean


# --- one real build: every mode in one article -----------------------------------

def _sources(images: Path) -> dict[str, tuple[Image.Image, str]]:
    """name -> (what the photo should look like, as 8-bit RGB(A); its Pillow mode)."""
    grey = gradient()
    made = {}
    wide = grey.convert("I").point(lambda v: v * 257)  # 0-65535
    wide.convert("I;16").save(images / "grey16.png")
    made["grey16.png"] = grey
    png16(images / "rgb16.png", 3,
          lambda x, y: (x * 65535 // (W - 1), 32896, 65535 - x * 65535 // (W - 1)))
    made["rgb16.png"] = Image.merge("RGB", (grey, Image.new("L", (W, H), 128),
                                            ImageOps.invert(grey)))
    palette = Image.merge("RGB", (grey, Image.new("L", (W, H), 90), ImageOps.invert(grey)))
    palette.quantize(32).save(images / "palette.png")
    made["palette.png"] = palette.quantize(32).convert("RGB")
    # Palette with transparency: the right half is index 0, transparent.
    indexed = Image.new("P", (W, H), 0)
    indexed.putpalette([0, 0, 0] + [40, 120, 200] * 255)
    indexed.paste(1, (0, 0, W // 2, H))
    indexed.save(images / "palette-transparent.png", transparency=0)
    made["palette-transparent.png"] = indexed.convert("RGBA")
    # CMYK as print workflows save it (Pillow writes Adobe's inverted CMYK).
    colours = two_tone((W, H), left=(200, 40, 40), right=(60, 90, 170))
    colours.convert("CMYK").save(images / "cmyk.jpg", quality=95)
    made["cmyk.jpg"] = colours
    return {name: (expected, Image.open(images / name).mode) for name, expected in made.items()}


ARTICLE = "Title: Modes\nDate: 2024-06-01\nCategory: News\n\nText.\n\n{photos}\n"
PAGE = "2024/06/modes/"


@pytest.fixture(scope="module")
def modes_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("modes")
    images = root / "content" / "images"
    images.mkdir(parents=True)
    sources = _sources(images)
    # The sources really are in those modes (else the tests below test nothing).
    assert {name: mode for name, (_image, mode) in sources.items()} == {
        "grey16.png": "I;16", "rgb16.png": "RGB", "palette.png": "P",
        "palette-transparent.png": "P", "cmyk.jpg": "CMYK"}
    with Image.open(images / "cmyk.jpg") as cmyk:
        assert "adobe" in cmyk.info  # Adobe's inverted CMYK, as Photoshop writes it
    (root / "content" / "articles").mkdir()
    photos = "\n\n".join(f"![Photo {name}]({{static}}/images/{name})" for name in sources)
    (root / "content" / "articles" / "modes.md").write_text(
        ARTICLE.format(photos=photos), encoding="utf-8")
    # Pelican in-process with the photos plugin alone.
    build = run_pelican(root / "output", ["photos"], overrides={
        "PATH": str(root / "content"), "PHOTO_CACHE_PATH": str(root / "cache"),
        # 120 px: decoded at reduced scale from JPEG (the draft path); 240 px: full.
        "PHOTO_WIDTHS": [120, 240]})
    assert build.problems == []
    return build, sources


def renditions(build, name: str) -> list[Image.Image]:
    """Every rendition (AVIF, WebP, JPEG; every width) of one photo on the page."""
    page = build.page(PAGE)
    picture = page.xpath(f"//picture[.//img[@alt='Photo {name}']]")[0]
    urls = []
    for element in picture.xpath(".//source | .//img"):
        urls += [part.split()[0] for part in element.get("srcset").split(",")]
    images = [Image.open(build.output / PAGE / url) for url in urls]
    assert {image.format for image in images} == {"AVIF", "WEBP", "JPEG"}
    assert len(images) == 6
    return images


@pytest.mark.parametrize("name", ["grey16.png", "rgb16.png", "palette.png", "cmyk.jpg"])
def test_every_rendition_shows_the_original(modes_build, name):
    build, sources = modes_build
    expected = sources[name][0]
    for image in renditions(build, name):
        reference = expected.resize(image.size, Image.Resampling.LANCZOS)
        assert abs(mean(image) - mean(reference)) < 6, (name, image.format, image.size)
        for got, want in zip(channel_means(image), channel_means(reference)):
            assert abs(got - want) < 8, (name, image.format, channel_means(image),
                                         channel_means(reference))
        # The gradient survives: dark on the left, light on the right (not flat white).
        if name == "grey16.png":
            grey = image.convert("L")
            left = grey.getpixel((2, grey.height // 2))
            right = grey.getpixel((grey.width - 3, grey.height // 2))
            assert left < 20 and right > 235, (image.format, left, right)


def test_transparent_palette_photo(modes_build):
    build, _sources_ = modes_build
    for image in renditions(build, "palette-transparent.png"):
        x_opaque, x_clear, y = image.width // 4, image.width * 3 // 4, image.height // 2
        if image.format == "JPEG":
            assert image.mode == "RGB"
            assert image.getpixel((x_clear, y)) >= (245, 245, 245)  # the white matte
        else:
            rgba = image.convert("RGBA")
            assert rgba.getpixel((x_clear, y))[3] < 10, image.format
            assert rgba.getpixel((x_opaque, y))[3] > 245, image.format
        r, g, b = image.convert("RGB").getpixel((x_opaque, y))[:3]
        assert abs(r - 40) < 12 and abs(g - 120) < 12 and abs(b - 200) < 12, (image.format, r, g, b)


def test_unusual_modes_get_their_own_rendition_names(modes_build):
    """Renditions made before 16-bit photos were converted right (white) are not reused."""
    build, _sources_ = modes_build
    path = Path(build.output).parent / "content" / "images" / "grey16.png"
    digest = source_digest(path)
    args = (path, digest, (0, 0, W, H), 120, "jpeg", {"quality": 80}, "", "", "#ffffff")
    assert make_job(*args, "I;16").name != make_job(*args).name
    assert make_job(*args, "RGB").name == make_job(*args).name == make_job(*args, "RGBA").name


# --- more modes, encoded directly ----------------------------------------------------

def _encode_all(path: Path, width: int = 120) -> list[Image.Image]:
    facts = read_source(path)
    _photo, jobs = plan_photo(resolve({"PHOTO_WIDTHS": [width]}), path, facts,
                              source_digest(path), PhotoText(alt="x"), False, False)
    assert {job.format for job in jobs} == {"avif", "webp", "jpeg"}
    return [Image.open(io.BytesIO(encode(job))) for job in jobs]


def test_grey_in_32_bit_and_float(tmp_path):
    grey = gradient()
    grey.convert("I").point(lambda v: v * 257).save(tmp_path / "grey-i.tif")
    grey.convert("F").point(lambda v: v / 255).save(tmp_path / "grey-unit.tif")  # 0.0-1.0
    grey.convert("F").save(tmp_path / "grey-255.tif")  # 0.0-255.0
    for name, mode in [("grey-i.tif", "I"), ("grey-unit.tif", "F"), ("grey-255.tif", "F")]:
        assert Image.open(tmp_path / name).mode == mode
        for image in _encode_all(tmp_path / name):
            assert abs(mean(image) - mean(grey)) < 6, (name, image.format, mean(image))


def test_bilevel_and_grey_with_alpha(tmp_path):
    checks = Image.new("1", (W, H), 0)
    checks.paste(1, (0, 0, W // 2, H))  # white left half, black right half
    checks.save(tmp_path / "bilevel.png")
    grey = gradient()
    alpha = Image.new("L", (W, H), 255)
    alpha.paste(0, (W // 2, 0, W, H))  # right half transparent
    Image.merge("LA", (grey, alpha)).save(tmp_path / "grey-alpha.png")
    premultiplied_grey_tiff(tmp_path / "premultiplied.tif", grey, alpha)
    assert Image.open(tmp_path / "premultiplied.tif").mode == "La"
    for image in _encode_all(tmp_path / "bilevel.png"):
        grey_image = image.convert("L")
        assert grey_image.getpixel((10, 30)) > 240 and grey_image.getpixel((110, 30)) < 15
    for name in ["grey-alpha.png", "premultiplied.tif"]:
        for image in _encode_all(tmp_path / name):
            left = image.convert("RGBA").crop((0, 0, 60, image.height))
            reference = grey.resize(image.size).crop((0, 0, 60, image.height))
            assert abs(mean(left) - mean(reference)) < 6, (name, image.format)
            if image.format == "JPEG":
                assert image.convert("L").getpixel((100, 40)) > 245  # matte
            else:
                assert image.convert("RGBA").getpixel((100, 40))[3] < 10


def test_sixteen_bit_grey_with_a_transparent_value(tmp_path):
    image = Image.new("I", (W, H), 40000)
    image.paste(1234, (W // 2, 0, W, H))
    image.convert("I;16").save(tmp_path / "keyed.png", transparency=1234)
    assert Image.open(tmp_path / "keyed.png").mode == "I;16"
    assert Image.open(tmp_path / "keyed.png").info.get("transparency") == 1234
    for rendition in _encode_all(tmp_path / "keyed.png"):
        rgba = rendition.convert("RGBA")
        assert abs(rgba.getpixel((20, 40))[0] - 40000 // 257) < 6
        if rendition.format != "JPEG":
            assert rgba.getpixel((100, 40))[3] < 10 and rgba.getpixel((20, 40))[3] > 245


def test_cielab_tiff(tmp_path):
    colours = two_tone((W, H), left=(200, 40, 40), right=(60, 90, 170))
    lab = ImageCms.profileToProfile(colours, ImageCms.createProfile("sRGB"),
                                    ImageCms.createProfile("LAB"), outputMode="LAB")
    lab.save(tmp_path / "lab.tif")
    assert Image.open(tmp_path / "lab.tif").mode == "LAB"
    for image in _encode_all(tmp_path / "lab.tif"):
        rgb = image.convert("RGB")
        for (x, y), want in [((10, 40), (200, 40, 40)), ((110, 40), (60, 90, 170))]:
            assert all(abs(a - b) < 10 for a, b in zip(rgb.getpixel((x, y)), want)), (
                image.format, rgb.getpixel((x, y)))


# --- RGB and RGBA photos: exactly as before -------------------------------------------

def _converted_as_before(job) -> Image.Image:
    """The conversion every rendition had before other modes were handled."""
    with Image.open(job.source) as image:
        box = job.crop
        full_width = image.width
        scale = job.width / max(1, box[2] - box[0])
        if image.format == "JPEG" and scale < 0.5:
            image.draft("RGB", (int(image.width * scale * 2) + 1,
                                int(image.height * scale * 2) + 1))
        factor = image.size[0] / full_width
        icc = image.info.get("icc_profile")
        image = ImageOps.exif_transpose(image)
        if icc:
            try:
                mode = "RGBA" if "A" in image.getbands() else "RGB"
                image = ImageCms.profileToProfile(
                    image.convert(mode), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                    ImageCms.createProfile("sRGB"), outputMode=mode)
            except (ImageCms.PyCMSError, OSError, ValueError):
                pass
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    scaled_box = tuple(round(v * factor) for v in box)
    image = image.crop(scaled_box).resize((job.width, job.height), Image.Resampling.LANCZOS)
    if job.format == "jpeg" and image.mode == "RGBA":
        background = Image.new("RGB", image.size, job.matte)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    return image


CONTENT_IMAGES = Path(__file__).resolve().parents[3] / "content" / "images"


def test_rgb_and_rgba_photos_convert_exactly_as_before(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    two_tone((300, 200)).save(tmp_path / "with-profile.jpg", quality=90, icc_profile=srgb)
    png_with_alpha(tmp_path / "alpha.png")
    Image.open(tmp_path / "alpha.png").save(tmp_path / "alpha-profile.png", icc_profile=srgb)
    gradient().convert("RGB").save(tmp_path / "keyed.png", transparency=(0, 0, 0))
    sources = sorted(CONTENT_IMAGES.glob("*.jpg")) + sorted(tmp_path.iterdir())
    assert len(sources) >= 7
    for path in sources:
        facts = read_source(path)
        assert facts.mode in ("RGB", "RGBA")
        # The lead photo's set: full width, crops and thumbnail; small widths
        # only (the real photos are 2400 px wide), and the JPEG draft path.
        _photo, jobs = plan_photo(resolve({"PHOTO_WIDTHS": [160, 480], "PHOTO_CROP_WIDTH": 200,
                                           "PHOTO_THUMBNAIL_WIDTHS": [120]}),
                                  path, facts, source_digest(path), PhotoText(alt="x"),
                                  False, True)
        for job in jobs:
            if job.format == "avif":
                continue  # the same pixels go to every format
            assert _upright_rgb(job).tobytes() == _converted_as_before(job).tobytes(), (
                path.name, job.name)
