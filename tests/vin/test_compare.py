"""The decision rules of the rubbing comparison on measurements with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.vin.compare import Thresholds, _detrend, decide
from pipeline.vin.glyphs import _subpixel


def _raw(n: int = 17, **over: dict[int, float]) -> list[dict[str, float]]:
    """Measurements of a clean genuine band, with per-glyph overrides {name: {index: value}}."""
    rows = []
    for i in range(n):
        g = {
            "edge": 0.03, "ncc": 0.98, "ncc0": 0.98, "ink": 0.05,
            "dx": 0.0, "dy": 0.0, "angle": 0.0, "r_area": 400.0, "c_area": 400.0,
            "r_w": 30.0, "c_w": 30.0, "r_h": 48.0, "c_h": 48.0, "x": 20.0 + 40.0 * i,
        }  # fmt: skip
        for name, values in over.items():
            g[name] = values.get(i, g[name])
        rows.append(g)
    return rows


def test_subpixel_finds_a_fractional_peak() -> None:
    xs, ys = np.meshgrid(np.arange(9.0), np.arange(7.0))
    res = (1.0 - 0.05 * ((xs - 4.3) ** 2 + (ys - 2.8) ** 2)).astype(np.float32)
    x, y = _subpixel(res, (4, 3))
    assert x == pytest.approx(4.3, abs=0.05) and y == pytest.approx(2.8, abs=0.05)


def test_detrend_removes_a_band_scale_error_but_keeps_an_outlier() -> None:
    x = np.arange(17) * 40.0
    v = 0.001 * x - 0.2  # a slightly wrong scale: grows towards the ends
    v[5] += 3.0
    res = _detrend(v, x)
    assert abs(res[5]) > 2.5
    assert np.abs(np.delete(res, 5)).max() < 0.05


def test_identical_bands_match() -> None:
    c = decide(_raw(), Thresholds())
    assert c.verdict == "match" and not c.suspects and c.score > 0.9


def test_a_shifted_glyph_is_suspect_for_its_shift() -> None:
    c = decide(_raw(dx={7: 0.2 * 48}), Thresholds())
    assert c.verdict == "mismatch" and c.suspects == (7,)
    assert c.glyphs[7].why == "shift"


def test_moderate_evidence_on_two_measurements_adds_up() -> None:
    t = Thresholds()
    one = decide(_raw(edge={3: 0.03 + 1.9 * t.edge}), t)
    two = decide(_raw(edge={3: 0.03 + 1.9 * t.edge}, ncc={3: 0.98 - 1.9 * t.shape}), t)
    assert one.verdict == "match"
    assert two.verdict == "mismatch" and two.suspects == (3,)


def test_every_glyph_different_is_a_clone() -> None:
    every = range(17)
    c = decide(_raw(ncc={i: 0.85 for i in every}, edge={i: 0.25 for i in every}), Thresholds())
    assert c.verdict == "mismatch" and len(c.suspects) == 17
    assert "another die set" in c.note
