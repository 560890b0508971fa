"""Pagefind's filter index is rewritten in a stable order, still readable."""

from __future__ import annotations

import gzip
import json

import pytest

from newsroom.compat.pagefind import MAGIC, decode, encode
from newsroom.build.search_index import sort_filter_values


def write_index(path, value) -> None:
    path.write_bytes(gzip.compress(MAGIC + encode(value)))


def read_index(path):
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(MAGIC)
    return decode(data[len(MAGIC):])


@pytest.mark.parametrize("value", [0, 23, 24, 255, 256, 65536, 2**32, -1, -500, "",
                                   "Politics", "é\u2028😀", b"\x00\xff", [], [1, ["a", [2]]],
                                   {"a": 1, "b": [2, 3]}, "x" * 300, list(range(30))])
def test_cbor_round_trips(value):
    assert decode(encode(value)) == value


@pytest.mark.parametrize("data, value", [
    (b"\x17", 23), (b"\x18\x18", 24), (b"\x19\x01\x00", 256), (b"\x20", -1),
    (b"\x62ab", "ab"), (b"\x42\x00\xff", b"\x00\xff"), (b"\x82\x01\x80", [1, []]),
])
def test_cbor_is_written_in_shortest_form(data, value):
    assert encode(value) == data


@pytest.mark.parametrize("data", [
    b"\xf9\x3c\x00",  # a half-precision float
    b"\x82\x01",  # an array that ends early
    b"\x9f\x01\xff",  # an indefinite-length array
    b"\x18\x01",  # 1 in a longer form than needed
    b"\x01\x02",  # a second item after the first
    b"\xc1\x00",  # a tagged value
    b"",
])
def test_cbor_refuses_what_pagefind_does_not_write(data):
    with pytest.raises(ValueError):
        decode(data)


def test_filter_values_are_sorted_and_names_follow(tmp_path):
    bundle = tmp_path / "pagefind"
    (bundle / "filter").mkdir(parents=True)
    write_index(bundle / "filter" / "en_aaaaaaa.pf_filter",
                ["section", [["World", [2, 0]], ["Politics", [3, 1]]]])
    write_index(bundle / "pagefind.en_bbbbbbbbbb.pf_meta",
                ["1.5.2", [["en_1111111", 27]], [["section", "en_aaaaaaa"]], [], ["title"]])
    entry = {"version": "1.5.2", "languages": {"en": {"hash": "en_bbbbbbbbbb", "page_count": 4}}}
    (bundle / "pagefind-entry.json").write_text(json.dumps(entry, separators=(",", ":")))

    sort_filter_values(bundle)

    new_entry = json.loads((bundle / "pagefind-entry.json").read_text())
    meta_hash = new_entry["languages"]["en"]["hash"]
    assert len(meta_hash) == len("en_bbbbbbbbbb")
    assert sorted(p.name for p in bundle.glob("*.pf_meta")) == [f"pagefind.{meta_hash}.pf_meta"]
    meta = read_index(bundle / f"pagefind.{meta_hash}.pf_meta")
    [[filter_name, filter_hash]] = meta[2]
    assert filter_name == "section" and len(filter_hash) == len("en_aaaaaaa")
    assert [p.name for p in (bundle / "filter").iterdir()] == [f"{filter_hash}.pf_filter"]
    assert read_index(bundle / "filter" / f"{filter_hash}.pf_filter") == [
        "section", [["Politics", [1, 3]], ["World", [0, 2]]]]
    assert meta[1] == [["en_1111111", 27]]  # everything else untouched
