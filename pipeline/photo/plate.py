"""Find and read Chinese licence plates, and compare a read with the registered plate.

Location is colour-first on a downscaled copy: plates are filled rectangles of one of four
background colours (blue, yellow, green new-energy, white) holding dense vertical strokes
(characters). Candidates are ranked by shape (aspect ~3.1 for 440x140 mm, ~3.4 for the green
480x140 mm), fill and stroke density; the best few are cropped at full resolution and read
with line recognition only (no detection pass over the whole photo).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领警学港澳"
PLATE_RE = re.compile(rf"^[{PROVINCES}][A-Z][A-Z0-9]{{4,5}}[A-Z0-9挂学警港澳领试超]$")
# Pairs a recogniser confuses on plate fonts; Chinese plates never use I or O.
_CONFUSABLE_GROUPS = (
    "0DQOU",
    "8B3",
    "1ILT7J",
    "2Z",
    "5S",
    "6GC",
    "A4",
    "EF",
    "KX",
    "PR",
    "UV",
    "MNHW",
)
_CONFUSABLE = {(a, b) for g in _CONFUSABLE_GROUPS for a in g for b in g if a != b}
# (colour, lower, upper) in OpenCV HSV (H 0-179). Each colour has a loose and a strict
# range: the strict one separates a saturated plate from a bluish car body around it.
_HSV_RANGES = (
    ("blue", (100, 90, 50), (128, 255, 255)),
    ("blue", (100, 150, 110), (126, 255, 255)),
    ("yellow", (15, 90, 90), (34, 255, 255)),
    ("green", (35, 60, 90), (90, 255, 255)),
    ("white", (0, 0, 170), (179, 40, 255)),
)


class LineReader(Protocol):
    """The part of the OCR engine used here."""

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Read one cropped line."""


@dataclass(frozen=True)
class PlateCandidate:
    """A plate-like region in full-resolution coordinates."""

    x0: int
    y0: int
    x1: int
    y1: int
    color: str
    score: float
    # Corners (tl, tr, br, bl) when the plate is seen at an angle: read after a perspective
    # warp to a flat plate instead of an axis-aligned crop.
    quad: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True)
class PlateRead:
    """The text read from a candidate, normalised, with the recogniser's confidence."""

    text: str
    raw: str
    score: float
    candidate: PlateCandidate

    @property
    def valid(self) -> bool:
        """Whether the text has the shape of a Chinese plate."""
        return bool(PLATE_RE.match(self.text))


def normalise_plate(text: str) -> str:
    """Upper-case, without separators (·, -, spaces, dots)."""
    return re.sub(r"[\s·•.\-_:：,，'\"]", "", text).upper()


def locate(image: np.ndarray, *, work_side: int = 640, limit: int = 4) -> list[PlateCandidate]:
    """Up to ``limit`` plate candidates, best first."""
    w = image.shape[1]
    small = image
    # 2x area halvings take OpenCV's fast path; the last step is a cheap linear resize.
    while max(small.shape[:2]) >= 2 * work_side:
        small = cv2.resize(
            small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
    if max(small.shape[:2]) > work_side:
        f = work_side / max(small.shape[:2])
        small = cv2.resize(
            small,
            (round(small.shape[1] * f), round(small.shape[0] * f)),
            interpolation=cv2.INTER_LINEAR,
        )
    scale = small.shape[1] / w
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    strokes = np.abs(cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)) > 50
    sh, sw = gray.shape
    found: list[PlateCandidate] = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3))
    for color, lo, hi in _HSV_RANGES:
        raw = cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
        # Closing bridges the characters, which are not background-coloured.
        mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, kernel)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        # Size filter in numpy first: noisy masks have thousands of specks.
        keep = (stats[:, 3] >= 6) & (stats[:, 2] >= max(16, 0.04 * sw))
        for i in np.flatnonzero(keep[1:]) + 1:
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if bw > 0.6 * sw or bh > 0.3 * sh:
                continue
            aspect, fill, quad = bw / bh, area / (bw * bh), None
            if 0.7 <= aspect < 1.8:
                # Seen at an angle (perspective, tilt): judge the shape by its corners.
                aspect, fill, quad = _skewed(labels[y : y + bh, x : x + bw] == i, x, y, area)
            if not 1.8 <= aspect <= 6.0:
                continue
            density = float(strokes[y : y + bh, x : x + bw].mean())
            # A plate is a solid background with characters on it; coloured watermark text
            # closes into a similar blob but its own pixels cover far less of it.
            solid = float(np.count_nonzero(raw[y : y + bh, x : x + bw])) / (bw * bh)
            if fill < 0.45 or density < 0.08 or solid < 0.4:
                continue
            shape = 1.0 - min(abs(aspect - 3.2) / 3.0, 1.0)
            score = shape + fill + min(density, 0.35) * 2 - (0.5 if color == "white" else 0.0)
            inv = 1.0 / scale
            full = tuple((px * inv, py * inv) for px, py in quad) if quad else None
            box = (int(x * inv), int(y * inv), int((x + bw) * inv), int((y + bh) * inv))
            found.append(PlateCandidate(*box, color, score, full))
    found.sort(key=lambda c: -c.score)
    return _distinct(found)[:limit]


def _skewed(
    region: np.ndarray, x: int, y: int, area: int
) -> tuple[float, float, tuple[tuple[float, float], ...] | None]:
    """Aspect, fill and corners (tl, tr, br, bl) of a plate seen at an angle."""
    ys, xs = np.nonzero(region)
    xs, ys = xs + x, ys + y
    s, d = xs + ys, xs - ys
    tl, br = (xs[s.argmin()], ys[s.argmin()]), (xs[s.argmax()], ys[s.argmax()])
    tr, bl = (xs[d.argmax()], ys[d.argmax()]), (xs[d.argmin()], ys[d.argmin()])
    quad = np.array([tl, tr, br, bl], np.float32)
    width = (np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2
    height = (np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2
    poly = float(cv2.contourArea(quad))
    if height < 4 or poly <= 0:
        return 0.0, 0.0, None
    corners = tuple((float(px), float(py)) for px, py in quad)
    return float(width / height), min(1.0, area / poly), corners


def _distinct(cands: list[PlateCandidate]) -> list[PlateCandidate]:
    """Drop candidates that mostly overlap a better one (loose and strict masks agree)."""
    kept: list[PlateCandidate] = []
    for c in cands:
        area = (c.x1 - c.x0) * (c.y1 - c.y0)
        if all(_overlap(c, k) < 0.7 * area for k in kept):
            kept.append(c)
    return kept


def _overlap(a: PlateCandidate, b: PlateCandidate) -> int:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(0, w) * max(0, h)


def read_candidate(image: np.ndarray, cand: PlateCandidate, reader: LineReader) -> PlateRead:
    """Crop a candidate with a small margin and read it as one line."""
    h, w = image.shape[:2]
    if cand.quad is not None:
        crop = _warp(image, cand.quad)
    else:
        mx, my = int((cand.x1 - cand.x0) * 0.10) + 2, int((cand.y1 - cand.y0) * 0.15) + 2
        crop = image[
            max(0, cand.y0 - my) : min(h, cand.y1 + my), max(0, cand.x0 - mx) : min(w, cand.x1 + mx)
        ]
    if cand.color == "blue":
        # The recogniser reads dark-on-light best; blue plates have white characters.
        crop = cv2.bitwise_not(crop)
    raw, score = reader.read_line(crop)
    return PlateRead(normalise_plate(raw), raw, score, cand)


# Share of a candidate's box in its background colour, at full resolution. Measured: read
# plates 0.43-0.94 (CCPD and samplegen); coloured watermark text lines 0.32-0.34. Keeps a
# burned-in plate line ("京A12345" in the watermark) from being read as the plate itself.
_MIN_COVERAGE = 0.38


def _coverage(image: np.ndarray, cand: PlateCandidate) -> float:
    crop = image[cand.y0 : cand.y1, cand.x0 : cand.x1]
    if crop.size == 0:
        return 0.0
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    lo, hi = next((lo, hi) for color, lo, hi in _HSV_RANGES if color == cand.color)
    return float(
        np.count_nonzero(cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8)))
    ) / (crop.shape[0] * crop.shape[1])


def _warp(image: np.ndarray, quad: tuple[tuple[float, float], ...]) -> np.ndarray:
    """The quad warped flat to a 3.2:1 plate, 64 px high, with a small margin."""
    out_w, out_h, m = 205, 64, 6
    dst = np.array([[m, m], [out_w - m, m], [out_w - m, out_h - m], [m, out_h - m]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.array(quad, np.float32), dst)
    return cv2.warpPerspective(image, matrix, (out_w, out_h), borderMode=cv2.BORDER_REPLICATE)


def find_plate(
    image: np.ndarray, reader: LineReader, *, expected: str | None = None, max_reads: int = 4
) -> tuple[PlateRead | None, list[PlateRead]]:
    """Read the best candidates until one reads as the expected plate (or, without one, as
    any valid plate); return the best valid read and every read."""
    reads: list[PlateRead] = []
    want = normalise_plate(expected) if expected else None
    for cand in locate(image, limit=max_reads):
        if _coverage(image, cand) < _MIN_COVERAGE:
            continue
        r = read_candidate(image, cand, reader)
        reads.append(r)
        if r.valid and r.score >= 0.5 and (want is None or r.text == want):
            return r, reads
    valid = sorted((r for r in reads if r.valid and r.score >= 0.5), key=lambda r: -r.score)
    return (valid[0] if valid else None), reads


Verdict = Literal["match", "uncertain", "mismatch"]


def compare(read: str, expected: str) -> tuple[Verdict, list[tuple[int, str, str]]]:
    """Compare a read with the registered plate: match, OCR-confusable (uncertain) or not.

    Only substitutions between confusable shapes, a different province character (Chinese
    glyphs are the recogniser's weakest), or one missing/extra character count as uncertain.
    """
    read, expected = normalise_plate(read), normalise_plate(expected)
    if read == expected:
        return "match", []
    if len(read) != len(expected):
        if abs(len(read) - len(expected)) == 1 and _one_indel(read, expected):
            return "uncertain", [(-1, read, expected)]
        return "mismatch", [(-1, read, expected)]
    diffs = [(i, a, b) for i, (a, b) in enumerate(zip(read, expected, strict=True)) if a != b]
    if all((a, b) in _CONFUSABLE or i == 0 for i, a, b in diffs):
        return "uncertain", diffs
    return "mismatch", diffs


def _one_indel(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
