"""Draw the stand-in photos for the first article and embed their metadata.

The scraped source kept the text of its three photos (alt text, caption,
credit) but not the pictures. This script draws a photo-like stand-in for
each one (gradients, soft shapes and grain, so encoders behave as they do on
photographs), marks it "STAND-IN PHOTO" with the photo's name in the pixels,
and writes the source's metadata the way agencies deliver it, as IPTC IIM and
XMP, with exiftool (Debian package libimage-exiftool-perl).

    python scripts/make_standin_photos.py [OUTPUT_DIR]   (default content/images)

The output is the same on every run: fixed seeds, no dates written. The
images are committed, so building the site never needs this script.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 2400, 1600
JPEG_QUALITY = 85


@dataclass(frozen=True)
class StandIn:
    file_name: str
    name: str  # what the real photo shows, drawn into the pixels
    alt: str
    caption: str
    credit: str  # empty when the source gives none: never invent a credit
    seed: int
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]


# Alt text and caption are the seed's lines verbatim (3/4, 15/16, 34/35); the
# third photo's alt and caption disagree about left and right, as the source does.
PHOTOS = [
    StandIn(
        "un-security-council-kenya-haiti-collage.jpg",
        "UN Security Council / Ruto / Haiti collage",
        "UN Security Council Decides On Kenya’s Mission to Send 1000 Police To Haiti",
        "Photo Collage of UN Security Council (left), President William Ruto (In Circle) "
        "and a gang in Haiti (Right)",
        "Haiti Times/United Nations",
        seed=301,
        colours=((28, 62, 110), (196, 160, 92)),
    ),
    StandIn(
        "ruto-macron-paris-2023.jpg",
        "Ruto and Macron, Paris, 23 June 2023",
        "President William Ruto and his France counterpart Emmanuel Macron in Paris on "
        "Friday June 23, 2023",
        "President William Ruto and his France counterpart Emmanuel Macron in Paris on "
        "Friday, June 23, 2023.",
        "",
        seed=302,
        colours=((120, 40, 36), (214, 206, 186)),
    ),
    StandIn(
        "ruto-conille.jpg",
        "Ruto and Conille",
        "President William Ruto (right) and Haiti PM Garry Conille.",
        "President William Ruto (left) and Haiti PM Garry Conille.",
        "",
        seed=303,
        colours=((34, 84, 60), (230, 214, 170)),
    ),
]


def _gradient(size, top, bottom) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel((0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return column.resize(size, Image.Resampling.BICUBIC)


def _noise(rng: random.Random, size, scale: int) -> Image.Image:
    """Grey noise drawn at 1/scale and enlarged: grain (1) or clouds (large)."""
    small = (max(1, size[0] // scale), max(1, size[1] // scale))
    layer = Image.frombytes("L", small, rng.randbytes(small[0] * small[1]))
    return layer.resize(size, Image.Resampling.BICUBIC)


def _shapes(rng: random.Random, size) -> Image.Image:
    """Soft figures and lights, like out-of-focus people in a room."""
    layer = Image.new("RGB", size, (128, 128, 128))
    draw = ImageDraw.Draw(layer)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1] // 3, size[1])
        w, h = rng.randrange(80, 260), rng.randrange(200, 700)
        shade = tuple(rng.randrange(40, 220) for _ in range(3))
        draw.ellipse((x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=shade)
        draw.ellipse((x - w // 4, y - h // 2 - w // 2, x + w // 4, y - h // 2), fill=shade)
    for _ in range(12):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1] // 2), rng.randrange(20, 90)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(250, 244, 220))
    return layer.filter(ImageFilter.GaussianBlur(6))


def _label(image: Image.Image, photo: StandIn) -> None:
    draw = ImageDraw.Draw(image)
    big = ImageFont.load_default(size=150)
    small = ImageFont.load_default(size=64)
    lines = [("STAND-IN PHOTO", big), (photo.name, small), ("not the original picture", small)]
    y = HEIGHT // 2 - 200
    for text, font in lines:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = (WIDTH - (right - left)) // 2
        pad = 24
        draw.rectangle((x - pad, y - pad, x + right - left + pad, y + bottom - top + pad),
                       fill=(0, 0, 0))
        draw.text((x - left, y - top), text, font=font, fill=(255, 255, 255))
        y += bottom - top + 2 * pad + 20


def draw_photo(photo: StandIn) -> Image.Image:
    rng = random.Random(photo.seed)
    size = (WIDTH, HEIGHT)
    image = _gradient(size, *photo.colours)
    image = Image.blend(image, _shapes(rng, size), 0.45)
    clouds = _noise(rng, size, 160).convert("RGB")
    image = Image.blend(image, clouds, 0.18)
    grain = _noise(rng, size, 1).filter(ImageFilter.GaussianBlur(0.7)).convert("RGB")
    image = Image.blend(image, grain, 0.10)
    _label(image, photo)
    return image


def embed_metadata(path: Path, photo: StandIn) -> None:
    """IIM and XMP, as agency photos carry them (UTF-8 IIM, marked in 1:90)."""
    tags = [
        "-IPTC:CodedCharacterSet=UTF8",
        f"-IPTC:Caption-Abstract={photo.caption}",
        f"-XMP-dc:Description={photo.caption}",
        f"-XMP-iptcCore:AltTextAccessibility={photo.alt}",
    ]
    if photo.credit:
        tags += [f"-IPTC:Credit={photo.credit}", f"-XMP-photoshop:Credit={photo.credit}"]
    subprocess.run(
        ["exiftool", "-q", "-overwrite_original", "-charset", "iptc=UTF8", *tags, str(path)],
        check=True,
    )


def main(argv: list[str]) -> int:
    if shutil.which("exiftool") is None:
        print("exiftool not found: apt-get install libimage-exiftool-perl", file=sys.stderr)
        return 1
    folder = Path(argv[0]) if argv else ROOT / "content" / "images"
    folder.mkdir(parents=True, exist_ok=True)
    for photo in PHOTOS:
        path = folder / photo.file_name
        draw_photo(photo).save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        embed_metadata(path, photo)
        print(f"{path}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
