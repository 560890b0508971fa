"""Fixtures of the plugin tests."""

from __future__ import annotations

import pytest

from helpers.discovery import build_discovery_site


@pytest.fixture(scope="session")
def discovery_site(tmp_path_factory):
    """The publishing build with the Discovery test stories (helpers/discovery.py)."""
    result = build_discovery_site(tmp_path_factory.mktemp("discovery"))
    assert result.returncode == 0, result.stderr
    return result
