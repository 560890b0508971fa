"""Make Pagefind's search index reproducible, byte for byte.

Pagefind 1.x stores each filter's values (``filter/*.pf_filter``) in
hash-map order, which changes from run to run (fragments are stable since
Pagefind 1.3; the filter index is not). After Pagefind has run, each filter's
values and page numbers are sorted, the file is renamed after its new
content, the new name is written into the language's metadata file
(``pagefind.*.pf_meta``), which is renamed in turn in
``pagefind-entry.json``. What search finds does not change, only the order
in which the index stores it.

What these files look like is Pagefind's internal business: every detail
of it is in ``newsroom.compat.pagefind``.
"""

from __future__ import annotations

from pathlib import Path

from newsroom.compat import pagefind


def _sorted_filter(value):
    name, entries = pagefind.filter_values(value)
    return pagefind.filter_value(name, sorted(([text, sorted(pages)] for text, pages in entries),
                                              key=lambda entry: str(entry[0])))


def _renamed(value, names: dict[str, str]):
    """``value`` with filter names replaced and lists of filter pairs sorted."""
    if isinstance(value, str):
        return names.get(value, value)
    if not isinstance(value, list):
        return value
    items = [_renamed(item, names) for item in value]
    new_names = set(names.values())
    if items and all(pagefind.is_filter_reference(item, new_names) for item in items):
        items.sort(key=lambda pair: str(pair[0]))
    return items


def _canonical_filters(bundle: Path, language: str) -> dict[str, str]:
    folder = pagefind.filter_folder(bundle)
    names = {}
    for path in pagefind.filter_paths(bundle, language):
        old = pagefind.filter_name(path)
        digits = len(old) - len(language) - 1
        new = pagefind.write_index_file(folder, f"{language}_", digits, path.suffix,
                                        _sorted_filter(pagefind.read_index_file(path)))
        if new != old:
            path.unlink()
        names[old] = new
    return names


def sort_filter_values(bundle: Path) -> None:
    """Rewrite ``bundle`` (the site's ``pagefind/`` folder) in a stable order."""
    entry, raw = pagefind.read_entry(bundle)
    for language, info in pagefind.languages(entry).items():
        names = _canonical_filters(bundle, language)
        old = info["hash"]
        meta_path = pagefind.meta_path(bundle, old)
        digits = len(old) - len(language) - 1
        prefix, suffix = pagefind.meta_name(language)
        new = pagefind.write_index_file(bundle, prefix, digits, suffix,
                                        _renamed(pagefind.read_index_file(meta_path), names))
        new = pagefind.language_hash(new)
        if new != old:
            meta_path.unlink()
        info["hash"] = new
    pagefind.write_entry(bundle, entry, raw)
