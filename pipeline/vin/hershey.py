"""Hershey vector fonts for the evaluation generator's stamping dies, drawn with a round pen.

The generator's "hershey" die family uses ``cv2.putText``'s Hershey faces. OpenCV 5 replaced
them with one built-in outline sans-serif: every ``FONT_HERSHEY_*`` face draws the same
typeface, and any thickness from 2 up the same bold, so in that family a die's weight does
nothing and "another design" (Simplex against Complex) is the same typeface. The ``strokes``
family (evaluation styles E and F) reads the strokes from the original Hershey data (Debian's
``hershey-fonts-data``, public domain) and draws them as polylines of the die's weight, which
OpenCV still draws as asked.

File format (``.jhf``): per glyph a 5-column number, a 3-column vertex count, then that many
coordinate pairs, each a pair of characters offset from ``R``; the first pair is the glyph's
left and right bound, and `` R`` lifts the pen. Glyphs are in ASCII order from the space.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

FONT_DIR = Path("/usr/share/hershey-fonts")
# OpenCV's Hershey faces and the Hershey sets they were: Simplex, Plain (a lighter simplex),
# Duplex (double-stroked sans), Complex and Triplex (serif).
FACES = {
    cv2.FONT_HERSHEY_SIMPLEX: "rowmans",
    cv2.FONT_HERSHEY_PLAIN: "futural",
    cv2.FONT_HERSHEY_DUPLEX: "rowmand",
    cv2.FONT_HERSHEY_COMPLEX: "timesr",
    cv2.FONT_HERSHEY_TRIPLEX: "rowmant",
}
_SHIFT = 4  # sub-pixel bits for cv2.polylines

Strokes = list[list[tuple[int, int]]]


@functools.lru_cache(maxsize=8)
def load(face: str) -> dict[str, tuple[int, int, Strokes]]:
    """Glyphs of a ``.jhf`` face by character: (left, right, strokes)."""
    path = FONT_DIR / f"{face}.jhf"
    try:
        text = path.read_text("ascii")
    except OSError as exc:
        raise RuntimeError(
            f"Hershey font {path} missing: install Debian's hershey-fonts-data "
            "(scripts/setup.sh does)"
        ) from exc
    glyphs: dict[str, tuple[int, int, Strokes]] = {}
    lines = text.split("\n")
    i, code = 0, 32
    while i < len(lines):
        record = lines[i]
        i += 1
        if not record.strip():
            continue
        count = int(record[5:8])
        # A long glyph continues on the following lines.
        while len(record) < 8 + 2 * count and i < len(lines):
            record += lines[i]
            i += 1
        body = record[8 : 8 + 2 * count]
        left, right = ord(body[0]) - 82, ord(body[1]) - 82
        strokes: Strokes = [[]]
        for k in range(2, len(body) - 1, 2):
            pair = body[k : k + 2]
            if pair == " R":
                strokes.append([])
            else:
                strokes[-1].append((ord(pair[0]) - 82, ord(pair[1]) - 82))
        glyphs[chr(code)] = (left, right, [s for s in strokes if s])
        code += 1
    return glyphs


def render(font_id: int, ch: str, height: int, weight: float) -> np.ndarray:
    """The glyph as a uint8 mask in a 2h x 2h canvas: cap height ``height`` px, strokes
    ``weight`` px wide (at least 1), the advance box centred, the cap height centred."""
    glyphs = load(FACES.get(font_id, "rowmans"))
    _, _, cap = glyphs["H"]
    ys = [y for stroke in cap for _, y in stroke]
    top, base = min(ys), max(ys)
    scale = height / max(base - top, 1)
    left, right, strokes = glyphs[ch]
    size = 2 * height
    cx = (left + right) / 2
    cy = (top + base) / 2
    unit = 1 << _SHIFT
    canvas = np.zeros((size, size), np.uint8)
    pts = [
        np.array(
            [
                (
                    round((size / 2 + (x - cx) * scale) * unit),
                    round((size / 2 + (y - cy) * scale) * unit),
                )
                for x, y in stroke
            ],
            np.int32,
        )
        for stroke in strokes
    ]
    thick = max(1, round(weight))
    cv2.polylines(canvas, pts, False, 255, thick, cv2.LINE_AA, _SHIFT)
    return canvas
