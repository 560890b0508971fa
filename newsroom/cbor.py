"""The small subset of CBOR (RFC 8949) that Pagefind's index files use.

Unsigned and negative integers, byte and text strings, arrays and maps, all
with definite lengths and in shortest form, which is how Pagefind writes
them. Anything else raises ``ValueError``.
"""

from __future__ import annotations

import struct


def _head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size, fmt in ((24, 1, ">B"), (25, 2, ">H"), (26, 4, ">I"), (27, 8, ">Q")):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + struct.pack(fmt, value)
    raise ValueError(f"integer too large for CBOR: {value}")


def encode(value) -> bytes:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"unsupported CBOR value: {value!r}")
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    raise ValueError(f"unsupported CBOR value: {value!r}")


def _read_head(data: bytes, offset: int) -> tuple[int, int, int]:
    if offset >= len(data):
        raise ValueError("CBOR data ends early")
    initial = data[offset]
    major, extra = initial >> 5, initial & 0x1F
    offset += 1
    if extra < 24:
        return major, extra, offset
    sizes = {24: 1, 25: 2, 26: 4, 27: 8}
    if extra not in sizes:
        raise ValueError(f"unsupported CBOR item (major {major}, info {extra})")
    size = sizes[extra]
    if offset + size > len(data):
        raise ValueError("CBOR data ends early")
    return major, int.from_bytes(data[offset:offset + size], "big"), offset + size


def _decode_at(data: bytes, offset: int):
    major, value, offset = _read_head(data, offset)
    if major == 0:
        return value, offset
    if major == 1:
        return -1 - value, offset
    if major in (2, 3):
        chunk = data[offset:offset + value]
        if len(chunk) != value:
            raise ValueError("CBOR data ends early")
        return (chunk if major == 2 else chunk.decode("utf-8")), offset + value
    if major == 4:
        items = []
        for _ in range(value):
            item, offset = _decode_at(data, offset)
            items.append(item)
        return items, offset
    if major == 5:
        mapping = {}
        for _ in range(value):
            key, offset = _decode_at(data, offset)
            mapping[key], offset = _decode_at(data, offset)
        return mapping, offset
    raise ValueError(f"unsupported CBOR major type {major}")


def decode(data: bytes):
    value, offset = _decode_at(data, 0)
    if offset != len(data):
        raise ValueError("trailing bytes after CBOR item")
    return value
