"""Lighthouse audit of the published site, served locally (`invoke audit`).

Builds with publishconf.py into a temporary folder, with SITEURL set to a
local preview server, serves it, and runs Lighthouse (mobile preset, the
default form factor) on the home page and the newest article. Prints the four
category scores and the Core Web Vitals LCP, CLS and TBT.

Not a test: the numbers depend on the machine's speed. Lighthouse comes from
npm (tools/node/package.json, installed with `npm ci`) and drives the
Chromium named by CHROME_PATH (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path

from lxml import html as lxml_html

from newsroom.dev.server import SiteRequestHandler

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_TOOLS = PROJECT_ROOT / "tools" / "node"
LIGHTHOUSE = NODE_TOOLS / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
METRICS = {
    "LCP": "largest-contentful-paint",
    "CLS": "cumulative-layout-shift",
    "TBT": "total-blocking-time",
}


class AuditFailed(Exception):
    pass


class QuietRequestHandler(SiteRequestHandler):
    """The preview server, without a log line per request."""

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        pass


def serve_quietly(root: Path, port: int) -> http.server.ThreadingHTTPServer:
    handler = partial(QuietRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_lighthouse() -> Path:
    """The pinned Lighthouse from tools/node, installed on first use."""
    if not LIGHTHOUSE.exists():
        if not shutil.which("npm"):
            raise AuditFailed("npm not found: install Node.js 18+ (apt-get install nodejs npm)")
        print("Installing Lighthouse into tools/node (npm ci) ...", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_TOOLS, check=True)
    return LIGHTHOUSE


def build_published(output: Path, site_url: str) -> None:
    # -e SITEURL reaches every absolute URL (newsroom/core/settings.py derives the rest).
    command = [
        sys.executable, "-m", "newsroom.build",
        "-s", str(PROJECT_ROOT / "publishconf.py"), "-o", str(output),
        "-e", f"SITEURL={site_url}",
    ]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise AuditFailed(f"build failed:\n{result.stderr.strip()}")


def newest_article_url(output: Path, site_url: str) -> str:
    home = lxml_html.fromstring((output / "index.html").read_bytes())
    links = home.xpath("//main//*[contains(@class,'lead-story__headline')]/a/@href")
    if not links:
        raise AuditFailed("the home page has no lead story to audit")
    href = links[0]
    return href if href.startswith("http") else site_url + "/" + href.lstrip("/")


def run_lighthouse(url: str, chrome_path: str, report: Path | None) -> dict:
    command = [
        str(ensure_lighthouse()), url,
        "--output=json", "--output-path=stdout", "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": chrome_path}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not result.stdout.strip():
        raise AuditFailed(f"Lighthouse failed on {url}:\n{result.stderr.strip()[-2000:]}")
    if report:
        report.write_text(result.stdout, encoding="utf-8")
    return json.loads(result.stdout)


def summarise(name: str, lhr: dict) -> dict:
    scores = {key: round((lhr["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}
    metrics = {label: lhr["audits"][audit_id]["numericValue"] for label, audit_id in METRICS.items()}
    failing = sorted(
        audit["title"]
        for category in lhr["categories"].values()
        for ref in category["auditRefs"]
        if ref.get("weight")
        for audit in [lhr["audits"][ref["id"]]]
        if audit.get("score") is not None and audit["score"] < 1
    )
    return {"page": name, "url": lhr["finalDisplayedUrl"], **scores, **metrics, "failing": failing}


def print_table(rows: list[dict]) -> None:
    header = f"{'page':<8} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'LCP':>8} {'CLS':>6} {'TBT':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['page']:<8} {row['performance']:>5} {row['accessibility']:>5} "
            f"{row['best-practices']:>5} {row['seo']:>5} {row['LCP'] / 1000:>7.2f}s "
            f"{row['CLS']:>6.3f} {row['TBT']:>5.0f}ms"
        )
    for row in rows:
        for title in row["failing"]:
            print(f"  {row['page']}: not passing: {title}")


def audit(chrome_path: str, reports: Path | None = None) -> list[dict]:
    port = free_port()
    site_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="audit-") as scratch:
        output = Path(scratch) / "site"
        build_published(output, site_url)
        httpd = serve_quietly(output, port)
        try:
            pages = {"home": site_url + "/", "article": newest_article_url(output, site_url)}
            rows = []
            for name, url in pages.items():
                report = reports / f"lighthouse-{name}.json" if reports else None
                rows.append(summarise(name, run_lighthouse(url, chrome_path, report)))
            return rows
        finally:
            httpd.shutdown()
            httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsroom.dev.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
    parser.add_argument("--reports", type=Path, default=None, help="folder for the full JSON reports")
    args = parser.parse_args(argv)
    if args.reports:
        args.reports.mkdir(parents=True, exist_ok=True)
    try:
        rows = audit(args.chrome, args.reports)
    except (AuditFailed, subprocess.CalledProcessError) as failure:
        print(f"audit: {failure}", file=sys.stderr)
        return 1
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
