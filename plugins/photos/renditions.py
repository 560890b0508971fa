"""Plan, encode and cache the resized copies (renditions) of photos.

A rendition's file name carries a hash of the source file's bytes and of
every encoding parameter, so a changed photo or a changed size or quality
setting gets a new name and only that rendition is encoded again. Encoded
files live in a cache folder outside the output (the build renders into a
fresh folder each time) and are copied (never linked) into the output.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from xml.sax.saxutils import escape
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from PIL import Image, ImageCms, ImageMath, ImageOps

MEDIA_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
# Bump when the encoding code changes in a way that changes the bytes.
PIPELINE_VERSION = 2
# Sources whose pixels are RGB or RGBA (nearly every photo) are converted as
# they always were. Any other mode (16-bit, float, bilevel, palette, grey,
# CMYK, premultiplied alpha) goes through ``_display_image``; its renditions
# carry the mode and this version in their names, so changing that code
# (bump this) re-encodes those photos only, and renditions made before it
# existed (a 16-bit PNG came out white) are never reused.
DIRECT_MODES = ("RGB", "RGBA")
CONVERSION_VERSION = 1


@dataclass(frozen=True)
class Job:
    """One rendition to make: which source, which box of it, what size and format."""

    source: str  # absolute path of the original
    name: str  # file name of the rendition
    format: str  # avif, webp or jpeg
    width: int
    height: int
    crop: tuple[int, int, int, int]  # box in the upright (EXIF-rotated) source
    options: tuple  # encoder options as sorted (key, value) pairs
    credit: str  # credit line, or the creator when there is none
    copyright: str
    matte: str  # background for transparent sources in JPEG


def source_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "photo"


def centre_crop(width: int, height: int, ratio: tuple[int, int] | None):
    """The largest box of the given aspect ratio in the middle of the image."""
    if not ratio:
        return (0, 0, width, height)
    rw, rh = ratio
    if width * rh > height * rw:  # too wide: trim the sides
        new_width = height * rw // rh
        left = (width - new_width) // 2
        return (left, 0, left + new_width, height)
    new_height = width * rh // rw
    top = (height - new_height) // 2
    return (0, top, width, top + new_height)


def make_job(source: Path, digest: str, box, width: int, fmt: str, options: dict,
             credit: str, copyright: str, matte: str, mode: str = "RGB") -> Job:
    """A rendition ``width`` px wide of ``box``; never wider than the box (no upscaling).

    Equal inputs give equal names, so a crop that happens to be the whole
    photo shares its files with the full-size renditions. ``mode`` is the
    source's pixel mode (``SourceFacts.mode``).
    """
    box_width, box_height = box[2] - box[0], box[3] - box[1]
    width = min(width, box_width)
    height = max(1, round(box_height * width / box_width))
    params = [PIPELINE_VERSION, digest, box, width, fmt, sorted(options.items()),
              credit, copyright, matte]
    if mode not in DIRECT_MODES:
        params.append(["converted", mode, CONVERSION_VERSION])
    key = hashlib.sha256(json.dumps(params).encode()).hexdigest()[:12]
    name = f"{_slug(source.stem)}-{width}w-{key}.{EXTENSIONS[fmt]}"
    return Job(str(source), name, fmt, width, height, tuple(box),
               tuple(sorted(options.items())), credit, copyright, matte)


# --- encoding (runs in worker processes) -------------------------------------------

def _direct_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB or RGBA pixels, colour-managed to sRGB: the conversion RGB(A) photos always had."""
    if icc:
        try:
            mode = "RGBA" if "A" in image.getbands() else "RGB"
            image = ImageCms.profileToProfile(
                image.convert(mode), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: show the pixels as they are
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _scaled_to_l(image: Image.Image, scale: float) -> Image.Image:
    """8-bit grey from an "I" or "F" image: value times ``scale``, rounded and clipped."""
    return image.point(lambda value: value * scale + 0.5).convert("L")


def _eight_bit(image: Image.Image) -> Image.Image:
    """The same picture as L, LA, RGB, RGBA, CMYK or LAB, 8 bits per channel.

    A plain ``convert("RGB")`` would clip 16-bit grey ("I;16", "I": 0-65535)
    to white, and float ("F") to black or white.
    """
    mode = image.mode
    if mode == "I" or mode.startswith("I;16"):
        wide = image.convert("I")
        grey = _scaled_to_l(wide, 1 / 257)
        if "transparency" in image.info:  # one grey value marked transparent
            key = image.info["transparency"]
            alpha = ImageMath.lambda_eval(lambda a: (a["im"] != key) * 255, im=wide)
            grey = Image.merge("LA", (grey, alpha.convert("L")))
        return grey
    if mode == "F":
        # Float files are 0-1 (most tools), 0-255 or 0-65535.
        high = image.getextrema()[1]
        return _scaled_to_l(image, 255 if high <= 1 else 1 if high <= 255 else 1 / 257)
    if mode in ("La", "RGBa"):  # premultiplied alpha
        return image.convert(mode.upper())
    if mode in ("L", "RGB") and "transparency" in image.info:  # a colour marked transparent
        return image.convert(mode + "A")
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK", "LAB"):
        return image
    if mode == "1":
        return image.convert("L")
    # P, PA (palette, with or without transparency), YCbCr, HSV, RGBX, ...
    bands = image.getbands()
    has_alpha = "A" in bands or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _display_image(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB or RGBA in sRGB, showing what the source shows, whatever its mode."""
    image = _eight_bit(image)
    alpha = image.getchannel("A") if image.mode in ("LA", "RGBA") else None
    colour = image.convert(image.mode[:-1]) if alpha is not None else image
    srgb = ImageCms.createProfile("sRGB")
    if colour.mode == "LAB":
        # CIELab (a TIFF option) means the same everywhere: no profile is
        # needed, and Pillow has no plain conversion from it.
        colour = ImageCms.profileToProfile(colour, ImageCms.createProfile("LAB"), srgb,
                                           outputMode="RGB")
    elif icc:
        # The profile describes the colour bands: grey, RGB or CMYK.
        try:
            colour = ImageCms.profileToProfile(
                colour, ImageCms.ImageCmsProfile(io.BytesIO(icc)), srgb, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: show the pixels as they are
    colour = colour.convert("RGB")
    if alpha is not None:
        colour.putalpha(alpha)
    return colour


def _upright_rgb(job: Job) -> Image.Image:
    with Image.open(job.source) as image:
        box = job.crop
        full_width = image.width
        scale = job.width / max(1, box[2] - box[0])
        if image.format == "JPEG" and scale < 0.5:
            # Decode at a reduced scale (DCT scaling): much faster, and at
            # least twice the target size keeps the downscale sharp.
            image.draft("RGB", (int(image.width * scale * 2) + 1, int(image.height * scale * 2) + 1))
        factor = image.size[0] / full_width
        icc = image.info.get("icc_profile")
        direct = image.mode in DIRECT_MODES
        image = ImageOps.exif_transpose(image)
        image = _direct_rgb(image, icc) if direct else _display_image(image, icc)
    scaled_box = tuple(round(v * factor) for v in box)
    image = image.crop(scaled_box).resize((job.width, job.height), Image.Resampling.LANCZOS)
    if job.format == "jpeg" and image.mode == "RGBA":
        background = Image.new("RGB", image.size, job.matte)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image.info = {}  # nothing from the original's metadata may ride along
    return image


def rights_xmp(credit: str, copyright: str) -> bytes:
    """A minimal XMP packet: the credit line and the copyright notice, nothing else."""
    fields = []
    if credit:
        fields.append(f"<photoshop:Credit>{escape(credit)}</photoshop:Credit>")
    if copyright:
        fields.append('<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
                      f"{escape(copyright)}</rdf:li></rdf:Alt></dc:rights>")
    if not fields:
        return b""
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        f'{"".join(fields)}</rdf:Description></rdf:RDF></x:xmpmeta>'
    ).encode("utf-8")


def encode(job: Job) -> bytes:
    """The rendition's bytes: pixels plus an XMP credit and copyright, nothing else.

    XMP rather than EXIF Artist/Copyright: EXIF text is ASCII, and a "©" or
    an accented agency name must survive.
    """
    image = _upright_rgb(job)
    buffer = io.BytesIO()
    save_format = {"jpeg": "JPEG", "webp": "WEBP", "avif": "AVIF"}[job.format]
    xmp = rights_xmp(job.credit, job.copyright)
    extra = {"xmp": xmp} if xmp else {}
    image.save(buffer, save_format, **dict(job.options), **extra)
    return buffer.getvalue()


def _encode_into_cache(job: Job, cache: str) -> str | None:
    """Encode ``job`` into the cache; the error as text if the source fails."""
    try:
        data = encode(job)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        return f"{type(error).__name__}: {error}"
    handle, temporary = tempfile.mkstemp(dir=cache, prefix=".encoding-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, os.path.join(cache, job.name))  # atomic: concurrent builds
    return None


# --- the build step ----------------------------------------------------------------

@dataclass
class Report:
    encoded: int = 0
    reused: int = 0
    failures: list = field(default_factory=list)  # (job, error text)


def _publish(cached: Path, target: Path) -> None:
    """Copy a cached rendition into the output: never a link.

    A hard link would share the cache's inode with the output, so any later
    write to that output path (a page or static file saved over it) would
    change the cache and, through it, every earlier output folder and the
    live site. A copy keeps each output folder its own.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):  # lexists: never write through a symlink
        return
    shutil.copyfile(cached, target)


def run_jobs(jobs: list[Job], cache: Path, output: Path, workers: int | None) -> Report:
    """Encode what the cache lacks (in parallel), then put every rendition in ``output``."""
    cache.mkdir(parents=True, exist_ok=True)
    report = Report()
    unique = sorted({job.name: job for job in jobs}.values(), key=lambda j: j.name)
    # One build encodes at a time per cache; a concurrent build waits, then reuses.
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [job for job in unique if not (cache / job.name).is_file()]
        workers = max(1, min(workers or os.cpu_count() or 1, len(missing) or 1))
        if len(missing) > 1 and workers > 1:
            # Largest first, so that no worker is left with a big one at the end.
            missing.sort(key=lambda j: (-j.width * j.height * (3 if j.format == "avif" else 1), j.name))
            with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
                errors = list(pool.map(_encode_into_cache, missing, [str(cache)] * len(missing)))
        else:
            errors = [_encode_into_cache(job, str(cache)) for job in missing]
    report.failures = [(job, error) for job, error in zip(missing, errors) if error]
    report.encoded = len(missing) - len(report.failures)
    report.reused = len(unique) - len(missing)
    for job in unique:
        if (cache / job.name).is_file():
            _publish(cache / job.name, output / job.name)
    return report
