"""Where the site leans on typogrify's internals (checked against typogrify 2.1.0).

Pelican runs ``typogrify.filters.typogrify`` on every story body, headline
and standfirst. Most of its time goes to a few ``re.sub`` calls whose
patterns are tried at every character of the text, although they can only
match at a few places. ``install`` replaces four of the filters in the
``typogrify.filters`` module by functions with the same output for every
string (``str``; anything else goes to the original function):

* ``widont``: a match of its pattern ends at a closing block tag (``</p>``,
  ``</h1>``..``</h6>``, ``</li>``, ``</dt>``, ``</dd>``) or at the end of the
  text; before that come only white space and closing inline tags, one word,
  white space, and one character or a tag ending in ``>``. The function
  finds those ends, reads back from each (``_WIDONT_TAIL`` on the reversed
  text) to the only places where a match can start, and takes the match
  there from typogrify's own pattern, left to right as ``re.sub`` does.
* ``initial_quotes``: a match starts at position 0 or at an opening block
  tag (``_QUOTE_STARTS``, which also needs a quote or ``&`` after the tag
  and any opening inline tags); typogrify's pattern is tried there only.
  Text without ``"``, ``'`` or ``&`` is returned unchanged.
* ``caps``: every match of its pattern holds two capitals with only digits,
  or a dot and at most one white space, between them (``CAPS_NEEDS``). Text
  without that is returned unchanged; otherwise typogrify's steps run
  (``smartypants._tokenize``, the skipped ``kbd``/``script`` tags), with the
  pattern applied only to the pieces of text that have it.
* ``amp``: text where its ``&`` pattern finds nothing is returned
  unchanged. Otherwise the pattern is applied, as typogrify does, to the
  text between the tags its tag pattern finds (from left to right), not
  to the tags; a ``<`` that starts no tag makes no difference there, as no
  match of the ``&`` pattern holds a ``<``.

The patterns are not written again: ``_patterns`` takes typogrify's from the
original functions' constants and compiles them with the originals' flags
(so they are the very objects in ``re``'s cache).

Relies on: the filters' names, that ``typogrify.filters.typogrify`` (through
``applyfilters``) looks them up as module globals, their pattern strings
and flags (each found by how it starts), ``smartypants._tokenize`` for
``caps``, and the replacements the filters make (``_cap_wrapper``,
``_quote_wrapper``, ``\\1&nbsp;\\2``, the ``amp`` span), written again here.
Installed only for the version checked (``CHECKED_VERSION``); with any other
version typogrify is left as it is (slower, same output) and
tests/newsroom/compat/test_compat.py fails until someone checks the new
version with tests/newsroom/compat/test_typogrify.py, which compares every
filter and ``typogrify()`` with a pristine copy of typogrify's module on its
doctests, stories and fuzzed HTML.
"""

from __future__ import annotations

import re

CHECKED_VERSION = "2.1.0"
FILTERS = ("amp", "caps", "initial_quotes", "widont")

# Two capitals with only digits, or a dot and at most one white space,
# between them: part of every match of caps' pattern (both alternatives).
CAPS_NEEDS = re.compile(r"[A-Z](?:\d*|\.\s?)[A-Z]")
# Where a match of initial_quotes' pattern can start, besides position 0: an
# opening block tag, then white space and opening inline tags, then a quote
# (or an entity).
_QUOTE_STARTS = re.compile(
    r"<(?=(?:p|h[1-6]|li|dt|dd)[^>]*>\s*(?:<(?:a|em|span|strong|i|b)[^>]*>\s*)*[\"'&])")
# Where a match of widont's pattern can end, besides the end of the text.
_WIDONT_ENDS = re.compile(r"</(?:p|h[1-6]|li|dt|dd)>")
# Read backwards from such an end (on the reversed text), what comes before
# it: white space and closing inline tags (</a>, </em>, </span>, </strong>,
# </i>, </b>, reversed), a word, white space and a character or the ">" of a tag.
_WIDONT_TAIL = re.compile(
    r"(?:\s|>a/<|>me/<|>naps/<|>gnorts/<|>i/<|>b/<)*[^<>\s]+\s+[^<\s]").match

ORIGINALS: dict = {}  # name -> typogrify's own function, set by _patterns
_WIDONT = _CAP_FINDER = _SKIPPED_TAG = _QUOTE_FINDER = _AMP_FINDER = _AMP_TAG = None
_AMP_REPLACEMENT = r"""\1<span class="amp">&amp;</span>\3"""


def installed_version() -> str | None:
    try:
        import typogrify
    except ImportError:
        return None
    version = getattr(typogrify, "__version__", None)
    if version is None:
        from importlib.metadata import PackageNotFoundError, version as dist_version

        try:
            version = dist_version("typogrify")
        except PackageNotFoundError:
            return None
    return version


def _constant(function, start: str) -> str:
    """The one string constant of ``function`` that starts with ``start``."""
    found = [c for c in function.__code__.co_consts
             if isinstance(c, str) and c.lstrip().startswith(start)]
    if len(found) != 1:
        raise LookupError(f"{function.__name__}: {len(found)} constants start with {start!r}")
    return found[0]


def _patterns() -> bool:
    """Take the originals and compile their patterns (once); False if not found."""
    global _WIDONT, _CAP_FINDER, _SKIPPED_TAG, _QUOTE_FINDER, _AMP_FINDER, _AMP_TAG
    if ORIGINALS:
        return True
    from typogrify import filters

    originals = {}
    for name in FILTERS:
        function = getattr(filters, name)
        originals[name] = getattr(function, "__wrapped__", function) if getattr(
            function, "newsroom_fast", False) else function
    try:
        widont = re.compile(_constant(originals["widont"], "((?:</?(?:a|em"), re.VERBOSE)
        cap_finder = re.compile(_constant(originals["caps"], "(\n"), re.VERBOSE)
        skipped_tag = re.compile(_constant(originals["caps"], "<(/)?(?:kbd|script)"),
                                 re.IGNORECASE)
        quote_finder = re.compile(_constant(originals["initial_quotes"], "((<(p|h[1-6]"),
                                  re.VERBOSE)
        amp_finder = re.compile(_constant(originals["amp"], r"(\s|&nbsp;)(&"))
        amp_tag = re.compile(_constant(originals["amp"], r"</?\w+("))
    except LookupError:
        return False
    _WIDONT, _CAP_FINDER, _SKIPPED_TAG = widont, cap_finder, skipped_tag
    _QUOTE_FINDER, _AMP_FINDER, _AMP_TAG = quote_finder, amp_finder, amp_tag
    for name, fast in _FAST.items():
        fast.__wrapped__ = originals[name]
    ORIGINALS.update(originals)
    return True


# --- widont -------------------------------------------------------------------------

def _widont_starts(text: str, reversed_text: str, end: int):
    """Where a match of widont's pattern ending at ``end`` could start.

    Read backwards (``_WIDONT_TAIL`` on the reversed text): white space and
    closing inline tags, a word (no ``<``, ``>`` or white space), white
    space, then either one character that is not ``<``, ``>`` or white
    space, or the ``>`` of a tag, which may start at any ``<`` after the
    ``>`` before it (its ``[^>]*`` may hold a ``<``). The pattern itself
    decides which of these match.
    """
    found = _WIDONT_TAIL(reversed_text, len(text) - end)
    if found is None:
        return ()
    at = len(text) - found.end()
    if text[at] != ">":
        return (at,)
    tag_end = at
    starts = []
    at = text.find("<", text.rfind(">", 0, tag_end) + 1, tag_end)
    while at != -1:
        starts.append(at)
        at = text.find("<", at + 1, tag_end)
    return starts


def widont(text):
    if type(text) is not str or not (ORIGINALS or _patterns()):
        return _original("widont")(text)
    ends = [m.start() for m in _WIDONT_ENDS.finditer(text)]
    ends.append(len(text))
    reversed_text = text[::-1]
    starts = (start for end in ends for start in _widont_starts(text, reversed_text, end))
    return _replace_at(text, starts, _WIDONT.match,
                       lambda found: (found.group(1), "&nbsp;", found.group(2)))


def _replace_at(text: str, starts, match, pieces) -> str:
    """``re.sub`` of ``match``'s pattern, tried only at ``starts`` (increasing).

    Left to right as ``re.sub`` goes: a start inside the last match is
    skipped; each match is replaced by the strings ``pieces(match)`` gives.
    """
    parts = []
    done = 0
    for start in starts:
        if start < done:
            continue
        found = match(text, start)
        if found is not None:
            parts += (text[done:start], *pieces(found))
            done = found.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# --- caps ---------------------------------------------------------------------------

def _cap_wrapper(found):
    if found.group(2):
        return """<span class="caps">%s</span>""" % found.group(2)
    caps = found.group(3)
    if caps[-1] == " ":
        return """<span class="caps">{}</span>{}""".format(caps[:-1], " ")
    return """<span class="caps">{}</span>{}""".format(caps, "")


def caps(text):
    if type(text) is not str or not (ORIGINALS or _patterns()):
        return _original("caps")(text)
    if CAPS_NEEDS.search(text) is None:
        return text
    import smartypants

    result = []
    in_skipped_tag = False
    needs = CAPS_NEEDS.search
    for kind, token in smartypants._tokenize(text):
        if kind == "tag":
            result.append(token)
            close_match = _SKIPPED_TAG.match(token)
            in_skipped_tag = bool(close_match and close_match.group(1) is None)
        elif in_skipped_tag or needs(token) is None:
            result.append(token)
        else:
            result.append(_CAP_FINDER.sub(_cap_wrapper, token))
    return "".join(result)


# --- initial_quotes -----------------------------------------------------------------

def initial_quotes(text):
    if type(text) is not str or not (ORIGINALS or _patterns()):
        return _original("initial_quotes")(text)
    if '"' not in text and "'" not in text and "&" not in text:
        return text
    starts = [m.start() for m in _QUOTE_STARTS.finditer(text)]
    if not starts or starts[0]:
        starts.insert(0, 0)
    return _replace_at(text, starts, _QUOTE_FINDER.match, _quote_pieces)


def _quote_pieces(found) -> tuple:
    classname, quote = ("dquo", found.group(7)) if found.group(7) else ("quo", found.group(8))
    return found.group(1), '<span class="', classname, '">', quote, "</span>"


# --- amp ----------------------------------------------------------------------------

def amp(text):
    if type(text) is not str or not (ORIGINALS or _patterns()):
        return _original("amp")(text)
    if "&" not in text or _AMP_FINDER.search(text) is None:
        return text
    # The text amp rewrites lies between the tags its tag pattern finds, left
    # to right (a "<" that starts none is text, where no "&" match crosses).
    parts = []
    done = start = 0
    find, sub = text.find, _AMP_FINDER.sub
    for tag in _AMP_TAG.finditer(text):
        end = tag.start()
        if find("&", start, end) != -1:
            parts += (text[done:start], sub(_AMP_REPLACEMENT, text[start:end]))
            done = end
        start = tag.end()
    if find("&", start) != -1:
        parts += (text[done:start], sub(_AMP_REPLACEMENT, text[start:]))
        done = len(text)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# --- installing ---------------------------------------------------------------------

_FAST = {"amp": amp, "caps": caps, "initial_quotes": initial_quotes, "widont": widont}
for _fast in _FAST.values():
    _fast.newsroom_fast = True


def _original(name):
    if not (ORIGINALS or _patterns()):
        raise RuntimeError(f"typogrify.filters.{name}: its patterns were not found")
    return ORIGINALS[name]


def install() -> bool:
    """Put the faster filters in ``typogrify.filters`` (once per process).

    False, and typogrify left as it is, if this typogrify is not the checked
    version or its patterns are not found.
    """
    if installed_version() != CHECKED_VERSION or not _patterns():
        return False
    from typogrify import filters

    for name, fast in _FAST.items():
        if getattr(filters, name) is not fast:
            setattr(filters, name, fast)
    return True
