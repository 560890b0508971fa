"""Draw the publisher logo used in structured data (theme/static/images/logo.png).

Search engines show the publisher logo next to stories and want it at least
112x112 px. The mark is drawn from rectangles, not a font, so the file is the
same on every machine. Run: .venv/bin/python scripts/make_publisher_logo.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 512
ACCENT = (163, 23, 30)  # --accent in theme/static/css/site.css
PAPER = (255, 255, 255)
TARGET = Path(__file__).resolve().parent.parent / "theme" / "static" / "images" / "logo.png"


def draw_logo() -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), ACCENT)
    draw = ImageDraw.Draw(image)
    # A heavy "L" for The Ledger, its foot resting on a ledger's double rule.
    draw.rectangle((150, 96, 230, 360), fill=PAPER)
    draw.rectangle((150, 300, 362, 360), fill=PAPER)
    draw.rectangle((110, 392, 402, 402), fill=PAPER)
    draw.rectangle((110, 416, 402, 426), fill=PAPER)
    return image


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    draw_logo().save(TARGET, format="PNG", optimize=True)
    print(f"wrote {TARGET.relative_to(TARGET.parent.parent.parent.parent)}")


if __name__ == "__main__":
    main()
