"""Publishing: put a built site on the web server with no moment of a broken site.

``invoke publish`` and ``invoke rollback`` are thin wrappers around the
functions here.

**Folder targets** (``invoke publish --target /var/www/news``): releases and
one symlink flip. Layout, for a target ``<parent>/<name>``::

    <parent>/<name>                                 symlink -> .<name>.releases/<id>
    <parent>/.<name>.releases/<id>/                 one complete site per publish
    <parent>/.<name>.releases/<id>.purge.txt        URLs a CDN must purge after the flip to <id>
    <parent>/.<name>.releases/<id>.rolled-back      marker: `invoke rollback` left this release
    <parent>/.<name>.releases/.lock                 one publish or rollback at a time

A release id is the UTC time of the publish and 12 hex digits of a SHA-256
over the built site (paths and bytes): ``20240620T163000Z-3f2a9c1b4e5d``; ids
sort in publish order. ``publish_folder``:

1. copies the build into a new release folder; a file with the same bytes as
   in the live release becomes a hard link to it (no space, same
   modification time, so ``ETag``/``Last-Modified`` and a CDN's revalidation
   stay valid);
2. carries over the content-named files (``immutable.txt`` of each earlier
   release kept, see newsroom/build/site_files.py; fingerprinted CSS/JS, Pagefind's
   index and fragments, photo renditions) that the new build lacks, as hard
   links, so a page of an earlier release that a reader is still loading
   finds its stylesheet, photos and search index after the flip;
3. gives every folder mode 755 and every file 644, whatever the umask;
4. points the target at the new release: a symlink made beside it replaces
   the target in one ``rename`` (atomic). A target that is still a real
   folder (the first publish after upgrading) is swapped with the symlink
   in one step (Linux ``renameat2(RENAME_EXCHANGE)``) and kept as the oldest
   release; where that call is missing the folder is renamed away first and
   the target is missing for a moment (a warning says so);
5. keeps the newest ``PUBLISH_KEEP_RELEASES`` (5) releases and the one that
   was live, and deletes older ones;
6. writes the purge list ``<id>.purge.txt`` (not in any served folder): the
   URLs of files that were added, changed or removed and whose names carry
   no content hash: HTML pages (both ``/path/`` and ``/path/index.html``),
   feeds, sitemaps, and the rare other file such as Pagefind's
   ``pagefind-entry.json``. Content-named files are never listed.

A build identical to the live release changes nothing (``unchanged``), so a
publish every five minutes does not push useful releases out.

``rollback_folder`` points the target at the release before the live one
(skipping releases marked rolled back), after carrying into it the
content-named files of the releases after it, marks the release it left,
and writes that flip's purge list.

**rsync targets** (``user@host:path``): ``rsync_commands`` uploads in three
passes: (1) only the content-named files (``immutable.txt``) and their
``.gz``/``.br``, which have new names and cannot disturb the live site;
(2) everything else (HTML, feeds, sitemaps, Pagefind's entry file, ...)
with ``--delay-updates``, so the changed files go live together at the end
of the pass; (3) the same with ``--delete``, which removes what the site no
longer has. Every pass uses ``--checksum`` (unchanged files are not
rewritten) and ``--chmod=D755,F644``. The purge list comes from what passes
2 and 3 report. rsync cannot switch a whole folder at once: between pass 2
and 3 old and new files live side by side, and a page loaded just before
pass 3 may miss a deleted file; use a folder target on the server for a
strict zero-downtime publish.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import filecmp
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from newsroom.build.site_files import (PRECOMPRESSED_SUFFIXES, immutable_files, immutable_pattern,
                                 read_immutable_list, site_paths)

PUBLISHED_MODES = (0o755, 0o644)  # what a web server running as another user can read
DEFAULT_KEEP = 5
RELEASE_ID = re.compile(r"^(?P<time>\d{8}T\d{6}Z)-(?P<digest>[0-9a-f]{12})$")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
ROLLED_BACK = ".rolled-back"
PURGE_SUFFIX = ".purge.txt"


class PublishError(Exception):
    """A publish or rollback that cannot go ahead; the message says why and what to do."""


# --- permissions (also used by the build driver) -----------------------------------

def ordinary_modes() -> tuple[int, int]:
    """(folder mode, file mode) under this process's umask: 0o755 and 0o644 for 022."""
    umask = os.umask(0o022)  # the only way to read it portably: set, then put back
    os.umask(umask)
    return 0o777 & ~umask, 0o666 & ~umask


def make_readable(root: Path, modes: tuple[int, int] | None = None) -> None:
    """Give ``root`` and every folder and file under it ordinary permissions.

    Web servers run as another user: a folder made by ``mkdtemp`` (700)
    answers 403. One walk; only entries with another mode are changed.
    Symlinks are left alone (chmod would follow them out of the tree).
    """
    dir_mode, file_mode = modes or ordinary_modes()

    def fix(path: str, wanted: int) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return  # replaced meanwhile (a compressed copy made again, with this mode)
        if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) != wanted:
            os.chmod(path, wanted)

    def fail(error: OSError) -> None:
        raise error

    fix(str(root), dir_mode)
    for folder, folders, files in os.walk(root, onerror=fail):
        for name in folders:  # before os.walk goes into them
            fix(os.path.join(folder, name), dir_mode)
        for name in files:
            fix(os.path.join(folder, name), file_mode)


def copy_site(source: Path, target: Path) -> None:
    """Replace the folder ``target`` with a copy of ``source`` using renames.

    The plain copy of earlier versions, kept for callers that want a real
    folder; ``invoke publish`` uses ``publish_folder``.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{target.name}.incoming-{os.getpid()}"
    if incoming.exists():
        shutil.rmtree(incoming)
    shutil.copytree(source, incoming, symlinks=False)
    make_readable(incoming)  # copytree keeps the source's modes
    if target.exists():
        previous = target.parent / f".{target.name}.previous-{os.getpid()}"
        os.replace(target, previous)
        os.replace(incoming, target)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        os.replace(incoming, target)


# --- what changed: digests and purge lists -----------------------------------------

def site_digest(site: Path, digits: int = 12) -> str:
    """SHA-256 over every file's path and bytes, sorted by path: the release id's second half."""
    total = hashlib.sha256()
    for path in site_paths(site):
        content = hashlib.sha256()
        with open(site / path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                content.update(block)
        total.update(f"{path}\0{content.hexdigest()}\n".encode("utf-8", "surrogateescape"))
    return total.hexdigest()[:digits]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def changed_paths(old: Path | None, new: Path, theme_dir: str = "theme",
                  photo_dir: str = "images/renditions") -> list[str]:
    """Paths added, changed or removed from ``old`` to ``new`` whose names carry no hash.

    Precompressed copies (``.gz``, ``.br``) are left out: they change with
    their file, and a CDN purges a URL with all its encodings.
    """
    content_named = immutable_pattern(theme_dir, photo_dir)
    old_files = set(site_paths(old)) if old is not None and old.is_dir() else set()
    new_files = set(site_paths(new))
    changed = []
    for path in sorted(old_files | new_files):
        if path.endswith(PRECOMPRESSED_SUFFIXES) or content_named.match(path):
            continue
        if path in old_files and path in new_files and _same_file(old / path, new / path):
            continue
        changed.append(path)
    return changed


def purge_urls(paths: list[str], site_url: str) -> list[str]:
    """The URLs a CDN caches for ``paths``: ``x/index.html`` is also ``x/``."""
    base = site_url.rstrip("/")
    urls = set()
    for path in paths:
        urls.add(f"{base}/{quote(path, safe='/~')}")
        if path == "index.html" or path.endswith("/index.html"):
            urls.add(f"{base}/{quote(path[: -len('index.html')], safe='/~')}")
    return sorted(urls)


def _write_purge_list(path: Path, urls: list[str]) -> None:
    temporary = path.with_name(f".incoming-{path.name}")
    temporary.write_text("".join(f"{url}\n" for url in urls), encoding="utf-8")
    os.chmod(temporary, PUBLISHED_MODES[1])
    os.replace(temporary, path)


# --- releases beside a folder target ------------------------------------------------

def releases_dir(target: Path) -> Path:
    return target.parent / f".{target.name}.releases"


def list_releases(releases: Path) -> list[str]:
    """Release ids in ``releases``, oldest first."""
    if not releases.is_dir():
        return []
    return sorted(entry.name for entry in os.scandir(releases)
                  if RELEASE_ID.match(entry.name) and entry.is_dir(follow_symlinks=False))


def live_release(target: Path) -> str | None:
    """The id of the release ``target`` points at, or None (no link, or not one of ours)."""
    if not target.is_symlink():
        return None
    pointed = Path(os.path.realpath(target))
    if pointed.parent != Path(os.path.realpath(releases_dir(target))):
        return None
    return pointed.name if RELEASE_ID.match(pointed.name) and pointed.is_dir() else None


def _absolute(target: Path) -> Path:
    """``target`` made absolute without following it (it is usually a symlink)."""
    target = Path(os.path.abspath(target))
    return Path(os.path.realpath(target.parent)) / target.name


@contextlib.contextmanager
def _locked(releases: Path):
    releases.mkdir(parents=True, exist_ok=True)
    os.chmod(releases, PUBLISHED_MODES[0])
    with open(releases / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Waiting for the other publish into {releases.parent} to finish...",
                  file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _remove_leftovers(target: Path, releases: Path) -> None:
    """What a killed publish left: half-made releases and temporary links."""
    for entry in os.scandir(releases):
        if entry.name.startswith(".incoming-"):
            _remove(Path(entry.path))
    for entry in os.scandir(target.parent):
        # Only links: a folder there is a site a killed publish set aside; keep it.
        if entry.name.startswith(f".{target.name}.flip-") and entry.is_symlink():
            _remove(Path(entry.path))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _new_id(digest: str, existing: list[str], now: datetime | None = None) -> str:
    """An id after every existing one: now, or one second after the newest."""
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if existing:
        newest = datetime.strptime(RELEASE_ID.match(existing[-1])["time"], TIME_FORMAT)
        newest = newest.replace(tzinfo=timezone.utc)
        if moment <= newest:
            moment = newest + timedelta(seconds=1)
    return f"{moment.strftime(TIME_FORMAT)}-{digest}"


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _copy_release(site: Path, incoming: Path, live: Path | None) -> None:
    """Copy ``site`` into the new folder ``incoming``; files equal to the live one's are links."""
    for path in site_paths(site):
        source, target = site / path, incoming / path
        previous = live / path if live is not None else None
        if previous is not None and previous.is_file() and not previous.is_symlink() \
                and _same_file(source, previous):
            _link_or_copy(previous, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            shutil.copystat(source, target)


def own_immutable_files(site: Path, theme_dir: str = "theme",
                        photo_dir: str = "images/renditions") -> list[str]:
    """A site's own content-named files: its ``immutable.txt``, or by their names' shape."""
    listed = read_immutable_list(site)
    if listed is not None:
        return listed
    return immutable_files(site, None, theme_dir, photo_dir)


def carry_over(into: Path, sources: list[Path], theme_dir: str = "theme",
               photo_dir: str = "images/renditions") -> int:
    """Link each source's own content-named files (and their .gz/.br) that ``into`` lacks.

    Returns the number of files added.
    """
    added = 0
    for source in sources:
        if not source.is_dir() or source == into:
            continue
        for path in own_immutable_files(source, theme_dir, photo_dir):
            for name in (path, *(path + suffix for suffix in PRECOMPRESSED_SUFFIXES)):
                origin, target = source / name, into / name
                if ".." in Path(name).parts or Path(name).is_absolute():
                    continue
                if origin.is_file() and not origin.is_symlink() and not os.path.lexists(target):
                    _link_or_copy(origin, target)
                    os.chmod(target, PUBLISHED_MODES[1])
                    added += 1
    return added


# renameat2(2) with RENAME_EXCHANGE: swap two names in one step (Linux 3.15+, glibc 2.28+).
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def point_at(target: Path, release: Path) -> Path | None:
    """Make ``target`` a symlink to ``release`` with no moment where it is missing.

    Returns where a real folder that was at ``target`` now is (a temporary
    name beside it), or None.
    """
    link = target.parent / f".{target.name}.flip-{os.getpid()}"
    _remove(link)
    os.symlink(os.path.relpath(release, target.parent), link)
    try:
        if target.is_symlink() or not os.path.lexists(target):
            os.replace(link, target)  # rename(2) over a symlink: atomic
            return None
        if not target.is_dir():
            raise PublishError(f"{target} is a file, not a folder; give a folder as the target")
        try:
            if _exchange(link, target):
                return link  # the old folder now has the link's temporary name
        except OSError as error:
            if error.errno in (errno.EBUSY, errno.EXDEV):
                raise PublishError(
                    f"{target} is a mount point and cannot become a link to the releases; "
                    "mount its parent folder instead (or publish to a folder inside it and "
                    "point the server there)") from None
            raise
        print(f"warning: this system cannot swap a folder and a link in one step "
              f"(renameat2); {target} was missing for a moment while it became a link",
              file=sys.stderr)
        aside = target.parent / f".{target.name}.flip-{os.getpid()}-folder"
        os.rename(target, aside)
        try:
            os.replace(link, target)
        except BaseException:
            os.rename(aside, target)  # put the site back
            raise
        return aside
    except BaseException:
        if link.is_symlink():
            _remove(link)
        raise


def _folder_id(folder: Path, before: str, releases: Path) -> str:
    """An id for a folder that was the live site before releases: its time, before ``before``."""
    moment = datetime.fromtimestamp(folder.stat().st_mtime, timezone.utc).replace(microsecond=0)
    limit = datetime.strptime(RELEASE_ID.match(before)["time"], TIME_FORMAT).replace(
        tzinfo=timezone.utc) - timedelta(seconds=1)
    moment, digest = min(moment, limit), site_digest(folder)
    while os.path.lexists(releases / f"{moment.strftime(TIME_FORMAT)}-{digest}"):
        moment -= timedelta(seconds=1)
    return f"{moment.strftime(TIME_FORMAT)}-{digest}"


def _prune(releases: Path, keep: int, protected: set[str]) -> list[str]:
    ids = list_releases(releases)
    kept = set(ids[-keep:]) | protected
    removed = []
    for release in ids:
        if release not in kept:
            _remove(releases / release)
            _remove(releases / f"{release}{PURGE_SUFFIX}")
            _remove(releases / f"{release}{ROLLED_BACK}")
            removed.append(release)
    return removed


@dataclass
class Flip:
    """What a publish or rollback did."""

    target: Path
    release: str | None  # the live release now
    previous: str | None  # the release (or "a folder") that was live before
    changed: bool = True
    purge_list: Path | None = None
    purge_urls: list[str] = field(default_factory=list)
    carried: int = 0
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def report(self, rollback: bool = False) -> str:
        if self.release is None:  # rsync
            return "\n".join([f"Uploaded to {self.target} in three rsync passes.",
                              f"CDN purge list ({len(self.purge_urls)} URLs): {self.purge_list}",
                              *self.purge_urls])
        if not self.changed:
            return (f"Nothing changed: release {self.release} is live in {self.target} "
                    "already; nothing to purge.")
        if rollback:
            lines = [f"Rolled back {self.target} from release {self.previous} "
                     f"to release {self.release}."]
        else:
            lines = [f"Published release {self.release} to {self.target} "
                     f"(was: {self.previous or 'nothing'})."]
        if self.carried:
            lines.append(f"Kept {self.carried} content-named files of earlier releases "
                         "for pages still loading.")
        if self.kept:
            lines.append(f"Releases kept: {len(self.kept)}"
                         + (f"; removed {', '.join(self.removed)}" if self.removed else "") + ".")
        lines.append(f"CDN purge list ({len(self.purge_urls)} URLs): {self.purge_list}")
        lines.extend(self.purge_urls)
        return "\n".join(lines)


def publish_folder(site: Path, target: Path, keep: int = DEFAULT_KEEP, site_url: str = "",
                   theme_dir: str = "theme", photo_dir: str = "images/renditions",
                   now: datetime | None = None) -> Flip:
    """Publish the built ``site`` as a new release of the folder target ``target``."""
    site = Path(site).resolve()
    target = _absolute(Path(target))
    if keep < 1:
        raise PublishError(f"PUBLISH_KEEP_RELEASES must be 1 or more, not {keep}")
    if not site.is_dir():
        raise PublishError(f"{site} is not a built site; build first")
    if os.path.lexists(target) and not target.is_symlink() and not target.is_dir():
        raise PublishError(f"{target} is a file, not a folder; give a folder as the target")
    target.parent.mkdir(parents=True, exist_ok=True)
    releases = releases_dir(target)
    with _locked(releases):
        _remove_leftovers(target, releases)
        existing = list_releases(releases)
        current = live_release(target)
        live = Path(os.path.realpath(target)) if target.exists() else None
        # Unchanged files are linked from our own releases or the folder that
        # becomes one; a link to someone else's folder is only read.
        ours = current is not None or (live is not None and not target.is_symlink())
        digest = site_digest(site)
        if current and RELEASE_ID.match(current)["digest"] == digest:
            return Flip(target, current, current, changed=False)
        new_id = _new_id(digest, existing, now)
        # The releases that stay after this publish: the newest ones and the live one.
        staying = existing[-(keep - 1):] if keep > 1 else []
        sources = [releases / r for r in staying]
        if live is not None and live not in sources:
            sources.append(live)
        incoming = releases / f".incoming-{new_id}"
        _remove(incoming)
        try:
            incoming.mkdir()
            _copy_release(site, incoming, live if ours else None)
            carried = carry_over(incoming, sources, theme_dir, photo_dir)
            make_readable(incoming, PUBLISHED_MODES)
            os.rename(incoming, releases / new_id)
        except BaseException:
            _remove(incoming)
            raise
        urls = purge_urls(changed_paths(live, site, theme_dir, photo_dir), site_url)
        purge = releases / f"{new_id}{PURGE_SUFFIX}"
        _write_purge_list(purge, urls)
        old_folder = point_at(target, releases / new_id)
        previous = current
        if old_folder is not None:  # the folder that was the site: now the oldest release
            previous = _folder_id(old_folder, new_id, releases)
            os.rename(old_folder, releases / previous)
        elif current is None and live is not None:
            previous = str(live)  # a link to a folder of someone else's: left alone
        removed = _prune(releases, keep, {new_id} | ({previous} if previous else set()))
        return Flip(target, new_id, previous, True, purge, urls, carried, removed,
                    list_releases(releases))


def rollback_folder(target: Path, site_url: str = "", theme_dir: str = "theme",
                    photo_dir: str = "images/renditions") -> Flip:
    """Point ``target`` at the release before the live one; the live one is marked rolled back."""
    target = _absolute(Path(target))
    releases = releases_dir(target)
    if not releases.is_dir():
        raise PublishError(f"{target} has no releases ({releases} does not exist); "
                           "`invoke publish` makes them")
    with _locked(releases):
        _remove_leftovers(target, releases)
        current = live_release(target)
        if current is None:
            raise PublishError(f"{target} is not a link to one of the releases in {releases}; "
                               "nothing to roll back")
        ids = list_releases(releases)
        earlier = [r for r in ids if r < current
                   and not (releases / f"{r}{ROLLED_BACK}").exists()]
        if not earlier:
            raise PublishError(f"release {current} is the oldest one kept in {releases}; "
                               "there is no earlier release to go back to")
        back = earlier[-1]
        # Pages of the release being left (and of later ones) keep their files.
        later = [releases / r for r in ids if r > back]
        carried = carry_over(releases / back, later, theme_dir, photo_dir)
        make_readable(releases / back, PUBLISHED_MODES)
        urls = purge_urls(changed_paths(releases / current, releases / back, theme_dir,
                                        photo_dir), site_url)
        purge = releases / f"{back}{PURGE_SUFFIX}"
        _write_purge_list(purge, urls)
        point_at(target, releases / back)
        marker = releases / f"{current}{ROLLED_BACK}"
        marker.write_text(f"`invoke rollback` went from this release back to {back}.\n",
                          encoding="utf-8")
        return Flip(target, back, current, True, purge, urls, carried, [], list_releases(releases))


# --- rsync targets ------------------------------------------------------------------

def is_rsync_target(target: str) -> bool:
    """``user@host:path`` or ``host:path`` (a colon before any slash), not an existing folder."""
    head = str(target).split("/", 1)[0]
    return ":" in head and not Path(target).exists()


RSYNC_OPTIONS = ["--recursive", "--links", "--times", "--perms", "--chmod=D755,F644",
                 "--checksum", "--out-format=%i %n"]


def _uncompressed(path: str) -> str:
    """``x.html.gz`` and ``x.html.br`` -> ``x.html``."""
    for suffix in PRECOMPRESSED_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def rsync_commands(site: Path, destination: str, files_from: Path) -> list[list[str]]:
    """The three rsync passes (see the module docstring); ``files_from`` lists pass 1's files."""
    source = f"{str(site).rstrip('/')}/"
    base = ["rsync", *RSYNC_OPTIONS]
    return [
        ["rsync", *[o for o in RSYNC_OPTIONS if o != "--recursive"],
         f"--files-from={files_from}", source, destination],
        [*base, "--delay-updates", source, destination],
        [*base, "--delete", source, destination],
    ]


def rsync_changes(output: str) -> list[str]:
    """Paths rsync's ``%i %n`` lines say it sent with new content or deleted."""
    paths = []
    for line in output.splitlines():
        flags, _, name = line.partition(" ")
        name = name.strip()
        if flags == "*deleting":
            paths.append(name)
        elif len(flags) >= 2 and flags[0] in "<>c" and flags[1] == "f":
            paths.append(name)
    return paths


def publish_rsync(site: Path, destination: str, site_url: str = "", purge_dir: Path | None = None,
                  theme_dir: str = "theme", photo_dir: str = "images/renditions",
                  keep: int = DEFAULT_KEEP, run=subprocess.run) -> Flip:
    """Upload ``site`` to ``destination`` in three rsync passes; write the purge list to ``purge_dir``."""
    site = Path(site).resolve()
    if not shutil.which("rsync") and run is subprocess.run:
        raise PublishError("rsync is not installed; install it (apt-get install rsync) "
                           "or publish to a folder")
    content_named = immutable_pattern(theme_dir, photo_dir)
    first = [path for path in site_paths(site) if content_named.match(_uncompressed(path))]
    with tempfile.NamedTemporaryFile("w", suffix=".files", delete=False) as listing:
        listing.write("".join(f"{path}\n" for path in first))
    changed: list[str] = []
    try:
        for number, command in enumerate(rsync_commands(site, destination, Path(listing.name)), 1):
            result = run(command, capture_output=True, text=True)
            if result.returncode != 0:
                raise PublishError(f"rsync pass {number} of 3 failed (exit {result.returncode}): "
                                   f"{(result.stderr or result.stdout).strip()}")
            if number > 1:
                changed += rsync_changes(result.stdout)
    finally:
        os.unlink(listing.name)
    paths = sorted({_uncompressed(path) for path in changed
                    if not content_named.match(_uncompressed(path))})
    urls = purge_urls(paths, site_url)
    purge = None
    if purge_dir is not None:
        purge_dir.mkdir(parents=True, exist_ok=True)
        moment = datetime.now(timezone.utc)
        while (purge_dir / f"{moment.strftime(TIME_FORMAT)}{PURGE_SUFFIX}").exists():
            moment += timedelta(seconds=1)  # one file per publish, in order
        purge = purge_dir / f"{moment.strftime(TIME_FORMAT)}{PURGE_SUFFIX}"
        _write_purge_list(purge, urls)
        for old in sorted(purge_dir.glob(f"*{PURGE_SUFFIX}"))[:-keep]:
            old.unlink()
    return Flip(Path(destination), None, None, True, purge, urls)
