"""PNG encoding of a raw 8-bit RGB or grayscale bitmap, with the standard library alone.

A rendered page needs nothing more than this (no palette, no alpha, no interlacing), and it
spares a dependency on an imaging library for the one image format the browser is sent.
"""

from __future__ import annotations

import struct
import zlib

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 3: 2}  # channels -> PNG colour type (grayscale, truecolour)
# Level 6 is zlib's default: a rendered page (mostly white) shrinks about 20-fold at a
# fraction of level 9's time.
_LEVEL = 6


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: bytes | memoryview, width: int, height: int, channels: int, stride: int) -> bytes:
    """A PNG of `height` rows of `width` pixels, each row starting every `stride` bytes of
    `pixels` (rows may be padded), `channels` bytes per pixel (1 gray or 3 RGB)."""
    if channels not in _COLOR_TYPES:
        raise ValueError(f"cannot encode {channels} channels per pixel")
    row = width * channels
    if width < 1 or height < 1 or stride < row or len(pixels) < stride * (height - 1) + row:
        raise ValueError("the bitmap is smaller than its dimensions say")
    view = memoryview(pixels)
    compressor = zlib.compressobj(_LEVEL)
    packed = []
    for y in range(height):
        # Filter type 0 ("none") on every row: the page is mostly flat white, which deflate
        # already packs well, and choosing filters per row would cost more than it saves.
        packed.append(compressor.compress(b"\x00"))
        packed.append(compressor.compress(view[y * stride : y * stride + row]))
    packed.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(packed)) + _chunk(b"IEND", b"")
