"""Dot-peen VINs (each glyph a 5 x 7 matrix of punched dots): the dots are joined into
glyphs before the row is segmented."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.vin import band as band_module
from pipeline.vin.band import rectify
from pipeline.vin.compare import compare_bands
from pipeline.vin.evalgen import make_pair
from pipeline.vin.rubbing import decode


# Each of these was cut into dots or fragments (not 17 even glyphs) before the dots were joined.
@pytest.mark.parametrize(("style", "seed"), [("G", 13), ("H", 2), ("H", 15)])
def test_a_dot_peen_row_is_17_glyphs_and_a_genuine_pair_matches(style: str, seed: int) -> None:
    pair = make_pair("genuine", style, np.random.default_rng(seed))
    ref, cand = rectify(decode(pair.reference)), rectify(decode(pair.candidate))
    assert ref is not None and cand is not None
    for band in (ref, cand):
        assert band.complete and band_module._even(band.boxes)
        # Each box holds a whole glyph: about as wide as the row's pitch allows, not a dot.
        widths = np.array([b[2] for b in band.boxes])
        assert np.median(widths) > 0.4 * band_module.GLYPH_H
    assert compare_bands(ref, cand).verdict == "match"


def test_solid_strokes_are_not_taken_for_dots() -> None:
    pair = make_pair("genuine", "B", np.random.default_rng(3))
    band = rectify(decode(pair.reference))
    assert band is not None and band.complete
    assert band_module._joined_dots(band.binary) is None


def test_another_dot_die_is_still_found() -> None:
    # A re-punch with another dot-peen die: same text, another font's dot pattern.
    found = 0
    for seed in range(4):
        pair = make_pair("die_restamp", "H", np.random.default_rng(100 + seed))
        ref, cand = rectify(decode(pair.reference)), rectify(decode(pair.candidate))
        result = compare_bands(ref, cand)
        found += result.verdict == "mismatch"
    assert found >= 3
