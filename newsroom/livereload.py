"""Live preview: serve the output, rebuild on change, reload the browser.

Uses the `livereload` package (a small Tornado server that injects its
reload script and refuses paths outside the root). The script is added only
to pages served by this preview, never to the built files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def run_livereload(
    root: Path,
    watched: list[Path],
    rebuild: Callable[[], object],
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    from livereload import Server

    server = Server()
    for path in watched:
        server.watch(str(path), rebuild, delay=0.5)
    print(f"Live preview at http://{host}:{port}/ (Ctrl+C to stop)")
    server.serve(root=str(root), host=host, port=port, open_url_delay=None, restart_delay=0)
