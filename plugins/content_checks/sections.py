"""The ``SECTIONS`` setting: a list of names, or a dict of name -> description.

Both forms iterate over the names in navigation order and answer
``name in SECTIONS``, so templates and checks that only need names read it
the same way; the section page (``category.html``) also shows the
description. Anything else (a list of pairs, a number as a description)
would quietly drop sections from the navigation, so it fails the build.
"""

from __future__ import annotations

from newsroom.core.problems import report_problem

FORMS = ('write SECTIONS as a list of names, ["News", "World"], or as a dict of name -> '
         'description, {"News": "The day\'s news.", "World": ""}')


def check_sections_setting(pelican) -> None:
    sections = pelican.settings["SECTIONS"]
    if sections is None:
        return
    if isinstance(sections, dict):
        bad = [f"{name!r}: {text!r}" for name, text in sections.items()
               if not isinstance(name, str) or not name.strip()
               or not isinstance(text, (str, type(None)))]
    elif isinstance(sections, (list, tuple)):
        bad = [repr(name) for name in sections if not isinstance(name, str) or not name.strip()]
    else:
        bad = [repr(sections)]
    if bad:
        report_problem("pelicanconf.py", None, f"SECTIONS entry {bad[0]} is not a section; {FORMS}")
