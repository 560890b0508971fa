"""What a photo says about itself: alt text, caption, credit, creator, rights.

Sources, highest precedence first: the article (Markdown alt text and title,
or ``Image_alt``/``Image_caption`` for the lead photo), a sidecar file beside
the image, the image's XMP, its IPTC IIM. Every value is plain text.

Control characters (``newsroom.core.characters``) are kept in the values, never
silently dropped or turned into spaces, so that the plugin can report the
photo, the field and where the character is; only the NUL bytes that many
encoders leave at the end of an IIM field are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

from PIL import Image, IptcImagePlugin

from newsroom.core.characters import FORBIDDEN, lines_of

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

# How error messages name each field and where it was read from.
FIELD_NAMES = {"alt": "alt text", "caption": "caption", "credit": "credit",
               "creator": "creator", "copyright": "copyright notice"}
XMP_PROPERTIES = {"alt": "Iptc4xmpCore:AltTextAccessibility", "caption": "dc:description",
                  "credit": "photoshop:Credit", "creator": "dc:creator",
                  "copyright": "dc:rights"}
IIM_DATASETS = {"caption": "2:120 Caption/Abstract", "credit": "2:110 Credit",
                "creator": "2:80 By-line", "copyright": "2:116 Copyright Notice"}


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


# Whitespace that is not a forbidden character: \s also matches vertical tab,
# form feed, U+001C-U+001F and U+0085, which must stay visible to the checks.
_SPACE = re.compile(r"[^\S\x0b\x0c\x1c-\x1f\x85]+")


def _clean(text: str) -> str:
    """One line of text: runs of spaces, tabs and line breaks become one space."""
    return _SPACE.sub(" ", text).strip(" ")


# --- IPTC IIM --------------------------------------------------------------------

def decode_iim(value: bytes, charset_marker: bytes | None) -> str:
    """IIM bytes as text: UTF-8 when 1:90 says so, else UTF-8 if valid, else Latin-1.

    Files without the marker come from older software, which wrote the
    Windows variant of Latin-1 (cp1252: curly quotes at 0x91-0x94). NUL
    bytes at the end (padding many encoders add) are dropped; any other
    control character stays in the text, for the plugin to report.
    """
    value = value.rstrip(b"\x00")
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

# XML cannot hold most control characters, even as character references, so
# a packet with one would not parse at all and every field of it would be
# lost without a word. Before parsing, each forbidden character (raw or
# written as &#7; or &#x7;) is replaced by a stand-in from Supplementary
# Private Use Area-A, and put back in the parsed values.
_STAND_IN = 0xF0000
_STAND_INS = re.compile("[\U000F0000-\U000FFFFF]")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")


def _stand_in(character: str) -> str:
    return chr(_STAND_IN + ord(character))


def _parseable_xmp(packet: bytes) -> bytes | None:
    """The packet with stand-ins for forbidden characters; None if there is nothing to do."""
    try:
        text = packet.decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8: let the XML parser read it as it says
    if _STAND_INS.search(text):
        return None  # the stand-ins themselves occur: do not guess

    def reference(match: re.Match) -> str:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if code <= 0xFFFF and FORBIDDEN.match(chr(code)):
            return _stand_in(chr(code))
        return match.group(0)

    replaced = _CHARACTER_REFERENCE.sub(reference, text)
    replaced = FORBIDDEN.sub(lambda m: _stand_in(m.group()), replaced)
    return None if replaced == text else replaced.encode("utf-8")


def _restore(value):
    """Put the forbidden characters back in place of their stand-ins."""
    if isinstance(value, str):
        return _STAND_INS.sub(lambda m: chr(ord(m.group()) - _STAND_IN), value)
    if isinstance(value, list):
        return [_restore(item) for item in value]
    if isinstance(value, dict):
        return {key: _restore(item) for key, item in value.items()}
    return value


def _getxmp(image: Image.Image) -> dict:
    packet = image.info.get("xmp")
    replaced = _parseable_xmp(packet.rstrip(b"\x00 ")) if isinstance(packet, bytes) else None
    if replaced is None:
        return image.getxmp()
    image.info["xmp"] = replaced
    try:
        return _restore(image.getxmp())
    finally:
        image.info["xmp"] = packet


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
        xmp = _getxmp(image)
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
    """What is wrong with a sidecar: ``problems`` lists (line, message), ``line`` the first."""

    def __init__(self, line: int, message: str, problems: list | None = None):
        super().__init__(message)
        self.line = line
        self.problems = problems or [(line, message)]


def sidecar_path(image_path: Path) -> Path:
    return image_path.with_name(image_path.name + SIDECAR_SUFFIX)


def _sidecar_line_problems(image_path: Path, line: str) -> list[str]:
    """Control characters in one line of a sidecar, named by field."""
    name, sep, _value = line.partition(":")
    name = name.strip().lower()
    if line.lstrip().startswith("#"):
        what = "a comment"
    elif sep and name in FIELDS:
        what = f"the {FIELD_NAMES[name]} of {image_path.name}"
    else:
        what = "the line"
    return [f"{what} contains the control character U+{ord(m.group()):04X} at column "
            f"{m.start() + 1}; delete it (pages and feeds cannot contain it)"
            for m in FORBIDDEN.finditer(line)]


def read_sidecar(image_path: Path) -> dict:
    """``photo.jpg.sidecar.txt``: UTF-8 lines ``field: value``; # starts a comment.

    Every mistake in the file is collected, with its line, into one
    ``SidecarError``: a line that is not ``field: value``, a field given
    twice, a control character.
    """
    path = sidecar_path(image_path)
    if not path.is_file():
        return {}
    result: dict[str, str] = {}
    first_line: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SidecarError(1, "is not UTF-8 text; save it as UTF-8") from None
    # Only "\n" ends a line: splitlines() would also split at a vertical tab
    # or form feed and report the wrong line.
    for number, line in enumerate(lines_of(text), 1):
        problems += [(number, problem) for problem in _sidecar_line_problems(image_path, line)]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep or name not in FIELDS:
            problems.append((number, f'"{line.strip()}" is not a "field: value" line; '
                             "fields are " + ", ".join(FIELDS)))
            continue
        if name in first_line:
            problems.append((number, f'"{name}" is given twice (first on line '
                             f"{first_line[name]}); keep one of them"))
            continue
        first_line[name] = number
        result[name] = _clean(value)
    if problems:
        line, message = problems[0]
        raise SidecarError(line, message, problems)
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
    mode: str = "RGB"  # Pillow's mode of the file's pixels (renditions.make_job)


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
        bands = image.getbands()
        has_alpha = "A" in bands or "a" in bands or "transparency" in image.info
        return SourceFacts(width, height, orientation, has_alpha, read_xmp(image),
                           read_iim(image), image.mode)
