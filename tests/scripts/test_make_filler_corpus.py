"""scripts/make_filler_corpus.py writes neutral, valid, repeatable filler."""

from __future__ import annotations

import subprocess
import sys

import pelicanconf
from helpers.building import ROOT, load_script

SCRIPT = ROOT / "scripts" / "make_filler_corpus.py"


def metadata(path):
    head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


def test_same_count_gives_the_same_files(tmp_path):
    filler = load_script("make_filler_corpus")
    first = filler.write_corpus(12, tmp_path / "a")
    second = filler.write_corpus(12, tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_articles_use_the_sites_sections_and_generic_bylines(tmp_path):
    filler = load_script("make_filler_corpus")
    written = filler.write_corpus(len(pelicanconf.SECTIONS) * 2, tmp_path)
    fields = [metadata(path) for path in written]
    assert {f["Category"] for f in fields} == set(pelicanconf.SECTIONS)
    assert {f["Authors"] for f in fields} <= set(filler.DESKS)
    assert all(f["Title"].startswith("Filler story ") for f in fields)
    assert len({f["Slug"] for f in fields}) == len(fields)
    assert any("Modified" in f for f in fields)
    assert any("Correction" in f for f in fields)


def test_photos_option_references_existing_images(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "sample.jpg").write_bytes(b"")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "8", str(tmp_path / "articles"), "--photos", str(images)],
        capture_output=True, text=True, check=True,
    )
    assert "Wrote 8 filler articles" in result.stdout
    with_photo = [metadata(p) for p in sorted((tmp_path / "articles").glob("*.md"))]
    assert [f.get("Image") for f in with_photo].count("{static}/images/sample.jpg") == 2


def test_bad_count_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "0", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "count must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_words_option_lengthens_the_body_only(tmp_path):
    filler = load_script("make_filler_corpus")
    short = filler.write_corpus(6, tmp_path / "short")
    long = filler.write_corpus(6, tmp_path / "long", words=600)
    for plain, lengthened in zip(short, long):
        assert metadata(plain) == metadata(lengthened)
        assert len(lengthened.read_text(encoding="utf-8").split("\n\n", 1)[1].split()) >= 600


def test_writers_share_the_bylines_and_have_profiles(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "sample.jpg").write_bytes(b"")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "10", str(tmp_path / "articles"), "--photos", str(images),
         "--writers", "3", "--profiles", str(tmp_path / "authors")],
        capture_output=True, text=True, check=True,
    )
    assert "Wrote 3 writer profiles" in result.stdout
    profiles = sorted((tmp_path / "authors").glob("*.md"))
    assert [p.name for p in profiles] == [f"filler-writer-{i}.md" for i in (1, 2, 3)]
    names = [metadata(p)["Name"] for p in profiles]
    assert names == ["Filler Writer 1", "Filler Writer 2", "Filler Writer 3"]
    assert [metadata(p).get("Photo") for p in profiles] == [
        "{static}/images/sample.jpg", None, "{static}/images/sample.jpg"]
    bylines = {metadata(p)["Authors"] for p in (tmp_path / "articles").glob("*.md")}
    assert bylines == set(names) | set(load_script("make_filler_corpus").DESKS)


def test_writers_without_a_profiles_folder_is_a_one_line_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "4", str(tmp_path), "--writers", "2"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "--writers needs --profiles" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_story_of_a_large_corpus_is_dated_in_the_past():
    """A corpus of 10,000 stories has no future (embargoed) story; small ones keep 7 hours."""
    from datetime import datetime, timedelta

    filler = load_script("make_filler_corpus")
    assert filler.spacing_for(12) == filler.spacing_for(3000) == 7 * 60
    for count in (3000, 10_000, 50_000):
        last = filler.FIRST_DATE + timedelta(minutes=filler.spacing_for(count) * count)
        assert last < datetime(2026, 1, 1), count
    text = filler.filler_article(10_000, "World", None, spacing=filler.spacing_for(10_000))
    assert "Date: 2025-" in text
