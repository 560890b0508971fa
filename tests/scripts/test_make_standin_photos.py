"""scripts/make_standin_photos.py draws reproducible, photo-like stand-ins and
embeds the seed's text as IIM and XMP."""

from __future__ import annotations

import shutil

from PIL import Image

from helpers.building import FIXTURES, load_script


def test_drawing_is_reproducible_and_photo_like():
    script = load_script("make_standin_photos")
    first = script.draw_photo(script.PHOTOS[1])
    assert first.size[0] >= 2000
    assert first.tobytes() == script.draw_photo(script.PHOTOS[1]).tobytes()
    assert len(first.reduce(8).getcolors(1 << 20) or []) > 5000  # not flat colour


def test_script_embeds_the_seed_text(tmp_path):
    script = load_script("make_standin_photos")
    if shutil.which("exiftool") is None:  # CI installs it; without, a clear error
        assert script.main([str(tmp_path)]) == 1
        return
    assert script.main([str(tmp_path)]) == 0
    from plugins.photos.metadata import read_source

    lines = (FIXTURES / "seed_article.txt").read_text(encoding="utf-8").splitlines()
    expected = {  # file: (alt, caption, credit), seed lines verbatim
        "un-security-council-kenya-haiti-collage.jpg": (lines[2], lines[3], lines[4]),
        "ruto-macron-paris-2023.jpg": (lines[14], lines[15], ""),
        "ruto-conille.jpg": (lines[33], lines[34], ""),
    }
    for name, (alt, caption, credit) in expected.items():
        facts = read_source(tmp_path / name)
        assert facts.xmp.get("alt") == alt
        assert facts.xmp.get("caption") == facts.iim.get("caption") == caption
        assert facts.xmp.get("credit", "") == facts.iim.get("credit", "") == credit
        with Image.open(tmp_path / name) as image:
            assert image.width >= 2000 and image.format == "JPEG"
