"""newsroom/build/up_to_date.py: an unchanged build writes nothing; any change rebuilds.

Each kind of change (a story's text or topics, a writer profile, a photo or
its sidecar, a setting, a template, the build time, the output itself) is
made after a first build; the next build into the same output must run, and
what it leaves must equal a clean build of the changed sources byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from helpers.building import EPOCH, PUBLISHING, ROOT, copy_content, run_build
from helpers.photo_files import add_sidecar_credit, flip_keeping_metadata
from newsroom.build.up_to_date import input_fingerprint, output_digest, stable_text

UP_TO_DATE = "Up to date:"
STORY = "articles/2024-06-15-ruto-macron-infrastructure-haiti-mission.md"
STORY_URL = "2024/06/ruto-macron-infrastructure-haiti-mission/index.html"


def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry: (sha256 of its bytes, mode, mtime_ns, inode); folders too."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        data = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        state[path.relative_to(root).as_posix()] = (data, info.st_mode, info.st_mtime_ns,
                                                    info.st_ino)
    return state


def tree_bytes(root: Path) -> dict[str, str]:
    return {key: value[0] for key, value in tree_state(root).items()}


@pytest.fixture
def sources(tmp_path):
    """Writable copies of content/ and theme/, and a build function that uses them."""
    content = copy_content(tmp_path)
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    overrides = {"PATH": str(content), "THEME": str(theme)}

    def build(output: Path, *, search: bool = False, extra: dict | None = None,
              env: dict | None = None):
        result = run_build(output, overrides={**overrides, **(extra or {})}, search=search,
                           env={"SOURCE_DATE_EPOCH": EPOCH, **(env or {})})
        assert result.returncode == 0, result.stderr
        return result

    return SimpleNamespace(content=content, theme=theme, build=build, tmp=tmp_path)


@pytest.mark.parametrize("search", [False, True], ids=["no-search", "search"])
def test_an_unchanged_build_writes_nothing_unless_forced(sources, search):
    output = sources.tmp / "output"
    first = sources.build(output, search=search)
    assert UP_TO_DATE not in first.stdout
    before = tree_state(output)
    second = sources.build(output, search=search)
    assert UP_TO_DATE in second.stdout, second.stdout + second.stderr
    assert "Photos:" not in second.stdout + second.stderr  # not one photo looked at
    assert tree_state(output) == before  # bytes, modes, times and inodes
    assert sorted(p.name for p in sources.tmp.iterdir() if p.name.startswith(".output")) == []
    if search:
        return
    forced = subprocess.run(
        [sys.executable, "-m", "newsroom.build", "-o", str(output), "--no-search", "--force",
         "-e", f"PATH={sources.content}", "-e", f"THEME={sources.theme}"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    assert forced.returncode == 0, forced.stderr
    assert UP_TO_DATE not in forced.stdout and "Built" in forced.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def change_story_text(s):
    _edit(s.content / STORY, "on the sidelines of the G7 summit",
          "on the sidelines of the G7 summit in Apulia")


def change_story_tags(s):
    _edit(s.content / STORY, "Tags: Kenya, France,", "Tags: Kenya, Diplomacy, France,")


def add_writer_profile(s):
    (s.content / "authors" / "staff-reporter.md").write_text(
        "Name: Staff Reporter\nRole: The news desk\n\nThe desk that files the day's news.\n",
        encoding="utf-8")


def add_photo_sidecar(s):
    add_sidecar_credit(s.content)


def replace_photo(s):
    flip_keeping_metadata(s.content / "images" / "ruto-conille.jpg")


def edit_template(s):
    _edit(s.theme / "templates" / "base.html", "</body>", '<p id="edited">edited</p></body>')


def tamper_with_output(s):
    (s.output / STORY_URL).write_text("defaced", encoding="utf-8")


def delete_from_output(s):
    (s.output / STORY_URL).unlink()


def add_to_output(s):
    (s.output / "stray.html").write_text("left here", encoding="utf-8")


def page(output: Path, path: str = STORY_URL) -> str:
    target = output / path
    return target.read_text(encoding="utf-8") if target.is_file() else ""


def photo_rendition_names(output: Path) -> set[str]:
    return {p.name for p in (output / "images" / "renditions").glob("ruto-conille-*")}


CHANGES = {
    # kind: (change to the sources, settings added, environment added, what the output shows)
    "story text": (change_story_text, {}, {}, lambda o, before: "G7 summit in Apulia" in page(o)),
    "story tags": (change_story_tags, {}, {}, lambda o, before: (o / "tag" / "diplomacy").is_dir()),
    "writer profile": (add_writer_profile, {}, {},
                       lambda o, before: "The desk that files" in page(o, "author/staff-reporter/index.html")),
    "photo sidecar": (add_photo_sidecar, {}, {},
                      lambda o, before: "Sidecar Credit Agency" in page(o)),
    "photo": (replace_photo, {}, {}, lambda o, before: photo_rendition_names(o) - before),
    "template": (edit_template, {}, {}, lambda o, before: 'id="edited"' in page(o, "index.html")),
    "setting": (None, {"SITENAME": "The Other Ledger"}, {},
                lambda o, before: "The Other Ledger" in page(o, "index.html")),
    "build time": (None, {}, {"SOURCE_DATE_EPOCH": str(int(EPOCH) + 86400)},
                   lambda o, before: True),  # the clean build at the end has the same time
    "output changed": (tamper_with_output, {}, {}, lambda o, before: "defaced" not in page(o)),
    "output file removed": (delete_from_output, {}, {}, lambda o, before: bool(page(o))),
    "output file added": (add_to_output, {}, {}, lambda o, before: not (o / "stray.html").exists()),
}


def test_each_kind_of_change_rebuilds_to_what_a_clean_build_makes(sources):
    """One output, one change after another: each is seen and shows in the output.

    Every build that runs is a full build, so after the last change the
    output must equal a clean build of the changed sources byte for byte;
    after each change, what it changed must be in the output, and the build
    after that has nothing to do again.
    """
    sources.output = sources.tmp / "output"
    extra, env = {}, {}
    sources.build(sources.output)
    for kind, (change, more_settings, more_env, shows) in CHANGES.items():
        before = photo_rendition_names(sources.output)
        if change:
            change(sources)
        extra, env = {**extra, **more_settings}, {**env, **more_env}
        again = sources.build(sources.output, extra=extra, env=env)
        assert UP_TO_DATE not in again.stdout, f"{kind}: the change went unseen"
        assert shows(sources.output, before), f"{kind}: the rebuilt output does not show the change"
        assert UP_TO_DATE in sources.build(sources.output, extra=extra, env=env).stdout, kind
    clean = sources.build(sources.tmp / "clean", extra=extra, env=env)
    assert UP_TO_DATE not in clean.stdout
    assert tree_bytes(sources.output) == tree_bytes(clean.output)


def test_a_lifted_embargo_is_published_by_the_next_unchanged_build(tmp_path):
    """No SOURCE_DATE_EPOCH: the real clock. A story due in a few seconds.

    The story is due two to three seconds after it is written, just before
    the first build (its time is in whole seconds). Where that build ran past the story's time (a
    slow machine), it may rightly have published it: then it is tried again
    with a story due twice as late. Whether a build that ends before the
    story's time holds it, and one started after it publishes it, is
    checked every time; a build that starts before and ends after it may do
    either.
    """
    content = copy_content(tmp_path)
    nairobi = ZoneInfo("Africa/Nairobi")
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}

    def publish(output: Path):
        result = subprocess.run(
            [sys.executable, "-m", "newsroom.build", "-s", str(PUBLISHING), "-o", str(output),
             "--no-search", "-e", f"PATH={content}"],
            cwd=ROOT, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        return result

    def published(output: Path) -> bool:
        pages = [p for p in output.rglob("*.html") if "due-soon" in p.as_posix()]
        return bool(pages) and b"Due soon" in (output / "feeds" / "all.atom.xml").read_bytes()

    for lead in (3, 6, 12, 24):  # seconds
        due = datetime.now(nairobi).replace(microsecond=0) + timedelta(seconds=lead)
        (content / "articles" / "due-soon.md").write_text(
            f"Title: Due soon\nDate: {due:%Y-%m-%d %H:%M:%S}\nCategory: Politics\n"
            "Authors: Staff Reporter\nSlug: due-soon\nSummary: Held until its time.\n\n"
            "The text of a story held until its time.\n", encoding="utf-8")
        output = tmp_path / f"output-{lead}"
        publish(output)
        if not published(output):
            break
        assert datetime.now(nairobi) >= due, "a story was published before its time"
    else:
        pytest.fail("four builds in a row ran past the time of the story they held")

    started = datetime.now(nairobi)
    second = publish(output)
    if UP_TO_DATE in second.stdout:  # still held: nothing to do
        assert started < due, "a build started after the story's time did nothing"
        while (wait := (due - datetime.now(nairobi)).total_seconds()) > 0:
            time.sleep(wait)
        lifted = publish(output)
    else:  # it ran: right only if it looked at the clock after the story's time
        assert datetime.now(nairobi) >= due, "a build with nothing to publish ran"
        lifted = second
    assert UP_TO_DATE not in lifted.stdout
    assert published(output)


# --- the fingerprint itself ----------------------------------------------------------

def test_code_outside_the_content_is_part_of_the_fingerprint(tmp_path):
    """A changed plugin (any file of a code folder) gives another fingerprint."""
    code = tmp_path / "plugins"
    (code / "a_plugin").mkdir(parents=True)
    module = code / "a_plugin" / "__init__.py"
    module.write_text("VALUE = 1\n")
    content = tmp_path / "content"
    content.mkdir()
    settings_file = tmp_path / "conf.py"
    settings_file.write_text("X = 1\n")
    settings = {"PATH": str(content), "SITENAME": "x"}

    def fingerprint(**changes):
        return input_fingerprint({**settings, **changes}, settings_file, tmp_path / "out",
                                 False, (0o755, 0o644), [code])

    first = fingerprint()
    assert fingerprint() == first
    module.write_text("VALUE = 2\n")
    assert fingerprint() != first
    module.write_text("VALUE = 1\n")
    assert fingerprint() == first
    (code / "a_plugin" / "__pycache__").mkdir()
    (code / "a_plugin" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert fingerprint() == first  # caches are not sources
    assert fingerprint(SITENAME="y") != first
    assert fingerprint(OUTPUT_PATH="/elsewhere/.staging-1") == first  # the staging name
    settings_file.write_text("X = 2\n")
    assert fingerprint() != first


def test_settings_text_is_the_same_in_every_process():
    import re

    from newsroom.core.filters import JINJA_FILTERS

    text = stable_text({"b": [1, (2, 3)], "a": {"x", "y"}, "f": JINJA_FILTERS,
                        "p": re.compile("a+", re.I), "o": object()})
    assert " at 0x" not in text
    assert text == stable_text({"a": {"y", "x"}, "b": [1, (2, 3)], "f": dict(JINJA_FILTERS),
                                "p": re.compile("a+", re.I), "o": object()})
    assert stable_text({"a": [1, 2]}) != stable_text({"a": [2, 1]})


def test_the_output_digest_sees_modes_and_new_files(tmp_path):
    (tmp_path / "index.html").write_text("x")
    first = output_digest(tmp_path)
    os.chmod(tmp_path / "index.html", 0o600)
    assert output_digest(tmp_path) != first
    os.chmod(tmp_path / "index.html", 0o644)
    second = output_digest(tmp_path)
    (tmp_path / ".hidden").write_text("")
    assert output_digest(tmp_path) != second
    assert output_digest(tmp_path, ignore=lambda name: name == ".hidden") == second


def test_the_output_digest_sees_writes_not_a_removed_second_name(tmp_path):
    """Removing the replaced site's name for a file the new site links (its
    change time and link count change) leaves the digest as it was; writing
    into the file, or replacing it, does not."""
    site, old = tmp_path / "site", tmp_path / "old"
    site.mkdir()
    old.mkdir()
    (site / "index.html").write_text("<p>one</p>")
    os.link(site / "index.html", old / "index.html")
    first = output_digest(site)
    time.sleep(0.01)
    (old / "index.html").unlink()  # the old site's files going, after the swap
    assert output_digest(site) == first
    with open(site / "index.html", "r+") as page:  # same size, new bytes
        page.write("<p>two</p>")
    assert output_digest(site) != first
    second = output_digest(site)
    (site / "index.html").unlink()
    (site / "index.html").write_text("<p>two</p>")  # replaced
    assert output_digest(site) != second


def test_installed_packages_are_named_with_their_versions():
    """_distributions reads the metadata folders' names: every package
    importlib.metadata finds is there, with its version, and nothing else."""
    import importlib.metadata
    import re

    from newsroom.build.up_to_date import _distributions

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    found = {}
    for name in _distributions():
        stem = name.rsplit(".", 1)[0]  # name-version(.dist-info / .egg-info)
        package, _, version = stem.partition("-")
        found.setdefault(normal(package), set())
        if version:  # (a development egg-info folder is named without one)
            found[normal(package)].add(version.split("-py")[0])
    expected = {}
    for distribution in importlib.metadata.distributions():
        expected.setdefault(normal(distribution.metadata["Name"]), set()).add(
            distribution.version.lower())
    assert found == expected
    assert "pelican" in found and found["pelican"] == {importlib.metadata.version("pelican")}
