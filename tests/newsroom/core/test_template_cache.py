"""newsroom/core/template_cache.py: compiled templates kept between builds, never stale."""

from __future__ import annotations

import shutil

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader
from lxml import html as lxml_html

from helpers.building import ROOT, run_build
from newsroom.core.settings import resolve
from newsroom.core.template_cache import environment_fingerprint, with_template_cache

OPTIONS = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True, "extensions": []}


def test_resolve_gives_the_environment_a_cache_in_the_cache_folder(tmp_path):
    settings = resolve({"CACHE_PATH": str(tmp_path), "JINJA_ENVIRONMENT": dict(OPTIONS)})
    cache = settings["JINJA_ENVIRONMENT"]["bytecode_cache"]
    assert isinstance(cache, FileSystemBytecodeCache)
    assert settings["TEMPLATE_CACHE_PATH"] == str(tmp_path / "templates")
    assert cache.directory == str(tmp_path / "templates")
    assert resolve(settings)["JINJA_ENVIRONMENT"]["bytecode_cache"] is cache  # once


def test_no_cache_when_turned_off(tmp_path):
    settings = resolve({"CACHE_PATH": str(tmp_path), "TEMPLATE_CACHE": False,
                        "JINJA_ENVIRONMENT": dict(OPTIONS)})
    assert "bytecode_cache" not in settings["JINJA_ENVIRONMENT"]
    assert not (tmp_path / "templates").exists()


def test_a_folder_that_cannot_be_written_means_no_cache(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert with_template_cache(dict(OPTIONS), str(blocked / "templates")) == OPTIONS


def test_compile_options_are_part_of_the_key():
    base = environment_fingerprint(OPTIONS)
    assert base == environment_fingerprint(dict(OPTIONS))
    assert base == environment_fingerprint({**OPTIONS, "bytecode_cache": object()})
    for changed in ({**OPTIONS, "trim_blocks": False}, {**OPTIONS, "autoescape": False},
                    {**OPTIONS, "extensions": ["jinja2.ext.do"]}):
        assert environment_fingerprint(changed) != base, changed


def render(templates, cache=None, **options) -> str:
    """page.html rendered by an environment with ``options`` (and a cache in ``cache``)."""
    if cache is not None:
        options = with_template_cache(options, str(cache))
    environment = Environment(loader=FileSystemLoader(str(templates)), **options)
    return environment.get_template("page.html").render(name="<b>")


def test_cached_code_follows_the_source_and_the_options(tmp_path):
    templates, cache = tmp_path / "templates", tmp_path / "cache"
    templates.mkdir()
    (templates / "page.html").write_text("{% if 1 %}\n  Hello {{ name }}\n{% endif %}\n")
    first = render(templates, cache, **OPTIONS)
    assert first == render(templates, **OPTIONS) == "  Hello &lt;b&gt;\n"
    assert len(list(cache.iterdir())) == 1
    assert render(templates, cache, **OPTIONS) == first  # from the cache
    # Compiled another way: not the code compiled with trim_blocks and autoescape.
    plain = render(templates, cache, autoescape=False)
    assert plain == render(templates, autoescape=False) == "\n  Hello <b>\n"
    assert len(list(cache.iterdir())) == 2
    # An edited template (same size, same second) is compiled again.
    (templates / "page.html").write_text("{% if 1 %}\n  Howdy {{ name }}\n{% endif %}\n")
    assert render(templates, cache, **OPTIONS) == "  Howdy &lt;b&gt;\n"


def test_an_edited_theme_template_reaches_the_next_build(tmp_path):
    """Two builds sharing one template cache: the second shows the edit."""
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    overrides = {"THEME": str(theme), "TEMPLATE_CACHE_PATH": str(tmp_path / "compiled")}
    first = run_build(tmp_path / "first", overrides=overrides, search=False)
    assert first.returncode == 0, first.stderr
    assert any((tmp_path / "compiled").iterdir())
    base = theme / "templates" / "base.html"
    source = base.read_text(encoding="utf-8")
    assert "</body>" in source
    base.write_text(source.replace("</body>", '<p id="edited">edited</p></body>', 1),
                    encoding="utf-8")
    second = run_build(tmp_path / "second", overrides=overrides, search=False)
    assert second.returncode == 0, second.stderr
    for output, marked in ((first.output, False), (second.output, True)):
        page = lxml_html.fromstring((output / "index.html").read_bytes())
        assert bool(page.xpath('//p[@id="edited"]')) is marked, output
