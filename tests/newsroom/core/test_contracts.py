"""The agreements between plugins, each in one module (newsroom/core/plain_metadata.py,
newsroom/core/photo_crops.py, newsroom/core/problems.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newsroom.core.photo_crops import (ARTICLE_IMAGE_CROPS, CARD_CROP, CROP_RATIOS, PORTRAIT_CROPS,
                                  crop_settings)
from newsroom.core.plain_metadata import escape_plain_metadata, unescape_plain_metadata


@given(st.text())
def test_plain_metadata_unescapes_what_was_escaped(text):
    escaped = escape_plain_metadata(text)
    assert "<" not in escaped and ">" not in escaped
    assert unescape_plain_metadata(escaped) == text


def test_plain_metadata_escapes_only_what_html_needs():
    assert escape_plain_metadata('"Tom & <Jerry>" \'') == '"Tom &amp; &lt;Jerry&gt;" \''
    assert unescape_plain_metadata(None) is None
    assert unescape_plain_metadata(["not", "text"]) is None


def test_every_crop_a_user_asks_for_is_made_by_default():
    wanted = {CARD_CROP, *ARTICLE_IMAGE_CROPS, *PORTRAIT_CROPS}
    assert wanted <= set(CROP_RATIOS)
    assert crop_settings() == {name: list(ratio) for name, ratio in CROP_RATIOS.items()}
    assert all(name == f"{w}x{h}" for name, (w, h) in CROP_RATIOS.items())


def test_the_photo_card_image_is_the_card_crop():
    from plugins.photos.model import Photo, Picture

    picture = Picture([], [{"url": "a.jpg", "width": 10, "height": 10, "type": "image/jpeg"}], "")
    photo = Photo("alt", "", "", "", "", False, picture)
    assert photo.card_image is None
    photo.crops[CARD_CROP] = {"url": "card.jpg"}
    assert photo.card_image == {"url": "card.jpg"}
