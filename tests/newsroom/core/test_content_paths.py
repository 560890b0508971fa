"""newsroom/core/content_paths.py: only files really inside content/ may be read or published."""

from __future__ import annotations

import pytest

from helpers.building import write_files
from newsroom.core.content_paths import inside_content, is_within

CLIMB = "../" * 12  # from content/ to the root of any test machine, and beyond


@pytest.mark.parametrize("root, path, inside", [
    ("/srv/content", "/srv/content", True),
    ("/srv/content", "/srv/content/images/a.jpg", True),
    ("/srv/content", "/srv/content-old/a.jpg", False),  # a prefix is not a parent
    ("/srv/content", "/srv", False),
    ("/", "/etc/hostname", True),
])
def test_is_within(root, path, inside):
    assert is_within(root, path) is inside


def test_inside_content(tmp_path):
    content = tmp_path / "content"
    write_files(tmp_path, {"content/images/a.jpg": b"x", "secret.txt": "x"})
    (content / "images" / "link.jpg").symlink_to(content / "images" / "a.jpg")
    (content / "linked").symlink_to(content / "images", target_is_directory=True)
    (tmp_path / "content-link").symlink_to(content, target_is_directory=True)
    assert inside_content(content, "images/a.jpg")
    assert inside_content(content, content / "images" / "a.jpg")
    assert inside_content(str(content), "images/not-yet.jpg")  # need not exist
    assert inside_content(content, "images/../images/a.jpg")
    assert inside_content(content, "./images/a.jpg")
    assert inside_content(tmp_path / "content-link", "images/a.jpg")  # PATH may be a link
    for escape in ("../secret.txt", "/etc/hostname", "images/../../secret.txt",
                   f"{CLIMB}etc/hostname", tmp_path / "secret.txt",
                   "images/link.jpg",  # a link, even to a file inside
                   "linked/a.jpg",  # through a linked folder
                   "linked/not-yet.jpg"):
        assert not inside_content(content, escape), escape
