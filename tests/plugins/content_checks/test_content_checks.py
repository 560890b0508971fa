"""Editor mistakes fail the build with one clear line each, all in one run."""

from __future__ import annotations

import io
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
