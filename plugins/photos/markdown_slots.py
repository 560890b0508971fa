"""Markdown extension: mark where the article's photos go.

``![alt](path "title")`` on a line of its own becomes a block slot (later a
<figure>); inside running text an inline slot (later a bare <picture>). The
slot keeps the path, alt text and title as written; the photos plugin fills
it once it knows the article's file, so that errors can name file and line.
Images on other hosts are left alone (the Content-Security-Policy blocks
them anyway).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

SLOT_TAG = "newsroom-photo"
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


def is_local(src: str) -> bool:
    return bool(src) and (src.startswith("{") or not _REMOTE.match(src))


def _slot(img: etree.Element, block: bool) -> etree.Element:
    slot = etree.Element(SLOT_TAG)
    slot.set("data-src", img.get("src", ""))
    slot.set("data-alt", img.get("alt", ""))
    if img.get("title"):
        slot.set("data-title", img.get("title"))
    slot.set("data-block", "1" if block else "0")
    return slot


def _only_child_image(element: etree.Element) -> bool:
    children = list(element)
    return (element.tag == "p" and len(children) == 1 and children[0].tag == "img"
            and not (element.text or "").strip() and not (children[0].tail or "").strip())


class PhotoSlots(Treeprocessor):
    def run(self, root):
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if _only_child_image(child) and is_local(child[0].get("src", "")):
                    slot = _slot(child[0], block=True)
                    slot.tail = child.tail
                    parent.remove(child)
                    parent.insert(index, slot)
                elif child.tag == "img" and is_local(child.get("src", "")):
                    slot = _slot(child, block=False)
                    slot.tail = child.tail
                    parent.remove(child)
                    parent.insert(index, slot)


class PhotoSlotsExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        # After "inline" (20), which creates the <img> elements; before
        # "unescape" (0), which then restores escaped characters in alt text.
        md.treeprocessors.register(PhotoSlots(md), "newsroom_photo_slots", 15)
