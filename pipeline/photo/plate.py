"""Find and read Chinese licence plates, and compare a read with the registered plate.

Candidates come from ``plate_locate`` (colour masks and an edge pass on a downscaled copy,
each with its four corners). The best few are warped flat at full resolution and read with
line recognition only (no detection pass over the whole photo); a read that is part of a
plate is read again from wider corners, one that is a confusion away from the registered
plate from a differently scaled crop. No RapidOCR detection fallback: on a 640 px region it
costs about a second on one core, far over the photo budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import cv2
import numpy as np

from pipeline.photo.plate_locate import HSV_RANGES, PlateCandidate, locate

__all__ = [
    "PlateCandidate",
    "PlateRead",
    "compare",
    "confirmed",
    "find_plate",
    "locate",
    "normalise_plate",
]

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领警学港澳"
# Part of a plate: an optional province and 2-6 letters/digits, nothing else.
_FRAGMENT = re.compile(rf"^[{PROVINCES}]?[A-Z0-9]{{2,6}}$")
PLATE_RE = re.compile(rf"^[{PROVINCES}][A-Z][A-Z0-9]{{4,5}}[A-Z0-9挂学警港澳领试超]$")
# Pairs a recogniser confuses on plate fonts; Chinese plates never use I or O.
_CONFUSABLE_GROUPS = (
    "0DQOU",
    "8B3",
    "689",
    "JU",
    "1ILT7J",
    "2Z",
    "5S",
    "6GC",
    "A4",
    "EF",
    "KX",
    "PR",
    "UVY",
    "MNHW",
)
_CONFUSABLE = {(a, b) for g in _CONFUSABLE_GROUPS for a in g for b in g if a != b}


class LineReader(Protocol):
    """The part of the OCR engine used here."""

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Read one cropped line."""


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


def read_candidate(
    image: np.ndarray, cand: PlateCandidate, reader: LineReader, *, alternate: bool = False
) -> PlateRead:
    """Read a candidate as one line: warped flat from its corners when it has them, else
    cropped with a small margin. ``alternate`` reads a differently scaled crop of the same
    plate, a second opinion before failing on a read."""
    h, w = image.shape[:2]
    if cand.quad is not None:
        # Green new-energy plates are 480x140 mm, the others 440x140.
        aspect = 3.43 if cand.color == "green" else 3.14
        crop = _warp(image, cand.quad, aspect, *((48, 4) if alternate else (64, 6)))
    else:
        fx, fy = (0.10, 0.15) if not alternate else (0.14, 0.25)
        mx, my = int((cand.x1 - cand.x0) * fx) + 2, int((cand.y1 - cand.y0) * fy) + 2
        crop = image[
            max(0, cand.y0 - my) : min(h, cand.y1 + my), max(0, cand.x0 - mx) : min(w, cand.x1 + mx)
        ]
        if alternate and crop.shape[0] < 48:
            crop = cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    if cand.color == "blue":
        # The recogniser reads dark-on-light best; blue plates have white characters.
        crop = cv2.bitwise_not(crop)
    raw, score = reader.read_line(crop)
    return PlateRead(normalise_plate(raw), raw, score, cand)


def confirmed(image: np.ndarray, read: PlateRead, expected: str, reader: LineReader) -> bool:
    """Whether a second crop of the same plate repeats every character of ``read`` that
    differs from ``expected`` beyond OCR confusions (a wrong plate, not a misread).

    Characters are matched from the end: the second read may drop or add the province."""
    second = read_candidate(image, read.candidate, reader, alternate=True).text
    verdict, diffs = compare(read.text, expected)
    if verdict != "mismatch" or any(i < 0 for i, _, _ in diffs):
        return second == read.text
    n = len(read.text)
    hard = [i - n for i, a, b in diffs if i > 0 and (a, b) not in _CONFUSABLE]
    return bool(hard) and all(len(second) >= -i and second[i] == read.text[i] for i in hard)


# Share of a candidate's box in its background colour, at full resolution. Measured: read
# plates 0.43-0.94 (CCPD and samplegen); coloured watermark text lines 0.32-0.34. Keeps a
# burned-in plate line ("京A12345" in the watermark) from being read as the plate itself.
_MIN_COVERAGE = 0.38
# Candidate score (plate_locate) below which a read is not worth its ~10 ms. Measured on the
# samplegen bays and the CCPD frames: every read that matched or nearly matched came from a
# candidate scoring 2.37 or more; a quarter of the empty or junk reads scored under 2.0.
_MIN_SCORE = 2.0


def _coverage(image: np.ndarray, cand: PlateCandidate) -> float:
    """Largest share of the candidate (its quad when it has one) inside one HSV range of its
    colour."""
    crop = image[cand.y0 : cand.y1, cand.x0 : cand.x1]
    if crop.size == 0:
        return 0.0
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    inside = np.full(crop.shape[:2], 255, np.uint8)
    if cand.quad is not None:
        inside[:] = 0
        poly = np.array(cand.quad, np.float32) - np.array([cand.x0, cand.y0], np.float32)
        cv2.fillPoly(inside, [poly.round().astype(np.int32)], 255)
    total = max(1, int(np.count_nonzero(inside)))
    shares = []
    for color, lo, hi in HSV_RANGES:
        if color == cand.color:
            hit = cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
            shares.append(int(np.count_nonzero(cv2.bitwise_and(hit, inside))) / total)
    return float(max(shares, default=0.0))


def _widened(cand: PlateCandidate, along: float = 1.3, across: float = 1.1) -> PlateCandidate:
    """The candidate grown about its centre, ``along`` its length and ``across`` it."""
    if cand.quad is None:
        dx = round((cand.x1 - cand.x0) * (along - 1) / 2)
        dy = round((cand.y1 - cand.y0) * (across - 1) / 2)
        box = (max(0, cand.x0 - dx), max(0, cand.y0 - dy), cand.x1 + dx, cand.y1 + dy)
        return replace(cand, x0=box[0], y0=box[1], x1=box[2], y1=box[3])
    q = np.array(cand.quad, np.float64)
    centre = q.mean(axis=0)
    length = ((q[1] - q[0]) + (q[2] - q[3])) / 2
    height = ((q[3] - q[0]) + (q[2] - q[1])) / 2
    signs = ((-1, -1), (1, -1), (1, 1), (-1, 1))  # tl, tr, br, bl
    quad = tuple(
        (float(p[0]), float(p[1]))
        for p in (centre + sx * length * along / 2 + sy * height * across / 2 for sx, sy in signs)
    )
    return replace(cand, quad=quad)


def _warp(
    image: np.ndarray, quad: tuple[tuple[float, float], ...], aspect: float, out_h: int, m: int
) -> np.ndarray:
    """The quad warped flat to a plate of ``aspect``, ``out_h`` px high, with margin ``m``."""
    out_w = round((out_h - 2 * m) * aspect) + 2 * m
    dst = np.array([[m, m], [out_w - m, m], [out_w - m, out_h - m], [m, out_h - m]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.array(quad, np.float32), dst)
    return cv2.warpPerspective(image, matrix, (out_w, out_h), borderMode=cv2.BORDER_REPLICATE)


def find_plate(
    image: np.ndarray,
    reader: LineReader,
    *,
    expected: str | None = None,
    max_reads: int = 3,
    avoid: tuple[tuple[int, int, int, int], ...] = (),
) -> tuple[PlateRead | None, list[PlateRead]]:
    """Read the best candidates until one reads as the expected plate (or, without one, as
    any valid plate); return the best valid read and every read. Candidates centred in an
    ``avoid`` box (x0, y0, x1, y1: the burned-in watermark) are not read."""
    reads: list[PlateRead] = []
    want = normalise_plate(expected) if expected else None
    # More candidates than reads: some are skipped unread (low score or colour coverage).
    for cand in locate(image, limit=2 * max_reads + len(avoid)):
        cx, cy = (cand.x0 + cand.x1) / 2, (cand.y0 + cand.y1) / 2
        if any(x0 <= cx <= x1 and y0 <= cy <= y1 for x0, y0, x1, y1 in avoid):
            continue
        if len(reads) >= max_reads or cand.score < _MIN_SCORE:
            continue
        if _coverage(image, cand) < _MIN_COVERAGE:
            continue
        r = read_candidate(image, cand, reader)
        reads.append(r)
        if not r.valid and _FRAGMENT.match(r.text):
            # Part of a plate ("苏KFT8"): the colour blob stopped short of its ends (shadow,
            # glare, a bolt); read it again from corners spread along the plate.
            r = read_candidate(image, _widened(cand), reader)
            reads.append(r)
        if want and r.text != want and r.text and compare(r.text, want)[0] == "uncertain":
            # One confusion away (often the small province glyph): a second, differently
            # scaled crop settles it only if it reads the registered plate exactly.
            r = read_candidate(image, cand, reader, alternate=True)
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
