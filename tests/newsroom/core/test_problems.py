"""Pelican's own messages become clear lines, or are dropped as echoes."""

from __future__ import annotations

import logging

import pytest

from newsroom.core.problems import BROKEN_EXTRA, COVERS_EXTRA, ProblemCollector

PROJECT = "/srv/checkout"
CONTENT = "/srv/checkout/content"


@pytest.fixture
def collector():
    handler = ProblemCollector(PROJECT, CONTENT)
    logger = logging.getLogger("test.problems")
    logger.addHandler(handler)
    logger.propagate = False
    yield handler, logger
    logger.removeHandler(handler)


def test_could_not_process_names_file_and_cause(collector):
    handler, logger = collector
    try:
        raise ValueError("mapping values are not allowed here")
    except ValueError:
        logger.error("Could not process %s", "articles/x.md")
    assert handler.problems == [
        "content/articles/x.md: could not be read (ValueError: mapping values are not "
        "allowed here); check the metadata block at the top of the file"
    ]


def test_echoes_of_reported_files_are_dropped(collector):
    handler, logger = collector
    logger.error("Could not process %s", "articles/x.md")  # Pelican, before the plugin
    logger.error("%s: %s", "content/articles/x.md:2", 'Date "2024-13-45" is not a date',
                 extra={COVERS_EXTRA: [f"{CONTENT}/articles/x.md", "articles/x.md"]})
    logger.warning("Unable to find '%s', skipping url replacement.", "/images/a.jpg")
    logger.error("%s: %s", "content/articles/y.md:5", "image missing",
                 extra={COVERS_EXTRA: ["/images/a.jpg"],
                        BROKEN_EXTRA: [f"{CONTENT}/images/a.jpg"]})
    logger.error("%s: could not be resized", "content/images/a.jpg",
                 extra={COVERS_EXTRA: [f"{CONTENT}/images/a.jpg"]})
    assert handler.problems == [
        'content/articles/x.md:2: Date "2024-13-45" is not a date',
        "content/articles/y.md:5: image missing",
    ]


def test_missing_field_and_unknown_link_are_reworded(collector):
    handler, logger = collector

    class Content:
        source_path = f"{CONTENT}/pages/about.md"

    logger.error("Skipping %s: could not find information about '%s'", Content(), "title")
    logger.warning("Unable to find '%s', skipping url replacement.", "/pages/gone.md")
    assert handler.problems == [
        'content/pages/about.md: no Title; add a line "Title: ..." to the metadata block '
        "at the top of the file",
        "a link to '/pages/gone.md' points to a file that does not exist in content/; "
        "fix the link's path",
    ]


def test_other_messages_keep_their_text_without_machine_paths(collector):
    handler, logger = collector
    logger.warning("Theme file %s is odd", f"{PROJECT}/theme/templates/x.html")
    logger.warning("Theme file %s is odd", f"{PROJECT}/theme/templates/x.html")
    assert handler.problems == ["Theme file theme/templates/x.html is odd"]


@pytest.mark.parametrize("path, shown", [
    (f"{CONTENT}/articles/x.md", "content/articles/x.md"),
    ("articles/x.md", "content/articles/x.md"),
    (f"{PROJECT}/theme/base.html", "theme/base.html"),
    ("/etc/passwd", "../../etc/passwd"),  # never this machine's absolute path
])
def test_content_paths_are_shown_as_editors_know_them(path, shown):
    from newsroom.core.problems import shown_path

    assert shown_path(CONTENT, path) == shown


def test_developer_paths_are_shown_relative_to_the_project_or_as_given(tmp_path):
    from newsroom.core.problems import shown_path

    project = tmp_path / "checkout"
    (project / "content").mkdir(parents=True)
    (project / "link").symlink_to(project / "content")
    assert shown_path(None, project / "pelicanconf.py", project_root=project) == "pelicanconf.py"
    assert shown_path(None, project / "link" / "a.md", project_root=project) == "content/a.md"
    outside = tmp_path / "elsewhere" / "settings.py"
    assert shown_path(None, outside, project_root=project) == str(outside)


def _shown_uncached(content_root, path):
    """shown_path as written before its answers were kept (the reference)."""
    import os
    from pathlib import PurePosixPath

    content_root = os.path.abspath(str(content_root))
    path = os.path.abspath(os.path.join(content_root, str(path)))
    relative = os.path.relpath(path, os.path.dirname(content_root))
    return PurePosixPath(*PurePosixPath(relative.replace(os.sep, "/")).parts).as_posix()


def test_kept_content_paths_follow_every_input(tmp_path, monkeypatch):
    """shown_path keeps its answers by content folder and path: asked again, with
    either changed, or with a relative content folder from another working
    folder, it answers as computed afresh."""
    from pathlib import Path

    from newsroom.core.problems import shown_path

    for root, path in [(CONTENT, "articles/x.md"), (CONTENT, "articles/x.md"),
                       (CONTENT + "/", "articles/x.md"), (CONTENT + "/../other", "a.md"),
                       ("/srv/elsewhere/content", "articles/x.md"),
                       (CONTENT, f"{CONTENT}/articles/../pages/y.md"),
                       (Path(CONTENT), Path("articles/x.md")), ("/", "x.md")]:
        assert shown_path(root, path) == _shown_uncached(root, path), (root, path)
    for folder in ("one", "two/deeper"):
        (tmp_path / folder).mkdir(parents=True)
        monkeypatch.chdir(tmp_path / folder)
        # A relative content folder is taken from the working folder of the call.
        assert shown_path("content", "../x.md") == _shown_uncached("content", "../x.md")
        assert shown_path("content", "a.md") == "content/a.md"
    assert shown_path("../content", "/etc/passwd") == _shown_uncached("../content", "/etc/passwd")
