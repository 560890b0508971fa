"""Precompressed .gz and .br copies in the publishing build (newsroom/build/precompress.py).

That the copies are reproducible is tested with the rest of the build
(tests/newsroom/build/test_reproducible_build.py); that the development build has
none, in tests/plugins/asset_fingerprints/test_fingerprints.py.
"""

from __future__ import annotations

import gzip
import stat
from pathlib import Path

import brotli

from newsroom.build.precompress import MIN_SIZE, TEXT_SUFFIXES, precompress

ALREADY_COMPRESSED = (".pf_fragment", ".pf_index", ".pf_filter", ".pf_meta", ".pagefind")


def files(output: Path) -> list[Path]:
    return sorted(path for path in output.rglob("*") if path.is_file())


def test_every_text_file_over_1_kb_has_gz_and_br_with_the_same_bytes(published_site):
    output = published_site.output
    compressed = 0
    for path in files(output):
        if path.name.endswith((".gz", ".br")):
            original = path.with_name(path.name[:-3])
            assert original.is_file(), f"{path} has no original"
            continue
        gz, br = path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")
        data = path.read_bytes()
        if path.name.endswith(TEXT_SUFFIXES) and len(data) > MIN_SIZE:
            compressed += 1
            assert gzip.decompress(gz.read_bytes()) == data, gz
            assert brotli.decompress(br.read_bytes()) == data, br
            header = gz.read_bytes()[:10]
            assert header[:4] == b"\x1f\x8b\x08\x00", f"{gz}: a file name or flags in the header"
            assert header[4:8] == b"\0\0\0\0", f"{gz}: a time in the header"
        else:
            assert not gz.exists() and not br.exists(), path
    assert compressed > 30
    # What the rule covers: pages, feeds, sitemaps, CSS, JS, JSON, the lists.
    for name in ("index.html", "feeds/all.atom.xml", "sitemap.xml", "immutable.txt",
                 "pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css"):
        assert (output / f"{name}.gz").is_file() and (output / f"{name}.br").is_file(), name
    css = next((output / "theme" / "css").glob("site.*.css"))
    assert Path(f"{css}.gz").is_file() and Path(f"{css}.br").is_file()
    # Pagefind's index is gzip already; images are compressed already.
    for path in files(output):
        if path.name.endswith(ALREADY_COMPRESSED) or path.suffix in (".jpg", ".webp", ".avif"):
            assert not Path(f"{path}.gz").exists() and not Path(f"{path}.br").exists(), path


def test_precompressed_files_are_readable_like_the_rest(published_site):
    for path in files(published_site.output):
        if path.name.endswith((".gz", ".br")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_precompress_rules(tmp_path):
    site = tmp_path / "site"
    (site / "pagefind" / "fragment").mkdir(parents=True)
    big = b"<p>" + b"news " * 400 + b"</p>"
    (site / "page.html").write_bytes(big)
    (site / "small.html").write_bytes(b"x" * MIN_SIZE)  # not above the limit
    (site / "edge.txt").write_bytes(b"y" * (MIN_SIZE + 1))
    (site / "app.wasm").write_bytes(b"\0asm" + b"\1" * 2000)
    (site / "photo.jpg").write_bytes(b"\xff\xd8" + b"\0" * 5000)
    (site / "pagefind" / "fragment" / "en_1.pf_fragment").write_bytes(gzip.compress(big))
    (site / "link.html").symlink_to(site / "page.html")
    done = precompress(site)
    assert done == ["app.wasm", "edge.txt", "page.html"]
    assert sorted(p.name for p in site.iterdir()) == [
        "app.wasm", "app.wasm.br", "app.wasm.gz", "edge.txt", "edge.txt.br", "edge.txt.gz",
        "link.html", "page.html", "page.html.br", "page.html.gz", "pagefind", "photo.jpg",
        "small.html"]
    first = {p.name: p.read_bytes() for p in site.iterdir() if p.is_file()}
    precompress(site)  # again: the same bytes
    assert {p.name: p.read_bytes() for p in site.iterdir() if p.is_file()} == first


def test_workers_forked_early_compress_as_new_ones_and_end_with_the_build(tmp_path):
    """A WorkerPool handed to Precompression: the same copies as workers of its
    own; its workers are gone after finish(), and after close() when unused."""
    import multiprocessing

    from newsroom.build.precompress import Precompression, WorkerPool

    for name in ("early", "late"):
        site = tmp_path / name
        (site / "a").mkdir(parents=True)
        for number in range(6):
            (site / "a" / f"{number}.html").write_text(f"<p>{number}</p>" * 400)
        (site / "feed.xml").write_text("<entry>text</entry>" * 3000)
    before = set(multiprocessing.active_children())
    pool = WorkerPool.start(nice=5)
    assert pool is not None and pool.workers >= 2
    assert len(set(multiprocessing.active_children()) - before) == pool.workers  # forked now
    early = Precompression(tmp_path / "early", workers=2, pool=pool)
    early.hand_out([tmp_path / "early" / "feed.xml"])
    handed = early.start().finish()
    late = Precompression(tmp_path / "late", workers=2).start().finish()
    assert handed == late and "feed.xml" in handed
    from helpers.building import hash_tree

    assert hash_tree(tmp_path / "early") == hash_tree(tmp_path / "late")
    assert set(multiprocessing.active_children()) - before == set()
    pool.close()  # (ended already: nothing to do)
    unused = WorkerPool.start()
    assert set(multiprocessing.active_children()) - before
    unused.close()
    assert set(multiprocessing.active_children()) - before == set()
