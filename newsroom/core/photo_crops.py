"""The lead photo's crops: their names, their ratios and who uses which.

The photos plugin cuts one centred JPEG per entry of ``PHOTO_CROPS`` from a
story's lead photo (``Photo.crops[name]``, a rendition dict: ``url``,
``width``, ``height``, ``type``). Other parts of the site ask for a crop by
name; the names are spelt only here, and every user imports them:

* ``PHOTO_CROPS``'s default (``newsroom.core.settings.DEFAULTS``) makes the
  crops in ``CROP_RATIOS``;
* the social card (Open Graph and Twitter, ``theme/templates/partials/
  head_meta.html``) shows ``CARD_CROP`` through ``Photo.card_image``;
* a story's JSON-LD ``image`` lists ``ARTICLE_IMAGE_CROPS`` in that order
  (plugins/structured_data/schema.py; Google asks for 16:9, 4:3 and 1:1);
* a writer's JSON-LD ``image`` is the first of ``PORTRAIT_CROPS`` the
  profile photo has (plugins/writer_profiles), square first.

A crop a site leaves out of ``PHOTO_CROPS`` is simply missing for its users
(no card image, fewer JSON-LD images), never an error.
"""

from __future__ import annotations

WIDE = "16x9"
STANDARD = "4x3"
SQUARE = "1x1"

#: Every crop the site makes by default: name -> (width, height) ratio.
CROP_RATIOS: dict[str, tuple[int, int]] = {WIDE: (16, 9), STANDARD: (4, 3), SQUARE: (1, 1)}

#: The image of a story's social card (og:image, twitter:image).
CARD_CROP = WIDE
#: A story's JSON-LD images, in this order.
ARTICLE_IMAGE_CROPS = (WIDE, STANDARD, SQUARE)
#: A writer's JSON-LD image: the first of these the photo has.
PORTRAIT_CROPS = (SQUARE, STANDARD, WIDE)


def crop_settings() -> dict[str, list[int]]:
    """``CROP_RATIOS`` in the form of the ``PHOTO_CROPS`` setting (lists, as before)."""
    return {name: list(ratio) for name, ratio in CROP_RATIOS.items()}
