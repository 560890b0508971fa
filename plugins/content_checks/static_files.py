"""What content/ may publish: Markdown stories, allowed file types, nothing from outside.

Content is untrusted. Left alone, Pelican publishes any file in a static
folder as it is (an ``.html`` or ``.svg`` file there runs script on the
site's own address), follows symbolic links (a link to ``/etc/passwd`` is
published like a photo), copies whatever a ``{static}`` link names even when
the path climbs out of content/ (and writes it as far outside the output
folder), ignores ``.txt`` stories and renders ``.rst`` ones with none of our
Markdown rules (``READERS`` in pelicanconf.py now leaves Markdown only).

* ``check_tree`` (signal ``get_generators``: Pelican sends it after
  ``initialized`` and before any generator lists or reads a file): every
  symbolic link under content/ is an error, and Pelican's walk (which
  follows links) is kept away from them; every file in ``STATIC_PATHS``
  must have a type from ``STATIC_FILE_TYPES``; every file in
  ``ARTICLE_PATHS``/``PAGE_PATHS`` must be a Markdown story.
* ``check_static_files`` (signal ``static_generator_finalized``): the last
  guard before anything is copied. Every static file Pelican resolved (found
  in a static folder, or named by a ``{static}``/``{attach}`` link, however
  written) is dropped when its source is outside content/ or reached through
  a link, its type is not allowed, or it would be written outside the output
  folder; it is reported unless a problem about that file was reported
  already (links.py reports a story's link that leaves content/ with its
  line). Photo sidecars (``*.sidecar.txt``) are never published.

The rules are pure functions, ``inside_content`` and ``static_problem`` (and
``story_problem``), so that other checks can apply them too.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import posixpath
from pathlib import PurePosixPath

from pelican.readers import MarkdownReader

from newsroom.core.content_paths import inside_content, is_within as _is_within
from newsroom.core.problems import problem_reported_about, report_problem, shown_path
from newsroom.core.settings import DEFAULTS

# Photo text beside a photo: read by the photos plugin, never published.
SIDECAR_SUFFIX = ".sidecar.txt"

# File types a browser may run, or a web server may run or obey: each gets
# its own reason (any other type gets the list of allowed ones).
_WEB_PAGE = ("files are web pages that run script on the site's own address; "
             "write the text as a Markdown story or page (.md) instead")
_SERVER_PROGRAM = ("files are programs a web server may run; remove it "
                   "(the site is plain files only)")
_PROGRAM = ("files are programs a reader's computer would run; remove it, "
            "or link the official download page instead")
_THEME_CODE = ("files are code that runs on every page that loads it, "
               "allowed by the site's Content-Security-Policy because it comes "
               "from the site itself; code belongs in the theme (theme/static/), "
               "reviewed by a developer")
DANGEROUS_TYPES = {
    **dict.fromkeys(("html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "hta"),
                    _WEB_PAGE),
    "svg": "files may run script on the site; export it as PNG (or WebP) and link that",
    "svgz": "files may run script on the site; export it as PNG (or WebP) and link that",
    **dict.fromkeys(("xml", "xsl", "xslt"),
                    "files may be shown as web pages (XHTML, XSLT) that run script on "
                    "the site; publish the data as .csv, or the document as .pdf"),
    **dict.fromkeys(("js", "mjs", "cjs", "wasm"), _THEME_CODE),
    "css": ("stylesheets can restyle or hide any page and load files from other sites; "
            "styles belong in theme/static/css/, reviewed by a developer"),
    "swf": "(Flash) files run code in the browser; no browser plays them any more: remove it",
    **dict.fromkeys(("php", "php3", "php4", "php5", "phtml", "phar", "asp", "aspx",
                     "jsp", "cgi", "pl", "py", "rb", "sh"), _SERVER_PROGRAM),
    **dict.fromkeys(("exe", "msi", "dll", "bat", "cmd", "com", "ps1", "vbs", "jar",
                     "apk", "dmg", "scr"), _PROGRAM),
}
# Hidden files a web server obeys (Apache reads them in every folder).
_SERVER_CONFIG = {".htaccess", ".htpasswd", ".user.ini"}

# Stories: what Pelican's Markdown reader reads (READERS disables the others).
STORY_EXTENSIONS = tuple(MarkdownReader.file_extensions)
# Formats pandoc converts to Markdown.
_PANDOC = {"rst", "rest", "html", "htm", "xhtml", "docx", "odt", "rtf", "org",
           "textile", "tex", "latex", "epub", "adoc", "asciidoc", "mediawiki", "wiki"}
_PLAIN_TEXT = {"txt", "text"}
_OLD_WORD = {"doc", "wpd", "pages"}

# Per build: what has been reported, so that the last guard does not repeat it.
_links_found: set[str] = set()  # symbolic links (absolute, not resolved)
_reported: set[str] = set()  # files and link targets (absolute, normalised)


# Where _keep_pelican_away_from_links keeps the settings it changed.
_SAVED_SETTINGS = "STATIC_FILES_SETTINGS_BEFORE_LINKS"


def forget_previous_build() -> None:
    _links_found.clear()
    _reported.clear()


# --- the rules (pure functions) -------------------------------------------------

def _suffix(name: str, types) -> str | None:
    """The longest key of ``types`` the name ends with (".sidecar.txt" before ".txt")."""
    lowered = name.lower()
    matches = [key for key in types if lowered.endswith("." + key.lower())
               and len(lowered) > len(key) + 1]
    return max(matches, key=len) if matches else None


def static_problem(path, allowed=None) -> str | None:
    """None if a static folder may publish ``path``; else why not and what to do."""
    allowed = DEFAULTS["STATIC_FILE_TYPES"] if allowed is None else allowed
    name = PurePosixPath(str(path).replace(os.sep, "/")).name
    if name.lower() in _SERVER_CONFIG:
        return ("configures the web server (it can make it run files as programs or "
                "serve pages elsewhere); remove it")
    if _suffix(name, allowed):
        return None
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""
    if extension in DANGEROUS_TYPES:
        return f".{extension} {DANGEROUS_TYPES[extension]}"
    kinds = ", ".join(f".{key}" for key in allowed if key != SIDECAR_SUFFIX.lstrip("."))
    what = f".{extension} files are" if extension else "files without an extension are"
    return (f"{what} not published; static folders may only hold {kinds} "
            "(STATIC_FILE_TYPES in pelicanconf.py): convert it to one of them or remove it")


def story_problem(path) -> str | None:
    """None for a Markdown story; else how to turn the file into one."""
    name = PurePosixPath(str(path).replace(os.sep, "/")).name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    if extension in STORY_EXTENSIONS:
        return None
    lowered = extension.lower()
    if lowered in STORY_EXTENSIONS:
        return f"the extension must be lowercase for the file to be read; rename it to {stem}.md"
    start = "stories are Markdown (.md) files"
    if lowered in _PLAIN_TEXT:
        return (f"{start}; rename it to {stem}.md (plain text is Markdown) and check "
                "the metadata block (Title:, Date:, Category:) at its top")
    if lowered in _PANDOC:
        return (f"{start}; convert it with `pandoc {name} -o {stem}.md` and check the "
                "metadata block (Title:, Date:, Category:) at its top")
    if lowered in _OLD_WORD:
        return (f"{start}; save it as .docx in your word processor, convert that with "
                f"`pandoc {stem}.docx -o {stem}.md` and add the metadata block "
                "(Title:, Date:, Category:) at its top")
    if static_problem(name) is None:
        return (f"{start}, and photos and documents go in the static folders "
                "(content/images/, content/extra/); move it there and link it with "
                "{static}/images/... or {static}/extra/...")
    return (f"{start}; write the story as {stem}.md, or move the file out of the "
            "stories' folder")


# --- walking content/ without following links ----------------------------------

def _ignored(name: str, settings) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in settings.get("IGNORE_FILES") or ())


def _walk_files(content_root: str, folder: str, settings, excludes=()):
    """Files under content/``folder`` as Pelican's ``get_files`` finds them, links unfollowed.

    Yields absolute paths; symbolic links are yielded too (callers skip them).
    """
    exclusions: dict[str, set[str]] = {}
    for exclude in excludes:
        parent, name = os.path.split(os.path.join(content_root, exclude))
        exclusions.setdefault(os.path.normpath(parent), set()).add(name)
    start = os.path.normpath(os.path.join(content_root, folder)) if folder else content_root
    if os.path.islink(start) or not os.path.isdir(start):
        if os.path.lexists(start) and not _ignored(os.path.basename(start), settings):
            yield start
        return
    for dirpath, dirs, files in os.walk(start, followlinks=False):
        excluded = exclusions.get(os.path.normpath(dirpath), ())
        dirs[:] = sorted(d for d in dirs if d not in excluded and not _ignored(d, settings))
        for name in sorted(files):
            if not _ignored(name, settings):
                yield os.path.join(dirpath, name)


def _symbolic_links(content_root: str, settings) -> list[str]:
    """Every symbolic link under content/ (files and folders), not followed."""
    found = []
    for dirpath, dirs, files in os.walk(content_root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _ignored(d, settings))
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not _ignored(name, settings):
                found.append(path)
    return sorted(found)


def _through_link(path: str) -> bool:
    """True if ``path`` is one of the reported links or lies in a linked folder."""
    return any(path == link or path.startswith(link + os.sep) for link in _links_found)


def _under(relative: str, folders) -> bool:
    relative = PurePosixPath(relative.replace(os.sep, "/"))
    return any(not folder or relative == PurePosixPath(folder) or
               relative.is_relative_to(folder) for folder in folders)


# --- reporting -------------------------------------------------------------------

def _report(content_root: str, path: str, line: int | None, problem: str, *covers) -> None:
    where = shown_path(content_root, path)
    report_problem(where, line, problem,
                   covers=(path, os.path.relpath(path, content_root), *covers))


def _report_links(content_root: str, settings) -> None:
    for link in _symbolic_links(content_root, settings):
        _links_found.add(link)
        _reported.add(link)
        what = "folder" if os.path.isdir(link) else "file"
        _report(content_root, link, None,
                f"is a symbolic link; copy the {what} itself into content/ "
                "(links are not followed: they could publish any file of this computer)")


def _keep_pelican_away_from_links(content_root: str, settings) -> None:
    """Pelican's walk follows links: make it skip the ones just reported.

    The build fails anyway; this keeps it from listing or reading whatever
    they point to (a link to / would be walked in full).
    """
    if not _links_found:
        return
    # Kept in the settings so that a process reusing them (a watcher) builds
    # with the originals again: check_tree puts them back first.
    settings[_SAVED_SETTINGS] = {key: settings.get(key) for key in
                                 ("IGNORE_FILES", "ARTICLE_PATHS", "PAGE_PATHS", "STATIC_PATHS")}
    names = sorted({glob.escape(os.path.basename(link)) for link in _links_found})
    settings["IGNORE_FILES"] = [*(settings.get("IGNORE_FILES") or ()), *names]
    for key in ("ARTICLE_PATHS", "PAGE_PATHS", "STATIC_PATHS"):
        folders = settings.get(key) or []
        settings[key] = [folder for folder in folders if not _through_link(
            os.path.normpath(os.path.join(content_root, folder)))]


def _story_folders(settings) -> list[tuple[str, list[str]]]:
    return ([(folder, settings.get("ARTICLE_EXCLUDES") or []) for folder in
             settings.get("ARTICLE_PATHS") or []] +
            [(folder, settings.get("PAGE_EXCLUDES") or []) for folder in
             settings.get("PAGE_PATHS") or []])


def _check_static_folders(content_root: str, settings, allowed) -> None:
    story_folders = [folder for folder, _ in _story_folders(settings)]
    for folder in settings.get("STATIC_PATHS") or []:
        excludes = settings.get("STATIC_EXCLUDES") or ()
        for path in _walk_files(content_root, folder, settings, excludes):
            relative = os.path.relpath(path, content_root)
            if path in _reported or _through_link(path):
                continue
            if _under(relative, story_folders) and story_problem(path) is None:
                continue  # a story in a folder that is also static: not copied
            problem = static_problem(path, allowed)
            if problem:
                _reported.add(path)
                _report(content_root, path, None, problem)


def _check_story_folders(content_root: str, settings) -> None:
    """Only Markdown stories: every other file in the stories' folders is reported."""
    static_folders = settings.get("STATIC_PATHS") or []
    for folder, excludes in _story_folders(settings):
        for path in _walk_files(content_root, folder, settings, excludes):
            if path in _reported or _through_link(path):
                continue
            problem = story_problem(path)
            if problem and not _under(os.path.relpath(path, content_root), static_folders):
                _reported.add(path)
                _report(content_root, path, None, problem)


def check_tree(pelican) -> None:
    """Before Pelican lists or reads anything: links, static file types, stories."""
    forget_previous_build()
    settings = pelican.settings
    settings.update(settings.pop(_SAVED_SETTINGS, None) or {})
    content_root = os.path.abspath(settings["PATH"])
    if not os.path.isdir(content_root):
        return  # Pelican reports a missing content folder
    allowed = settings["STATIC_FILE_TYPES"]
    _report_links(content_root, settings)
    _keep_pelican_away_from_links(content_root, settings)
    _check_static_folders(content_root, settings, allowed)
    _check_story_folders(content_root, settings)


# --- the last guard: what Pelican is about to copy ------------------------------

def _linking_stories(generator, relative: str) -> list[str]:
    found = []
    for content in list(generator.context.get("generated_content", {}).values()):
        try:
            links = {posixpath.normpath(link) for link in content.get_static_links()}
        except Exception:  # noqa: BLE001 (a story Pelican could not fully read)
            continue
        if relative in links:
            found.append(content.source_path)
    return sorted(set(found))


def check_static_files(generator) -> None:
    """Drop (and report, once) every static file that must not be published."""
    settings = generator.settings
    content_root = os.path.abspath(settings["PATH"])
    output_root = os.path.abspath(generator.output_path)
    allowed = settings["STATIC_FILE_TYPES"]
    kept = []
    for static in generator.staticfiles:
        source = os.path.normpath(os.path.join(content_root, static.source_path))
        if source.lower().endswith(SIDECAR_SUFFIX):
            continue  # photo text, read by the photos plugin; never published
        # get_url_setting, not .save_as: reading that would stop {attach} moving it.
        save_as = os.path.normpath(os.path.join(output_root, static.get_url_setting("save_as")))
        if not inside_content(content_root, source):
            problem = ("is outside content/ (or reached through a symbolic link), and only "
                       "files inside it may be published; copy the file into content/ "
                       "(photos in images/, documents in extra/) and link it from there")
        elif not _is_within(output_root, save_as):
            problem = ("would be written outside the output folder; "
                       "check EXTRA_PATH_METADATA in the settings")
        else:
            problem = static_problem(source, allowed)
        if not problem:
            kept.append(static)
            continue
        if source in _reported or problem_reported_about(source) or _through_link(source):
            continue  # dropped; already reported with its file or line
        _reported.add(source)
        relative = static.source_path
        stories = _linking_stories(generator, relative)
        if not inside_content(content_root, source) and stories:
            for story in stories:
                _report(content_root, story, None,
                        f'a {{static}} or {{attach}} link to "{relative}" {problem}', source)
        else:
            _report(content_root, source, None, problem)
    generator.staticfiles[:] = kept
    generator.context["staticfiles"] = generator.staticfiles
