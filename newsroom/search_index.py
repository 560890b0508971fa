"""Make Pagefind's search index reproducible, byte for byte.

Pagefind 1.x stores each filter's values (``filter/*.pf_filter``) in
hash-map order, which changes from run to run (fragments are stable since
Pagefind 1.3; the filter index is not). After Pagefind has run, each filter's
values and page numbers are sorted, the file is renamed after its new
content, the new name is written into the language's metadata file
(``pagefind.*.pf_meta``), which is renamed in turn in
``pagefind-entry.json``. What search finds does not change, only the order
in which the index stores it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from newsroom import cbor

MAGIC = b"pagefind_dcd"  # Pagefind's prefix of every decompressed index file


def _read(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(MAGIC):
        raise ValueError(f"{path.name} does not start with {MAGIC!r}")
    body = data[len(MAGIC):]
    value = cbor.decode(body)
    if cbor.encode(value) != body:  # our codec must write what Pagefind wrote
        raise ValueError(f"{path.name} is not in the expected CBOR form")
    return value


def _write(folder: Path, prefix: str, digits: int, suffix: str, value) -> str:
    """Write ``value``; return its new name, ``{prefix}{hash}``."""
    data = MAGIC + cbor.encode(value)
    name = prefix + hashlib.sha256(data).hexdigest()[:digits]
    (folder / f"{name}{suffix}").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    return name


def _sorted_filter(value):
    name, entries = value
    if not isinstance(name, str) or not all(
        isinstance(e, list) and len(e) == 2 and isinstance(e[1], list) for e in entries
    ):
        raise ValueError(f"filter {name!r} has an unexpected shape")
    return [name, sorted(([text, sorted(pages)] for text, pages in entries),
                         key=lambda entry: str(entry[0]))]


def _renamed(value, names: dict[str, str]):
    """``value`` with filter names replaced and lists of filter pairs sorted."""
    if isinstance(value, str):
        return names.get(value, value)
    if not isinstance(value, list):
        return value
    items = [_renamed(item, names) for item in value]
    new_names = set(names.values())
    if items and all(isinstance(i, list) and len(i) == 2 and isinstance(i[1], str)
                     and i[1] in new_names for i in items):
        items.sort(key=lambda pair: str(pair[0]))
    return items


def _canonical_filters(bundle: Path, language: str) -> dict[str, str]:
    folder = bundle / "filter"
    names = {}
    for path in sorted(folder.glob(f"{language}_*.pf_filter")) if folder.is_dir() else ():
        old = path.name.removesuffix(".pf_filter")
        digits = len(old) - len(language) - 1
        new = _write(folder, f"{language}_", digits, ".pf_filter", _sorted_filter(_read(path)))
        if new != old:
            path.unlink()
        names[old] = new
    return names


def sort_filter_values(bundle: Path) -> None:
    """Rewrite ``bundle`` (the site's ``pagefind/`` folder) in a stable order."""
    entry_path = bundle / "pagefind-entry.json"
    raw = entry_path.read_text(encoding="utf-8")
    entry = json.loads(raw)
    if json.dumps(entry, ensure_ascii=False, separators=(",", ":")) != raw.strip():
        raise ValueError("pagefind-entry.json is not in the expected form")
    for language, info in entry["languages"].items():
        names = _canonical_filters(bundle, language)
        old = info["hash"]
        meta_path = bundle / f"pagefind.{old}.pf_meta"
        digits = len(old) - len(language) - 1
        new = _write(bundle, f"pagefind.{language}_", digits, ".pf_meta",
                     _renamed(_read(meta_path), names))
        new = new.removeprefix("pagefind.")
        if new != old:
            meta_path.unlink()
        info["hash"] = new
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    entry_path.write_text(text + raw[len(raw.rstrip()):], encoding="utf-8")
