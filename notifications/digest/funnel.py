"""A small portfolio-funnel picture (one bar per stage, labelled) as a PNG, in pure Python (zlib + struct).

No imaging library: the bars are filled rectangles and the labels use a 3×5 pixel font scaled up, which is
all a funnel needs. A 5-stage picture is about 2 KB.
"""
from __future__ import annotations

import struct
import zlib

# 3x5 glyphs, rows top to bottom, "#" = ink.
_GLYPHS = {
    "A": "###/#.#/###/#.#/#.#", "B": "##./#.#/##./#.#/##.", "C": "###/#../#../#../###", "D": "##./#.#/#.#/#.#/##.",
    "E": "###/#../##./#../###", "F": "###/#../##./#../#..", "G": "###/#../#.#/#.#/###", "H": "#.#/#.#/###/#.#/#.#",
    "I": "###/.#./.#./.#./###", "J": "..#/..#/..#/#.#/###", "K": "#.#/#.#/##./#.#/#.#", "L": "#../#../#../#../###",
    "M": "#.#/###/###/#.#/#.#", "N": "##./#.#/#.#/#.#/#.#", "O": "###/#.#/#.#/#.#/###", "P": "###/#.#/###/#../#..",
    "Q": "###/#.#/#.#/###/..#", "R": "###/#.#/##./#.#/#.#", "S": "###/#../###/..#/###", "T": "###/.#./.#./.#./.#.",
    "U": "#.#/#.#/#.#/#.#/###", "V": "#.#/#.#/#.#/#.#/.#.", "W": "#.#/#.#/###/###/#.#", "X": "#.#/#.#/.#./#.#/#.#",
    "Y": "#.#/#.#/.#./.#./.#.", "Z": "###/..#/.#./#../###", "0": "###/#.#/#.#/#.#/###", "1": ".#./##./.#./.#./###",
    "2": "###/..#/###/#../###", "3": "###/..#/###/..#/###", "4": "#.#/#.#/###/..#/..#", "5": "###/#../###/..#/###",
    "6": "###/#../###/#.#/###", "7": "###/..#/..#/..#/..#", "8": "###/#.#/###/#.#/###", "9": "###/#.#/###/..#/###",
    " ": ".../.../.../.../...", "-": ".../.../###/.../...", "/": "..#/..#/.#./#../#..", ".": ".../.../.../.../.#.",
}
SCALE = 2
INK = (40, 40, 48)
BACKGROUND = (255, 255, 255)
BAR = (46, 110, 190)
TRACK = (232, 236, 242)


class Canvas:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(BACKGROUND) * width) for _ in range(height)]

    def rect(self, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
        x0, x1 = max(0, x), min(self.width, x + w)
        if x1 <= x0:
            return
        run = bytes(colour) * (x1 - x0)
        for row in self.rows[max(0, y):min(self.height, y + h)]:
            row[3 * x0:3 * x1] = run

    def text(self, x: int, y: int, s: str, colour=INK) -> int:
        """Draw `s` with its top-left at (x, y); returns the x after the last glyph."""
        for ch in s.upper():
            glyph = _GLYPHS.get(ch, _GLYPHS["."])
            for gy, line in enumerate(glyph.split("/")):
                for gx, px in enumerate(line):
                    if px == "#":
                        self.rect(x + gx * SCALE, y + gy * SCALE, SCALE, SCALE, colour)
            x += 4 * SCALE
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(r) for r in self.rows)

        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def text_width(s: str) -> int:
    return len(s) * 4 * SCALE


def render(stages: list[tuple[str, int]], title: str = "PORTFOLIO BY STAGE") -> bytes:
    """One bar per (label, count), the longest bar the largest count."""
    pad, bar_h, gap = 12, 18, 10
    label_w = max([text_width(label) for label, _ in stages] + [0]) + pad
    bars_w = 300
    width = pad + label_w + bars_w + pad + text_width("000000")
    height = pad * 2 + 5 * SCALE + gap + len(stages) * (bar_h + gap)
    c = Canvas(width, height)
    c.text(pad, pad, title)
    top = max([n for _, n in stages] + [1])
    y = pad + 5 * SCALE + gap
    for label, n in stages:
        c.text(pad, y + (bar_h - 5 * SCALE) // 2, label)
        x = pad + label_w
        c.rect(x, y, bars_w, bar_h, TRACK)
        w = round(bars_w * n / top) if n else 0
        c.rect(x, y, max(w, 2 if n else 0), bar_h, BAR)
        c.text(x + bars_w + pad // 2, y + (bar_h - 5 * SCALE) // 2, str(n))
        y += bar_h + gap
    return c.png()
