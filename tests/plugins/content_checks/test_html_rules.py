"""plugins/content_checks/html_rules.py: ``target_kind`` reads a link as a browser would."""

from __future__ import annotations

import pytest
from markdown.util import AMP_SUBSTITUTE

from plugins.content_checks.html_rules import target_kind


@pytest.mark.parametrize("value, kind", [
    ("https://example.org/", "https"),
    ("HTTPS://example.org/", "https"),  # schemes are case-insensitive
    ("http://example.org/", "http"),
    ("mailto:desk@example.org", "mailto"),
    ("tel:+254700000000", "tel"),
    ("data:text/html,x", "data"),
    ("vbscript:msgbox(1)", "vbscript"),
    ("{filename}2024-06-01-story.md", "intrasite"),
    ("|filename|2024-06-01-story.md", "intrasite"),  # Pelican's older spelling
    ("{static}/images/a.jpg", "intrasite"),
    ("{attach}report.pdf", "intrasite"),
    ("{tag}kenya", "indicator"),
    ("{index}", "indicator"),
    ("#notes", "fragment"),
    ("/about/", "site"),
    ("\\about", "site"),  # a backslash is a slash to browsers
    ("//evil.example/", "network"),
    ("/\\evil.example/", "network"),
    ("\\\\evil.example/", "network"),
    ("2024-06-01-story.md", "relative"),
    ("../images/a.jpg", "relative"),
    ("", "relative"),
])
def test_kinds(value, kind):
    assert target_kind(value) == (kind, value)


@pytest.mark.parametrize("value", [
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",  # spaces and C0 controls at the ends are dropped
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",  # tabs and line breaks anywhere are dropped
    "java\nscript:alert(1)",
    "java&#9;script:alert(1)",  # character references are decoded first
    "&#106;avascript:alert(1)",
    "java&Tab;script&colon;alert(1)",
])
def test_hidden_javascript_is_found(value):
    kind, cleaned = target_kind(value)
    assert kind == "javascript"
    assert cleaned.lower() == "javascript:alert(1)"


def test_markdowns_obfuscated_email_autolink_is_a_mailto_link():
    # <desk@example.org> becomes character references behind Markdown's own
    # placeholder for "&".
    value = "".join(f"{AMP_SUBSTITUTE}#{ord(c)};" for c in "mailto:") + "desk@example.org"
    assert target_kind(value) == ("mailto", "mailto:desk@example.org")
