"""bench/build.py and bench/corpus.py: the build benchmark's corpus and builds (no timing)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import pelicanconf
from helpers.building import ROOT, hash_tree

BENCH = ROOT / "bench"
WRITERS = 3
DESKS = ["Filler Desk", "Sample Desk"]


def load_corpus_module():
    """bench/corpus.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_corpus", BENCH / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def head_and_body(path):
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    return [tuple(line.split(": ", 1)) for line in head.splitlines()], body


@pytest.fixture(scope="module")
def corpus_module():
    return load_corpus_module()


def test_corpus_is_the_same_every_time(tmp_path, corpus_module):
    corpus_module.write_corpus(tmp_path / "a", stories=10, words=200, writers=WRITERS)
    corpus_module.write_corpus(tmp_path / "b", stories=10, words=200, writers=WRITERS)
    first, second = hash_tree(tmp_path / "a"), hash_tree(tmp_path / "b")
    assert first == second
    assert len(first) > 10 * 3  # the stories, three times, and more


def test_our_corpus_has_sections_tags_writers_and_photos(tmp_path, corpus_module):
    corpus = corpus_module.write_corpus(tmp_path, stories=12, words=300, writers=WRITERS)
    fields = [dict(head_and_body(story.path)[0]) for story in corpus.stories]
    assert {f["Category"] for f in fields} == set(pelicanconf.SECTIONS)
    assert all(1 <= len(f["Tags"].split(", ")) <= 3 for f in fields)
    assert all(len(head_and_body(story.path)[1].split()) >= 300 for story in corpus.stories)

    profiles = sorted((corpus.ours / "authors").glob("*.md"))
    names = [dict(head_and_body(path)[0])["Name"] for path in profiles]
    assert names == [f"Filler Writer {i}" for i in range(1, WRITERS + 1)]
    assert [path.stem for path in profiles] == [f"filler-writer-{i}" for i in
                                                range(1, WRITERS + 1)]
    bylines = {f["Authors"] for f in fields}
    assert bylines == set(names) | set(DESKS)  # every writer and desk writes

    images = corpus.ours / "images"
    lead = [f["Image"] for f in fields if "Image" in f]
    portraits = [dict(head_and_body(path)[0]).get("Photo") for path in profiles]
    assert len(lead) == 12 // 4 and any(portraits) and not all(portraits)
    for reference in lead + [p for p in portraits if p]:
        assert reference.startswith("{static}/images/")
        assert (images / reference.rsplit("/", 1)[1]).is_file()


def test_stock_and_hugo_get_the_same_stories(tmp_path, corpus_module):
    corpus = corpus_module.write_corpus(tmp_path, stories=12, words=100, writers=WRITERS)
    settings = (corpus.stock / "pelicanconf.py").read_text(encoding="utf-8")
    assert "TYPOGRIFY = True" in settings and "PLUGINS = []" in settings
    assert "THEME" not in settings  # the default theme
    for story in corpus.stories:
        fields, body = head_and_body(corpus.stock / "content" / "articles" / story.path.name)
        assert "Image" not in dict(fields)
        assert dict(fields)["Slug"] == story.slug
        if story.photo:  # stock Pelican shows the photo in the body
            assert body.startswith(f"![Filler photo]({{static}}/images/{story.photo})")
        assert story.body in body

        section = corpus_module.section_slug(story.get("Category"))
        text = (corpus.hugo / "content" / section / story.path.name).read_text(encoding="utf-8")
        front, _, hugo_body = text.removeprefix("---\n").partition("\n---\n")
        assert f'slug: "{story.slug}"' in front.splitlines()
        assert f"tags: {story.tags}".replace("'", '"') in front.splitlines()
        assert hugo_body.strip() == story.body.strip()
    sections = {path.name for path in (corpus.hugo / "content").iterdir()} - {"authors"}
    assert sections == {corpus_module.section_slug(name) for name in pelicanconf.SECTIONS}
    assert len(list((corpus.hugo / "content" / "authors").glob("*/_index.md"))) == WRITERS
    assert {path.name for path in (corpus.hugo / "layouts").iterdir()} >= {
        "baseof.html", "single.html", "list.html", "home.html", "taxonomy.html"}


@pytest.mark.slow
def test_benchmark_builds_every_story_four_ways_and_prints_the_table(tmp_path, corpus_module):
    work = tmp_path / "work"
    result = subprocess.run(
        [sys.executable, str(BENCH / "build.py"), "--stories", "8", "--words", "100",
         "--runs", "1", "--change-runs", "2", "--writers", str(WRITERS),
         "--workdir", str(work),
         # The photo cache the test suite's builds share, without the
         # warm-up build: the first build encodes only what it does not hold yet.
         "--photo-cache", str(ROOT / ".cache" / "photos"), "--no-warm-up"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr
    stories = corpus_module.read_stories(work / "corpus" / "ours")
    assert len(stories) == 8
    outputs = {key: work / "out" / key for key in ("dev", "publish", "stock", "hugo")}
    for key, output in outputs.items():
        missing = [s.url() for s in stories if not (output / s.url() / "index.html").is_file()]
        assert not missing, f"{key}: no page for {missing}"
    # Writers' pages: ours with the profile, Hugo's from the profile's _index.md.
    assert "Filler reporter" in (outputs["dev"] / "author" / "filler-writer-1" /
                                 "index.html").read_text(encoding="utf-8")
    assert "Filler reporter" in (outputs["hugo"] / "authors" / "filler-writer-1" /
                                 "index.html").read_text(encoding="utf-8")
    # The no-change rebuild found the development build's output and caches
    # as its counted run left them: nothing to do.
    assert "Up to date" in (work / "logs" / "rebuild-0.log").read_text(encoding="utf-8")
    # The last two runs changed the newest story, each once more: the
    # publishing output shows both changes.
    newest = max(stories, key=lambda story: story.date)
    page = (outputs["publish"] / newest.url() / "index.html").read_text(encoding="utf-8")
    assert page.count("One more sentence") == 2

    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    header = rows[0]
    assert header.split(" | ")[:5] == ["| build", "median s", "ms per story",
                                       "vs stock Pelican", "vs Hugo"]
    assert header.rstrip(" |").endswith("peak MB")
    labels = [row.split(" | ")[0].removeprefix("| ") for row in rows[2:8]]
    assert labels[0].startswith("ours, development")
    assert labels[1].startswith("ours, publishing")
    assert labels[2].startswith("stock Pelican 4.12")
    assert labels[3].startswith("Hugo 0.168")
    assert labels[4].startswith("ours, development, no change")
    assert labels[5] == "ours, publishing, one story changed (median of 2)"
    stock_row = rows[4].split(" | ")
    assert stock_row[3] == "1.00×"
    assert "Machine:" in result.stdout and "Python " in result.stdout
