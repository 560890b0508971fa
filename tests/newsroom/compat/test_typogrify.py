"""newsroom/compat/typogrify.py gives typogrify's own output, byte for byte.

The reference is a pristine copy of ``typogrify.filters`` loaded from its
file (``PRISTINE``), which ``install`` never touches. Every filter the module
replaces, and ``typogrify()`` with them installed (with the ignore lists
Pelican may pass), are compared with it on typogrify's doctests, the
benchmark corpus, the repository's stories and seeded random HTML.
"""

from __future__ import annotations

import doctest
import importlib.util
import random
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from newsroom.compat import typogrify as compat

ROOT = Path(__file__).resolve().parents[3]
# What Pelican passes: TYPOGRIFY_IGNORE_TAGS (default []), or nothing, or a
# list of tags and one tag.class (typogrify 2.1.0 builds a wrong pattern for
# two or more class or id filters, depending on the order of a set).
IGNORE_TAGS = (None, [], ["h2", "blockquote", "a", "span.z"], ["li", "#x"])


def _pristine_filters():
    import typogrify.filters

    spec = importlib.util.spec_from_file_location("_pristine_typogrify_filters",
                                                  typogrify.filters.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRISTINE = _pristine_filters()


@pytest.fixture(scope="module")
def filters():
    """typogrify.filters with the faster filters, smartypants set as the site sets it."""
    import smartypants
    import typogrify.filters

    from newsroom.compat.smartypants import set_pelican_dashes

    assert compat.install()
    default = smartypants.Attr.default
    set_pelican_dashes(runpy.run_path(str(ROOT / "pelicanconf.py")))
    yield typogrify.filters
    smartypants.Attr.default = default


def _outcome(function, *args):
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - the same error is the same outcome
        return ("raised", type(error), str(error))


def _differences(filters, texts, ignore_tags=IGNORE_TAGS):
    """The first few (what, text, ours, typogrify's) that differ."""
    found = []
    for n, text in enumerate(texts):
        for name in compat.FILTERS:
            ours = _outcome(getattr(compat, name), text)
            theirs = _outcome(getattr(PRISTINE, name), text)
            if ours != theirs:
                found.append((name, text, ours, theirs))
        # typogrify() as installed (module globals), each ignore list in turn
        ignore = ignore_tags[n % len(ignore_tags)]
        ours = _outcome(filters.typogrify, text, ignore)
        theirs = _outcome(PRISTINE.typogrify, text, ignore)
        if ours != theirs:
            found.append((f"typogrify(ignore_tags={ignore})", text, ours, theirs))
        if len(found) >= 5:
            break
    return found


def _assert_same(filters, texts, ignore_tags=IGNORE_TAGS):
    found = _differences(filters, texts, ignore_tags)
    assert not found, "\n".join(f"{what} on {text!r}:\n  ours   {ours!r}\n  theirs {theirs!r}"
                                for what, text, ours, theirs in found)


def test_installed_filters_are_ours_over_typogrifys(filters):
    for name in compat.FILTERS:
        fast = getattr(filters, name)
        assert fast is getattr(compat, name)
        original = fast.__wrapped__
        assert not getattr(original, "newsroom_fast", False)
        assert original.__code__.co_code == getattr(PRISTINE, name).__code__.co_code
    assert compat.install()  # again: nothing changes
    assert all(getattr(filters, name) is getattr(compat, name) for name in compat.FILTERS)
    assert all(getattr(compat, name).__wrapped__ is compat.ORIGINALS[name]
               for name in compat.FILTERS)


def test_doctest_examples(filters):
    """typogrify's own examples, run against the installed module's globals."""
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    import smartypants

    saved = smartypants.Attr.default
    smartypants.Attr.default = smartypants.Attr.set1  # the doctests' default
    try:
        ran = set()
        for test in finder.find(PRISTINE):
            test.globs = dict(vars(filters))
            result = runner.run(test, out=lambda text: None)
            assert not result.failed, f"{test.name}: {result.failed} example(s) differ"
            if test.examples:
                ran.add(test.name.rsplit(".", 1)[-1])
    finally:
        smartypants.Attr.default = saved
    assert set(compat.FILTERS) | {"typogrify"} <= ran


def test_not_str_goes_to_the_original(filters):
    class Text(str):
        pass

    for name in compat.FILTERS:
        assert getattr(compat, name)(Text("One & TWO said \"x y\"</p>")) == getattr(
            PRISTINE, name)(Text("One & TWO said \"x y\"</p>"))
        with pytest.raises(TypeError):
            getattr(compat, name)(None)


def _story_texts(path: Path, md) -> list[str]:
    """The body as HTML, with the title and summary: what Pelican typogrifies."""
    source = path.read_text(encoding="utf-8")
    md.reset()
    body = md.convert(source)
    meta = {key: " ".join(value) for key, value in getattr(md, "Meta", {}).items()}
    return [body] + [meta[key] for key in ("title", "summary", "name") if key in meta]


def _markdown():
    from markdown import Markdown

    settings = runpy.run_path(str(ROOT / "pelicanconf.py"))["MARKDOWN"]
    configs = dict(settings["extension_configs"], **{"markdown.extensions.meta": {}})
    return Markdown(extensions=list(configs), extension_configs=configs,
                    output_format=settings.get("output_format", "html5"))


@pytest.fixture(scope="module")
def corpus_texts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus") / "corpus"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), str(folder),
                    "--stories", "300"], check=True, capture_output=True, timeout=120)
    md = _markdown()
    paths = sorted((folder / "ours" / "articles").glob("*.md"))
    assert len(paths) == 300
    texts = [text for path in paths for text in _story_texts(path, md)]
    for path in sorted((folder / "ours" / "authors").glob("*.md")):
        texts += _story_texts(path, md)
    return texts


def test_benchmark_corpus(filters, corpus_texts):
    _assert_same(filters, corpus_texts)


def test_benchmark_corpus_with_news_copy(filters, corpus_texts):
    """The corpus bodies with quotes, apostrophes, acronyms, "&" and links mixed in."""
    rng = random.Random(20240615)
    extra = ['<p>"We will not back down," the UN envoy said of the AU &amp; EU talks.</p>',
             "<p>Kenya's <em>NHIF</em> and the IMF's <a href=\"https://x.org/a?b=1&amp;c=2\">"
             "review</a> of the K.R.A. plan.</p>",
             "<p>'Nobody expected it,' said a <strong>KDF</strong> officer &amp; an aide. </p>",
             "<ul>\n<li>The U.S. &amp; France's G7 summit</li>\n<li>\"Q&amp;A\"</li>\n</ul>",
             "<h2>Ruto &amp; Macron: \"JIMMY'S\" D.O.T.   plan</h2>",
             "<p>Code: <code>A &amp; B \"x\"</code> and <kbd>CTRL</kbd> keys</p>"]
    texts = []
    for text in corpus_texts:
        lines = text.split("\n")
        for _ in range(3):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(extra))
        texts.append("\n".join(lines))
    _assert_same(filters, texts)


def test_repository_stories(filters):
    md = _markdown()
    paths = sorted((ROOT / "content").rglob("*.md"))
    assert paths
    _assert_same(filters, [text for path in paths for text in _story_texts(path, md)])


WORDS = ["word", "Two", "x", "said.", "end!", "NASA", "KU", "D.O.T.", "A. B.", "2KU2",
         "JIMMY'S", "G7", "U.S.", "a-b", "42", "é", "Q&A"]
SPACES = [" ", " ", "  ", "\t", "\n", "\n", " \n", "\r\n", "\xa0", "\u2028", "\x1c", "\u3000"]
ENTITIES = ["&nbsp;", "&amp;", "&", "&", "&#38;", '"', "'", "&#8220;", "&ldquo;", "&lsquo;",
            "&#8216;", "&#8217;", "&quot;", "--", "...", "`"]
TAGS = ["<p>", "</p>", "<p>", "</p>", "<P>", "</P>", '<p class="x">', "<h2>", "</h2>",
        "<h1 class='q'>", "</h6>", "<h7>", "</h7>", "<li>", "</li>", "<dt>", "</dt>", "<dd>",
        "</dd>", '<a href="x y">', "</a>", "<a>", "<em>", "</em>", '<span class="z">',
        '<span class="q">', '<div id="x">', "</div>", "</span>", "<strong>", "</strong>",
        "<b>", "</b>", "<i>", "</i>", "<br>", "<br/>", '<img src="a.jpg" alt="A B">',
        '<abbr title="t">', "</abbr>", "<blockquote>", "</blockquote>", "<pre>", "</pre>",
        "<code>", "</code>", "<script>", "</script>", "<SCRIPT>", "<kbd>", "</kbd>", "<", ">",
        "<a x<y>", "<!-- c -->", "<!--", "-->", "<!-- a -- b -->", '<a title="x > y & z">',
        '<link title="One & Two">', "</ a>", "<p/>", "</em >", "<i\n>", "<a\nhref=1>"]
AMPERSANDS = [" & ", " &amp; ", "&nbsp;&&nbsp;", " &#38;\n", "&nbsp;&amp; ", "\t&amp;"]
POOLS = [(WORDS, 30), (SPACES, 25), (ENTITIES, 12), (AMPERSANDS, 4), (TAGS, 33)]


def _fuzz_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pools = [pool for pool, _ in POOLS]
    weights = [weight for _, weight in POOLS]
    texts = []
    for _ in range(count):
        size = rng.choice((1, 2, 3, 5, 8, 12, 20, 30, 45))
        chosen = rng.choices(pools, weights, k=size)
        texts.append("".join(rng.choice(pool) for pool in chosen))
    return texts


@pytest.mark.parametrize("seed", range(5))
def test_fuzz(filters, seed):
    """50,000 strings of tricky pieces in all (10,000 per seed)."""
    texts = _fuzz_texts(seed, 10_000)
    _assert_same(filters, texts)
    # The strings do make every filter change something, often.
    for name in compat.FILTERS:
        changed = sum(getattr(PRISTINE, name)(text) != text for text in texts[:2000])
        assert changed > 100, f"{name} changed only {changed} of 2,000 strings"


def test_install_is_a_no_op_for_another_version(monkeypatch):
    import typogrify
    import typogrify.filters

    compat._patterns()
    for name in compat.FILTERS:
        monkeypatch.setattr(typogrify.filters, name, compat.ORIGINALS[name])
    monkeypatch.setattr(typogrify, "__version__", "2.2.0")
    assert compat.install() is False
    for name in compat.FILTERS:
        assert getattr(typogrify.filters, name) is compat.ORIGINALS[name]
    # Without __version__, the installed distribution's version decides.
    from importlib.metadata import version

    monkeypatch.delattr(typogrify, "__version__")
    assert compat.installed_version() == version("typogrify") == compat.CHECKED_VERSION
