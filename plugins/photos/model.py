"""A published photo: its text, its renditions and their site-relative URLs.

``Photo`` is what templates see as ``article.lead_photo`` (see README,
"Photos"). URLs are site-relative without a leading slash, like Pelican's
``article.url``; every text field is plain text. ``settings`` are the
resolved settings (``newsroom.core.settings``: every ``PHOTO_*`` default there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsroom.core.photo_crops import CARD_CROP

from .metadata import PhotoText, SourceFacts
from .renditions import MEDIA_TYPES, Job, centre_crop, make_job

def as_dict(job: Job, folder: str) -> dict:
    return {"url": f"{folder}/{job.name}", "width": job.width, "height": job.height,
            "type": MEDIA_TYPES[job.format]}


@dataclass
class Picture:
    """One <picture>: AVIF/WebP sources and the JPEG fallback, each a list by width."""

    sources: list[tuple[str, list[dict]]]
    fallback: list[dict]
    sizes: str

    @property
    def largest(self) -> dict:
        return self.fallback[-1]


@dataclass
class Photo:
    alt: str
    caption: str
    credit: str
    creator: str
    copyright: str
    decorative: bool
    picture: Picture
    width: int = 0
    height: int = 0
    fallback: dict = field(default_factory=dict)
    crops: dict = field(default_factory=dict)
    thumbnail: dict | None = None
    thumbnail_picture: Picture | None = None

    @property
    def card_image(self) -> dict | None:
        """The social card's crop (``newsroom.core.photo_crops.CARD_CROP``), or None."""
        return self.crops.get(CARD_CROP) or None


def _picture(jobs_by_format: dict[str, list[Job]], folder: str, sizes: str) -> Picture:
    fallback = [as_dict(j, folder) for j in jobs_by_format.get("jpeg", [])]
    sources = [(MEDIA_TYPES[fmt], [as_dict(j, folder) for j in jobs])
               for fmt, jobs in jobs_by_format.items() if fmt != "jpeg"]
    return Picture(sources, fallback, sizes)


def _renditions(settings, source: Path, digest: str, box, widths, text: PhotoText,
                formats, mode: str) -> dict[str, list[Job]]:
    options = settings["PHOTO_ENCODER_OPTIONS"]
    by_format: dict[str, list[Job]] = {}
    for fmt in formats:
        jobs = {}
        for width in sorted(widths):
            job = make_job(source, digest, box, width, fmt, options.get(fmt, {}),
                           text.credit or text.creator, text.copyright,
                           settings["PHOTO_MATTE"], mode)
            jobs.setdefault(job.width, job)  # small sources: one rendition, not five copies
        by_format[fmt] = list(jobs.values())
    return by_format


def plan_photo(settings, source: Path, facts: SourceFacts, digest: str, text: PhotoText,
               decorative: bool, lead: bool) -> tuple[Photo, list[Job]]:
    """The photo's renditions (and for a lead photo its crops and thumbnail)."""
    folder = settings["PHOTO_OUTPUT_DIR"].strip("/")
    formats = [f for f in settings["PHOTO_FORMATS"] if f != "jpeg"] + ["jpeg"]
    sizes = settings["PHOTO_SIZES"]
    full = (0, 0, facts.width, facts.height)
    main = _renditions(settings, source, digest, full, settings["PHOTO_WIDTHS"],
                       text, formats, facts.mode)
    jobs = [job for group in main.values() for job in group]
    picture = _picture(main, folder, sizes["lead" if lead else "body"])
    photo = Photo(text.alt, text.caption, text.credit, text.creator, text.copyright,
                  decorative, picture, picture.largest["width"], picture.largest["height"],
                  picture.largest)
    if lead:
        for name, ratio in settings["PHOTO_CROPS"].items():
            box = centre_crop(facts.width, facts.height, tuple(ratio))
            crop = _renditions(settings, source, digest, box,
                               [settings["PHOTO_CROP_WIDTH"]], text, ["jpeg"],
                               facts.mode)["jpeg"]
            jobs += crop
            photo.crops[name] = as_dict(crop[0], folder)
        box = centre_crop(facts.width, facts.height, tuple(settings["PHOTO_THUMBNAIL_RATIO"]))
        thumbs = _renditions(settings, source, digest, box,
                             settings["PHOTO_THUMBNAIL_WIDTHS"], text, formats,
                             facts.mode)
        jobs += [job for group in thumbs.values() for job in group]
        photo.thumbnail_picture = _picture(thumbs, folder, sizes["thumbnail"])
        photo.thumbnail = photo.thumbnail_picture.fallback[0]
    return photo, jobs
