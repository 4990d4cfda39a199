"""Two rubbings' reads are compared as read, not as the check digit would correct them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.vin import rules
from pipeline.vin.band import rectify
from pipeline.vin.reading import VinRead, read_band
from pipeline.vin.rubbing import compare_images, decode

DATA = Path(__file__).resolve().parent / "data"
VIN = "3THWVSM674C920236"


@pytest.fixture(scope="module")
def ocr() -> RapidOcrEngine:
    return RapidOcrEngine()


def test_as_read_is_the_read_before_the_check_digit_chose() -> None:
    fix = rules.arbitrate("3THWVSM674G920236")
    assert fix.text == VIN and fix.changed == (10,)  # G and C are an OCR confusion
    read = VinRead(
        fix.text, 0.97, "3THWVSM674G920236", True, fix.changed, False, "3THWVSM674G920236"
    )
    assert read.vin == VIN and read.as_read == "3THWVSM674G920236"
    assert VinRead(VIN, 0.9, VIN).as_read == VIN  # made without it: the VIN
    assert VinRead(None, 0.0, "").as_read is None


def test_a_look_alike_the_check_digit_would_undo_is_flagged(ocr: RapidOcrEngine) -> None:
    """``data/lookalike_corrected_*.jpg`` is look-alike pair 36 of ``evalgen.pairs(37, "D",
    912)`` (a tuning seed): the C at position 11 was altered to a G. OCR reads the G, but
    the check digit was made for the C, so correcting the read by its check digit (G and C
    are a confusion it may undo) gave back the original VIN, the two reads agreed and the
    pair was a match. The reads are compared as read; the reported VIN stays the corrected
    one."""
    ref = decode((DATA / "lookalike_corrected_ref.jpg").read_bytes())
    cand = decode((DATA / "lookalike_corrected_cand.jpg").read_bytes())
    result = compare_images(ref, cand, ocr=ocr, vin=VIN, overlay=False)
    assert result.vin_read is not None
    assert result.vin_read.vin == VIN and result.vin_read.corrected == (10,)
    assert result.vin_read.as_read is not None and result.vin_read.as_read[10] == "G"
    assert result.verdict == "mismatch" and 10 in result.comparison.suspects
    assert "11:reads C→G" in result.comparison.note
    # The reference reads as its VIN, with or without the check digit.
    assert ref is not None
    band = rectify(ref)
    assert band is not None and read_band(band, ocr).as_read == VIN
