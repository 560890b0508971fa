"""asset_fingerprints: content-hashed names for the theme's CSS and JS.

With ``FINGERPRINT_ASSETS = True`` (publishconf.py) every ``.css`` and
``.js`` file of the theme's static folder is published under a name that
carries the first ``FINGERPRINT_DIGITS`` (10) hex digits of the SHA-256 of
its published bytes, between stem and extension::

    theme/css/site.css   ->  theme/css/site.3f2a9c1b7e.css
    theme/js/search.js   ->  theme/js/search.1a2b3c4d5e.js

and the unhashed name is not in the output. A changed file gets a new name,
so a server may let browsers and CDNs keep these files for a year
(``Cache-Control: immutable``) and a page never combines old and new CSS.
Other theme files (the favicon, the publisher logo that structured data
names) keep their names. Development builds (``FINGERPRINT_ASSETS = False``,
pelicanconf.py) are unchanged: plain names, the same bytes as before.

Templates never write a theme file's URL themselves; they ask::

    <link rel="stylesheet" href="{{ SITEURL }}/{{ asset_url('css/site.css') }}">

``asset_url(path)`` takes a path inside the theme's ``static/`` folder and
returns the published path (``THEME_STATIC_DIR`` and the hashed name when
fingerprinting is on). A path that is not a file of the theme fails the build,
naming the template's argument.

A ``url(...)`` in a stylesheet that points at another fingerprinted file
(relative to the stylesheet) is rewritten to the hashed name before the
stylesheet itself is hashed, so its hash covers the names it refers to;
stylesheets are processed after the files they point at (a cycle is an
error). Nothing is rewritten inside JavaScript.

How: at ``initialized`` the plugin reads the theme's static files (the same
``THEME_STATIC_PATHS`` and ``IGNORE_FILES`` Pelican copies with) and works
out every published name; the map (theme path -> published path) is the
read-only setting ``ASSET_FINGERPRINTS``, which the site-link check and the
build driver's list of immutable files (``immutable.txt``) use too. At
``finalized``, after Pelican copied the theme, each CSS/JS file is written
under its hashed name and the plain copy removed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import re
from pathlib import Path

from jinja2 import pass_context
from pelican import signals

from newsroom.core.problems import report_problem, shown_path

FINGERPRINTED_SUFFIXES = (".css", ".js")
FINGERPRINT_DIGITS = 10
# url(...) in CSS, with or without quotes.
_CSS_URL = re.compile(r"""url\(\s*(?P<quote>['"]?)(?P<url>[^'")\s]+)(?P=quote)\s*\)""")


def theme_static_files(settings, theme: str) -> dict[str, Path]:
    """Every file Pelican copies from the theme: path inside the static folder -> source.

    Mirrors ``StaticGenerator``: each entry of ``THEME_STATIC_PATHS`` (a folder
    or a file inside the theme) lands in ``THEME_STATIC_DIR``; names matching
    ``IGNORE_FILES`` are skipped; later entries win.
    """
    ignores = settings.get("IGNORE_FILES") or []

    def ignored(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in ignores)

    files: dict[str, Path] = {}
    for entry in settings.get("THEME_STATIC_PATHS") or ["static"]:
        source = Path(theme, entry)
        if ignored(source.name):
            continue
        if source.is_file():
            files[source.name] = source
            continue
        for folder, folders, names in os.walk(source, followlinks=True):
            folders[:] = sorted(name for name in folders if not ignored(name))
            for name in sorted(names):
                if not ignored(name):
                    relative = Path(folder, name).relative_to(source).as_posix()
                    files[relative] = Path(folder, name)
    return files


def hashed_name(path: str, data: bytes, digits: int = FINGERPRINT_DIGITS) -> str:
    """``css/site.css`` -> ``css/site.<first digits of sha256(data)>.css``."""
    folder, name = posixpath.split(path)
    stem, suffix = posixpath.splitext(name)
    digest = hashlib.sha256(data).hexdigest()[:digits]
    return posixpath.join(folder, f"{stem}.{digest}{suffix}")


class FingerprintCycle(ValueError):
    """Stylesheets whose url()s point at each other: no name can come first."""


def fingerprint(files: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """Published name and bytes of each CSS/JS file in ``files`` (theme path -> bytes).

    Other files are not in the result. A stylesheet's ``url()`` of another
    fingerprinted file is rewritten (relative URL kept, only the name changes)
    before the stylesheet is hashed.
    """
    wanted = sorted(path for path in files if path.endswith(FINGERPRINTED_SUFFIXES))
    result: dict[str, tuple[str, bytes]] = {}
    visiting: set[str] = set()

    def target_of(css_path: str, url: str) -> str | None:
        if re.match(r"^([a-z][a-z0-9+.-]*:|//|#)", url, re.IGNORECASE) or url.startswith("/"):
            return None  # another site, data:, or an absolute path: not resolved here
        bare = re.split(r"[?#]", url, maxsplit=1)[0]
        path = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), bare))
        return path if path in wanted else None

    def process(path: str) -> tuple[str, bytes]:
        if path in result:
            return result[path]
        if path in visiting:
            raise FingerprintCycle(f"{path} is part of a cycle of url() references")
        visiting.add(path)
        data = files[path]
        if path.endswith(".css"):
            text = data.decode("utf-8")

            def rewrite(match: re.Match) -> str:
                url = match.group("url")
                target = target_of(path, url)
                if target is None:
                    return match.group(0)
                new_name = posixpath.basename(process(target)[0])
                bare, rest = re.match(r"^([^?#]*)(.*)$", url).groups()
                folder = bare.rpartition("/")[0]
                new_url = f"{folder}/{new_name}{rest}" if folder else f"{new_name}{rest}"
                quote = match.group("quote")
                return f"url({quote}{new_url}{quote})"

            data = _CSS_URL.sub(rewrite, text).encode("utf-8")
        visiting.discard(path)
        result[path] = (hashed_name(path, data), data)
        return result[path]

    for path in wanted:
        process(path)
    return result


# --- Pelican hooks -------------------------------------------------------------

def prepare(pelican_object) -> None:
    """Work out every published theme path (``ASSET_FINGERPRINTS``) before anything renders."""
    settings = pelican_object.settings
    sources = theme_static_files(settings, pelican_object.theme)
    mapping = {path: path for path in sources}
    settings["_ASSET_FINGERPRINT_FILES"] = {}
    if settings["FINGERPRINT_ASSETS"]:
        try:
            hashed = fingerprint({path: source.read_bytes() for path, source in sources.items()
                                  if path.endswith(FINGERPRINTED_SUFFIXES)})
        except (FingerprintCycle, UnicodeDecodeError) as error:
            report_problem(_theme_shown(pelican_object.theme), None,
                           f"cannot give the theme's CSS and JS hashed names ({error}); "
                           "fix the stylesheet, or set FINGERPRINT_ASSETS = False")
            hashed = {}
        for path, (name, data) in hashed.items():
            mapping[path] = name
        settings["_ASSET_FINGERPRINT_FILES"] = hashed
    static_dir = (settings.get("THEME_STATIC_DIR") or "theme").strip("/")
    settings["ASSET_FINGERPRINTS"] = {
        posixpath.join(static_dir, path): posixpath.join(static_dir, name)
        for path, name in mapping.items()
    }


def _theme_shown(theme: str) -> str:
    """The theme folder relative to where the build runs (the project), else as given."""
    return shown_path(None, theme, project_root=os.getcwd())


_unknown_reported: set[str] = set()


@pass_context
def asset_url(context, path: str) -> str:
    """The published path of the theme file ``path`` (inside ``static/``), without SITEURL."""
    static_dir = (context.get("THEME_STATIC_DIR") or "theme").strip("/")
    key = posixpath.join(static_dir, str(path).lstrip("/"))
    mapping = context.get("ASSET_FINGERPRINTS") or {}
    if key not in mapping:
        if key not in _unknown_reported:
            _unknown_reported.add(key)
            template = getattr(context, "name", None) or "a template"
            report_problem(f"theme/templates/{template}", None,
                           f"asset_url({path!r}) names no file of the theme's static folder; "
                           "give a path inside theme/static/, such as 'css/site.css'")
        return key
    return mapping[key]


def add_globals(generator) -> None:
    env = getattr(generator, "env", None)
    if env is not None:
        env.globals["asset_url"] = asset_url


def rename_outputs(pelican_object) -> None:
    """Put each fingerprinted file in place under its hashed name; remove the plain copy."""
    settings = pelican_object.settings
    hashed = settings.get("_ASSET_FINGERPRINT_FILES") or {}
    static_dir = (settings.get("THEME_STATIC_DIR") or "theme").strip("/")
    output = Path(pelican_object.output_path, static_dir)
    for path, (name, data) in sorted(hashed.items()):
        target = output / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        plain = output / path
        if plain.exists() or plain.is_symlink():
            plain.unlink()


def register():
    signals.initialized.connect(prepare)
    signals.generator_init.connect(add_globals)
    signals.finalized.connect(rename_outputs)
