"""Read a VIN from a photo, a rubbing band or a document with the shared OCR engine.

The read is constrained to the VIN alphabet (I, O, Q become 1, 0, 0) and then the check
digit arbitrates among OCR confusions (:func:`pipeline.vin.rules.arbitrate`). Nothing here
knows the expected VIN: a read is never pulled toward it. When no line yields exactly 17
plausible characters, the read is *unreadable* instead of a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.ocr import Box, LineOcr, OcrEngine, OcrLine
from pipeline.vin import rules
from pipeline.vin.band import Band, turned_band

# Labels printed next to a VIN on plates and documents; dropped before reading.
_LABELS = re.compile(r"(VIN|V\.I\.N|NO\.?|车辆识别代号|识别代号|车架号|代号)[:：]?", re.IGNORECASE)


@dataclass(frozen=True)
class VinRead:
    """What was read: the VIN (or None), confidence, the raw OCR text and the check digit."""

    vin: str | None
    confidence: float
    raw: str
    check_ok: bool = False
    corrected: tuple[int, ...] = ()
    windowed: bool = False  # picked by its check digit out of a longer line
    # The 17 characters as read, before the check digit corrected any (``corrected``). Two
    # rubbings' reads are compared on these: a look-alike alteration (3→8, C→G) is one of
    # the confusions the check digit corrects, back toward the VIN the digit was made for.
    uncorrected: str | None = None

    @property
    def readable(self) -> bool:
        """Whether a 17-character VIN was read."""
        return self.vin is not None

    @property
    def as_read(self) -> str | None:
        """The VIN as read, none of its characters chosen by the check digit."""
        return self.uncorrected if self.uncorrected is not None else self.vin

    @property
    def inferred(self) -> bool:
        """Whether the check digit chose part of this read (corrected characters, or which
        17 of a longer line): right only if the other characters were read right."""
        return bool(self.corrected) or self.windowed


UNREADABLE = VinRead(None, 0.0, "")


def candidates(text: str) -> list[str]:
    """17-character VIN candidates in one OCR line (after labels and separators go).

    A line of prose (several words) is not a VIN. Letters in the last four positions, which
    ISO 3779 / GB 16735 make digits, are mapped to the digit they resemble when the read's
    check digit does not already hold.
    """
    # Marks with no letter or digit (★, *, punctuation) are not words: some makers punch
    # a VIN between delimiters, and OCR may read them as separate tokens.
    words = [w for w in _LABELS.sub(" ", text).split() if any(c.isalnum() for c in w)]
    stripped = " ".join(words)
    if len(words) > 2 or sum(c.islower() for c in stripped) > 2:
        return []
    cleaned = rules.clean(stripped)
    if len(cleaned) < rules.LENGTH:
        return []
    if len(cleaned) == rules.LENGTH:
        return [w for w in [_serial(cleaned)] if _has_letters(w)]
    windows = [cleaned[i : i + rules.LENGTH] for i in range(len(cleaned) - rules.LENGTH + 1)]
    # A longer line is only trusted for a window that carries a valid check digit and
    # digits in the last four places, and only when exactly one does.
    valid = [w for w in windows if rules.check_digit_ok(w) and _serial_ok(w) and _has_letters(w)]
    return valid if len(valid) == 1 else []


def _longer_than_a_vin(text: str) -> bool:
    return len(rules.clean(_LABELS.sub(" ", text).strip())) > rules.LENGTH


def _has_letters(vin: str) -> bool:
    # Every WMI/VDS has letters; 17 digits in a row is a form or inspection number.
    return sum(c.isalpha() for c in vin) >= 2


def _serial_ok(vin: str | None) -> bool:
    return vin is not None and vin[13:].isdigit()


def _serial(window: str) -> str:
    if rules.check_digit_ok(window):
        return window
    fixed = rules.fix_serial(window)
    return fixed if fixed is not None else window


# Two recognised boxes continue one line when their centres lie within this many pixels of
# the same line through them (across the reading direction).
SAME_LINE_PX = 20.0


def _split_lines(lines: list[OcrLine]) -> list[tuple[OcrLine, OcrLine]]:
    """Pairs (a, b) of recognised boxes where b continues a's line: read the same way (each
    box is read from its first corner along its top edge, so a line standing on end reads
    down or up the picture), its centre ahead of a's along that direction and within
    :data:`SAME_LINE_PX` across it; of several, the nearest."""
    ways = [_reading_way(ln) for ln in lines]
    out = []
    for a, way in zip(lines, ways, strict=True):
        if way is None:
            continue
        ux, uy = way
        best: tuple[float, OcrLine] | None = None
        for b, other in zip(lines, ways, strict=True):
            if b is a or other is None or other[0] * ux + other[1] * uy < 0.9:
                continue
            dx, dy = b.center[0] - a.center[0], b.center[1] - a.center[1]
            along, across = dx * ux + dy * uy, abs(dy * ux - dx * uy)
            if along > 0 and across < SAME_LINE_PX and (best is None or along < best[0]):
                best = (along, b)
        if best is not None:
            out.append((a, best[1]))
    return out


def _reading_way(line: OcrLine) -> tuple[float, float] | None:
    """The unit direction a box is read in (its top edge, first corner to second); None for
    a box with no length."""
    (x0, y0), (x1, y1) = line.box[0], line.box[1]
    length = math.hypot(x1 - x0, y1 - y0)
    return ((x1 - x0) / length, (y1 - y0) / length) if length > 0 else None


def best_read(lines: list[OcrLine], min_confidence: float) -> VinRead:
    """The most plausible VIN among OCR lines (also joining neighbours split by OCR)."""
    texts: list[tuple[str, float]] = [(ln.text, ln.score) for ln in lines]
    for a, b in _split_lines(lines):
        # OCR sometimes splits one VIN in two boxes on one line; only the exact
        # 17-character join counts, so unrelated neighbours cannot form a VIN.
        joined = a.text + " " + b.text
        if len(rules.clean(joined)) == rules.LENGTH:
            texts.append((joined, min(a.score, b.score)))
    found: list[VinRead] = []
    for text, score in texts:
        windowed = _longer_than_a_vin(text)
        for cand in candidates(text):
            fix = rules.arbitrate(cand)
            found.append(VinRead(fix.text, score, text, fix.check_ok, fix.changed, windowed, cand))
    found = [f for f in found if f.confidence >= min_confidence]
    if not found:
        return VinRead(None, 0.0, " | ".join(ln.text for ln in lines))
    found.sort(key=lambda f: (f.check_ok, _serial_ok(f.vin), f.confidence), reverse=True)
    return found[0]


# A VIN line (17 glyphs, maybe a label before it, maybe split in two by the detector) is wide.
MIN_LINE_ASPECT = 3.5
# Width/height of a detected box around 17 VIN glyphs alone, as measured on stamped plates,
# forms and photographed documents (7-12); lines are recognised nearest this first.
TYPICAL_VIN_ASPECT = 9.5
# Detection runs on a copy whose longest side is bounded: first small, then larger when the
# small copy yields no VIN with a valid check digit (small print on forms merges at 640).
DETECT_SIDES = (640, 960)
# A VIN photo (0113) is a close-up of the stamped VIN: its glyphs stay legible to the
# detector on a smaller copy (44 -> 25 ms per detection). On 42 generated 0113 photos every
# read was the same from 480 as from 640; a photo taken from further away falls back to 960.
CLOSE_UP_SIDES = (480, 960)
# Lines are recognised one at a time, most VIN-like first (on forms the VIN is the first or
# second line tried, so stopping there beats batching), at most this many per detection.
MAX_LINES = 12


def _box_size(box: Box) -> tuple[float, float]:
    (x0, y0), (x1, y1), _, (x3, y3) = box[:4]
    return ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5, ((x3 - x0) ** 2 + (y3 - y0) ** 2) ** 0.5


def vin_shaped(box: Box) -> bool:
    """Whether a detected text box could hold (part of) a VIN: wide and not tiny."""
    width, height = _box_size(box)
    return height >= 6 and width >= MIN_LINE_ASPECT * height


def stood_up(box: Box) -> list[Box]:
    """A text box standing on end (a VIN photographed with the camera on its side, running
    down or up the picture) as the two boxes whose crops read it the right way up: going
    down (the glyphs' tops to the right), then going up; none for a box that lies across.

    Boxes come as top-left, top-right, bottom-right, bottom-left; the crop's top edge runs
    from a box's first corner to its second."""
    width, height = _box_size(box)
    if width < 6 or height < MIN_LINE_ASPECT * width:
        return []
    tl, tr, br, bl = box[:4]
    return [(tr, br, bl, tl), (bl, tl, tr, br)]


# Stations burn their watermark (date, station, plate: lines of a VIN-like aspect) into the top
# of every photo, where forms also print their title: lines centred in this top share of the
# image are tried later (not skipped). On 129 generated forms and VIN photos this moved the VIN
# line's mean rank from 1.9 to 1.0 (the VIN was centred at 0.21-0.64 of the height).
TOP_BAND, TOP_PENALTY = 0.15, 0.5


def _vin_likeness(box: Box, image_height: int) -> float:
    """How far a box is from a typical VIN line: its aspect against a 17-glyph line's (log
    scale, 0 = typical), plus a penalty in the watermark band; lower is tried first."""
    width, height = _box_size(box)
    score = abs(math.log(width / max(height, 1.0) / TYPICAL_VIN_ASPECT))
    centre_y = sum(p[1] for p in box[:4]) / 4
    return score + (TOP_PENALTY if centre_y < TOP_BAND * image_height else 0.0)


def _search_page(
    image: np.ndarray, ocr: LineOcr, min_confidence: float, sides: Sequence[int]
) -> VinRead:
    """Detect lines, then recognise VIN-shaped ones, most VIN-like first, and stop at the
    first read whose check digit holds (a random 17-character read passes it about one time
    in eleven; forms and photos carry one VIN). Lines standing on end (:func:`stood_up`) are
    tried after those lying across, both ways up. Detection runs first on a small copy
    (cheap; fine for photos and clean forms) and again on a larger one when that finds no
    such read. Without one, the best read of all candidate lines is returned."""
    result = UNREADABLE
    for side in sides:
        detected = ocr.detect(image, max_side=side)
        lying = [b for b in detected if vin_shaped(b)]
        standing = [s for b in detected for s in stood_up(b)]
        boxes = [
            *sorted(lying, key=lambda b: _vin_likeness(b, image.shape[0])),
            # A photo on its side has its watermark down one edge: no top-band penalty.
            *sorted(standing, key=lambda b: _vin_likeness(b, 0)),
        ][:MAX_LINES]
        lines: list[OcrLine] = []
        for box in boxes:
            lines += ocr.recognize(image, [box])
            found = best_read(lines, min_confidence)
            if found.readable and found.check_ok:
                return found
        if not result.readable:
            result = best_read(lines, min_confidence)  # keeps the raw text for the detail
    return result


def _read_page(
    image: np.ndarray, ocr: OcrEngine, min_confidence: float, sides: Sequence[int]
) -> VinRead:
    if isinstance(ocr, LineOcr):
        return _search_page(image, ocr, min_confidence, sides)
    return best_read(ocr.read(image), min_confidence)


def read_vin(
    image: np.ndarray,
    ocr: OcrEngine,
    min_confidence: float = 0.6,
    *,
    sides: Sequence[int] = DETECT_SIDES,
) -> VinRead:
    """Read a VIN from a whole photo or document; small images are enlarged once.

    ``sides``: the detection copies' longest sides, tried in turn until a read's check digit
    holds (``CLOSE_UP_SIDES`` for VIN close-ups)."""
    result = _read_page(image, ocr, min_confidence, sides)
    if result.readable or max(image.shape[:2]) >= 900:
        return result
    big = cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    second = _read_page(big, ocr, min_confidence, sides)
    return second if second.readable else result


def read_band(band: Band, ocr: OcrEngine, min_confidence: float = 0.6) -> VinRead:
    """Read the rectified VIN band of a rubbing (recognition only: it is already one line).

    The raw read is kept in ``band.reads`` under the recogniser's ``model_tag`` (when it has
    one), so a band kept with its reads (a prepared reference) is not read again."""
    read = read_upright(band, ocr, min_confidence)
    if read.readable or not band.boxes:
        return read
    tag = _tag(ocr)
    # A film photographed upside down reads as nothing; turned half a turn it may read as a
    # VIN, which counts only when its check digit holds.
    turned = _band_read(
        lambda: band_line(turned_band(band)),
        band.reads,
        f"{tag}/turned" if tag else "",
        ocr,
        min_confidence,
    )
    return turned if turned.readable and turned.check_ok else read


def _tag(ocr: OcrEngine) -> str:
    tag = getattr(ocr, "model_tag", "")
    return f"{tag}/line-{BAND_LINE_VERSION}" if tag else ""


def read_upright(band: Band, ocr: OcrEngine, min_confidence: float = 0.6) -> VinRead:
    """The band's read as it was found (:func:`read_band` without the half-turn it tries
    when this is unreadable); kept in ``band.reads`` as there."""
    return _band_read(lambda: band_line(band), band.reads, _tag(ocr), ocr, min_confidence)


def _band_read(
    line: Callable[[], np.ndarray],
    reads: dict[str, tuple[str, float]],
    tag: str,
    ocr: OcrEngine,
    min_confidence: float,
) -> VinRead:
    """The VIN read of one band line, the raw read kept in ``reads`` under ``tag``."""
    if tag and tag in reads:
        text, score = reads[tag]
    else:
        text, score = ocr.read_line(line())
        if tag:
            reads[tag] = (text, score)
    cands = candidates(text)
    if len(cands) != 1 or score < min_confidence:
        return VinRead(None, score, text)
    fix = rules.arbitrate(cands[0])
    return VinRead(
        fix.text, score, text, fix.check_ok, fix.changed, _longer_than_a_vin(text), cands[0]
    )


# Kept band reads are keyed by recogniser and by this: change it when band_line changes.
BAND_LINE_VERSION = 1


def band_line(band: Band) -> np.ndarray:
    """The band's glyph row as dark strokes on white (any polarity), for the recogniser."""
    ink = (255 - band.strokes * 255).astype(np.uint8)
    x0 = max(min(b[0] for b in band.boxes) - 12, 0) if band.boxes else 0
    x1 = max(b[0] + b[2] for b in band.boxes) + 12 if band.boxes else ink.shape[1]
    return cv2.cvtColor(ink[:, x0:x1], cv2.COLOR_GRAY2BGR)
