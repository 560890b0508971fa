"""Serve a built folder over HTTP, with the preview server, on a free loopback port."""

from __future__ import annotations

import threading
from pathlib import Path


class ServedSite:
    """A built site served by the preview server on a free loopback port."""

    def __init__(self, root: Path):
        from newsroom.dev.server import make_server

        self.root = root
        self.httpd = make_server(root, "127.0.0.1", 0)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
