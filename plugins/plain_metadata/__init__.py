"""plain_metadata: article text is text, not HTML.

Hooks ``readers_init`` and replaces Pelican's Markdown reader with one that

* HTML-escapes the plain-text metadata fields (Title and the other fields
  listed in ``PLAIN_TEXT_METADATA``) before Pelican runs typogrify on them,
  so ``<script>`` in a title reaches the page as text and ``&`` as ``&amp;``;
* turns off raw HTML in Markdown bodies and summaries: editors write
  Markdown, and any ``<tag>`` they type is shown as text. Photos, links and
  emphasis all have Markdown syntax; embeds are not supported.

After this plugin, ``article.title`` is always safe HTML (escaped text plus
typogrify's spans); templates print it as-is in the page body and through the
``plain`` filter wherever text is needed.
"""

from html import escape

from markdown.extensions import Extension
from pelican import signals
from pelican.readers import MarkdownReader

DEFAULT_PLAIN_TEXT_METADATA = ("title", "image_alt", "image_caption")


class NoRawHtml(Extension):
    """Markdown extension that treats raw HTML as text."""

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API name)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


class PlainMetadataMarkdownReader(MarkdownReader):
    """Markdown reader that escapes raw HTML in bodies and text metadata."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extensions = self.settings["MARKDOWN"].setdefault("extensions", [])
        if not any(isinstance(ext, NoRawHtml) for ext in extensions):
            extensions.append(NoRawHtml())

    def process_metadata(self, name, value):
        plain_fields = self.settings.get(
            "PLAIN_TEXT_METADATA", DEFAULT_PLAIN_TEXT_METADATA
        )
        if name in plain_fields and isinstance(value, str):
            value = escape(value, quote=False)
        return super().process_metadata(name, value)


def replace_markdown_reader(readers):
    for ext in PlainMetadataMarkdownReader.file_extensions:
        readers.reader_classes[ext] = PlainMetadataMarkdownReader


def register():
    signals.readers_init.connect(replace_markdown_reader)
