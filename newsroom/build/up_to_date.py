"""Skip a build when nothing it reads has changed since the last build of that output.

A build is a function of its inputs. When every input is what the last
successful build into the same output folder read, and that output is still
exactly as the build left it, building again would write the same bytes:
the build says so and writes nothing (no file's bytes, mode or time change,
no photo is encoded, the served site is never touched).

The inputs, hashed into one fingerprint (``input_fingerprint``):

* the settings as the build resolves them (file, ``-e`` overrides and
  environment included; the staging folder's name left out), the bytes of
  the settings files beside the one given, and the process umask (it sets
  the output's modes);
* every file of the content folder (``PATH``): its bytes, or for files over
  ``HASH_LIMIT`` bytes (photos) its size, times and inode, which any write
  changes; symlinks by their target;
* the code and templates: ``plugins/``, ``newsroom/``, the theme folder and
  any ``PLUGIN_PATHS``, by their bytes;
* the name and version of every installed Python distribution (Pelican,
  Markdown, Pillow, Pagefind, ...), the Python version, whether the search
  index is built, and ``SOURCE_DATE_EPOCH``.

Time is an input too: a story under embargo appears when its time comes, and
the news sitemap keeps two days. Plugins that compare a date with the build
time say when their answer changes (``newsroom.core.clock.output_changes_at``);
the earliest such moment is kept with the fingerprint and a build after it
runs in full.

The record (``builds/<hash of the output path>.json`` in ``CACHE_PATH``) also
holds a digest of the output tree (names, types, modes, sizes, modification
times and inodes): an output someone changed, removed or added files to is
rebuilt.
A record that cannot be read or written just means a full build.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

RECORD_VERSION = 2  # 2: the output digest without change times
HASH_LIMIT = 1 << 20  # bytes: larger content files are known by size, times and inode
SKIPPED_FOLDERS = {"__pycache__"}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_text(value) -> str:
    """A text for ``value`` that is the same in every process for equal settings.

    Functions and classes are named by module and qualified name, memory
    addresses are dropped; containers are sorted where order means nothing.
    """
    if isinstance(value, dict):
        items = sorted(((stable_text(k), stable_text(v)) for k, v in value.items()))
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(stable_text(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_text(v) for v in value)) + "}"
    if value is None or isinstance(value, (str, bytes, int, float, bool, datetime)):
        return repr(value)
    if isinstance(value, os.PathLike):
        return repr(os.fspath(value))
    if isinstance(value, re.Pattern):
        return f"re.compile({value.pattern!r}, {value.flags})"
    if hasattr(value, "__qualname__") and hasattr(value, "__module__"):
        return f"{value.__module__}.{value.__qualname__}"
    if type(value).__name__ == "FileSystemBytecodeCache":
        return f"FileSystemBytecodeCache({value.directory!r}, {value.pattern!r})"
    return _ADDRESS.sub("", repr(value))


def _feed(digest, *parts) -> None:
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogateescape")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)


def _hash_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


def _feed_tree(digest, root: Path, label: str, hash_limit: int | None) -> None:
    """Every entry under ``root``: bytes (or, over ``hash_limit``, size, times, inode)."""
    _feed(digest, "tree", label, root)
    if not root.exists():
        _feed(digest, "missing")
        return
    for folder, folders, files in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        relative = os.path.relpath(folder, root)
        for name in sorted(files) + [f for f in folders if os.path.islink(os.path.join(folder, f))]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            _feed(digest, os.path.join(relative, name), stat.S_IFMT(info.st_mode))
            if stat.S_ISLNK(info.st_mode):
                _feed(digest, os.readlink(path))
            elif not stat.S_ISREG(info.st_mode):
                continue
            elif hash_limit is None or info.st_size <= hash_limit:
                _feed(digest, _hash_file(path))
            else:
                _feed(digest, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


@functools.cache  # read once per process: the build fingerprints and the read cache's key
def _distributions() -> tuple[str, ...]:
    """Every installed package and its version: the names of the metadata folders
    (``name-version.dist-info``, ``.egg-info``) where Python looks for them.

    The folder's name is what installing, upgrading or removing a package
    changes, and one listing of each place reads it, where
    ``importlib.metadata`` opened every package's METADATA (30 ms a build).
    """
    found = set()
    for place in sys.path:
        try:
            names = os.listdir(place or ".")
        except OSError:  # not a folder (a zip file), or gone
            continue
        found.update(name.lower() for name in names if name.endswith((".dist-info", ".egg-info")))
    return tuple(sorted(found))


def code_roots(settings: dict, project_root: Path, theme: bool = True) -> list[Path]:
    """The code a build runs besides installed packages: ``plugins/``,
    ``newsroom/``, any ``PLUGIN_PATHS`` and (``theme``) the theme."""
    roots = [Path(project_root) / "plugins", Path(project_root) / "newsroom"]
    if theme:
        roots.append(Path(settings["THEME"]))
    return roots + [Path(path) for path in settings.get("PLUGIN_PATHS") or ()]


def input_fingerprint(settings: dict, settings_path: Path, output: Path, search: bool,
                      modes, code_roots: list[Path]) -> str:
    """One hash of everything the build reads (see the module docstring)."""
    digest = hashlib.sha256()
    _feed(digest, "record", RECORD_VERSION, sys.version, "search" if search else "no search",
          f"modes {stable_text(modes)}", os.environ.get("SOURCE_DATE_EPOCH", ""), output)
    shown = {name: value for name, value in settings.items() if name != "OUTPUT_PATH"}
    _feed(digest, "settings", stable_text(shown))
    for path in sorted(Path(settings_path).parent.glob("*.py")):
        _feed(digest, "settings file", path.name, path.read_bytes())
    for root in code_roots:
        _feed_tree(digest, Path(root), "code", None)
    _feed_tree(digest, Path(settings["PATH"]), "content", HASH_LIMIT)
    _feed(digest, "distributions", *_distributions())
    return digest.hexdigest()


def output_digest(output: Path, ignore=lambda name: False) -> str:
    """A hash of the output tree: names, types, modes, sizes, modification times, inodes.

    One line per entry (``ignore``: names left out, at any depth), folder by
    folder in name order, hashed at once: the walk of 7,000 files is most
    of a build with nothing to do, and of the last step of every build.
    Not the change time: removing the replaced site's names for files the
    new one links changes it, and the build makes this digest meanwhile.
    Writing into a file changes its modification time or size, replacing
    it its inode, ``chmod`` its mode.
    """
    info = os.lstat(output)
    lines = [f".\0{info.st_mode}\0{info.st_ino}\n"]

    def walk(folder: str, relative: str) -> None:
        with os.scandir(folder) as scan:
            entries = sorted((entry for entry in scan if not ignore(entry.name)),
                             key=lambda entry: entry.name)
        folders = []
        for entry in entries:
            info = entry.stat(follow_symlinks=False)
            # (names hold no NUL: each line splits into its five fields)
            lines.append(f"{relative}{entry.name}\0{info.st_mode}\0{info.st_size}\0"
                         f"{info.st_mtime_ns}\0{info.st_ino}\n")
            if stat.S_ISDIR(info.st_mode):
                folders.append(entry)
        for entry in folders:
            walk(entry.path, f"{relative}{entry.name}/")

    walk(os.fspath(output), "")
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def record_path(cache_path: str | Path, output: Path, kind: str = "builds") -> Path:
    """Where a record of ``kind`` about the output folder ``output`` is kept in the cache."""
    name = hashlib.sha256(str(output).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return Path(cache_path) / kind / f"{name}.json"


def load_json(path: Path | None, version: int) -> dict:
    """The record at ``path`` if it is a JSON object of ``version``; else {} (no record)."""
    if path is None:
        return {}
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(record, dict) or record.get("version") != version:
        return {}
    return record


def save_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a cache that cannot be written is no error."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".record-", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def save_json(path: Path, data) -> None:
    """Write ``data`` as JSON to ``path`` atomically (``save_bytes``)."""
    # dumps, not dump: only the one-shot encoder is the C one (5x faster on large records).
    save_bytes(path, json.dumps(data, sort_keys=True).encode("utf-8"))


def is_up_to_date(record: Path, fingerprint: str, output: Path, now: datetime,
                  ignore=lambda name: False) -> bool:
    """True if ``record`` says ``output`` was built from ``fingerprint`` and is untouched."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION or data.get("fingerprint") != fingerprint:
            return False
        until = data.get("valid_until")
        if until is not None and now >= datetime.fromisoformat(until):
            return False
        return data.get("output") == output_digest(output, ignore)
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def write_record(record: Path, fingerprint: str, output: Path, valid_until: datetime | None,
                 ignore=lambda name: False) -> None:
    """Keep what this build read and wrote; a cache that cannot be written is no error."""
    try:
        output_now = output_digest(output, ignore)
    except OSError:
        return
    save_json(record, {
        "version": RECORD_VERSION,
        "fingerprint": fingerprint,
        "valid_until": valid_until.astimezone(UTC).isoformat() if valid_until else None,
        "output": output_now,
    })


def forget(record: Path) -> None:
    """Drop the record (before an output is changed in any other way)."""
    try:
        record.unlink()
    except OSError:
        pass
