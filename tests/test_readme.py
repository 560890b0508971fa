"""The README's commands stay true: CI runs exactly its test command."""

from __future__ import annotations

import re

from helpers.building import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Setup on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", setup)


def test_readme_has_two_setup_commands():
    serve, test = readme_commands()
    assert "invoke build serve" in serve
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = readme_commands()
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == test
