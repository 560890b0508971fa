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
  livereload's own polling of every watched file.

It binds to 127.0.0.1 unless told otherwise. What this leans on inside
livereload is in ``newsroom.compat.livereload``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from livereload.handlers import StaticFileHandler
from tornado import web

from newsroom.compat.livereload import AppServer, WatchfilesWatcher
from newsroom.dev.server import DEFAULT_HOST, DEFAULT_PORT, is_hostile_path


class SiteFileHandler(StaticFileHandler):
    """Static files from the output folder, traversal refused outright."""

    def prepare(self):
        if is_hostile_path(self.request.uri):
            raise web.HTTPError(400, "bad request path")

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

    def site_handlers(self) -> list:
        return [(r"/(.*)", SiteFileHandler, {"path": self.root, "default_filename": "index.html"})]

    def site_transforms(self) -> list:
        return [ReloadScriptLink]


def run_livereload(
    root: Path,
    watched: list[Path],
    rebuild: Callable[[], object],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
) -> None:
    server = PreviewServer(watcher=WatchfilesWatcher())
    for path in watched:
        server.watch(str(path), rebuild, delay=0.5)
    print(f"Live preview at http://{host}:{port}/ (Ctrl+C to stop)")
    server.serve(root=str(root), host=host, port=port, open_url_delay=None, restart_delay=0)


def main(argv=None) -> int:
    """Serve ROOT with live reload but no rebuilds (used by the tests).

    Browsers reload when a file in ROOT changes.
    """
    parser = argparse.ArgumentParser(prog="python -m newsroom.dev.livereload")
    parser.add_argument("root")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    root = Path(args.root)
    run_livereload(root, [root], lambda: None, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
