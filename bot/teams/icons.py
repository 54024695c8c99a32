"""The Teams app icons, drawn in pure Python (zlib + struct): no image library needed.

- color.png: 192×192, aiom's accent colour with a white mark (a rising bar chart in a ring);
- outline.png: 32×32, the same mark in white on a fully transparent background, as Teams requires.

`python -m bot.teams.icons manifest/teams` rewrites both files.
"""
from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

ACCENT = (0x4B, 0x53, 0xBC)
WHITE = (255, 255, 255)


def png(width: int, height: int, rgba: bytes) -> bytes:
    """An 8-bit RGBA PNG from `width * height * 4` bytes, rows top to bottom."""
    if len(rgba) != width * height * 4:
        raise ValueError("pixel data does not match the size")
    rows = b"".join(b"\x00" + rgba[y * width * 4:(y + 1) * width * 4] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _mark(x: float, y: float) -> float:
    """Coverage (0..1) of the mark at a point of the unit square: a ring around three rising bars."""
    cx, cy = x - 0.5, y - 0.5
    r = (cx * cx + cy * cy) ** 0.5
    if 0.40 <= r <= 0.47:
        return 1.0
    for i, top in enumerate((0.58, 0.46, 0.32)):
        left = 0.30 + i * 0.15
        if left <= x <= left + 0.10 and top <= y <= 0.70:
            return 1.0
    return 0.0


def _draw(size: int, background: tuple[int, int, int] | None, samples: int = 4) -> bytes:
    out = bytearray()
    for py in range(size):
        for px in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    hits += _mark((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size) > 0
            cover = hits / (samples * samples)
            if background is None:  # white, with the coverage as transparency
                out += bytes((*WHITE, round(255 * cover)))
            else:
                out += bytes((*(round(b + (w - b) * cover) for b, w in zip(background, WHITE)), 255))
    return bytes(out)


def color_icon() -> bytes:
    return png(192, 192, _draw(192, ACCENT, samples=2))


def outline_icon() -> bytes:
    return png(32, 32, _draw(32, None))


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "color.png").write_bytes(color_icon())
    (folder / "outline.png").write_bytes(outline_icon())


if __name__ == "__main__":  # pragma: no cover
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "bot/teams/manifest"))
