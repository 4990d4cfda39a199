"""Two rubbings' reads are compared as read, not as the check digit would correct them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.vin import rules
from pipeline.vin.band import rectify
from pipeline.vin.compare import compare_bands, with_text
from pipeline.vin.reading import VinRead, band_line, read_band
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


LEANING_VIN = "LZJLGF7D4YD198495"


def test_a_look_alike_read_as_the_original_is_flagged_by_the_reads_odds(
    ocr: RapidOcrEngine,
) -> None:
    """``data/lookalike_leaning_*.jpg`` is look-alike pair 101 of ``evalgen.pairs(102, "A",
    4242)`` (a tuning seed): the 1 at position 12 was given a 7's bar. OCR still reads a 1
    in both rubbings and the glyph's own evidence is under the limit, so the pair was a
    match. The candidate's read gives another character at that glyph far more weight than
    the reference's does; with the glyph's added ink that flags it."""
    ref = decode((DATA / "lookalike_leaning_ref.jpg").read_bytes())
    cand = decode((DATA / "lookalike_leaning_cand.jpg").read_bytes())
    assert ref is not None and cand is not None
    result = compare_images(ref, cand, ocr=ocr, vin=LEANING_VIN, overlay=False)
    assert result.vin_read is not None and result.vin_read.as_read == LEANING_VIN
    assert len(result.vin_read.odds) == rules.LENGTH
    assert result.verdict == "mismatch" and result.comparison.suspects == (11,)
    assert "12:reads 1, leaning to" in result.comparison.note
    # The glyph alone, and the reads alone, say nothing.
    ref_band, cand_band = rectify(ref), rectify(cand)
    plain = compare_bands(ref_band, cand_band, vin=LEANING_VIN)
    assert plain.verdict == "match" and plain.glyphs[11].added
    ref_read = read_band(ref_band, ocr)
    assert ref_read.as_read == LEANING_VIN
    assert with_text(plain, ref_read.as_read, LEANING_VIN, LEANING_VIN).verdict == "match"


def test_read_line_odds_is_read_line_with_odds(ocr: RapidOcrEngine) -> None:
    cand = decode((DATA / "lookalike_leaning_cand.jpg").read_bytes())
    assert cand is not None
    line = band_line(rectify(cand))
    text, score, odds = ocr.read_line_odds(line, rules.ODDS_ALPHABET, rules.FORBIDDEN_MAP)
    assert (text, score) == ocr.read_line(line)
    assert text == "LZJLGF7D4YDI98495"  # the altered 1 read as an I
    assert odds.shape == (len(text), len(rules.ODDS_ALPHABET))
    # Each glyph's best character is the one read there, an I counting as a 1.
    best = "".join(rules.ODDS_ALPHABET[int(k)] for k in odds.argmax(axis=1))
    assert best == LEANING_VIN
    assert float(odds.min()) >= 0.0 and float(odds.max()) <= 1.0
    # Without folding, the I is no character of the alphabet, and the glyph's best is another.
    _, _, plain = ocr.read_line_odds(line, rules.ODDS_ALPHABET)
    assert plain[11, rules.ODDS_ALPHABET.index("1")] < odds[11, rules.ODDS_ALPHABET.index("1")]
