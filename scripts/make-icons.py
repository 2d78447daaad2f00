#!/usr/bin/env python3
"""Draws Natter's icon (a white speech bubble on a blue rounded square) as the
RGBA PNGs in icons/, with only the standard library."""
import struct
import zlib
from pathlib import Path

BLUE = (47, 111, 235, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def pixel(size, x, y):
    cx, cy = x + 0.5, y + 0.5
    corner = size * 0.22
    dx = max(corner - cx, 0, cx - (size - corner))
    dy = max(corner - cy, 0, cy - (size - corner))
    if dx * dx + dy * dy > corner * corner:
        return CLEAR
    ex = (cx - size * 0.5) / (size * 0.32)
    ey = (cy - size * 0.46) / (size * 0.24)
    tail = (size * 0.3 < cx < size * 0.45 and size * 0.62 < cy < size * 0.8
            and (cx - size * 0.3) > (cy - size * 0.62) * 0.8)
    return WHITE if ex * ex + ey * ey <= 1 or tail else BLUE


def png(size):
    rows = b"".join(b"\0" + b"".join(bytes(pixel(size, x, y)) for x in range(size)) for y in range(size))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "icons"
    for size, name in [(32, "32x32.png"), (128, "128x128.png"), (256, "128x128@2x.png"), (512, "icon.png")]:
        (out / name).write_bytes(png(size))
