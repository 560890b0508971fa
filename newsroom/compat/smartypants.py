"""Where the site leans on smartypants' internals (checked against smartypants 2.0.2).

typogrify (``TYPOGRIFY = True``) runs ``smartypants.smartypants`` on every
story body, headline and standfirst. That function cuts the HTML into tags
and text and passes each piece of text through up to six helpers
(``process_escapes``, the dash, ellipsis and backtick converters and
``convert_quotes``), some 25 ``re.sub``/``re.compile`` calls per piece. The
patterns are not compiled again (Python's ``re`` cache holds them: a build
compiles about 320 patterns once each, under the cache's 512), but each call
formats its pattern string anew and looks it up in that cache, and most
pieces (the newline between two paragraphs, a sentence without quotes) can
never match: every pattern of a helper contains one of a few literal
characters.

* ``skip_text_without_triggers``: replaces those helpers in the
  ``smartypants`` module by wrappers that return a piece of text unchanged,
  without calling the helper, when it contains none of that helper's
  characters (``TRIGGERS``). ``smartypants.smartypants`` looks the helpers
  up as module globals on every call, so it uses the wrappers. The output
  is the same by construction; only calls that could not change anything
  are skipped.

* ``set_pelican_dashes``: what Pelican's ``Readers.read_file`` sets in
  ``smartypants.Attr.default`` before it runs typogrify (``TYPOGRIFY_DASHES``),
  for code that runs typogrify the way the reader does.

Relies on: the helpers' names, that ``smartypants.smartypants`` calls them
by those names, and that each helper changes only text containing one of
its ``TRIGGERS``. Installed only for the version checked
(``CHECKED_VERSION``); with any other version smartypants is left as it is
(slower, same output) and tests/newsroom/compat/test_compat.py fails until
someone checks the new version and updates this module.
"""

from __future__ import annotations

import functools

CHECKED_VERSION = "2.0.2"

# helper name -> strings of which every pattern of the helper contains one
TRIGGERS = {
    "process_escapes": ("\\",),
    "convert_dashes": ("--",),
    "convert_dashes_oldschool": ("--",),
    "convert_dashes_oldschool_inverted": ("--",),
    "convert_ellipses": (".",),
    "convert_backticks": ("``", "''"),
    "convert_single_backticks": ("`", "'"),
    "convert_quotes": ("'", '"'),
}


def _skipping(helper, triggers):
    @functools.wraps(helper)
    def wrapper(text):
        for trigger in triggers:
            if trigger in text:
                return helper(text)
        return text

    wrapper.skips_text_without = triggers
    return wrapper


def skip_text_without_triggers() -> bool:
    """Install the wrappers (once per process); False if this smartypants is unchecked."""
    import smartypants

    if getattr(smartypants, "__version__", None) != CHECKED_VERSION:
        return False
    for name, triggers in TRIGGERS.items():
        helper = getattr(smartypants, name)
        if getattr(helper, "skips_text_without", None) is None:
            setattr(smartypants, name, _skipping(helper, triggers))
    return True


def set_pelican_dashes(settings) -> None:
    """Set smartypants' defaults as Pelican's reader does before typogrify."""
    import smartypants

    dashes = settings.get("TYPOGRIFY_DASHES")
    if dashes == "oldschool":
        smartypants.Attr.default = smartypants.Attr.set2
    elif dashes == "oldschool_inverted":
        smartypants.Attr.default = smartypants.Attr.set3
    else:
        smartypants.Attr.default = smartypants.Attr.set1
    # Pelican also turns &quot; entities into smart quotes.
    smartypants.Attr.default |= smartypants.Attr.w
