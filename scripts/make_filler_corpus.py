"""Write N neutral filler articles, to see how the theme copes with volume.

    python scripts/make_filler_corpus.py N DIR [--photos IMAGES_DIR] [--words W]
        [--writers K --profiles AUTHORS_DIR]

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

With --words, each article's body runs to at least W words (more paragraphs
of the same filler; without it, 100 to 400 words). With --writers, K generic
writers ("Filler Writer 1", ...) get profiles in AUTHORS_DIR (the copy's
content/authors; every other one with a photo when --photos is given) and
share the bylines with the desks. bench/build.py uses all three.
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
WRITER_ROLES = ["Sample correspondent", "Filler reporter", "Sample editor"]
FIRST_DATE = datetime(2023, 1, 2, 8, 0)
# Seven hours between stories; a larger corpus has them closer together so
# that its last story is still in the past (not an embargoed one) in 2026.
SPACING_MINUTES = 7 * 60
SPAN_MINUTES = 3000 * SPACING_MINUTES


def spacing_for(count: int) -> int:
    """Minutes between stories for a corpus of ``count``."""
    return max(1, min(SPACING_MINUTES, SPAN_MINUTES // max(count, 1)))


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


def word_count(paragraphs: list[str]) -> int:
    return sum(len(text.split()) for text in paragraphs)


def writer_name(index: int) -> str:
    """The generic name of filler writer ``index`` (1-based): no real person."""
    return f"Filler Writer {index}"


def byline(number: int, writers: int = 0) -> str:
    """Article ``number``'s byline: a desk, or one of ``writers`` filler writers."""
    if not writers:
        return DESKS[number % len(DESKS)]
    choice = number % (writers + len(DESKS))
    return writer_name(choice + 1) if choice < writers else DESKS[choice - writers]


def filler_article(number: int, section: str, photo: str | None,
                   words: int | None = None, author: str | None = None,
                   spacing: int = SPACING_MINUTES) -> str:
    """The Markdown source of filler article ``number`` (1-based).

    ``words``: the body runs to at least that many words; ``author``: the
    byline (default: a desk); ``spacing``: minutes between two stories' dates.
    """
    rng = random.Random(number)
    title = f"Filler story {number}: " + sentence(rng, 4, 9).rstrip(".")
    standfirst = sentence(rng, 12, 22)
    date = FIRST_DATE + timedelta(minutes=spacing * number)
    topics = sorted(rng.sample(TOPICS, rng.randint(1, 3)))
    lines = [
        f"Title: {title}",
        f"Date: {date:%Y-%m-%d %H:%M}",
        f"Category: {section}",
        f"Tags: {', '.join(topics)}",
        f"Authors: {author or DESKS[number % len(DESKS)]}",
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
    while words and word_count(body) < words:
        body.append(paragraph(rng))
    if number % 3 == 0:
        body.insert(3, "> " + sentence(rng, 10, 16))
    return "\n".join(lines) + "\n\n" + "\n\n".join(body) + "\n"


def write_corpus(count: int, directory: Path, photos: list[str] | None = None,
                 words: int | None = None, writers: int = 0) -> list[Path]:
    """Write ``count`` articles; with ``writers``, bylines include that many
    filler writers (their profiles: ``write_profiles``)."""
    directory.mkdir(parents=True, exist_ok=True)
    names = sections()
    written = []
    for number in range(1, count + 1):
        photo = photos[number % len(photos)] if photos and number % 4 == 0 else None
        path = directory / f"filler-{number:05d}.md"
        author = byline(number, writers) if writers else None
        path.write_text(filler_article(number, names[number % len(names)], photo, words, author,
                                       spacing_for(count)), encoding="utf-8")
        written.append(path)
    return written


def writer_profile(index: int, photo: str | None) -> str:
    """The Markdown profile (content/authors/) of filler writer ``index``."""
    rng = random.Random(-index)  # apart from the articles' seeds
    lines = [f"Name: {writer_name(index)}",
             f"Role: {WRITER_ROLES[index % len(WRITER_ROLES)]}"]
    if photo:  # its alt text and credit come from the photo's own metadata
        lines.append(f"Photo: {{static}}/images/{photo}")
    return "\n".join(lines) + "\n\n" + "\n\n".join(paragraph(rng) for _ in range(2)) + "\n"


def write_profiles(count: int, directory: Path, photos: list[str] | None = None) -> list[Path]:
    """Profiles of filler writers 1..``count``, named after their slugs
    (filler-writer-1.md); every other writer has a photo when ``photos`` are given."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(1, count + 1):
        photo = photos[index % len(photos)] if photos and index % 2 == 1 else None
        path = directory / f"filler-writer-{index}.md"
        path.write_text(writer_profile(index, photo), encoding="utf-8")
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
    parser.add_argument(
        "--words", type=int, default=None,
        help="each article's body runs to at least this many words",
    )
    parser.add_argument(
        "--writers", type=int, default=0,
        help="this many filler writers share the bylines; needs --profiles",
    )
    parser.add_argument(
        "--profiles", type=Path, default=None,
        help="authors folder of the content copy, for the writers' profiles",
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    if args.words is not None and args.words < 1:
        parser.error("--words must be at least 1")
    if args.writers < 0:
        parser.error("--writers must be 0 or more")
    if args.writers and args.profiles is None:
        parser.error("--writers needs --profiles AUTHORS_DIR for their profiles")
    photos = None
    if args.photos:
        photos = sorted(p.name for p in args.photos.glob("*.jpg"))
        if not photos:
            parser.error(f"{args.photos}: no .jpg photos found")
    written = write_corpus(args.count, args.directory, photos, args.words, args.writers)
    print(f"Wrote {len(written)} filler articles to {args.directory}")
    if args.writers:
        profiles = write_profiles(args.writers, args.profiles, photos)
        print(f"Wrote {len(profiles)} writer profiles to {args.profiles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
