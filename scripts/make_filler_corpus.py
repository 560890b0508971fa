"""Write N neutral filler articles, to see how the theme copes with volume.

    python scripts/make_filler_corpus.py N DIR [--photos IMAGES_DIR]

Each file is a Markdown article in one of the sections from SECTIONS in
pelicanconf.py, with lorem-ipsum text, a generic desk byline and generic
topics: no real people, no invented news. The text is fixed by the article's
number, so the same N gives the same files every time.

Typical use: copy content/ to a scratch folder, add filler to it, and build
from there without touching the real content:

    cp -r content /tmp/filler-content
    python scripts/make_filler_corpus.py 1000 /tmp/filler-content/articles/filler
    python -m newsroom.build -o /tmp/filler-out -e PATH=/tmp/filler-content

With --photos, every fourth article borrows a lead photo from IMAGES_DIR (the
copied content/images), referenced the way editors reference photos.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
    "exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure "
    "in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint "
    "occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est"
).split()
TOPICS = ["Sample Topic A", "Sample Topic B", "Sample Topic C", "Sample Topic D", "Sample Topic E"]
DESKS = ["Filler Desk", "Sample Desk"]
FIRST_DATE = datetime(2023, 1, 2, 8, 0)


def sections() -> list[str]:
    """The site's sections, read from the settings so filler matches them."""
    sys.path.insert(0, str(ROOT))
    import pelicanconf

    return list(pelicanconf.SECTIONS)


def sentence(rng: random.Random, low: int = 8, high: int = 18) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 4)))


def filler_article(number: int, section: str, photo: str | None) -> str:
    """The Markdown source of filler article ``number`` (1-based)."""
    rng = random.Random(number)
    title = f"Filler story {number}: " + sentence(rng, 4, 9).rstrip(".")
    standfirst = sentence(rng, 12, 22)
    date = FIRST_DATE + timedelta(hours=7 * number)
    topics = sorted(rng.sample(TOPICS, rng.randint(1, 3)))
    lines = [
        f"Title: {title}",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Category: {section}",
        f"Tags: {', '.join(topics)}",
        f"Authors: {DESKS[number % len(DESKS)]}",
        f"Summary: {standfirst}",
        f"Slug: filler-story-{number}",
    ]
    if number % 5 == 0:  # some stories were corrected after publication
        lines.append(f"Modified: {date + timedelta(hours=3):%Y-%m-%d %H:%M}")
    if number % 10 == 0:  # ... and say so in a correction box
        lines.append(f"Correction: {date + timedelta(hours=5):%Y-%m-%d %H:%M} | An earlier "
                     "version of this story gave a wrong figure; it has been corrected.")
    if photo:
        lines.append(f"Image: {{static}}/images/{photo}")
    body = [standfirst] + [paragraph(rng) for _ in range(rng.randint(4, 9))]
    if number % 3 == 0:
        body.insert(3, "> " + sentence(rng, 10, 16))
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def write_corpus(count: int, directory: Path, photos: list[str] | None = None) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    names = sections()
    written = []
    for number in range(1, count + 1):
        photo = photos[number % len(photos)] if photos and number % 4 == 0 else None
        path = directory / f"filler-{number:05d}.md"
        path.write_text(filler_article(number, names[number % len(names)], photo), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="how many articles to write")
    parser.add_argument("directory", type=Path, help="folder to write them into")
    parser.add_argument(
        "--photos", type=Path, default=None,
        help="images folder of the content copy; every fourth article uses one as lead photo",
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    photos = None
    if args.photos:
        photos = sorted(p.name for p in args.photos.glob("*.jpg"))
        if not photos:
            parser.error(f"{args.photos}: no .jpg photos found")
    written = write_corpus(args.count, args.directory, photos)
    print(f"Wrote {len(written)} filler articles to {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
