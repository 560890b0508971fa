"""The feeds' absolute HTML, kept between builds (``absolutize`` is costly).

A story's standfirst and body are rewritten with absolute URLs for every
feed it is in (``absolutize``: an HTML parse, about 0.35 ms a story). A
build with one story changed writes the ten feeds that story is in, each
with its newest 100 stories, and every one of them was rewritten the same
way by the last build. So the answers are kept in the cache, keyed by a
hash of the HTML and the page's URL, with the code of ``absolute_urls.py``
and Python's version, in one file per site address
(``<CACHE_PATH>/feeds/absolute-<hash>.json``): loaded when Pelican starts
(before the render child forks, so it shares them), saved when it ends,
with only the answers this build used. A file that cannot be read or
written only means rewriting again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from pathlib import Path

from newsroom.core.output_files import write_text_if_changed

from . import absolute_urls

FORMAT = 1
#: Answers kept at most (about 10 KB each).
MAX_ENTRIES = 20_000


def _code(sources=()) -> str:
    """The code that makes the answers: ``absolute_urls.py`` (and ``sources``),
    and Python's own HTML parser and ``urljoin`` (by Python's version)."""
    digest = hashlib.sha256(sys.version.encode())
    for source in (absolute_urls.__file__, *sources):
        try:
            digest.update(b"\0" + Path(source).read_bytes())
        except OSError:
            digest.update(b"\0")
    return digest.hexdigest()


class KeptAnswers:
    """Answers of a costly function for one build, from and into the cache.

    One file per kind and site address (``<CACHE_PATH>/feeds/<kind>-<hash>.json``),
    with the answers the last build used, under a key of the code that made
    them (``sources``, besides absolute_urls.py, and Python's version).
    """

    kind = "answers"
    sources: tuple = ()

    def __init__(self):
        self.path: Path | None = None
        self.kept: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.code = ""

    def load(self, settings: dict) -> None:
        cache = settings.get("CACHE_PATH")
        self.kept, self.used = {}, {}
        self.path = None
        if not cache:
            return
        site = str(settings.get("SITEURL") or "")
        name = hashlib.sha256(site.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.path = Path(cache) / "feeds" / f"{self.kind}-{name}.json"
        self.code = _code(self.sources)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (isinstance(data, dict) and data.get("format") == FORMAT
                and data.get("code") == self.code and isinstance(data.get("entries"), dict)):
            self.kept = {key: value for key, value in data["entries"].items()
                         if isinstance(value, str)}

    def answer(self, key: str, make) -> str:
        """The answer kept for ``key``, else ``make()``'s (kept from now on)."""
        found = self.used.get(key)
        if found is None:
            found = self.kept.get(key)
            if found is None:
                found = make()
            if len(self.used) < MAX_ENTRIES:
                self.used[key] = found
        return found

    def save(self) -> None:
        """Keep the answers this build used (none used: the file stays as it is)."""
        if self.path is None or not self.used or self.used.keys() == self.kept.keys():
            return
        with contextlib.suppress(OSError):  # (a cache: not kept is no error)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_if_changed(self.path, json.dumps(
                {"format": FORMAT, "code": self.code, "entries": self.used}))
        self.kept = dict(self.used)


class AbsoluteMemo(KeptAnswers):
    """``absolutize`` answers (``absolute-<hash>.json``)."""

    kind = "absolute"

    def absolutize(self, html: str, base: str) -> str:
        if not html:
            return absolute_urls.absolutize(html, base)
        text = str(html)
        key = hashlib.blake2b(f"{base}\x00{text}".encode("utf-8", "surrogatepass"),
                              digest_size=16).hexdigest()
        return self.answer(key, lambda: absolute_urls.absolutize(text, base))
