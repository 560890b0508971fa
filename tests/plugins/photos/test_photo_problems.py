"""Mistakes in photos fail the build with one clear line each, whether or not
content_checks is enabled, in the publishing build too (feeds on: a control
character that reached a feed used to crash it with a traceback).

* a control character in a photo's text (XMP, IIM, sidecar, Markdown) names
  the file, the field and where the character is;
* a missing or unreadable photo is one line, not one per plugin.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from helpers.building import ROOT, error_lines, run_build
from helpers.photo_files import UTF8_MARKER, jpeg, xmp_packet

PUBLISH = ROOT / "publishconf.py"

ARTICLE = """Title: Photo mistakes
Date: 2024-06-01
Category: News
Image: {static}/images/lead-missing.jpg
Image_alt: The missing lead photo

Text.

![]({static}/images/xmp-caption.jpg)

![]({static}/images/iim-credit.jpg)

![]({static}/images/sidecar-alt.jpg)

![Alt \x07 from Markdown]({static}/images/markdown-alt.jpg)

![]({static}/images/overridden.jpg)

![A chart]({static}/images/chart.jpg)

![Not a photo]({static}/images/not-a-photo.jpg)
"""
MARKDOWN_ALT_LINE = 15
LEAD_ARTICLE = """Title: Lead photo caption
Date: 2024-06-02
Category: News
Image: {static}/images/lead.jpg
Image_alt: The lead photo
Image_caption: A caption \x1b[1m with a terminal escape

Text.
"""
ARTICLE_LINES = {"lead-missing.jpg": 4, "chart.jpg": 19, "not-a-photo.jpg": 21}


def plugins_without_content_checks() -> list[str]:
    spec = importlib.util.spec_from_file_location("settings_for_test", ROOT / "pelicanconf.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    plugins = [p for p in settings.PLUGINS if p != "content_checks"]
    assert "photos" in plugins and len(plugins) < len(settings.PLUGINS)
    return plugins


def make_content(root: Path) -> Path:
    content = root / "content"
    images = content / "images"
    jpeg(images / "xmp-caption.jpg",
         xmp=xmp_packet(alt="Alt", caption="Ringing bell\x07 in the caption"))
    jpeg(images / "iim-credit.jpg", xmp=xmp_packet(alt="Alt"),
         iim={(1, 90): UTF8_MARKER, (2, 110): b"Agency\x07Photo\x00\x00",
              (2, 120): b"Padded caption\x00\x00\x00"})  # trailing NULs: dropped silently
    jpeg(images / "sidecar-alt.jpg")
    (images / "sidecar-alt.jpg.sidecar.txt").write_text(
        "credit: The desk\nalt: Alt with a vertical\x0btab\n", encoding="utf-8")
    jpeg(images / "markdown-alt.jpg")
    jpeg(images / "lead.jpg")
    # A control character that is overridden is not published: no error.
    jpeg(images / "overridden.jpg", xmp=xmp_packet(alt="Alt"),
         iim={(1, 90): UTF8_MARKER, (2, 110): b"Bad\x1b credit"})
    (images / "overridden.jpg.sidecar.txt").write_text("credit: Fixed credit\n",
                                                       encoding="utf-8")
    (images / "not-a-photo.jpg").write_bytes(b"This is text, not a JPEG.\n")
    (content / "articles").mkdir(parents=True)
    (content / "articles" / "photos.md").write_text(ARTICLE, encoding="utf-8")
    (content / "articles" / "lead.md").write_text(LEAD_ARTICLE, encoding="utf-8")
    return content


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("photo-problems")
    content = make_content(root)
    settings = {"PATH": str(content), "PHOTO_CACHE_PATH": str(root / "cache")}
    return {
        "with content_checks": run_build(root / "checked", settings=PUBLISH, search=False,
                                         overrides=settings),
        "without content_checks": run_build(
            root / "unchecked", settings=PUBLISH, search=False,
            overrides={**settings, "PLUGINS": plugins_without_content_checks()}),
    }



CHARACTER_ERRORS = {
    "xmp": r"^content/images/xmp-caption\.jpg: the caption in its XMP \(dc:description\) "
           r"contains the control character U\+0007 at column 13; fix the photo's metadata "
           r"in your photo editor or override it in xmp-caption\.jpg\.sidecar\.txt$",
    "iim": r"^content/images/iim-credit\.jpg: the credit in its IPTC IIM \(2:110 Credit\) "
           r"contains the control character U\+0007 at column 7; fix the photo's metadata "
           r"in your photo editor or override it in iim-credit\.jpg\.sidecar\.txt$",
    "sidecar": r"^content/images/sidecar-alt\.jpg\.sidecar\.txt:2: the alt text of "
               r"sidecar-alt\.jpg contains the control character U\+000B at column 25; "
               r"delete it",
    "markdown": rf"^content/articles/photos\.md:{MARKDOWN_ALT_LINE}: the alt text of photo "
                r'"\{static\}/images/markdown-alt\.jpg" \(content/images/markdown-alt\.jpg\) '
                r"contains the control character U\+0007 at column 7; delete it",
    "lead caption": r"^content/articles/lead\.md:6: Image_caption \(the caption of the lead "
                    r'photo "\{static\}/images/lead\.jpg" \(content/images/lead\.jpg\)\) '
                    r"contains the control character U\+001B at column 26; delete it",
}


@pytest.mark.parametrize("config", ["with content_checks", "without content_checks"])
def test_failed_cleanly(builds, config):
    build = builds[config]
    assert build.returncode == 1, build.stderr
    assert "Traceback" not in build.stdout + build.stderr
    assert "UnserializableContentError" not in build.stderr
    assert "stopped early" not in build.stderr, build.stderr
    assert not build.output.exists()


# With content_checks, a control character typed into the story itself is
# found first by its byte-level check; the photos plugin's line about the
# same character is then dropped (one fact, one line).
STORY_CHECK_ERRORS = {
    "markdown": rf"^content/articles/photos\.md:{MARKDOWN_ALT_LINE}: invisible control "
                r"character U\+0007 at column 7; delete it",
    "lead caption": r"^content/articles/lead\.md:6: invisible control character U\+001B at "
                    r"column 26; delete it",
}


@pytest.mark.parametrize("config", ["with content_checks", "without content_checks"])
@pytest.mark.parametrize("source", sorted(CHARACTER_ERRORS))
def test_control_character_names_file_field_and_place(builds, config, source):
    errors = error_lines(builds[config])
    pattern = CHARACTER_ERRORS[source]
    if config == "with content_checks":
        pattern = STORY_CHECK_ERRORS.get(source, pattern)
    matching = [e for e in errors if re.search(pattern, e)]
    assert len(matching) == 1, "\n".join(errors)
    if source in STORY_CHECK_ERRORS:
        line = re.match(r"^([^:]+:\d+):", matching[0]).group(1)
        assert [e for e in errors if e.startswith(line + ":")] == matching


@pytest.mark.parametrize("config", ["with content_checks", "without content_checks"])
@pytest.mark.parametrize("name", sorted(ARTICLE_LINES))
def test_missing_or_unreadable_photo_is_one_line(builds, config, name):
    errors = error_lines(builds[config])
    about = [e for e in errors if name in e]
    assert len(about) == 1, "\n".join(errors)
    assert about[0].startswith(f"content/articles/photos.md:{ARTICLE_LINES[name]}: "), about
    assert re.search(r"does not exist|cannot be read|not an image", about[0]), about


@pytest.mark.parametrize("config", ["with content_checks", "without content_checks"])
def test_nothing_else_is_reported(builds, config):
    errors = error_lines(builds[config])
    expected = list(CHARACTER_ERRORS.values()) + [re.escape(n) for n in ARTICLE_LINES]
    if config == "with content_checks":
        # content_checks reports the control character in the story file itself.
        expected.append(rf"^content/articles/photos\.md:{MARKDOWN_ALT_LINE}: .*U\+0007")
        expected.append(r"^content/articles/lead\.md:6: .*U\+001B")
    unexpected = [e for e in errors if not any(re.search(p, e) for p in expected)]
    assert not unexpected, "\n".join(errors)
    assert not [e for e in errors if "overridden" in e or "Padded" in e]


def test_a_photo_path_is_looked_at_again_in_each_build(tmp_path):
    """Whether a photo's path stays inside content/ is kept for one build only:
    a folder replaced by a symbolic link before the next build is refused."""
    import os
    import shutil
    from types import SimpleNamespace

    import plugins.photos as photos

    content = tmp_path / "content"
    (content / "images").mkdir(parents=True)
    (content / "images" / "a.jpg").write_bytes(b"not read here")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "images").mkdir(parents=True)
    (elsewhere / "images" / "a.jpg").write_bytes(b"a file outside content/")
    settings = {"PATH": str(content)}
    story = SimpleNamespace(settings=settings, source_path=str(content / "articles" / "x.md"))
    pelican = SimpleNamespace(settings={})
    photos.setup(pelican)
    for _story in range(2):
        assert photos._resolve(story, "{static}/images/a.jpg") == content / "images" / "a.jpg"
    shutil.rmtree(content / "images")
    os.symlink(elsewhere / "images", content / "images")
    photos.setup(pelican)  # the next build
    assert photos._resolve(story, "{static}/images/a.jpg") is None
    photos.setup(pelican)
