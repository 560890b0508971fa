"""deploy/ without a server: the policies the configs repeat, and caddy_redirects.py.

Fast checks that need neither nginx nor Caddy (so no `server` marker); the
servers themselves are tested in test_server_hosting.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers.building import ROOT
from helpers.hosting import DEPLOY


def load_caddy_redirects():
    import importlib.util

    spec = importlib.util.spec_from_file_location("caddy_redirects", DEPLOY / "caddy_redirects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONFIGS = ["nginx.conf", "nginx-subpath.conf", "Caddyfile", "Caddyfile.subpath"]


def settings():
    from pelican.settings import read_settings

    return read_settings(str(ROOT / "publishconf.py"))


@pytest.mark.parametrize("name", CONFIGS)
def test_configs_send_the_pages_policy_plus_frame_ancestors(name):
    text = (DEPLOY / name).read_text(encoding="utf-8")
    policy = "; ".join(settings()["CONTENT_SECURITY_POLICY"]) + "; frame-ancestors 'none'"
    found = set(re.findall(r'Content-Security-Policy "([^"]*)"', text))
    assert found == {policy}, f"deploy/{name}: keep it equal to CONTENT_SECURITY_POLICY"
    assert settings()["REFERRER_POLICY"] in text


@pytest.mark.parametrize("name", CONFIGS)
def test_configs_cache_the_content_named_files_for_a_year(name):
    text = (DEPLOY / name).read_text(encoding="utf-8")
    assert "public, max-age=31536000, immutable" in text
    assert "public, max-age=300, must-revalidate" in text
    for pattern in (r"images/renditions/", r"\.pf_fragment", r"\.pf_meta", r"\.[0-9a-f]{8,}\.(css|js)"):
        assert pattern in text, f"deploy/{name} lacks {pattern}"


MAP = """\
# Old path -> new path, one per line, for nginx's map directive (README,
# "Redirects"). Written by the build from the stories' Redirect_from lines.
/2024/06/old/ /2024/06/new/;
/legacy /2024/06/new/;
/news/x.html /2024/06/new/;
"""


def test_redirects_map_becomes_caddy_redir_lines(tmp_path):
    source = tmp_path / "redirects.map"
    source.write_text(MAP, encoding="utf-8")
    result = subprocess.run([sys.executable, str(DEPLOY / "caddy_redirects.py"), str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "redirects.caddy").read_text(encoding="utf-8")
    lines = [line for line in written.splitlines() if not line.startswith("#")]
    assert lines == [
        "redir /2024/06/old/ /2024/06/new/ 301",
        "redir /legacy /2024/06/new/ 301",
        "redir /news/x.html /2024/06/new/ 301",
    ]
    assert oct((tmp_path / "redirects.caddy").stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".redirects.caddy.*"))
    to_stdout = subprocess.run([sys.executable, str(DEPLOY / "caddy_redirects.py"), str(source), "-"],
                               capture_output=True, text=True)
    assert to_stdout.stdout == written


def test_an_empty_map_gives_an_empty_list():
    assert load_caddy_redirects().parse_map("# only comments\n\n") == []


@pytest.mark.parametrize("line", [
    "/old /new",  # no semicolon
    "/old;",  # one path
    "/old /new extra;",
    "old /new;",  # not a site path
    "/old {\n}\n/x /y;",
    "/old /new}; import /etc/passwd",
    "/o ld /new;",
    "/old https://elsewhere.example/;",
])
def test_lines_that_could_change_the_caddyfile_are_refused(tmp_path, line):
    source = tmp_path / "redirects.map"
    source.write_text(f"/fine /ok/;\n{line}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(DEPLOY / "caddy_redirects.py"), str(source),
                             str(tmp_path / "out.caddy")], capture_output=True, text=True)
    assert result.returncode == 1
    assert "redirects.map:2:" in result.stderr
    assert not (tmp_path / "out.caddy").exists()
