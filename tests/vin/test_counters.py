"""Counters (enclosed holes) a candidate glyph gains: the trace of a stroke added to close a loop.

``data/counter_*.jpg`` is ``evalgen.make_pair("lookalike", "B", np.random.default_rng(3029))``
(not a bench seed): the 10th glyph of LXPJ2D8D60S642324, a 6, was made an 8. Its other
measurements stay under the glyph limit; the new counter is what flags it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.vin.band import Band, rectify
from pipeline.vin.compare import Thresholds, compare_bands, decide
from pipeline.vin.glyphs import counters, measure, new_counters
from pipeline.vin.rubbing import decode

DATA = Path(__file__).resolve().parent / "data"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _glyph(ch: str) -> np.ndarray:
    """A glyph window as :func:`pipeline.vin.glyphs.measure` compares them: 32 x 48, [0, 1]."""
    if not FONT.exists():
        pytest.skip("DejaVu fonts are not installed")
    img = Image.new("L", (32, 48), 0)
    ImageDraw.Draw(img).text(
        (16, 24), ch, fill=255, font=ImageFont.truetype(str(FONT), 40), anchor="mm"
    )
    return cv2.GaussianBlur(np.asarray(img, np.float32) / 255, (0, 0), 0.8)


@pytest.mark.parametrize(
    ("ref", "cand", "gained"),
    [
        ("6", "8", 1),
        ("3", "8", 2),
        ("0", "8", 1),
        ("5", "6", 1),
        ("8", "8", 0),
        ("8", "6", 0),
        ("C", "G", 0),
        ("1", "7", 0),
        ("P", "R", 0),
        ("0", "0", 0),
        ("A", "A", 0),
    ],
)
def test_a_closed_loop_is_a_new_counter(ref: str, cand: str, gained: int) -> None:
    assert new_counters(_glyph(ref), _glyph(cand)) == gained


def test_a_faded_or_filled_reference_counter_is_not_new() -> None:
    eight = _glyph("8")
    assert len(counters(eight, 0.6)) == 2
    faded = eight.copy()
    faded[:22, 18:] *= 0.3  # the upper loop's right side rubbed faintly: it closes at 0.25
    assert len(counters(faded, 0.4)) < 2
    assert new_counters(faded, eight) == 0
    gone = eight.copy()
    gone[:22, 18:] = 0.0  # the same side missing: the candidate's loop is new
    assert new_counters(gone, eight) == 1
    filled = eight.copy()
    for m in counters(eight, 0.6):
        filled[m] = 0.6  # a smudge or blur fills the reference's counters
    assert new_counters(filled, eight) == 0


def _bands(name: str) -> tuple[Band, Band]:
    ref_img = decode((DATA / f"{name}_ref.jpg").read_bytes())
    cand_img = decode((DATA / f"{name}_cand.jpg").read_bytes())
    assert ref_img is not None and cand_img is not None
    ref, cand = rectify(ref_img), rectify(cand_img)
    assert ref is not None and cand is not None and ref.complete and cand.complete
    return ref, cand


def test_a_6_made_an_8_is_flagged_for_its_new_counter() -> None:
    ref, cand = _bands("counter")
    raw = measure(ref, cand)
    assert [i for i, g in enumerate(raw) if g["holes"] > 0] == [9]
    result = compare_bands(ref, cand)
    assert result.verdict == "mismatch" and result.suspects == (9,), result.note
    assert result.glyphs[9].holes > 0
    # Without the counter the 8 stays under the limit: it is this measurement that flags it.
    assert decide(raw, Thresholds(holes=1e9)).verdict == "match"


def test_a_scratched_genuine_pair_gains_no_counter() -> None:
    ref, cand = _bands("scratch")  # genuine pair 323 of seed 303 (test_damage.py)
    assert all(g["holes"] == 0 for g in measure(ref, cand))
