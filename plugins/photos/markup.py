"""The HTML of photos: <figure> with <picture>, and list thumbnails.

``prefix`` goes in front of every site-relative URL: ``SITEURL + "/"`` in
templates, or the ``{photo}`` token in article bodies (resolved per page by
the plugin, because Pelican's own link replacement does not cover srcset).
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from .model import Photo, Picture


def _attrs(**values) -> str:
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        parts.append(f' {name.replace("_", "-")}="{escape(str(value), quote=True)}"')
    return "".join(parts)


def srcset(renditions: list[dict], prefix: str) -> str:
    return ", ".join(f"{prefix}{r['url']} {r['width']}w" for r in renditions)


def picture_html(picture: Picture, prefix: str, alt: str, lead: bool = False,
                 lazy: bool = True) -> str:
    largest = picture.largest
    sources = "".join(
        f"<source{_attrs(type=media_type, srcset=srcset(items, prefix), sizes=picture.sizes)}>"
        for media_type, items in picture.sources
    )
    img = _attrs(
        src=prefix + largest["url"],
        srcset=srcset(picture.fallback, prefix),
        sizes=picture.sizes,
        width=largest["width"],
        height=largest["height"],
        alt=alt,
        loading=None if lead or not lazy else "lazy",
        decoding="async",
        fetchpriority="high" if lead else None,
    )
    return f"<picture>{sources}<img{img}></picture>"


def figcaption_html(photo: Photo) -> str:
    parts = []
    if photo.caption:
        parts.append(f'<span class="caption">{escape(photo.caption)}</span>')
    if photo.credit:
        parts.append(f'<span class="credit">{escape(photo.credit)}</span>')
    return f"<figcaption>{' '.join(parts)}</figcaption>" if parts else ""


def figure_html(photo: Photo, prefix: str, lead: bool = False) -> str:
    classes = "photo photo--lead" if lead else "photo"
    return (f'<figure class="{classes}">'
            f"{picture_html(photo.picture, prefix, photo.alt, lead=lead)}"
            f"{figcaption_html(photo)}</figure>")


# --- Jinja filters ---------------------------------------------------------------

def _site_prefix(site_url) -> str:
    site_url = str(site_url or "")
    return site_url.rstrip("/") + "/" if site_url else ""


def lead_figure(photo: Photo | None, site_url: str) -> Markup:
    """``{{ article.lead_photo|lead_figure(SITEURL) }}``: the lead figure, eager."""
    if not photo:
        return Markup("")
    return Markup(figure_html(photo, _site_prefix(site_url), lead=True))


def photo_thumbnail(photo: Photo | None, site_url: str) -> Markup:
    """A list card's thumbnail; decorative (alt="") beside the headline link."""
    if not photo or not photo.thumbnail_picture:
        return Markup("")
    return Markup(picture_html(photo.thumbnail_picture, _site_prefix(site_url), alt=""))
