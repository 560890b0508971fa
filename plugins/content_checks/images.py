"""Check that a linked image file really is a complete, reasonably sized image."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from newsroom.core.content_paths import IMAGE_SUFFIXES


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def image_problem(path: Path) -> str | None:
    """None for a good image, else what is wrong and how to fix it."""
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        # Pillow only warns between the limit and twice the limit; a photo
        # that large is a mistake or an attack either way.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                if image.format == "JPEG":
                    # Decoding at 1/8 scale still reads every byte of the
                    # stream, so truncation is found at a fraction of the cost.
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return (
                f"is larger than {limit:,} pixels (Pillow's decompression-bomb limit); "
                "resize it to at most 8000 pixels on the long side"
            )
        except UnidentifiedImageError:
            return (
                "is not an image (its name promises one); "
                "replace it with the JPEG, PNG or WebP file it should be"
            )
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            return f"is damaged or truncated ({error}); export or download it again"
    return None
