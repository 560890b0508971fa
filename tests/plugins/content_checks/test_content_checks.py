"""Editor mistakes fail the build with one clear line each, all in one run."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from helpers.building import copy_content, error_lines, run_build, write_files

GOOD = "Title: {title}\nDate: 2024-06-01\nCategory: News\n{extra}\n{body}\n"


def article(title="A story", extra="", body="Body text."):
    return GOOD.format(title=title, extra=extra, body=body)


def decompression_bomb_jpeg() -> bytes:
    """A tiny JPEG whose header claims 20000 x 20000 pixels."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2  # height, width
    return bytes(data)


def truncated_jpeg(content: Path) -> bytes:
    data = next((content / "images").glob("*.jpg")).read_bytes()
    return data[: len(data) // 2]


# file name -> (bytes or text, expected message pattern); every one of them
# goes into ONE content folder and ONE build.
BROKEN = {
    "bad-date.md": (
        article(extra="").replace("Date: 2024-06-01", "Date: 2024-13-45"),
        r'^content/articles/bad-date\.md:2: Date "2024-13-45" is not a date; '
        r"write it as YYYY-MM-DD or YYYY-MM-DD HH:MM$",
    ),
    "bad-modified.md": (
        article(extra="Modified: yesterday"),
        r'^content/articles/bad-modified\.md:4: Modified "yesterday" is not a date; write it as',
    ),
    "no-title.md": (
        "Date: 2024-06-01\nCategory: News\n\nA body without a headline.\n",
        r'^content/articles/no-title\.md:1: no Title; start the file with a line "Title: ',
    ),
    "no-date.md": (
        "Title: Undated\nCategory: News\n\nBody.\n",
        r'^content/articles/no-date\.md:1: no Date; add a line "Date: ',
    ),
    "empty.md": ("", r"^content/articles/empty\.md: the file is empty; write the metadata block"),
    "latin1.md": (
        article(body="Caf\u00e9 au lait.").encode("latin-1"),
        r"^content/articles/latin1\.md:5: byte 0xe9 at column 4 is not UTF-8 text; "
        r"save the file as UTF-8",
    ),
    "same-slug-1.md": (article(title="First", extra="Slug: same-slug"), None),
    "same-slug-2.md": (
        article(title="Second", extra="Slug: same-slug"),
        r'^content/articles/same-slug-2\.md:4: Slug "same-slug" gives the URL 2024/06/same-slug/, '
        r"which content/articles/same-slug-1\.md already has; "
        r'give one of them a different "Slug:" line$',
    ),
    "same-title-1.md": (article(title="Same headline"), None),
    "same-title-2.md": (
        article(title="Same headline"),
        r"^content/articles/same-title-2\.md:1: the Title gives the URL 2024/06/same-headline/, "
        r"which content/articles/same-title-1\.md already has",
    ),
    "dead-link.md": (
        article(body="See [the earlier story]({filename}/articles/not-there.md)."),
        r'^content/articles/dead-link\.md:5: "\{filename\}/articles/not-there\.md" points to '
        r"content/articles/not-there\.md, which does not exist; fix the path or add the file$",
    ),
    "missing-image.md": (
        article(extra="Image: {static}/images/missing.jpg"),
        r'^content/articles/missing-image\.md:4: "\{static\}/images/missing\.jpg" points to '
        r"content/images/missing\.jpg, which does not exist",
    ),
    "plain-path-image.md": (
        article(body="Text.\n\n![The river](../images/river.jpg)"),
        r'^content/articles/plain-path-image\.md:7: "\.\./images/river\.jpg" points to '
        r"content/images/river\.jpg, which does not exist",
    ),
    "external-image.md": (
        article(body='![Hotlinked](https://example.com/photo.jpg "A photo")'),
        r'^content/articles/external-image\.md:5: image "https://example\.com/photo\.jpg" is on '
        r"another site, and pages may only load files from this one",
    ),
    "not-an-image.md": (
        article(body="![A chart]({static}/images/not-an-image.jpg)"),
        r'^content/articles/not-an-image\.md:5: image "\{static\}/images/not-an-image\.jpg": '
        r"content/images/not-an-image\.jpg is not an image",
    ),
    "truncated-image.md": (
        article(extra="Image: {static}/images/truncated.jpg"),
        r'^content/articles/truncated-image\.md:4: image "\{static\}/images/truncated\.jpg": '
        r"content/images/truncated\.jpg is damaged or truncated \(.*\); export or download it again$",
    ),
    "bomb-image.md": (
        article(extra="Image: {static}/images/bomb.jpg"),
        r'^content/articles/bomb-image\.md:4: image "\{static\}/images/bomb\.jpg": '
        r"content/images/bomb\.jpg is larger than [\d,]+ pixels \(Pillow's decompression-bomb "
        r"limit\); resize it",
    ),
    "slug-escapes.md": (
        article(extra="Slug: ../../../../outside"),
        r'^content/articles/slug-escapes\.md:4: Slug "\.\./\.\./\.\./\.\./outside" may only contain '
        r"lowercase letters, digits and single hyphens",
    ),
    "empty-slug.md": (
        "Title: <> !!\nDate: 2024-06-01\nCategory: News\n\nBody.\n",
        r"^content/articles/empty-slug\.md:1: the Title gives an empty URL \(it has no letters "
        r'or digits\); add a line such as "Slug: ',
    ),
    "pages/untitled-page.md": (
        "Summary: A page.\n\nA page without a headline.\n",
        r'^content/pages/untitled-page\.md:1: no Title; start the file with a line "Title: ',
    ),
    "pages/undated-page.md": (
        "Title: A page\nDate: last week\n\nText.\n",
        r'^content/pages/undated-page\.md:2: Date "last week" is not a date; write it as',
    ),
    "unknown-section.md": (
        article().replace("Category: News", "Category: Sprots"),
        r'^content/articles/unknown-section\.md:3: Category "Sprots" is not a section; '
        r"use one of: News, Politics, World, Business, Sport, Culture",
    ),
}


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken")
    content = copy_content(folder)
    (content / "images" / "not-an-image.jpg").write_text("this is a text file\n")
    (content / "images" / "truncated.jpg").write_bytes(truncated_jpeg(content))
    (content / "images" / "bomb.jpg").write_bytes(decompression_bomb_jpeg())
    for name, (source, _pattern) in BROKEN.items():
        path = content / (name if "/" in name else f"articles/{name}")
        if isinstance(source, str):  # distinct headlines: distinct URLs
            source = source.replace("Title: A story", f"Title: Story {name}")
        if isinstance(source, bytes):
            path.write_bytes(source)
        else:
            path.write_text(source, encoding="utf-8")
    return run_build(folder / "output", overrides={"PATH": str(content)}, search=False)



def test_broken_content_fails_with_exit_1_and_no_traceback(broken_build):
    assert broken_build.returncode == 1
    assert "Traceback" not in broken_build.stderr + broken_build.stdout
    assert not broken_build.output.exists()


@pytest.mark.parametrize("name", [n for n, (_, p) in BROKEN.items() if p])
def test_each_mistake_is_one_clear_line(broken_build, name):
    pattern = re.compile(BROKEN[name][1])
    matching = [line for line in error_lines(broken_build) if pattern.search(line)]
    assert len(matching) == 1, "\n".join(error_lines(broken_build))
    # Pelican's own vaguer message about the same file must not repeat it.
    about_file = [line for line in error_lines(broken_build)
                  if line.split(":")[0].endswith("/" + name)]
    assert about_file == matching


def test_all_mistakes_are_reported_in_one_run(broken_build):
    lines = error_lines(broken_build)
    expected = [name for name, (_, pattern) in BROKEN.items() if pattern]
    assert len(lines) == len(expected), "\n".join(lines)
    assert f"Build failed: {len(expected)} problem(s)" in broken_build.stderr


def test_messages_show_no_paths_of_this_machine(broken_build, tmp_path):
    for line in error_lines(broken_build):
        assert str(broken_build.output.parent) not in line
        assert not re.search(r"(^|\s)/\w", line), line


def test_a_second_build_in_the_same_process_starts_afresh(in_process, tmp_path):
    """Previews and tests run several builds in one process: a mistake that
    was fixed (here: its story deleted) is not reported again."""
    content = tmp_path / "content"
    write_files(content / "articles", {
        "dead-link.md": article(body="See [the old story](/2019/01/gone/)."),
        "good.md": article(title="Good"),
    })
    first = in_process(["content_checks"], content)
    assert [line.split(":")[0] for line in first.problems] == ["content/articles/dead-link.md"]
    (content / "articles" / "dead-link.md").unlink()
    second = in_process(["content_checks"], content)
    assert second.problems == []
    assert second.exists("2024/06/good/")


def test_kept_answers_report_a_problem_on_every_build_until_it_is_fixed(in_process, tmp_path):
    """The byte checks keep a file's pass (by its stamp) and the output checks keep
    answers by value across builds in one process (the preview): a problem is
    still reported on every build until it is fixed, and a file changed in
    place, even to the same size and modification time, is checked again."""
    import os

    content = tmp_path / "content"
    write_files(content / "articles", {"a.md": article(title="Story A"),
                                       "b.md": article(title="Story B")})
    a, b = content / "articles" / "a.md", content / "articles" / "b.md"

    def problems():  # each problem's first 60 characters
        return [line[:60] for line in in_process(["content_checks"], content).problems]

    assert problems() == []
    assert problems() == []  # nothing changed: the kept passes
    stat = a.stat()
    a.write_text(article(title="Story A", body="Body\x0btext."), encoding="utf-8")
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime
    assert a.stat().st_size == stat.st_size and a.stat().st_mtime_ns == stat.st_mtime_ns
    for _build in range(2):  # reported again and again, never kept
        assert problems() == ["content/articles/a.md:5: invisible control character U+000B "]
    a.write_text(article(title="Story A"), encoding="utf-8")
    assert problems() == []
    b.write_text(article(title="Story A"), encoding="utf-8")  # the same URL as a.md
    for _build in range(2):
        assert problems() == ["content/articles/b.md:1: the Title gives the URL 2024/06/sto"]
    b.write_text(article(title="Story B"), encoding="utf-8")
    assert problems() == []
    b.write_text("", encoding="utf-8")
    for _build in range(2):
        assert problems() == ["content/articles/b.md: the file is empty; write the metadata"]


def test_a_file_that_passed_is_not_read_again_until_it_changes(tmp_path, monkeypatch):
    import plugins.content_checks as checks

    reads = []
    original = checks.decode
    monkeypatch.setattr(checks, "decode", lambda data: reads.append(data) or original(data))
    path = tmp_path / "content" / "articles" / "a.md"
    path.parent.mkdir(parents=True)
    path.write_text(article(), encoding="utf-8")
    for _build in range(3):
        checks.check_source(str(path), str(tmp_path / "content"))
    assert len(reads) == 1
    path.write_text(article(title="Another"), encoding="utf-8")
    checks.check_source(str(path), str(tmp_path / "content"))
    assert len(reads) == 2


def test_the_files_that_passed_are_known_to_the_next_build(tmp_path, monkeypatch):
    """Kept in the cache at ``finalized``, found at ``initialized``: a new
    process (``_passed`` empty) does not read a file whose stamp is the same."""
    from types import SimpleNamespace

    import plugins.content_checks as checks

    reads = []
    original = checks.decode
    monkeypatch.setattr(checks, "decode", lambda data: reads.append(data) or original(data))
    monkeypatch.setattr(checks, "_passed", {})
    content = tmp_path / "content"
    files = [content / "articles" / f"{name}.md" for name in ("a", "b", "c")]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(title=f"Story {path.stem}"), encoding="utf-8")
    files[2].write_text("", encoding="utf-8")  # a problem: never kept
    pelican = SimpleNamespace(settings={"CACHE_PATH": str(tmp_path / "cache"),
                                        "PATH": str(content)})
    checks.load_passed(pelican)
    for path in files:
        checks.check_source(str(path), str(content))
    checks.save_passed(pelican)
    assert len(reads) == 3
    (kept,) = (tmp_path / "cache" / "checks").glob("sources-*.json")
    assert sorted(json.loads(kept.read_text())["passed"]) == [str(files[0]), str(files[1])]

    # The next build, in a new process: only the file with a problem, and
    # the one written since, are read.
    monkeypatch.setattr(checks, "_passed", {})
    reads.clear()
    files[1].write_text(article(title="Story b, again"), encoding="utf-8")
    checks.load_passed(pelican)
    for path in files:
        checks.check_source(str(path), str(content))
    checks.save_passed(pelican)
    assert len(reads) == 2

    # Kept by other check code: not used.
    monkeypatch.setattr(checks, "_passed", {})
    reads.clear()
    data = json.loads(kept.read_text())
    kept.write_text(json.dumps({**data, "code": "other"}))
    checks.load_passed(pelican)
    for path in files:
        checks.check_source(str(path), str(content))
    assert len(reads) == 3


def test_output_paths_kept_by_value_are_the_paths_made_afresh():
    import locale
    from datetime import date, datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from pelican.utils import SafeDatetime

    from plugins.content_checks import outputs

    moment = datetime(2024, 6, 30, 23, 30, tzinfo=timezone.utc)
    dates = [datetime(2024, 6, 1, 9), SafeDatetime(2024, 6, 1, 9), date(2024, 6, 1), moment,
             moment.astimezone(timezone(timedelta(hours=2))),  # the same instant, July
             moment.astimezone(timezone(timedelta(hours=2), "Elsewhere")),
             SafeDatetime(2024, 6, 30, 23, 30, tzinfo=ZoneInfo("Africa/Nairobi")),
             SafeDatetime(2024, 10, 27, 1, 30, tzinfo=ZoneInfo("Europe/London"), fold=1)]
    patterns = ["{date:%Y}/index.html", "{date:%Y}/{date:%m}/{date:%-d}/index.html",
                "{date:%Y-%m-%d %H %Z %z}/index.html", "{date.year}/{date:%b}/", "{nothing}/x", None]
    here = locale.setlocale(locale.LC_TIME)
    for _twice in range(2):
        for pattern in patterns:
            for value in dates:
                assert outputs._date_path(pattern, value, here) == \
                    outputs._format(pattern, date=value), (pattern, value)
    assert outputs._date_path(patterns[1], moment, here) != \
        outputs._date_path(patterns[1], dates[4], here)  # equal instants, other months
    reserved = tuple(outputs._reserved_folders({"PHOTO_OUTPUT_DIR": "images/renditions",
                                                "FEED_ALL_ATOM": "feeds/all.atom.xml"}).items())
    for save_as, problem in [("2024/06/a/index.html", None), ("", "which is outside the site"),
                             ("/etc/x.html", "which is outside"), ("a/../../x", "which is outside"),
                             ("a\\b.html", "which is outside"), ("a/.htaccess", "a hidden file"),
                             ("feeds/x.xml", "inside feeds/, where the feeds are published"),
                             ("theme/js/x.js", "inside theme/, where the theme's own files")]:
        for _twice in range(2):
            found = outputs._path_problem(save_as, reserved)
            assert (found or "").startswith(problem or ""), (save_as, found)
            assert (found is None) == (problem is None), (save_as, found)


def test_inside_a_folder_is_what_pathlib_says():
    """``outputs._inside`` compares parts instead of calling pathlib: the same answers."""
    from pathlib import PurePosixPath

    from plugins.content_checks.outputs import _inside

    paths = ["a/b/c.html", "a", "a/", "/a/b", "./a/b", "a//b", "ab/c", "", ".",
             "tag/x/index.html", "/", "//a", "a/../b", "A/b"]
    folders = ["a", "a/b", "/a", "tag", "", ".", "a/", "/", "./a", "a/./b", "A"]
    for path in map(PurePosixPath, paths):
        for folder in folders:
            assert _inside(path, folder) == (
                path == PurePosixPath(folder) or path.is_relative_to(folder)), (path, folder)
