"""`invoke new` starts a draft story; `invoke publish` refuses a tree with a broken story.

The tasks run for real (`python -m invoke`) in a temporary copy of the
project, so nothing is written into the real content/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpers.building import ROOT, run_build
from newsroom.dev.new_story import NewStoryError, cut_slug, load_settings, new_story, slug_for

# 2024-06-15 06:30 UTC = 09:30 in Nairobi (UTC+3), the site's time zone.
EPOCH = "1718433000"
PROJECT_FILES = ["tasks.py", "pelicanconf.py", "publishconf.py", "newsroom", "plugins", "theme"]
LONG_HEADLINE = ("Parliament debates the finance bill late into the night as protesters gather "
                 "outside and ministers promise changes to the most contested taxes")


@pytest.fixture(scope="module")
def settings():
    return load_settings(ROOT)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project (code, settings, theme, content) to run tasks in."""
    root = tmp_path / "project"
    root.mkdir()
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, root / name)
    shutil.copytree(ROOT / "content", root / "content")
    return root


def invoke(project: Path, *args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(project), *args],
        cwd=project, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **env},
    )


def articles(project: Path) -> set[str]:
    return {path.name for path in (project / "content" / "articles").iterdir()}


# --- invoke new -------------------------------------------------------------------

def test_new_writes_a_draft_with_its_metadata_block(project):
    before = articles(project)
    result = invoke(project, "new", "Kenya's police  arrive in Haiti: what next?",
                    "--section", "World", "--author", "Jane Doe")
    assert result.returncode == 0, result.stderr
    name = "2024-06-15-kenyas-police-arrive-in-haiti-what-next.md"
    assert result.stdout.strip() == f"content/articles/{name}"
    assert articles(project) - before == {name}
    text = (project / "content" / "articles" / name).read_text(encoding="utf-8")
    assert text == (
        "Title: Kenya's police arrive in Haiti: what next?\n"
        "Date: 2024-06-15 09:30\n"
        "Category: World\n"
        "Authors: Jane Doe\n"
        "Slug: kenyas-police-arrive-in-haiti-what-next\n"
        "Status: draft\n"
        "\n"
    )
    # No placeholder that could be published: no Summary, no body text.
    assert "Summary" not in text


def test_the_new_story_passes_the_build_checks(project):
    result = invoke(project, "new", "A story started with invoke", "--section", "politics")
    assert result.returncode == 0, result.stderr
    path = project / result.stdout.strip()
    assert "Category: Politics\n" in path.read_text(encoding="utf-8")  # as SECTIONS spells it
    assert "Authors:" not in path.read_text(encoding="utf-8")
    build = run_build(project / "output", overrides={"PATH": str(project / "content")},
                      search=False)
    assert build.returncode == 0, build.stderr
    assert build.exists("drafts/a-story-started-with-invoke/")  # a draft, not published


def test_new_refuses_to_overwrite_a_story(project):
    first = invoke(project, "new", "Same headline", "--section", "News")
    assert first.returncode == 0, first.stderr
    path = project / first.stdout.strip()
    path.write_text(path.read_text(encoding="utf-8") + "The editor's text.\n", encoding="utf-8")
    before = path.read_bytes()
    again = invoke(project, "new", "Same headline", "--section", "News")
    assert again.returncode == 2
    assert f"{first.stdout.strip()} already exists" in again.stderr
    assert "Traceback" not in again.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["A headline", "--section", "Sprots"], '"Sprots" is not a section; use one of: News, '),
    (["A headline"], "no section; add --section with one of: News, "),
    (["!!!", "--section", "News"], "has no letters or digits to make its URL from"),
    (["   ", "--section", "News"], "the headline is empty"),
])
def test_new_refuses_unknown_sections_and_empty_headlines(project, args, message):
    before = articles(project)
    result = invoke(project, "new", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert articles(project) == before


def test_new_cuts_a_long_slug_at_a_word(project):
    result = invoke(project, "new", LONG_HEADLINE, "--section", "Politics")
    assert result.returncode == 0, result.stderr
    path = project / result.stdout.strip()
    slug = next(line for line in path.read_text(encoding="utf-8").splitlines()
                if line.startswith("Slug: ")).removeprefix("Slug: ")
    assert len(slug) <= 80
    assert slug == "parliament-debates-the-finance-bill-late-into-the-night-as-protesters-gather"
    assert path.name == f"2024-06-15-{slug}.md"


# --- the module -------------------------------------------------------------------

def test_slug_follows_the_site_rules(settings):
    assert slug_for("Café owners — protest_the tax!", settings) == "cafe-owners-protest-the-tax"
    assert slug_for("  --Leading and trailing--  ", settings) == "leading-and-trailing"
    slug = slug_for(LONG_HEADLINE, settings)
    assert len(slug) <= settings["SLUG_MAX_LENGTH"] == 80
    assert LONG_HEADLINE.lower().replace(" ", "-").startswith(slug + "-")  # whole words
    assert cut_slug("a" * 100, 80) == "a" * 80  # one long word: cut anyway


def test_date_is_now_in_the_site_time_zone(tmp_path, settings):
    local = {**settings, "PATH": str(tmp_path / "content")}
    # 21:15 UTC on 30 June is already 1 July in Nairobi: the file name follows.
    path = new_story(tmp_path, "Late story", "Sport", settings=local,
                     now=datetime(2024, 6, 30, 21, 15, tzinfo=UTC))
    assert path == tmp_path / "content" / "articles" / "2024-07-01-late-story.md"
    assert "Date: 2024-07-01 00:15\n" in path.read_text(encoding="utf-8")


def test_a_pasted_line_break_cannot_add_metadata(tmp_path, settings):
    local = {**settings, "PATH": str(tmp_path / "content")}
    path = new_story(tmp_path, "Headline\nSave_as: index.html", "News", settings=local,
                     now=datetime(2024, 6, 15, tzinfo=UTC))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Title: Headline Save_as: index.html"
    assert not any(line.startswith("Save_as") for line in lines)
    with pytest.raises(NewStoryError, match="invisible character U\\+200B"):
        new_story(tmp_path, "Zero\u200bwidth", "News", settings=local)


# --- invoke publish ----------------------------------------------------------------

def test_publish_refuses_a_tree_with_a_broken_draft(project, tmp_path):
    broken = project / "content" / "articles" / "2024-06-30-broken-draft.md"
    broken.write_text("Title: Broken draft\nDate: 2024-06-31\nCategory: News\n"
                      "Status: draft\n\nText.\n", encoding="utf-8")
    target = tmp_path / "live-site"
    target.mkdir()
    (target / "index.html").write_text("the site as it is live\n", encoding="utf-8")
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*")}
    result = invoke(project, "publish", "--target", str(target))
    assert result.returncode != 0
    assert ('content/articles/2024-06-30-broken-draft.md:2: Date "2024-06-31" is not a date'
            in result.stderr)
    assert {p.relative_to(target): p.read_bytes() for p in target.rglob("*")} == before
    assert "Published to" not in result.stdout
