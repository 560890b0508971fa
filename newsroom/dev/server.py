"""Preview server for the built site.

A small static file server for ``invoke serve``: it binds to 127.0.0.1
unless told otherwise, serves ``404.html`` for missing pages, and refuses
(400) any request whose path tries to leave the output folder, in raw or
percent-encoded form (``/../``, ``%2e%2e/``, ``%252e``, backslashes, NUL).
"""

from __future__ import annotations

import argparse
import http.server
import sys
from functools import partial
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_hostile_path(raw_path: str) -> bool:
    """True when a request path could escape the site root once decoded."""
    path = urlsplit(raw_path).path
    # Decode repeatedly so double-encoded forms (%252e%252e) are seen too.
    for _ in range(4):
        if "\\" in path or "\x00" in path:
            return True
        if any(segment in ("..", ".") for segment in path.split("/")[1:]):
            return True
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    else:
        return True  # still encoded after several rounds: refuse
    return not path.startswith("/")


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Static files from the site root, with traversal refused outright."""

    server_version = "NewsroomPreview"
    sys_version = ""

    def send_head(self):
        if is_hostile_path(self.path):
            self.send_error(400, "Bad request path")
            return None
        target = Path(self.translate_path(self.path))
        root = Path(self.directory).resolve()
        try:
            resolved = target.resolve()
        except OSError:
            self.send_error(400, "Bad request path")
            return None
        if resolved != root and root not in resolved.parents:
            self.send_error(403, "Outside the site")
            return None
        if not resolved.exists():
            return self._not_found(root)
        return super().send_head()

    def _not_found(self, root: Path):
        page = root / "404.html"
        if not page.is_file():
            self.send_error(404, "Not found")
            return None
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return BytesIO(body)

    def end_headers(self):
        # Previews must show the latest build, never a cached copy.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        sys.stderr.write(f"{self.address_string()} {format % args}\n")


def make_server(root: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
    handler = partial(SiteRequestHandler, directory=str(root))
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(root: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    root = Path(root)
    if not root.is_dir():
        raise SystemExit(f"error: {root} does not exist; run `invoke build` first")
    httpd = make_server(root, host, port)
    print(f"Serving {root} at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsroom.dev.server")
    parser.add_argument("root", nargs="?", default="output")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    serve(Path(args.root), args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
