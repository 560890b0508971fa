"""Real web servers (nginx, Caddy) serving built sites with the configs in deploy/.

Helpers for tests/server/test_server_*.py. Each server runs from a
scratch folder that the server's worker user can enter (pytest's own
temporary folders are mode 700), on a free loopback port, with the shipped
file included by a minimal main configuration, as the host would:

* nginx: `deploy/nginx.conf` (or `nginx-subpath.conf`) inside a `server`
  block after listen, server_name and root, and the documented http-level
  `map $uri $newsroom_redirect { include .../redirects.map; }`. When the test
  runs as root, the master stays root and the workers run as `www-data`
  (`user www-data;`), as on a Debian host. `deploy/nginx-brotli.conf` is
  included when Debian's brotli module is installed.
* Caddy: `deploy/Caddyfile` (or `Caddyfile.subpath`) imported at the top,
  the snippet used in the site block after `root`, and the redirects written
  by `deploy/caddy_redirects.py`. As root, Caddy itself runs as `www-data`
  (setpriv): it needs no privilege for a high port.
"""

from __future__ import annotations

import gzip
import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX_BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
IN_CI = os.environ.get("CI", "").lower() == "true"

SHORT_CACHE = "public, max-age=300, must-revalidate"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
PERMISSIONS_POLICY_FEATURES = {"camera", "microphone", "geolocation", "payment", "usb"}


def require(tool: str, package: str, candidates: tuple[str, ...]) -> str:
    """The path of ``tool``, or a skip (a failure in CI, which installs it)."""
    found = shutil.which(tool) or next((c for c in candidates if os.access(c, os.X_OK)), None)
    if found:
        return found
    message = f"{tool} not found: apt-get install {package}"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_nginx() -> str:
    return require("nginx", "nginx", ("/usr/sbin/nginx",))


def require_caddy() -> str:
    return require("caddy", "caddy", ("/usr/bin/caddy",))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_user() -> str | None:
    """The unprivileged user servers run as when the tests run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return None


def scratch_dir(prefix: str) -> Path:
    """A folder every user may enter (755), unlike pytest's tmp_path (700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o755)
    return path


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return "(no log)"


@dataclass
class Site:
    """One built site as a server sees it."""

    output: Path  # the built folder (or the publish target: a symlink)
    prefix: str  # "/" or "/news/"
    port: int = 0
    docroot: Path | None = None  # what the server's root points at

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"


class Server:
    kind = ""

    def __init__(self, work: Path):
        self.work = work
        self.process: subprocess.Popen | None = None
        self.log = work / f"{self.kind}.log"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # both stop gracefully on TERM
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Nginx(Server):
    """One nginx master (and its workers) serving one site."""

    kind = "nginx"

    def __init__(self, work: Path, site: Site, brotli: bool):
        super().__init__(work)
        self.binary = require_nginx()
        self.site = site
        self.brotli = brotli
        self.workers = 2  # "auto" for one per core

    def main_config(self) -> str:
        site = self.site
        included = "nginx.conf" if site.prefix == "/" else "nginx-subpath.conf"
        redirects = site.output / "redirects.map"
        user = worker_user()
        lines = []
        if self.brotli:
            lines.append(f"load_module {NGINX_BROTLI_MODULE};")
        if user:
            lines.append(f"user {user};")
        temp = self.work / "temp"
        lines += [
            f"worker_processes {self.workers};",
            f"pid {self.work}/nginx.pid;",
            f"error_log {self.log} warn;",
            "events { worker_connections 1024; }",
            "http {",
            "    access_log off;",
            "    sendfile on;",
            "    tcp_nopush on;",
            "    keepalive_requests 100000;",
            *(f"    {kind}_temp_path {temp}/{kind};" for kind in
              ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            "    map $uri $newsroom_redirect {",
            '        default "";',
            f"        include {redirects};",
            "    }",
            "    server {",
            f"        listen 127.0.0.1:{site.port};",
            "        server_name localhost;",
            f"        root {site.docroot};",
            *([f"        include {DEPLOY / 'nginx-brotli.conf'};"] if self.brotli else []),
            f"        include {DEPLOY / included};",
            "    }",
            "}",
        ]
        return "\n".join(lines) + "\n"

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.work), "-c", str(self.work / "nginx.conf"),
                "-e", str(self.log), *extra]

    def start(self) -> "Nginx":
        (self.work / "temp").mkdir(exist_ok=True)
        (self.work / "nginx.conf").write_text(self.main_config(), encoding="utf-8")
        check = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}\n{self.main_config()}")
        self.process = subprocess.Popen(self.command("-g", "daemon off;"),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.site.port, self.process, self.log)
        return self

    def reload(self) -> None:
        """Re-read the configuration and redirects.map (what a host does after a publish)."""
        subprocess.run(self.command("-s", "reload"), check=True, capture_output=True)

    def worker_users(self) -> set[str]:
        return process_users(self.process.pid, children=True)


class Caddy(Server):
    """One Caddy process serving several sites (one site block each)."""

    kind = "caddy"

    def __init__(self, work: Path, sites: list[Site]):
        super().__init__(work)
        self.binary = require_caddy()
        self.sites = sites
        self.user = worker_user()
        self.admin_socket = work / "admin.sock"

    def main_config(self) -> str:
        data = self.work / "caddy-data"
        lines = [
            "{",
            f"\tadmin unix/{self.admin_socket}",  # for `caddy reload`, as after a publish
            "\tauto_https off",
            f"\tstorage file_system {data}",
            "}",
            f"import {self.work / 'Caddyfile'}",
            f"import {self.work / 'Caddyfile.subpath'}",
        ]
        for number, site in enumerate(self.sites):
            redirects = self.work / f"redirects-{number}.caddy"
            snippet = "newsroom" if site.prefix == "/" else "newsroom_subpath"
            lines += [
                f"http://127.0.0.1:{site.port} {{",
                "\tbind 127.0.0.1",
                f"\troot * {site.docroot}",
                f"\timport {redirects}",
                f"\timport {snippet}",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def write_redirects(self) -> None:
        """deploy/caddy_redirects.py on each site's redirects.map (after every publish)."""
        for number, site in enumerate(self.sites):
            subprocess.run(
                [sys.executable, str(DEPLOY / "caddy_redirects.py"),
                 str(site.output / "redirects.map"), str(self.work / f"redirects-{number}.caddy")],
                check=True, capture_output=True, text=True)

    def start(self) -> "Caddy":
        data = self.work / "caddy-data"
        data.mkdir(exist_ok=True)
        for name in ("Caddyfile", "Caddyfile.subpath"):
            shutil.copyfile(DEPLOY / name, self.work / name)  # readable by the worker user
            os.chmod(self.work / name, 0o644)
        self.write_redirects()
        config = self.work / "main.Caddyfile"
        config.write_text(self.main_config(), encoding="utf-8")
        env = {**os.environ, "HOME": str(data), "XDG_DATA_HOME": str(data),
               "XDG_CONFIG_HOME": str(data)}
        command = [self.binary, "run", "--config", str(config), "--adapter", "caddyfile"]
        if self.user:
            shutil.chown(data, self.user, self.user)
            shutil.chown(self.work, self.user, self.user)  # for its admin socket
            command = ["setpriv", f"--reuid={self.user}", f"--regid={self.user}",
                       "--clear-groups", *command]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, cwd=self.work)
        for site in self.sites:
            wait_for_port(site.port, self.process, self.log)
        return self

    def reload(self) -> None:
        """What a host does after a publish: new redirects, then a graceful reload."""
        self.write_redirects()
        subprocess.run([self.binary, "reload", "--config", str(self.work / "main.Caddyfile"),
                        "--adapter", "caddyfile", "--address", f"unix/{self.admin_socket}"],
                       check=True, capture_output=True, cwd=self.work)

    def worker_users(self) -> set[str]:
        # setpriv execs Caddy in its own place: the process is Caddy itself.
        return process_users(self.process.pid, children=False)


def process_users(pid: int, children: bool) -> set[str]:
    """Users of process ``pid`` (children=False) or of its child processes."""
    users = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))
        if (children and parent == pid) or (not children and int(entry.name) == pid):
            uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
            users.add(pwd.getpwuid(uid).pw_name)
    return users


# --- HTTP ---------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    path: str

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def media_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def decoded(self) -> bytes:
        encoding = self.header("Content-Encoding")
        if encoding == "gzip":
            return gzip.decompress(self.body)
        if encoding == "br":
            import brotli

            return brotli.decompress(self.body)
        assert encoding in ("", "identity"), encoding
        return self.body


class Client:
    """A keep-alive HTTP/1.1 client for one server (one per thread)."""

    def __init__(self, port: int, timeout: float = 10):
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str, headers: dict | None = None, method: str = "GET") -> Response:
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                             timeout=self.timeout)
            try:
                self.connection.request(method, path, headers={"Host": f"127.0.0.1:{self.port}",
                                                               **(headers or {})})
                answer = self.connection.getresponse()
                body = answer.read()
                if answer.will_close:
                    self.close()
                return Response(answer.status, answer.headers, body, path)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a kept-alive connection the server closed: once more
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- what the build wrote ---------------------------------------------------------------

def redirect_pairs(site_output: Path) -> list[tuple[str, str]]:
    """The (old, new) paths of a build's redirects.map, read by deploy/caddy_redirects.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("caddy_redirects", DEPLOY / "caddy_redirects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_map((site_output / "redirects.map").read_text(encoding="utf-8"))


def immutable_paths(site_output: Path) -> set[str] | None:
    """Site-relative paths immutable.txt lists (None: the build wrote no list)."""
    listing = site_output / "immutable.txt"
    if not listing.is_file():
        return None
    return {line.strip() for line in listing.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}


def site_files(site_output: Path) -> list[str]:
    return sorted(path.relative_to(site_output).as_posix()
                  for path in site_output.rglob("*") if path.is_file())


URL_IN_TEXT = r"[^\s\"'<>()&\\]+"


def internal_urls(text: str, base: str) -> set[str]:
    """Every absolute URL under ``base`` in a text body, fragment and query removed."""
    found = set()
    for match in re.finditer(re.escape(base) + URL_IN_TEXT + "|" + re.escape(base.rstrip("/")) + "(?=[\"'<\\s])", text):
        url = match.group(0).split("#", 1)[0].split("?", 1)[0]
        found.add(url)
    return found


def path_of(url: str) -> str:
    return urlsplit(url).path or "/"


@dataclass
class CrawlResult:
    responses: dict[str, Response] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    referrers: dict[str, str] = field(default_factory=dict)


TEXT_TYPES = ("text/html", "application/xml", "text/xml", "application/atom+xml",
              "application/rss+xml", "text/plain", "text/css")


def crawl(client: Client, site: Site, start: list[str]) -> CrawlResult:
    """Fetch ``start`` and every internal URL found in text bodies, breadth first."""
    result = CrawlResult()
    queue = list(start)
    seen = set(queue)
    base = site.url
    while queue:
        path = queue.pop(0)
        response = client.get(path)
        result.responses[path] = response
        if response.status != 200:
            result.failures.append(f"{path}: {response.status} (linked from "
                                   f"{result.referrers.get(path, 'the start')})")
            continue
        if response.media_type not in TEXT_TYPES:
            continue
        text = response.body.decode("utf-8", errors="replace")
        for url in internal_urls(text, base):
            target = path_of(url)
            if target not in seen:
                seen.add(target)
                result.referrers[target] = path
                queue.append(target)
    return result


def precompressed_variants(site_output: Path) -> list[str]:
    return sorted(p.relative_to(site_output).as_posix()[:-3]
                  for p in site_output.rglob("*.gz") if p.is_file())
