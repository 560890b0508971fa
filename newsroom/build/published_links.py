"""Pages and feeds whose bytes are already published: hard-linked, not written again.

A full build renders every page and feed into a fresh staging folder
(``newsroom.build.driver``). After one story changed, nearly all of them
come out byte for byte as the published site has them, and writing them
again (with their ``.gz`` and ``.br`` copies: three new files a page) was
most of the system time such a build spent, and what made deleting the old
site at the swap slow.

``PublishedLinks.install(writer)`` gives Pelican's writer (in the build
process; the render child of ``newsroom.build.parallel_render`` writes
nothing) an ``_open_w`` that keeps Pelican's one-write-per-file rule
(``newsroom.compat.pelican._claim_file``) and, when the file is closed:

* if the output folder (the published site) has a regular file at the same
  path, with the same bytes and the mode the build gives, hard-links it
  into the staging folder instead of writing;
* links its ``.gz`` and ``.br`` too, when the record of the last build
  (``compressed/<hash of the output path>.json`` in ``CACHE_PATH``, saved by
  ``save_record`` after each swap) says they are the copies that build made
  of exactly that file (size, modification time and inode of all three)
  with the compression this build uses (``precompress.compression_key``);
  the compression workers then leave that page alone
  (``Precompression.adopt``);
* otherwise writes the file as Pelican would.

A page or feed the page records take as published (newsroom/build/page_records.py)
comes as a ``PublishedText``: it stands for the published file as the records
checked it, unread, and ``place_published`` links that file (and its copies)
after checking the link is that very file; one that changed since its check
fails the build (``PublishedFileChanged``: something else writes into the
output folder).

The folders the pages go in are made meanwhile in a thread
(``start_folders``: making 1,500 folders was a fifth of a build with one
story changed), and those no page was written into are removed after
Pelican (``finish_folders``).

A linked file *is* the published file until the swap, so nothing may write
into it: this writer and the compression workers put every file they
write in place as a new file, removing whatever is there first
(``newsroom.core.output_files.write_new_file``; a second write of one file,
Pelican's ``override``, also removes the copies linked with the first);
``make_readable`` changes no mode (a file is linked only with the mode
already right); Pagefind and the sorting of its filters work in folders of
their own. A build that fails or is stopped removes the staging folder,
which only removes the links. tests/newsroom/build/test_published_links.py
checks that a change build equals a clean build byte for byte and that a
build failing after linking leaves every published file as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from newsroom.build import up_to_date
from newsroom.core.output_files import write_new_file

RECORD_VERSION = 1
COPY_SUFFIXES = (".gz", ".br")


def file_identity(info: os.stat_result) -> list[int]:
    """What tells a file apart from a replacement: size, modification time, inode."""
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def is_as_recorded(info: os.stat_result, identity, file_mode: int | None) -> bool:
    """A regular file with ``identity`` (``file_identity``) and, unless None, ``file_mode``."""
    return (stat.S_ISREG(info.st_mode) and file_identity(info) == identity
            and (file_mode is None or stat.S_IMODE(info.st_mode) == file_mode))


class PublishedFileChanged(Exception):
    """A published page changed while the build took it as published (something
    else writes into the output folder)."""

    def __init__(self, path: str):
        super().__init__(f"{path}: this published file changed during the build (is "
                         "something else writing into the output folder?); build again")
        self.path = path


class PublishedText(str):
    """A page the page records take as published, without its text read.

    Its value is empty: it stands for the file at ``path`` as it was when
    checked (``identity``: ``file_identity``, and a regular file), which
    ``PublishedLinks.place_published`` links into the new site unread. Only
    handed out where the writer's files are ``TextOnClose`` with that
    placer (``PublishedLinks.install``); anything else that meets one gets
    the file's text from ``read_text``.
    """

    __slots__ = ("path", "identity")

    def __new__(cls, path: str, identity: list[int]):
        text = super().__new__(cls, "")
        text.path, text.identity = path, identity
        return text

    def read_bytes(self) -> bytes:
        """The file's bytes, if it is still the file checked (else PublishedFileChanged)."""
        try:
            with open(self.path, "rb", buffering=0) as handle:
                if is_as_recorded(os.fstat(handle.fileno()), self.identity, None):
                    return handle.readall()
        except OSError:
            pass
        raise PublishedFileChanged(self.path)

    def read_text(self) -> str:
        return self.read_bytes().decode("utf-8")


def record_path(cache: str | Path, output: Path) -> Path:
    """Where the record of the published compressed copies of ``output`` is kept."""
    return up_to_date.record_path(cache, Path(os.path.abspath(output)), "compressed")


def load_record(path: Path | None, key: str) -> dict[str, list]:
    """{site path: [identity of the file, of its .gz, of its .br]}, if made with ``key``."""
    record = up_to_date.load_json(path, RECORD_VERSION)
    if record.get("key") != key or not isinstance(record.get("files"), dict):
        return {}
    return record["files"]


def save_record(path: Path | None, output: Path, key: str | None, files,
                known: dict | None = None) -> None:
    """Record the compressed copies of ``files`` (site paths) as published in ``output``.

    ``key`` None (no compression): an empty record. ``known``: the entries of
    files linked with their copies from the last site (a link keeps size,
    time and inode: what the last record said of them). A cache that cannot
    be written only costs time.
    """
    if path is None:
        return
    found = {}
    if key is not None:
        for relative in files:
            if known and relative in known:
                found[relative] = known[relative]
                continue
            base = os.path.join(output, relative)
            try:
                found[relative] = [file_identity(os.lstat(base + suffix))
                                   for suffix in ("", *COPY_SUFFIXES)]
            except OSError:
                continue  # no copies (a small file): nothing to link next time
    up_to_date.save_json(path, {"version": RECORD_VERSION, "key": key, "files": found})


class PublishedLinks:
    """Links files from the published ``live`` folder into ``staging`` where the bytes match.

    ``file_mode``: the mode the build gives files (a file with another mode
    is not linked: making it readable would change the published file).
    ``configure(record, compression_key)`` once the settings are known,
    ``install(writer)`` on the writer Pelican makes. ``live`` None (no
    published site yet): every file is written.
    """

    def __init__(self, staging: Path, live: Path | None, file_mode: int | None):
        self.staging = os.path.abspath(staging)
        self.live = os.path.abspath(live) if live is not None and Path(live).is_dir() else None
        self.file_mode = file_mode
        self.copies: dict[str, list] = {}  # the record of the published copies
        self.linked: set[str] = set()  # site paths linked from the published site
        self.with_copies: set[str] = set()  # ... whose .gz and .br were linked too
        self.written = 0
        self._folders = None  # the thread of start_folders
        self._stop_folders = False
        self._made_folders: list[str] = []
        self.folders_made = False  # True: the staging folder has the site's folders already
        self.filled: set[str] = set()  # site paths of every file put in place

    # -- the folders pages go in --
    def start_folders(self) -> None:
        """Make, in a thread, the staging folders of the published site's pages.

        Making a folder is one of the slowest steps of writing a page (on
        ext4 without a journal, after a swap freed thousands of inodes, more
        than a page's render when the page is linked), and a build after a
        small change makes the same 1,500 folders as the last. The thread
        makes them meanwhile, on the other core; Pelican's own ``makedirs``
        then finds them there. ``finish_folders`` removes those no page was
        written into (a story deleted or moved), so the site is what it
        would be without the thread.
        """
        if self.live is None or self._folders is not None or self.folders_made:
            return
        import threading

        self._folders = threading.Thread(target=self._make_folders, daemon=True,
                                         name="staging-folders")
        self._folders.start()

    def _make_folders(self) -> None:
        # The folders of the published pages: from the record of their
        # compressed copies when there is one (no walk of the whole site).
        pages = [name for name in self.copies if name.endswith("/index.html")]
        wanted = {os.path.dirname(name).replace("/", os.sep) for name in pages}
        if not wanted:
            for folder, folders, files in os.walk(self.live):
                if folder == self.live:
                    folders[:] = [name for name in folders if not name.startswith(".")]
                elif "index.html" in files:
                    wanted.add(os.path.relpath(folder, self.live))
                if self._stop_folders:
                    return
        for relative in sorted(wanted):
            parts = relative.split(os.sep)
            for depth in range(1, len(parts) + 1):
                path = os.path.join(self.staging, *parts[:depth])
                if self._stop_folders:
                    return
                try:
                    os.mkdir(path)
                except OSError:
                    continue  # there already (or not makeable: Pelican reports it)
                self._made_folders.append(path)

    def finish_folders(self) -> None:
        """Wait for the folder thread; remove the folders it made that are still empty."""
        thread, self._folders = self._folders, None
        if thread is None:
            return
        self._stop_folders = True
        thread.join()
        for path in reversed(self._made_folders):  # the deepest first
            with contextlib.suppress(OSError):  # not empty: a page is in it
                os.rmdir(path)
        self._made_folders.clear()

    def configure(self, record: Path | None, compression_key: str | None) -> None:
        """Read the record of the published copies (``compression_key`` None: no copies)."""
        self.copies = {} if compression_key is None else load_record(record, compression_key)

    def install(self, writer):
        """Give ``writer`` (an instance of Pelican's Writer) this ``_open_w``; return it."""
        from newsroom.compat.pelican import TextOnClose, _claim_file

        def _open_w(filename, encoding, override=False):
            if not _claim_file(writer, filename, override):
                return open(os.devnull, "w", encoding=encoding)
            return TextOnClose(filename, encoding, self.place, self.place_published)

        _open_w.__newsroom_published_links__ = True  # newsroom/build/parallel_render.py
        writer._open_w = _open_w
        return writer

    def relative(self, path: str) -> str | None:
        """``path``'s site path, if it is in the staging folder."""
        # (Pelican's paths are absolute and normal already: no relpath, which
        # costs more than linking the file, unless they are not.)
        prefix = self.staging + os.sep
        if not (path.startswith(prefix) and os.path.normpath(path) == path):
            path = os.path.abspath(path)
            if not path.startswith(prefix):
                return None
        return path[len(prefix):].replace(os.sep, "/") or None

    def has_copies(self, path) -> bool:
        """Whether ``path`` (in the staging folder) came with its .gz and .br linked."""
        relative = self.relative(os.fspath(path))
        return relative is not None and relative in self.with_copies

    def place(self, path: str, data: bytes) -> None:
        """Put ``data`` at ``path`` in the staging folder: a link if published as is, else written."""
        relative = self.relative(path)
        if relative is not None:
            self.filled.add(relative)
            if relative in self.linked:
                self._forget(path, relative)  # a second write (Pelican's override)
            if self.live is not None and self._link(path, relative, data):
                return
        write_new_file(path, data)  # (removes a file written here before)
        self.written += 1

    def place_published(self, path: str, text: PublishedText) -> None:
        """Put the published page ``text`` stands for at ``path``: linked, unread.

        The page records checked the published file just before (a regular
        file with the identity they recorded and the build's mode); it is
        linked if it is still that file, and its copies with it.
        """
        relative = self.relative(path)
        published = os.path.join(self.live, relative) if (
            relative is not None and self.live is not None) else None
        if relative is not None:
            self.filled.add(relative)
            if relative in self.linked:
                self._forget(path, relative)
        if published is None or published != text.path:
            self.place(path, text.read_bytes())  # (not where it was read from: compared)
            return
        try:
            os.link(published, path)
            info = os.lstat(path)  # what was linked: still the file checked?
            if is_as_recorded(info, text.identity, self.file_mode):
                self.linked.add(relative)
                self._link_copies(published, path, relative, info)
                return
            with contextlib.suppress(OSError):
                os.unlink(path)
        except OSError:
            pass
        # Not linked (another file system, too many links, changed): written,
        # if it is still the file checked.
        write_new_file(path, text.read_bytes())
        self.written += 1

    def _forget(self, path: str, relative: str) -> None:
        """Remove the link an earlier write put at ``path``, and its linked copies."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        if relative in self.with_copies:
            for suffix in COPY_SUFFIXES:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path + suffix)
        self.linked.discard(relative)
        self.with_copies.discard(relative)

    def _link(self, path: str, relative: str, data: bytes) -> bool:
        published = os.path.join(self.live, relative)
        try:
            info = os.lstat(published)
            if (not stat.S_ISREG(info.st_mode) or info.st_size != len(data)
                    or (self.file_mode is not None
                        and stat.S_IMODE(info.st_mode) != self.file_mode)):
                return False
            with open(published, "rb", buffering=0) as handle:
                if handle.readall() != data:
                    return False
            os.link(published, path)
        except OSError:  # gone meanwhile, another file system, too many links: write it
            return False
        try:
            linked = os.lstat(path)
        except OSError:
            linked = None
        if linked is None or file_identity(linked) != file_identity(info):
            # Replaced between reading and linking: not the bytes compared.
            with contextlib.suppress(OSError):
                os.unlink(path)
            return False
        self.linked.add(relative)
        self._link_copies(published, path, relative, info)
        return True

    def _link_copies(self, published: str, path: str, relative: str,
                     info: os.stat_result) -> None:
        """Link the published .gz and .br of ``relative`` if the record vouches for them."""
        known = self.copies.get(relative)
        if not isinstance(known, list) or len(known) != 1 + len(COPY_SUFFIXES) \
                or known[0] != file_identity(info):
            return
        made = []
        try:
            for suffix, expected in zip(COPY_SUFFIXES, known[1:]):
                # Linked, then checked: the link is the file the record vouches
                # for, or it goes.
                os.link(published + suffix, path + suffix)
                made.append(path + suffix)
                if not is_as_recorded(os.lstat(path + suffix), expected, self.file_mode):
                    raise FileNotFoundError(path + suffix)
        except OSError:
            for name in made:  # the compression workers make them instead
                with contextlib.suppress(OSError):
                    os.unlink(name)
            return
        self.with_copies.add(relative)
