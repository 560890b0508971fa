"""Tasks for editors and developers: `invoke --list` shows them all.

Every build goes through `python -m newsroom.build`, the same code path the
tests use: Pelican, then the Pagefind index, then an atomic swap into the
output folder. A failed build names each problem and keeps the old site.
"""

import os
import shlex
import shutil
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
OUTPUT = ROOT / "output"
DEV_SETTINGS = ROOT / "pelicanconf.py"
PUBLISH_SETTINGS = ROOT / "publishconf.py"
WATCHED = [ROOT / "content", ROOT / "theme", ROOT / "plugins", DEV_SETTINGS, ROOT / "newsroom"]
PY = shlex.quote(sys.executable)


def _build(c, settings=DEV_SETTINGS, output=OUTPUT, warn=False):
    command = f"{PY} -m newsroom.build -s {shlex.quote(str(settings))} -o {shlex.quote(str(output))}"
    result = c.run(command, warn=True, pty=False)
    if result.failed and not warn:
        raise Exit(code=result.exited)
    return result.ok


@task
def clean(c):
    """Remove the output folder and the build caches."""
    for path in (OUTPUT, ROOT / ".cache"):
        if path.exists():
            shutil.rmtree(path)
            print(f"Removed {path.relative_to(ROOT)}")


@task
def build(c):
    """Build the site into output/ for local preview."""
    _build(c)


@task
def rebuild(c):
    """Clean, then build from scratch."""
    clean(c)
    build(c)


@task
def regenerate(c):
    """Rebuild what each change to content, theme, plugins or settings needs."""
    from newsroom.dev.incremental import PreviewWorker, print_build
    from newsroom.dev.watch import changes

    worker = PreviewWorker.for_settings(DEV_SETTINGS, OUTPUT)
    print_build(worker.start())
    print("Watching for changes (Ctrl+C to stop)")
    try:
        for changed in changes(WATCHED):
            print_build(worker.build(sorted(changed)))
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8000)"})
def serve(c, host="127.0.0.1", port=8000):
    """Serve the output folder at http://127.0.0.1:8000."""
    from newsroom.dev.server import serve as serve_site

    serve_site(OUTPUT, host, int(port))


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8000)"})
def reserve(c, host="127.0.0.1", port=8000):
    """Build, then serve."""
    build(c)
    serve(c, host=host, port=port)


@task
def preview(c):
    """Build with publishconf.py (absolute URLs, feeds) into output/."""
    _build(c, settings=PUBLISH_SETTINGS)


@task(help={"host": "address to bind (default 127.0.0.1)", "port": "port (default 8000)"})
def livereload(c, host="127.0.0.1", port=8000):
    """Serve, rebuild what each save changes, and reload the browser."""
    from newsroom.dev.livereload import preview

    preview(DEV_SETTINGS, OUTPUT, WATCHED, host=host, port=int(port))


@task(help={"target": "folder or rsync destination (user@host:path); default: PUBLISH_TARGET"})
def publish(c, target=None):
    """Build with publishconf.py, then publish: a new release of the TARGET folder, or rsync."""
    target = _publish_target(target, "publish")
    _build(c, settings=PUBLISH_SETTINGS)
    from newsroom.publish import releases

    settings = _publish_settings()
    try:
        if releases.is_rsync_target(target):
            result = releases.publish_rsync(
                OUTPUT, target, site_url=settings["site_url"],
                purge_dir=ROOT / ".cache" / "publish", theme_dir=settings["theme_dir"],
                photo_dir=settings["photo_dir"], keep=settings["keep"])
        else:
            result = releases.publish_folder(
                OUTPUT, Path(target), keep=settings["keep"], site_url=settings["site_url"],
                theme_dir=settings["theme_dir"], photo_dir=settings["photo_dir"])
    except (releases.PublishError, OSError) as error:
        raise Exit(f"publish: {error}", code=2) from None
    print(result.report())


@task(help={"target": "the folder `invoke publish` publishes to; default: PUBLISH_TARGET"})
def rollback(c, target=None):
    """Point TARGET back at the release before the live one (folder targets)."""
    target = _publish_target(target, "rollback")
    from newsroom.publish import releases

    if releases.is_rsync_target(target):
        raise Exit("rollback: rsync targets have no releases; publish an earlier "
                   "commit instead", code=2)
    settings = _publish_settings()
    try:
        result = releases.rollback_folder(
            Path(target), site_url=settings["site_url"], theme_dir=settings["theme_dir"],
            photo_dir=settings["photo_dir"])
    except (releases.PublishError, OSError) as error:
        raise Exit(f"rollback: {error}", code=2) from None
    print(result.report(rollback=True))


def _publish_target(target, command):
    target = target or os.environ.get("PUBLISH_TARGET") or _setting("PUBLISH_TARGET")
    if not target:
        raise Exit(
            f"{command}: no target. Give one with `invoke {command} --target PATH` "
            "(a folder, or user@host:path for rsync), set PUBLISH_TARGET in the "
            "environment, or set PUBLISH_TARGET in publishconf.py.",
            code=2,
        )
    return target


def _publish_settings():
    settings = _resolved_publish_settings()
    return {
        "site_url": settings["SITEURL"],
        "keep": int(settings["PUBLISH_KEEP_RELEASES"]),
        "theme_dir": settings["THEME_STATIC_DIR"],
        "photo_dir": settings["PHOTO_OUTPUT_DIR"],
    }


@task(
    positional=["headline"],
    auto_shortflags=False,  # -h stays --help
    help={
        "headline": "the story's headline, in quotes",
        "section": "its section, one of SECTIONS in pelicanconf.py",
        "author": "the byline (optional)",
    },
)
def new(c, headline, section=None, author=None):
    """Start a draft story: content/articles/YYYY-MM-DD-<slug>.md with its metadata."""
    from newsroom.dev.new_story import EXIT_REFUSED, NewStoryError, new_story
    from newsroom.core.problems import shown_path

    try:
        path = new_story(ROOT, headline, section, author)
    except NewStoryError as error:
        raise Exit(f"new: {error}", code=EXIT_REFUSED) from None
    print(shown_path(None, path, project_root=ROOT))


@task(help={"reports": "folder to keep the full Lighthouse JSON reports in"})
def audit(c, reports=None):
    """Lighthouse (mobile) on the home and article pages of a local publishing build."""
    command = f"{PY} -m newsroom.dev.audit"
    if reports:
        command += f" --reports {shlex.quote(str(reports))}"
    result = c.run(command, warn=True, pty=False)
    if result.failed:
        raise Exit(code=result.exited)


def _resolved_publish_settings():
    """publishconf.py with every default and derived value (newsroom/core/settings.py)."""
    from pelican.settings import read_settings

    from newsroom.core.settings import resolve

    return resolve(read_settings(str(PUBLISH_SETTINGS)))


def _setting(name):
    return _resolved_publish_settings()[name]
