"""The build benchmark's corpus: one set of generated stories, for three builders.

    .venv/bin/python bench/corpus.py DIR [--stories 1000] [--words 600] [--writers 6]

Writes, under DIR:

* ``ours/``: a content folder for ``python -m newsroom.build -e PATH=...``:
  the stories (scripts/make_filler_corpus.py: neutral lorem-ipsum filler in
  the six SECTIONS of pelicanconf.py, one to three tags each), profiles of
  the filler writers who share the bylines with two desks
  (``authors/``), and the real photos of content/images, which every
  fourth story and every other writer borrow (``images/``).
* ``stock/``: the same stories for stock Pelican 4.12 (no plugins, default
  theme notmyidea, typogrify on): its own ``pelicanconf.py`` and
  ``content/``. Stock Pelican has no lead photos or writer profiles, so a
  story's photo is the first thing in its body (``![...]({static}/...)``),
  and the profiles are left out.
* ``hugo/``: the same stories as a Hugo site: ``hugo.toml``, front matter in
  YAML, one content folder per section, the tags and bylines as the
  taxonomies ``tags`` and ``authors`` (a writer's profile is their author
  page's ``_index.md``), the photos in ``static/images/`` and minimal plain
  HTML layouts (``layouts/``). Goldmark's typographer (on by default) does
  what typogrify does for Pelican.

Everything is fixed by the arguments: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "content" / "images"
SITE_URL = "https://news.example.org"
TIMEZONE = "Africa/Nairobi"
UTC_OFFSET = "+03:00"  # Africa/Nairobi has no daylight saving time
PAGE_SIZE = 12  # DEFAULT_PAGINATION of pelicanconf.py, used by all three
DEFAULTS = {"stories": 1000, "words": 600, "writers": 6}


def filler_module():
    """scripts/make_filler_corpus.py as a module (scripts/ is not a package)."""
    name = "make_filler_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Story:
    """One generated story, read back from its Markdown file."""

    path: Path
    fields: list[tuple[str, str]]  # metadata lines in order (Correction may repeat)
    body: str

    def get(self, key: str, default: str | None = None) -> str | None:
        for name, value in self.fields:
            if name == key:
                return value
        return default

    @property
    def slug(self) -> str:
        return self.get("Slug")

    @property
    def date(self) -> datetime:
        return datetime.strptime(self.get("Date"), "%Y-%m-%d %H:%M")

    @property
    def tags(self) -> list[str]:
        return [tag.strip() for tag in self.get("Tags", "").split(",") if tag.strip()]

    @property
    def photo(self) -> str | None:
        """The lead photo's file name in images/, or None."""
        image = self.get("Image")
        return image.rsplit("/", 1)[1] if image else None

    def url(self) -> str:
        """Site-relative URL (the same in all three builds): YYYY/MM/slug/."""
        return f"{self.date:%Y/%m}/{self.slug}/"


def read_story(path: Path) -> Story:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = [tuple(line.split(": ", 1)) for line in head.splitlines()]
    return Story(path, fields, body)


def read_stories(content: Path) -> list[Story]:
    return [read_story(path) for path in sorted((content / "articles").glob("*.md"))]


def section_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --- ours ---------------------------------------------------------------------------

def write_ours(base: Path, stories: int, words: int, writers: int) -> Path:
    """The content folder for our build; return it."""
    filler = filler_module()
    content = base / "ours"
    shutil.copytree(PHOTOS, content / "images")
    photos = sorted(path.name for path in (content / "images").glob("*.jpg"))
    filler.write_corpus(stories, content / "articles", photos, words, writers)
    filler.write_profiles(writers, content / "authors", photos)
    return content


# --- stock Pelican ------------------------------------------------------------------

STOCK_SETTINGS = f'''"""Stock Pelican 4.12 for the build benchmark (written by bench/corpus.py).

Defaults wherever the project's own settings do not matter for a fair
comparison: default theme (notmyidea), Markdown reader, default feeds. Like
ours: typogrify, 12 stories a page, the same story URLs and time zone.
"""

SITENAME = "The Ledger (stock Pelican)"
SITEURL = "{SITE_URL}"
PATH = "content"
ARTICLE_PATHS = ["articles"]
STATIC_PATHS = ["images"]
TIMEZONE = "{TIMEZONE}"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = {PAGE_SIZE}
ARTICLE_URL = "{{date:%Y}}/{{date:%m}}/{{slug}}/"
ARTICLE_SAVE_AS = "{{date:%Y}}/{{date:%m}}/{{slug}}/index.html"
TYPOGRIFY = True
PLUGINS = []  # none (None would load any pelican.plugins.* that happens to be installed)
'''


def stock_story(story: Story) -> str:
    """The story for stock Pelican: its lead photo moved into the body."""
    lines = [f"{key}: {value}" for key, value in story.fields if key != "Image"]
    body = story.body
    if story.photo:
        body = f"![Filler photo]({{static}}/images/{story.photo})\n\n" + body
    return "\n".join(lines) + "\n\n" + body


def write_stock(base: Path, ours: Path, stories: list[Story]) -> Path:
    """The stock Pelican site (settings and content); return its folder."""
    site = base / "stock"
    articles = site / "content" / "articles"
    articles.mkdir(parents=True)
    shutil.copytree(ours / "images", site / "content" / "images")
    for story in stories:
        (articles / story.path.name).write_text(stock_story(story), encoding="utf-8")
    (site / "pelicanconf.py").write_text(STOCK_SETTINGS, encoding="utf-8")
    return site


# --- Hugo ---------------------------------------------------------------------------

def hugo_config(sections: list[str]) -> str:
    lines = [
        "# Hugo for the build benchmark (written by bench/corpus.py).",
        f'baseURL = "{SITE_URL}/"',
        'title = "The Ledger (Hugo)"',
        'languageCode = "en"',
        f'timeZone = "{TIMEZONE}"',
        "",
        "[pagination]",
        f"pagerSize = {PAGE_SIZE}",
        "",
        "[taxonomies]",
        'tag = "tags"',
        'author = "authors"',
        "",
        "[permalinks.page]",
    ]
    lines += [f'{section_slug(name)} = "/:year/:month/:slug/"' for name in sections]
    return "\n".join(lines) + "\n"


def front_matter(values: dict) -> str:
    """YAML front matter; JSON strings and lists are valid YAML."""
    lines = ["---"]
    lines += [f"{key}: {json.dumps(value)}" for key, value in values.items() if value]
    return "\n".join(lines + ["---", ""])


def hugo_story(story: Story) -> str:
    date = f"{story.date:%Y-%m-%dT%H:%M:00}{UTC_OFFSET}"
    modified = story.get("Modified")
    values = {
        "title": story.get("Title"),
        "date": date,
        "lastmod": (f"{datetime.strptime(modified, '%Y-%m-%d %H:%M'):%Y-%m-%dT%H:%M:00}"
                    f"{UTC_OFFSET}" if modified else None),
        "slug": story.slug,
        "summary": story.get("Summary"),
        "tags": story.tags,
        "authors": [name.strip() for name in story.get("Authors", "").split(",")],
        "image": f"/images/{story.photo}" if story.photo else None,
        "corrections": [value for key, value in story.fields if key == "Correction"],
    }
    return front_matter(values) + "\n" + story.body


def hugo_profile(profile: Path) -> str:
    head, _, bio = profile.read_text(encoding="utf-8").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    photo = fields.get("Photo")
    return front_matter({
        "title": fields["Name"],
        "role": fields.get("Role"),
        "image": "/images/" + photo.rsplit("/", 1)[1] if photo else None,
    }) + "\n" + bio


LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="{{ site.Language.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} | {{ end }}{{ site.Title }}</title>
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav>{{ range site.Sections }}<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ end }}</nav>
</header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "single.html": """{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2 January 2006, 15:04" }}
{{ with .GetTerms "authors" }}by {{ range . }}
<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}{{ end }}</p>
{{ with .Params.image }}<img src="{{ . | relURL }}" alt="">{{ end }}
{{ .Content }}
{{ range .Params.corrections }}<aside>Correction: {{ . }}</aside>{{ end }}
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
</article>
{{ end }}
""",
    "list.html": """{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ with .Params.role }}<p>{{ . }}</p>{{ end }}
{{ with .Params.image }}<img src="{{ . | relURL }}" alt="">{{ end }}
{{ .Content }}
{{ $pager := .Paginate .Pages }}
{{ range $pager.Pages }}<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Date.Format "2 January 2006" }}</p><p>{{ .Summary }}</p>{{ end }}
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
{{ with $pager.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>
{{ end }}
""",
    "home.html": """{{ define "main" }}
{{ $pager := .Paginate site.RegularPages }}
{{ range $pager.Pages }}<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Date.Format "2 January 2006" }}</p><p>{{ .Summary }}</p>{{ end }}
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }}
{{ with $pager.Next }}<a href="{{ .URL }}">Older</a>{{ end }}</nav>
{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
""",
}


def write_hugo(base: Path, ours: Path, stories: list[Story]) -> Path:
    """The Hugo site (config, content, static, layouts); return its folder."""
    site = base / "hugo"
    content = site / "content"
    sections = filler_module().sections()
    for name in sections:
        folder = content / section_slug(name)
        folder.mkdir(parents=True)
        (folder / "_index.md").write_text(front_matter({"title": name}), encoding="utf-8")
    for story in stories:
        target = content / section_slug(story.get("Category")) / story.path.name
        target.write_text(hugo_story(story), encoding="utf-8")
    for profile in sorted((ours / "authors").glob("*.md")):
        folder = content / "authors" / profile.stem
        folder.mkdir(parents=True)
        (folder / "_index.md").write_text(hugo_profile(profile), encoding="utf-8")
    shutil.copytree(ours / "images", site / "static" / "images")
    (site / "layouts").mkdir()
    for name, text in LAYOUTS.items():
        (site / "layouts" / name).write_text(text, encoding="utf-8")
    (site / "hugo.toml").write_text(hugo_config(sections), encoding="utf-8")
    return site


@dataclass
class Corpus:
    ours: Path  # content folder (PATH)
    stock: Path  # site folder: pelicanconf.py, content/
    hugo: Path  # site folder: hugo.toml, content/, static/, layouts/
    stories: list[Story]


def write_corpus(base: Path, stories: int = DEFAULTS["stories"], words: int = DEFAULTS["words"],
                 writers: int = DEFAULTS["writers"]) -> Corpus:
    """Write the three trees under ``base`` (which must not hold them yet)."""
    ours = write_ours(base, stories, words, writers)
    read = read_stories(ours)
    return Corpus(ours, write_stock(base, ours, read), write_hugo(base, ours, read), read)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="an empty or new folder")
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=int, default=value, help=f"default {value}")
    args = parser.parse_args(argv)
    if args.stories < 1 or args.words < 1 or args.writers < 1:
        parser.error("--stories, --words and --writers must be at least 1")
    if args.directory.exists() and any(args.directory.iterdir()):
        parser.error(f"{args.directory}: not empty")
    corpus = write_corpus(args.directory, args.stories, args.words, args.writers)
    print(f"Wrote {len(corpus.stories)} stories for ours ({corpus.ours}), "
          f"stock Pelican ({corpus.stock}) and Hugo ({corpus.hugo})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
