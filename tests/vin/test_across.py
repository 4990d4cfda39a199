"""A glyph judged against the reference's other stampings of its character
(``compare.with_across``, ``glyphs.measure_across``), on generated rubbings."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.vin.band import Band, rectify
from pipeline.vin.compare import compare_bands
from pipeline.vin.evalgen import make_pair
from pipeline.vin.glyphs import aligned_bands, measure, measure_across
from pipeline.vin.rubbing import decode

VIN = "LSVAM4188C2184847"  # 4 four times, 8 five times, 1 twice


def _bands(kind: str, style: str, seed: int, vin: str = VIN) -> tuple[Band, Band, tuple[int, ...]]:
    pair = make_pair(kind, style, np.random.default_rng(seed), vin=vin)
    ref_img, cand_img = decode(pair.reference), decode(pair.candidate)
    assert ref_img is not None and cand_img is not None
    ref, cand = rectify(ref_img), rectify(cand_img)
    assert ref is not None and ref.complete and cand is not None and cand.complete
    return ref, cand, pair.positions


def _spoilt(band: Band, i: int) -> Band:
    """The band with the lowest 30 % of glyph ``i``'s strokes faded to a fifth (a pencil
    that barely caught them, a worn film)."""
    x, y, w, h = band.boxes[i]
    strokes, binary = band.strokes.copy(), band.binary.copy()
    low = y + int(0.7 * h)
    strokes[low : y + h + 2, x - 2 : x + w + 2] *= 0.2
    binary[low : y + h + 2, x - 2 : x + w + 2] = 0
    return Band(strokes, binary, band.boxes, band.gray, band.light_on_dark)


def test_a_glyph_measured_across_at_its_own_position_is_its_own_measurement() -> None:
    ref, cand, _ = _bands("genuine", "B", 3)
    a = aligned_bands(ref, cand)
    own = measure(ref, cand, aligned=a)
    same = measure_across(a, [(i, i) for i in range(5)])
    assert same == own[:5]


@pytest.mark.parametrize(("style", "seed"), [("A", 10), ("B", 11), ("C", 13), ("D", 12)])
def test_a_spoilt_reference_glyph_is_judged_by_its_other_stampings(style: str, seed: int) -> None:
    ref, cand, _ = _bands("genuine", style, seed)
    i = VIN.index("8")
    spoilt = _spoilt(ref, i)
    alone = compare_bands(spoilt, cand)
    assert i in alone.suspects, alone.note  # the spoilt glyph alone flags the pair
    result = compare_bands(spoilt, cand, vin=VIN)
    assert i not in result.suspects, result.note
    assert result.verdict == "match", result.note
    # The reviewer is told which stamping the glyph was judged against instead.
    judged = f"{i + 1}: reference stamping odd, judged against "
    assert result.note.startswith(judged), result.note
    assert VIN[int(result.note.removeprefix(judged)) - 1] == VIN[i]


def test_a_spoilt_glyph_whose_character_the_vin_has_once_stays_suspect() -> None:
    ref, cand, _ = _bands("genuine", "B", 11)
    i = VIN.index("V")
    result = compare_bands(_spoilt(ref, i), cand, vin=VIN)
    assert i in result.suspects, result.note


@pytest.mark.parametrize(("style", "seed"), [("A", 21), ("B", 22), ("C", 23), ("D", 24)])
def test_a_repunched_glyph_beside_agreeing_stampings_stays_suspect(style: str, seed: int) -> None:
    """A re-punch with another die differs from every stampings of its character, and those
    agree with each other: the pair stays a mismatch at the re-punched glyphs."""
    ref, cand, positions = _bands("die_restamp", style, seed)
    without = compare_bands(ref, cand)
    result = compare_bands(ref, cand, vin=VIN)
    assert result.verdict == without.verdict == "mismatch"
    assert set(without.suspects) & set(positions) <= set(result.suspects)
