"""Rubbing comparison end to end: decode, rectify, compare, read the VIN, draw the overlay.

This is what the ``rubbing_compare`` check and ``inspectpipe rubbing compare`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from pipeline.ocr import OcrEngine
from pipeline.vin.band import Band, rectify, turned_band
from pipeline.vin.compare import (
    Comparison,
    Thresholds,
    as_compared,
    compare_bands,
    read_alike,
    with_text,
)
from pipeline.vin.reading import VinRead, read_band, read_upright


@dataclass(frozen=True)
class RubbingResult:
    """A comparison with the candidate's VIN read and a reviewer's overlay (JPEG)."""

    comparison: Comparison
    vin_read: VinRead | None
    overlay: bytes | None

    @property
    def verdict(self) -> str:
        """match | mismatch | unreadable."""
        return self.comparison.verdict

    def to_json(self, reference: Any = None, candidate: Any = None) -> dict[str, Any]:
        """The DESIGN.md ``rubbing compare`` object."""
        c = self.comparison
        return {
            "verdict": c.verdict,
            "score": round(c.score, 4),
            "vin_read": self.vin_read.vin if self.vin_read else None,
            "suspect_positions": list(c.suspects),
            "reference": reference,
            "candidate": candidate,
            "note": c.note,
        }


def decode(data: bytes) -> np.ndarray | None:
    """Decode image bytes (None when they are not an image)."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def compare_images(
    reference: np.ndarray | None,
    candidate: np.ndarray | None,
    *,
    ocr: OcrEngine | None = None,
    thresholds: Thresholds | None = None,
    overlay: bool = True,
    vin: str | None = None,
) -> RubbingResult:
    """Compare two decoded rubbing photos; OCR reads the candidate band when given (``vin``:
    the registered VIN, see :func:`compare_to_band`)."""
    ref = rectify(reference) if reference is not None else None
    return compare_to_band(ref, candidate, ocr=ocr, thresholds=thresholds, overlay=overlay, vin=vin)


def compare_to_band(
    ref: Band | None,
    candidate: np.ndarray | None,
    *,
    ocr: OcrEngine | None = None,
    thresholds: Thresholds | None = None,
    overlay: bool = True,
    vin: str | None = None,
) -> RubbingResult:
    """Compare a decoded candidate photo with a reference band rectified beforehand.

    The reference is rectified once however many candidates it is compared with (the
    ``rubbing_compare`` check keeps it beside the reference image, ``rubbing compare --pairs``
    for the run), and its OCR read is kept in the band (``Band.reads``) after the first.
    With OCR, the two reads are compared (:func:`~pipeline.vin.compare.with_text`); the
    registered ``vin``, when known, tells where the reference itself was misread and which
    of its glyphs are stampings of one character (:func:`~pipeline.vin.compare.with_across`).
    """
    cand = rectify(candidate) if candidate is not None else None
    vin_read = read_band(cand, ocr) if ocr is not None and cand is not None and cand.boxes else None
    ref_read, alike = None, False
    if vin_read is not None and ocr is not None and ref is not None and cand is not None:
        ref_read = read_band(ref, ocr)
        alike = read_alike_as_found(ref, cand, ocr)
    comparison = compare_bands(ref, cand, thresholds, vin, read_alike=alike)
    if vin_read is not None and ref_read is not None:
        comparison = with_text(comparison, ref_read.as_read, vin_read.as_read, vin)
    picture = draw_overlay(ref, cand, comparison) if overlay else None
    return RubbingResult(comparison, vin_read, picture)


def read_alike_as_found(ref: Band, cand: Band, ocr: OcrEngine, min_confidence: float = 0.6) -> bool:
    """Whether OCR reads both bands, as found, as the same 17 characters (``read_alike`` of
    :func:`~pipeline.vin.compare.compare_bands`). Called after :func:`read_band` of each,
    whose reads as found are kept in the bands: no more OCR. A band without glyph boxes is
    not complete, so the comparison would not use the answer: it is not read."""
    if not (ref.boxes and cand.boxes):
        return False
    return read_alike(
        read_upright(ref, ocr, min_confidence).as_read,
        read_upright(cand, ocr, min_confidence).as_read,
    )


def _panel(band: Band | None, comparison: Comparison, width: int, label: str) -> np.ndarray:
    """One band in colour with its glyph boxes: red suspect, green agreed."""
    if band is None:
        panel = np.full((60, width, 3), 40, np.uint8)
        cv2.putText(
            panel, f"{label}: no VIN band", (8, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 255), 2
        )
        return panel
    img = cv2.cvtColor(band.gray, cv2.COLOR_GRAY2BGR)
    suspects = set(comparison.suspects)
    for i, (x, y, w, h) in enumerate(band.boxes):
        bad = i in suspects and comparison.verdict == "mismatch"
        colour = (0, 0, 255) if bad else (0, 200, 0)
        cv2.rectangle(img, (x - 1, y - 1), (x + w + 1, y + h + 1), colour, 2 if bad else 1)
        cv2.putText(img, str(i + 1), (x, max(y - 4, 10)), cv2.FONT_HERSHEY_PLAIN, 0.8, colour, 1)
    scale = width / img.shape[1]
    img = cv2.resize(img, (width, max(1, round(img.shape[0] * scale))))
    cv2.putText(img, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1)
    return img


def draw_overlay(
    ref: Band | None, cand: Band | None, comparison: Comparison, width: int = 960
) -> bytes:
    """Reference above candidate, glyphs boxed by outcome, the verdict and reasons below."""
    if cand is not None and comparison.turned:
        cand = turned_band(cand)
    # The rows as compared, where one band's was taken otherwise (``compare.other_rows``).
    if comparison.row and ref is not None and cand is not None:
        ref, cand = as_compared(ref, cand, comparison.row)
    rows = [
        _panel(ref, comparison, width, "reference"),
        _panel(
            cand,
            comparison,
            width,
            "candidate (turned upright)" if comparison.turned else "candidate",
        ),
    ]
    footer = np.full((34, width, 3), 255, np.uint8)
    text = f"{comparison.verdict}  score {comparison.score:.2f}  {comparison.note}"[:110]
    cv2.putText(footer, text, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    ok, buf = cv2.imencode(".jpg", np.vstack([*rows, footer]), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes() if ok else b""
