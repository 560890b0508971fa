"""Live preview: serve the output, rebuild on change, reload the browser.

Built on the `livereload` package (a small Tornado server) with two changes:

* the reload script is linked as a file (``/livereload.js``) instead of the
  package's inline ``<script>``, which the site's Content-Security-Policy
  would block; it is added only to pages this preview serves, never to the
  built files;
* requests whose path tries to leave the output folder, in raw or encoded
  form, are refused with 400 before Tornado looks at the disk (Tornado
  refuses them too, with 403; two checks cost nothing);
* changes are seen by ``newsroom.dev.watch`` (watchfiles) rather than by
  livereload's own polling of every watched file, and every batch of
  changes reloads the browsers as soon as its rebuild is done (livereload
  drops a change that comes within seconds of the last reload);
* while the last rebuild failed, every page the preview serves is a page
  that lists the problems (file, line, what to fix), so an editor sees
  them in the browser; the next good build reloads the real page.

``invoke livereload`` rebuilds through ``newsroom.dev.incremental``: a
worker process keeps the site in memory and renders only what a save
changes.

It binds to 127.0.0.1 unless told otherwise. What this leans on inside
livereload is in ``newsroom.compat.livereload``.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Callable
from pathlib import Path

from livereload.handlers import StaticFileHandler
from tornado import web

from newsroom.compat.livereload import AppServer, WatchfilesWatcher
from newsroom.dev.server import DEFAULT_HOST, DEFAULT_PORT, is_hostile_path


def problems_page(problems: list[str]) -> bytes:
    """The page shown instead of every page while the last build has failed."""
    items = "".join(f"<li><code>{html.escape(problem)}</code></li>" for problem in problems)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Build failed</title></head>"
        "<body style='font:1rem/1.5 system-ui,sans-serif;margin:2rem auto;max-width:48rem;"
        "padding:0 1rem'><h1>Build failed</h1>"
        f"<p>{len(problems)} problem(s). Fix them and save: this page reloads by itself. "
        "The published site is not affected.</p>"
        f"<ul style='padding-left:1.2rem'>{items}</ul></body></html>"
    ).encode("utf-8")


class SiteFileHandler(StaticFileHandler):
    """Static files from the output folder, traversal refused outright."""

    def initialize(self, path, default_filename=None, problems=None):
        super().initialize(path, default_filename)
        self.problems = problems or (lambda: [])

    def prepare(self):
        if is_hostile_path(self.request.uri):
            raise web.HTTPError(400, "bad request path")
        problems = self.problems()
        path = self.request.path
        if problems and (path.endswith(("/", ".html")) or "." not in path.rsplit("/", 1)[-1]):
            self.set_status(500)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(problems_page(problems))

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code, **kwargs):
        # Missing pages look as they will on the live site.
        page = Path(self.root) / "404.html"
        if status_code == 404 and page.is_file():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(page.read_bytes())
        else:
            super().write_error(status_code, **kwargs)


class ReloadScriptLink(web.OutputTransform):
    """Link livereload.js into HTML pages, just before </head>."""

    tag = b'<script src="/livereload.js" defer></script>'

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        if "html" in headers.get("Content-Type", "") and b"</head>" in chunk:
            chunk = chunk.replace(b"</head>", self.tag + b"</head>", 1)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(int(headers["Content-Length"]) + len(self.tag))
        return status_code, headers, chunk


class PreviewServer(AppServer):
    """livereload's Server with our file handler and a CSP-friendly script tag."""

    def __init__(self, *args, problems: Callable[[], list[str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = problems

    def site_handlers(self) -> list:
        return [(r"/(.*)", SiteFileHandler, {"path": self.root, "default_filename": "index.html",
                                             "problems": self.problems})]

    def site_transforms(self) -> list:
        return [ReloadScriptLink]


def run_livereload(
    root: Path,
    watched: list[Path],
    rebuild: Callable[[list[str]], object],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    problems: Callable[[], list[str]] | None = None,
) -> None:
    """Serve ``root``; on changes under ``watched``, ``rebuild(changed paths)``, then reload.

    ``problems()``: what the last rebuild found (shown instead of pages).
    """
    watcher = WatchfilesWatcher()
    server = PreviewServer(watcher=watcher, problems=problems)

    def on_change():
        rebuild(list(watcher.changed_paths))

    for path in watched:
        server.watch(str(path), on_change)
    print(f"Live preview at http://{host}:{port}/ (Ctrl+C to stop)")
    server.serve(root=str(root), host=host, port=port, open_url_delay=None, restart_delay=0)


def preview(settings: Path, output: Path, watched: list[Path], host: str = DEFAULT_HOST,
            port: int = DEFAULT_PORT, overrides: dict | None = None,
            search: bool = True) -> None:
    """``invoke livereload``: build in a worker that keeps the site in memory, serve, reload."""
    from newsroom.dev.incremental import PreviewWorker, print_build

    worker = PreviewWorker.for_settings(settings, output, overrides, search=search)
    print_build(worker.start())
    try:
        run_livereload(output, watched, lambda changed: print_build(worker.build(changed)),
                       host, port, problems=lambda: worker.problems)
    finally:
        worker.stop()


def main(argv=None) -> int:
    """Serve ROOT with live reload (used by the tests).

    Without ``--settings``, browsers reload when a file in ROOT changes and
    nothing is built. With it, ROOT is built from those settings (``-e``
    overrides, as for ``python -m newsroom.build``) and rebuilt on every
    change to the content or theme, as ``invoke livereload`` does.
    """
    parser = argparse.ArgumentParser(prog="python -m newsroom.dev.livereload")
    parser.add_argument("root")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("-s", "--settings", default=None)
    parser.add_argument("-e", "--setting", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-search", action="store_true")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if args.settings is None:
        run_livereload(root, [root], lambda changed: None, args.host, args.port)
        return 0
    from newsroom.build.driver import _parse_override
    from newsroom.dev.incremental import source_folders

    overrides = dict(_parse_override(text) for text in args.setting)
    watched = [*source_folders(Path(args.settings), overrides), Path(args.settings)]
    preview(Path(args.settings), root, watched, args.host, args.port, overrides,
            search=not args.no_search)
    return 0


if __name__ == "__main__":
    sys.exit(main())
