"""Zero-downtime publishing (newsroom/publish/releases.py): releases, one symlink flip, rollback, rsync.

Two real publishing builds: A is the session's `published_site`, B adds a
story and changes the stylesheet (so its CSS, pages, feeds and search index
differ from A's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from lxml import html as lxml_html

from helpers.building import ROOT, copy_content, run_build
from newsroom.publish import releases as releases_module
from newsroom.publish.releases import (PublishError, copy_site, is_rsync_target, list_releases,
                              publish_folder, publish_rsync, rollback_folder, rsync_commands,
                              site_digest)
from newsroom.build.site_files import read_immutable_list

SITE = "https://news.example.org"
NEW_STORY = "2024/06/second-story-for-releases/"
CONTENT_NAMED = re.compile(r"\.[0-9a-f]{10}\.(css|js)$|\.pf_(fragment|index|filter|meta)$"
                           r"|/images/renditions/")


@pytest.fixture(scope="module")
def builds(published_site, tmp_path_factory):
    """(A, B): two publishing builds that differ in pages, CSS and search index."""
    base = tmp_path_factory.mktemp("release-b")
    content = copy_content(base)
    (content / "articles" / "2024-06-16-second.md").write_text(
        "Title: Second story for releases\nDate: 2024-06-16 10:00\nCategory: Politics\n"
        "Tags: Kenya\nAuthors: Staff Reporter\nSummary: A second story.\n\n"
        "Body of the second story.\n", encoding="utf-8")
    theme = base / "theme"
    shutil.copytree(ROOT / "theme", theme)
    with open(theme / "static" / "css" / "site.css", "a", encoding="utf-8") as css:
        css.write("/* a changed stylesheet */\n")
    result = run_build(base / "output", settings=ROOT / "publishconf.py",
                       overrides={"PATH": str(content), "THEME": str(theme)})
    assert result.returncode == 0, result.stderr
    return published_site.output, result.output


def own_files(site: Path) -> set[str]:
    """A build's content-named files with their precompressed copies."""
    listed = set(read_immutable_list(site))
    return {name for path in listed for name in (path, f"{path}.gz", f"{path}.br")
            if (site / name).is_file()}


def check_modes(root: Path) -> None:
    for folder, folders, names in os.walk(root):
        assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o755, folder
        for name in names:
            if name == ".lock":
                continue
            info = os.lstat(os.path.join(folder, name))
            assert stat.S_IMODE(info.st_mode) == 0o644, os.path.join(folder, name)


def files_of(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


# --- folder targets ---------------------------------------------------------------------

def test_publish_twice_flips_carries_over_and_rolls_back(builds, tmp_path):
    a, b = builds
    a_files, b_files = files_of(a), files_of(b)  # read once: the builds do not change
    target = tmp_path / "www" / "news"
    releases = tmp_path / "www" / ".news.releases"

    first = publish_folder(a, target, site_url=SITE)
    assert target.is_symlink() and os.readlink(target) == f".news.releases/{first.release}"
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}", first.release)
    assert first.release.endswith(site_digest(a))
    assert files_of(target) == a_files
    assert f"{SITE}/" in first.purge_urls  # nothing was there before: every page is new

    second = publish_folder(b, target, site_url=SITE)
    assert os.readlink(target) == f".news.releases/{second.release}"
    assert second.previous == first.release and second.release > first.release
    assert list_releases(releases) == [first.release, second.release]
    live = files_of(target)
    # B whole, plus A's content-named files that B lacks, for pages still loading.
    assert {path: data for path, data in live.items() if path in b_files} == b_files
    carried = set(live) - set(b_files)
    assert carried == own_files(a) - set(b_files)
    assert any(re.fullmatch(r"theme/css/site\.[0-9a-f]{10}\.css", p) for p in carried)
    assert any(p.endswith(".pf_meta") for p in carried)
    assert second.carried == len(carried)
    # Unchanged files are links to the previous release: same inode, same time.
    rendition = next(p for p in read_immutable_list(b) if p.startswith("images/"))
    assert (releases / first.release / rendition).stat().st_ino == \
        (releases / second.release / rendition).stat().st_ino
    check_modes(releases)

    # The purge list: beside the releases, never inside a served folder.
    assert second.purge_list == releases / f"{second.release}.purge.txt"
    assert second.purge_list.read_text(encoding="utf-8").splitlines() == second.purge_urls
    for url in (f"{SITE}/", f"{SITE}/index.html", f"{SITE}/{NEW_STORY}",
                f"{SITE}/{NEW_STORY}index.html", f"{SITE}/feeds/all.atom.xml",
                f"{SITE}/sitemap.xml", f"{SITE}/pagefind/pagefind-entry.json"):
        assert url in second.purge_urls, url
    for url in second.purge_urls:
        assert url.startswith(f"{SITE}/")
        assert not CONTENT_NAMED.search(url) and not url.endswith((".gz", ".br")), url

    back = rollback_folder(target, site_url=SITE)
    assert (back.release, back.previous) == (first.release, second.release)
    assert os.readlink(target) == f".news.releases/{first.release}"
    assert (releases / f"{second.release}.rolled-back").is_file()
    live = files_of(target)
    assert {path: data for path, data in live.items() if path in a_files} == a_files
    assert own_files(b) - set(a_files) <= set(live)  # B's pages still find their files
    assert f"{SITE}/{NEW_STORY}" in back.purge_urls  # gone again
    assert back.purge_list.read_text(encoding="utf-8").splitlines() == back.purge_urls
    check_modes(releases)

    # Publishing what is live changes nothing; there is nothing before the first release.
    same = publish_folder(a, target, site_url=SITE)
    assert not same.changed and same.release == first.release
    assert list_releases(releases) == [first.release, second.release]
    with pytest.raises(PublishError, match="no earlier release"):
        rollback_folder(target)

    # A new publish, then a rollback: the release rolled back before is skipped.
    third = publish_folder(b, target, site_url=SITE)
    assert third.release > second.release
    assert rollback_folder(target).release == first.release


def test_old_releases_are_pruned(builds, tmp_path):
    a, b = builds
    target = tmp_path / "news"
    releases = tmp_path / ".news.releases"
    made = [publish_folder(site, target, keep=2).release for site in (a, b, a, b)]
    assert len(set(made)) == 4 and made == sorted(made)
    assert list_releases(releases) == made[-2:]
    assert sorted(p.name for p in releases.iterdir()) == sorted(
        [".lock", *made[-2:], *(f"{r}.purge.txt" for r in made[-2:])])
    assert os.readlink(target) == f".news.releases/{made[-1]}"


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_first_publish_turns_a_real_folder_into_the_oldest_release(builds, tmp_path, exchange,
                                                                   monkeypatch, capsys):
    a, b = builds
    target = tmp_path / "news"
    copy_site(a, target)  # what `invoke publish` made before releases
    if not exchange:
        monkeypatch.setattr(releases_module, "_exchange", lambda first, second: False)
    result = publish_folder(b, target, site_url=SITE)
    warning = "cannot swap a folder and a link in one step" in capsys.readouterr().err
    assert warning is not exchange
    assert target.is_symlink()
    releases = list_releases(tmp_path / ".news.releases")
    assert releases == [result.previous, result.release]
    assert result.previous.endswith(site_digest(a))
    assert files_of(tmp_path / ".news.releases" / result.previous) == files_of(a)
    assert own_files(a) - set(files_of(b)) <= set(files_of(target))  # carried from the folder
    assert not [p for p in tmp_path.iterdir() if ".flip-" in p.name]
    assert rollback_folder(target).release == result.previous
    assert files_of(target).items() >= files_of(a).items()


def test_a_reader_during_two_publishes_never_misses_a_file(builds, tmp_path):
    """Crawl the live folder (through its path, as a server does) while publishing twice."""
    a, b = builds
    target = tmp_path / "www" / "news"
    copy_site(a, target)  # starts as a real folder: the conversion is crawled too
    versions: dict[str, set[bytes]] = {}
    references: dict[bytes, list[str]] = {}
    pages = sorted(set(p for p in files_of(a) if p.endswith(".html") and "pagefind" not in p)
                   & set(files_of(b)))
    for site in (a, b):
        for page in pages:
            data = (site / page).read_bytes()
            versions.setdefault(page, set()).add(data)
            doc = lxml_html.fromstring(data)
            urls = doc.xpath("//link[@rel='stylesheet' or @rel='icon']/@href|//script/@src"
                             "|//img/@src|//source/@srcset|//img/@srcset")
            refs = {part.strip().split()[0] for url in urls for part in url.split(",")}
            references[data] = sorted(url[len(SITE) + 1:] for url in refs
                                      if url.startswith(f"{SITE}/"))
    shared = sorted(set(files_of(a)) & set(files_of(b)))
    errors: list[str] = []
    rounds = [0]
    stop = threading.Event()

    def read(path: str) -> bytes | None:
        try:
            return (target / path).read_bytes()
        except OSError as error:
            errors.append(f"{path}: {error}")
            return None

    def crawl():
        while not stop.is_set() or rounds[0] < 3:
            for page in pages:
                data = read(page)
                if data is None:
                    continue
                if data not in versions[page]:
                    errors.append(f"{page}: bytes of neither version")
                    continue
                for path in references[data]:  # what a browser loads next
                    read(path)
            entry = read("pagefind/pagefind-entry.json")
            if entry is not None:
                for language in json.loads(entry)["languages"].values():
                    read(f"pagefind/pagefind.{language['hash']}.pf_meta")
            for path in shared:
                read(path)
            rounds[0] += 1

    crawler = threading.Thread(target=crawl)
    crawler.start()
    try:
        publish_folder(b, target, site_url=SITE)
        publish_folder(a, target, site_url=SITE)
        rollback_folder(target, site_url=SITE)
    finally:
        stop.set()
        crawler.join(timeout=120)
    assert not crawler.is_alive()
    assert errors == []
    assert rounds[0] >= 3


def test_refusals(builds, tmp_path):
    a, _ = builds
    file_target = tmp_path / "file"
    file_target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(PublishError, match="is a file, not a folder"):
        publish_folder(a, file_target)
    with pytest.raises(PublishError, match="has no releases"):
        rollback_folder(tmp_path / "never-published")
    with pytest.raises(PublishError, match="must be 1 or more"):
        publish_folder(a, tmp_path / "news", keep=0)


# --- rsync targets ------------------------------------------------------------------------

def test_rsync_target_detection(tmp_path):
    assert is_rsync_target("user@host:/var/www/news")
    assert is_rsync_target("host:news")
    assert not is_rsync_target("/srv/www/a:b")
    assert not is_rsync_target("output/site")
    odd = tmp_path / "odd:name"
    odd.mkdir()
    os.chdir(tmp_path)
    try:
        assert not is_rsync_target("odd:name")  # an existing folder wins
    finally:
        os.chdir(ROOT)


def test_rsync_commands_upload_new_names_then_pages_then_delete(tmp_path):
    passes = rsync_commands(Path("/site"), "user@host:/var/www/news", tmp_path / "list")
    assert len(passes) == 3
    for command in passes:
        assert command[0] == "rsync" and command[-2:] == ["/site/", "user@host:/var/www/news"]
        assert "--chmod=D755,F644" in command and "--checksum" in command
    first, second, third = passes
    assert f"--files-from={tmp_path / 'list'}" in first and "--delete" not in first
    assert "--delay-updates" in second and "--delete" not in second
    assert "--delete" in third


@pytest.mark.skipif(not shutil.which("rsync"), reason="rsync not installed: apt-get install rsync")
def test_rsync_publish_in_three_passes(builds, tmp_path, monkeypatch):
    a, b = builds
    # A stand-in for ssh: drop the host name and run the remote rsync here.
    shell = tmp_path / "fake-ssh"
    shell.write_text('#!/bin/sh\nshift\nexec "$@"\n', encoding="utf-8")
    shell.chmod(0o755)
    monkeypatch.setenv("RSYNC_RSH", str(shell))
    remote = tmp_path / "remote"
    destination = f"somehost:{remote}"
    purge_dir = tmp_path / "purge"
    publish_rsync(a, destination, site_url=SITE, purge_dir=purge_dir)
    assert files_of(remote) == files_of(a)

    old_css = next(p for p in read_immutable_list(a) if p.startswith("theme/css/site."))
    new_css = next(p for p in read_immutable_list(b) if p.startswith("theme/css/site."))
    assert old_css != new_css
    seen = []

    def run(command, **kwargs):
        result = subprocess.run(command, **kwargs)
        seen.append(((remote / "index.html").read_bytes(), (remote / old_css).exists(),
                     (remote / new_css).exists()))
        return result

    result = publish_rsync(b, destination, site_url=SITE, purge_dir=purge_dir, run=run)
    old_home, new_home = (a / "index.html").read_bytes(), (b / "index.html").read_bytes()
    assert seen == [
        (old_home, True, True),   # 1: new content-named files only; old pages untouched
        (new_home, True, True),   # 2: the pages, all at once; old files still there
        (new_home, False, True),  # 3: what B no longer has is deleted, last
    ]
    assert files_of(remote) == files_of(b)
    check_modes(remote)
    assert f"{SITE}/{NEW_STORY}" in result.purge_urls
    assert f"{SITE}/feeds/all.atom.xml" in result.purge_urls
    assert not any(CONTENT_NAMED.search(url) for url in result.purge_urls)
    assert result.purge_list.parent == purge_dir
    assert result.purge_list.read_text(encoding="utf-8").splitlines() == result.purge_urls
    assert len(list(purge_dir.glob("*.purge.txt"))) == 2


# --- the tasks ------------------------------------------------------------------------------

PROJECT_FILES = ["tasks.py", "pelicanconf.py", "publishconf.py", "newsroom", "plugins", "theme",
                 "content"]


def invoke(project: Path, *args: str) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "invoke", "-r", str(project), *args],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1718640000"})


def test_invoke_publish_and_rollback(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, project / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, project / name)
    if (ROOT / ".cache" / "photos").is_dir():  # renditions already encoded: a quick build
        shutil.copytree(ROOT / ".cache" / "photos", project / ".cache" / "photos")
    target = tmp_path / "www" / "news"

    first = invoke(project, "publish", "--target", str(target))
    assert first.returncode == 0, first.stderr
    release = os.readlink(target)
    assert f"Published release {Path(release).name} to {target} (was: nothing)." in first.stdout
    assert "CDN purge list (" in first.stdout and f"{SITE}/\n" in first.stdout

    (project / "content" / "articles" / "2024-06-16-second.md").write_text(
        "Title: Second story for releases\nDate: 2024-06-16 10:00\nCategory: Politics\n"
        "Tags: Kenya\nAuthors: Staff Reporter\nSummary: A second story.\n\nBody.\n",
        encoding="utf-8")
    second = invoke(project, "publish", "--target", str(target))
    assert second.returncode == 0, second.stderr
    purge = next(line for line in second.stdout.splitlines() if line.startswith("CDN purge"))
    assert purge.endswith(f"{Path(os.readlink(target)).name}.purge.txt")
    assert f"{SITE}/{NEW_STORY}" in second.stdout

    back = invoke(project, "rollback", "--target", str(target))
    assert back.returncode == 0, back.stderr
    assert os.readlink(target) == release
    assert f"to release {Path(release).name}." in back.stdout

    again = invoke(project, "rollback", "--target", str(target))
    assert again.returncode == 2
    assert "rollback: release" in again.stderr and "no earlier release" in again.stderr
