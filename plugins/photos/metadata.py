"""What a photo says about itself: alt text, caption, credit, creator, rights.

Sources, highest precedence first: the article (Markdown alt text and title,
or ``Image_alt``/``Image_caption`` for the lead photo), a sidecar file beside
the image, the image's XMP, its IPTC IIM. Every value is plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

from PIL import Image, IptcImagePlugin

FIELDS = ("alt", "caption", "credit", "creator", "copyright")
SIDECAR_SUFFIX = ".sidecar.txt"

# IPTC IIM datasets (record 2) for each field; alt text has none.
IIM_TAGS = {"caption": (2, 120), "credit": (2, 110), "creator": (2, 80), "copyright": (2, 116)}
IIM_CODED_CHARACTER_SET = (1, 90)
# ISO 2022 escape sequences IIM uses in 1:90 (IPTC IIM 4.2, appendix C).
IIM_UTF8 = b"\x1b%G"
IIM_LATIN1 = (b"\x1b.A", b"\x1b-A")

# XMP property local names (Pillow's getxmp() drops namespace prefixes).
XMP_NAMES = {
    "alt": "AltTextAccessibility",  # Iptc4xmpCore
    "caption": "description",  # dc
    "credit": "Credit",  # photoshop
    "creator": "creator",  # dc
    "copyright": "rights",  # dc
}


@dataclass
class PhotoText:
    alt: str = ""
    caption: str = ""
    credit: str = ""
    creator: str = ""
    copyright: str = ""

    @classmethod
    def first_of(cls, *layers: dict) -> "PhotoText":
        """Each field from the first layer that has a non-empty value for it."""
        values = {}
        for field in fields(cls):
            values[field.name] = next(
                (layer[field.name] for layer in layers if layer.get(field.name)), ""
            )
        return cls(**values)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\x00", "")).strip()


# --- IPTC IIM --------------------------------------------------------------------

def decode_iim(value: bytes, charset_marker: bytes | None) -> str:
    """IIM bytes as text: UTF-8 when 1:90 says so, else UTF-8 if valid, else Latin-1.

    Files without the marker come from older software, which wrote the
    Windows variant of Latin-1 (cp1252: curly quotes at 0x91-0x94).
    """
    if charset_marker == IIM_UTF8:
        return _clean(value.decode("utf-8", errors="replace"))
    if charset_marker not in IIM_LATIN1:
        try:
            return _clean(value.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    try:
        return _clean(value.decode("cp1252"))
    except UnicodeDecodeError:
        return _clean(value.decode("latin-1"))


def read_iim(image: Image.Image) -> dict:
    try:
        info = IptcImagePlugin.getiptcinfo(image) or {}
    except (SyntaxError, ValueError, OSError, IndexError):
        return {}  # damaged IIM block: other sources may still describe the photo
    marker = info.get(IIM_CODED_CHARACTER_SET)
    if isinstance(marker, list):
        marker = marker[0]
    result = {}
    for name, tag in IIM_TAGS.items():
        value = info.get(tag)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        result[name] = "; ".join(decode_iim(v, marker) for v in values if v)
    return result


# --- XMP -------------------------------------------------------------------------

def _xmp_text(value) -> str:
    """Text of an XMP property: simple, language alternative, or Seq/Bag."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return "; ".join(t for t in (_xmp_text(v) for v in value) if t)
    if isinstance(value, dict):
        if "Alt" in value:
            items = value["Alt"].get("li", "") if isinstance(value["Alt"], dict) else ""
            items = items if isinstance(items, list) else [items]
            default = [i for i in items if isinstance(i, dict) and i.get("lang") == "x-default"]
            return _xmp_text((default or items)[0]) if items else ""
        for container in ("Seq", "Bag"):
            if container in value and isinstance(value[container], dict):
                return _xmp_text(value[container].get("li", ""))
        if "text" in value:
            return _clean(str(value["text"]))
    return ""


def read_xmp(image: Image.Image) -> dict:
    try:
        xmp = image.getxmp()
    except Exception:  # noqa: BLE001  (malformed XML in a photo is not our bug)
        return {}
    descriptions = xmp.get("xmpmeta", {}).get("RDF", {}).get("Description", [])
    if isinstance(descriptions, dict):
        descriptions = [descriptions]
    result = {}
    for description in descriptions:
        if not isinstance(description, dict):
            continue
        for name, key in XMP_NAMES.items():
            if key in description and not result.get(name):
                result[name] = _xmp_text(description[key])
    return result


# --- sidecar -----------------------------------------------------------------------

class SidecarError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def sidecar_path(image_path: Path) -> Path:
    return image_path.with_name(image_path.name + SIDECAR_SUFFIX)


def read_sidecar(image_path: Path) -> dict:
    """``photo.jpg.sidecar.txt``: UTF-8 lines ``field: value``; # starts a comment."""
    path = sidecar_path(image_path)
    if not path.is_file():
        return {}
    result = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SidecarError(1, "is not UTF-8 text; save it as UTF-8") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or name not in FIELDS:
            raise SidecarError(
                number, f'"{line.strip()}" is not a "field: value" line; fields are '
                + ", ".join(FIELDS))
        result[name] = _clean(value)
    return result


# --- everything about one file --------------------------------------------------

@dataclass
class SourceFacts:
    """Size (after EXIF orientation) and embedded text of one image file."""

    width: int
    height: int
    orientation: int
    has_alpha: bool
    xmp: dict
    iim: dict


def read_source(path: Path) -> SourceFacts:
    """Open ``path`` lazily (no pixel decoding) and read size and metadata."""
    with Image.open(path) as image:
        try:
            orientation = int(image.getexif().get(0x0112, 1))
        except (ValueError, TypeError, SyntaxError, OSError):
            orientation = 1
        width, height = image.size
        if orientation in (5, 6, 7, 8):  # rotated a quarter turn
            width, height = height, width
        has_alpha = image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info)
        return SourceFacts(width, height, orientation, has_alpha, read_xmp(image), read_iim(image))
