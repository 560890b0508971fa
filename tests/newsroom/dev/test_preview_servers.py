"""Both preview servers bind to loopback and refuse paths that leave the site.

Requests go through a raw socket: HTTP client libraries normalise "/../"
away before sending, which would hide exactly the attacks tested here.
"""

from __future__ import annotations

import inspect
import socket
import subprocess
import sys
import time

import pytest

import tasks
from helpers.building import ROOT
from newsroom.dev import livereload, server

SECRET = "top-secret-outside-the-site"

HOSTILE_TARGETS = [
    "/../secret.txt",
    "/../../../../etc/passwd",
    "/..%2fsecret.txt",
    "/..%2Fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..\\secret.txt",
    "/\\..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/sub/../../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt",
    "/%00../secret.txt",
    "../secret.txt",
    "{absolute}/../secret.txt",
    "{absolute}/%2e%2e/secret.txt",
]


@pytest.fixture(scope="module")
def site_root(tmp_path_factory):
    """A tiny site with a secret file beside (outside) it."""
    base = tmp_path_factory.mktemp("preview")
    (base / "secret.txt").write_text(SECRET)
    root = base / "www"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>Home</title></head><body>home page</body></html>"
    )
    (root / "sub" / "page.txt").write_text("a page inside the site")
    (root / "404.html").write_text("<!doctype html><title>Not found</title>")
    return root


def raw_get(port: int, target: str) -> tuple[int, str]:
    """Send exactly ``GET target`` and return the status code and body."""
    target = target.replace("{absolute}", f"http://127.0.0.1:{port}")
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode("latin-1"))
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks).decode("utf-8", "replace")
    status = int(response.split(" ", 2)[1])
    return status, response


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def livereload_port(site_root):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsroom.dev.livereload", str(site_root), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the livereload preview did not start")
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module", params=["serve", "livereload"])
def preview_port(request, site_root, serve_site):
    if request.param == "serve":
        return serve_site(site_root).port
    return request.getfixturevalue("livereload_port")


def test_pages_inside_the_site_are_served(preview_port):
    status, body = raw_get(preview_port, "/")
    assert status == 200 and "home page" in body
    status, body = raw_get(preview_port, "/sub/page.txt")
    assert status == 200 and "a page inside the site" in body


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_paths_leaving_the_site_are_refused(preview_port, target):
    status, body = raw_get(preview_port, target)
    assert SECRET not in body
    assert "root:" not in body
    assert status in (400, 403, 404), f"{target}: {status}"


def test_missing_pages_get_the_site_404_page(preview_port):
    status, body = raw_get(preview_port, "/no-such-story/")
    assert status == 404
    assert "<title>Not found</title>" in body


def test_livereload_links_its_script_as_a_file(livereload_port):
    """The CSP forbids inline scripts, so the reload script is a same-origin file."""
    status, body = raw_get(livereload_port, "/")
    assert status == 200
    assert '<script src="/livereload.js" defer></script></head>' in body
    head = body.split("</head>")[0]
    assert head.count("<script") == 1
    assert raw_get(livereload_port, "/livereload.js")[0] == 200


def test_servers_bind_to_loopback_by_default(site_root):
    httpd = server.make_server(site_root, port=0)  # no host given
    try:
        assert httpd.server_address[0] == "127.0.0.1"
    finally:
        httpd.server_close()
    for function in (livereload.run_livereload,):
        assert inspect.signature(function).parameters["host"].default == "127.0.0.1"
    for task in (tasks.serve, tasks.livereload, tasks.reserve):
        assert inspect.signature(task.body).parameters["host"].default == "127.0.0.1"
