"""Plain-text metadata: escaped once when read, un-escaped where it is used as text.

The contract between the story reader and the plugins that read these fields:

* Pelican treats every metadata value as HTML: templates print
  ``article.title`` as markup and typogrify rewrites it. So the story reader
  (plugins/content_checks/reader.py) passes each field named in
  ``PLAIN_TEXT_METADATA`` (Title, Image_alt, Image_caption) through
  ``escape_plain_metadata`` as it reads it, before Pelican's typogrify:
  ``<script>`` in a headline reaches the page as text, and the curly quotes
  and dashes still apply.
* A plugin that needs such a field as the text the editor wrote calls
  ``unescape_plain_metadata``: the photos plugin reads the lead photo's
  alt text and caption that way, and escapes them again in its own markup.
  It is the exact inverse: ``unescape_plain_metadata(escape_plain_metadata(s))
  == s`` for every string.
* A plugin that hands such a field to another without the reader having
  escaped it (writer_profiles: ``Photo_alt`` becomes the photos plugin's
  ``Image_alt``) escapes it with ``escape_plain_metadata`` first, so every
  value arrives in the same form.

Only ``&``, ``<`` and ``>`` are escaped; quotes are left as they are, for
typogrify to curl.
"""

from __future__ import annotations

import html


def escape_plain_metadata(value: str) -> str:
    """A plain-text field as the HTML Pelican expects (``&``, ``<``, ``>`` escaped)."""
    return html.escape(value, quote=False)


def unescape_plain_metadata(value) -> str | None:
    """The text of a field ``escape_plain_metadata`` escaped; None if it is not a string."""
    return html.unescape(value) if isinstance(value, str) else None
