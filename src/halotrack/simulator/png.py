"""A real PNG medal sprite sheet, written with zlib: no imaging dependency.

Why: clients crop medal icons out of the sheet by `spriteIndex`, `columns` and `size` from the
medal metadata; the sheet must decode as a PNG of the right dimensions.
"""

from __future__ import annotations

import struct
import zlib

_COLORS = (
    (0, 0, 0),
    (90, 170, 90),  # normal
    (70, 130, 210),  # heroic
    (170, 80, 200),  # legendary
    (230, 160, 40),  # mythic
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def sprite_sheet(count: int, columns: int, size: int, difficulty: list[int]) -> bytes:
    """A paletted PNG: one coloured square per medal (colour by difficulty), transparent
    margins, `columns` medals per row."""
    rows = max(1, -(-count // columns))
    width, height = columns * size, rows * size
    margin = max(1, size // 10)
    blank = b"\x00" * width
    raw = bytearray()
    for r in range(rows):
        line = bytearray()
        for c in range(columns):
            i = r * columns + c
            color = 1 + difficulty[i] if i < count else 0
            line += b"\x00" * margin + bytes([color]) * (size - 2 * margin) + b"\x00" * margin
        filled = b"\x00" + bytes(line)
        empty = b"\x00" + blank
        for y in range(size):
            raw += filled if margin <= y < size - margin else empty
    palette = b"".join(bytes(c) for c in _COLORS)
    trns = b"\x00" + b"\xff" * (len(_COLORS) - 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", palette)
        + _chunk(b"tRNS", trns)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + _chunk(b"IEND", b"")
    )
