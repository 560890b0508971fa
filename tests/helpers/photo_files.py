"""Photo files for tests, made here: JPEG with IIM (bytes crafted by hand, so
no exiftool is needed), XMP, EXIF orientation, GPS and a camera serial; PNG
with alpha."""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image

UTF8_MARKER = b"\x1b%G"


def iim_datasets(fields: dict[tuple[int, int], bytes]) -> bytes:
    """IPTC IIM: 0x1C, record, dataset, 2-byte length, data; records in order."""
    return b"".join(
        b"\x1c" + bytes([record, dataset]) + len(value).to_bytes(2, "big") + value
        for (record, dataset), value in sorted(fields.items())
    )


def photoshop_app13(iim: bytes) -> bytes:
    """A JPEG APP13 segment holding the IIM in Photoshop resource 0x0404."""
    resource = b"8BIM" + (0x0404).to_bytes(2, "big") + b"\x00\x00"
    resource += len(iim).to_bytes(4, "big") + iim + (b"\x00" if len(iim) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload


def xmp_packet(alt="", caption="", credit="", creator="", rights="", extra="") -> bytes:
    def lang_alt(tag, text):
        return (f"<{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(text)}</rdf:li>"
                f"</rdf:Alt></{tag}>") if text else ""

    body = (
        lang_alt("Iptc4xmpCore:AltTextAccessibility", alt)
        + lang_alt("dc:description", caption)
        + lang_alt("dc:rights", rights)
        + (f"<photoshop:Credit>{escape(credit)}</photoshop:Credit>" if credit else "")
        + (f"<dc:creator><rdf:Seq><rdf:li>{escape(creator)}</rdf:li></rdf:Seq></dc:creator>"
           if creator else "")
        + extra
    )
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/" '
        'xmlns:aux="http://ns.adobe.com/exif/1.0/aux/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def two_tone(size=(320, 200), left=(200, 30, 30), right=(30, 30, 200)) -> Image.Image:
    """Left half one colour, right half another: orientation is visible."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def jpeg(path: Path, image: Image.Image | None = None, iim: dict | None = None,
         xmp: bytes | None = None, exif: Image.Exif | None = None) -> Path:
    image = image or two_tone()
    buffer = io.BytesIO()
    options = {"quality": 90}
    if xmp:
        options["xmp"] = xmp
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(buffer, "JPEG", **options)
    data = buffer.getvalue()
    if iim:
        data = data[:2] + photoshop_app13(iim_datasets(iim)) + data[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def gps_and_serial_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0131] = "Editing Suite 1.0"  # Software
    exif[0x9003] = "2024:06:14 10:00:00"  # DateTimeOriginal
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-123456"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (1.0, 17.0, 0.0)
    gps[3], gps[4] = "E", (36.0, 49.0, 0.0)
    if orientation:
        exif[0x0112] = orientation
    return exif


def png_with_alpha(path: Path, size=(300, 200)) -> Path:
    image = Image.new("RGBA", size, (0, 128, 0, 0))  # fully transparent green
    image.paste((0, 128, 0, 255), (0, 0, size[0] // 2, size[1]))  # opaque left half
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG", pnginfo=None)
    return path


def flip_keeping_metadata(path: Path) -> None:
    """Mirror a JPEG in place, keeping its EXIF, XMP and ICC profile: new
    pixels, the same caption and credit (an editor's replaced photo)."""
    with Image.open(path) as photo:
        photo.load()
        info = dict(photo.info)
        flipped = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    keep = {key: info[key] for key in ("exif", "xmp", "icc_profile") if key in info}
    flipped.save(path, quality=90, **keep)


def add_sidecar_credit(content: Path, photo: str = "ruto-conille.jpg",
                       credit: str = "Sidecar Credit Agency") -> None:
    """A sidecar file beside a photo of ``content``/images that sets its credit."""
    (content / "images" / f"{photo}.sidecar.txt").write_text(f"credit: {credit}\n",
                                                             encoding="utf-8")
