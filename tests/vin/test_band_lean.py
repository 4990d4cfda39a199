"""A rubbing photographed at an angle leans its glyphs; the band undoes the lean."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.vin import band as band_module
from pipeline.vin.band import rectify
from pipeline.vin.compare import compare_bands
from pipeline.vin.dies import Die, layout, stamp_vin
from pipeline.vin.texture import photograph, rub

VIN = "LSVAM4187C2184847"


def _photo(shear: float, seed: int) -> np.ndarray:
    """A photo of a pencil rubbing of one stamping of VIN (a new rubbing and photo per
    ``seed``), sheared by ``shear`` (x shift per pixel up) as a camera at an angle would."""
    die = Die("truetype", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", height=48, weight=1.0)
    mask = stamp_vin(die, VIN, layout(die, len(VIN), np.random.default_rng(0)))
    rng = np.random.default_rng(seed)
    photo = photograph(rub(mask, "pencil", rng), rng, damage=False)
    h, w = photo.shape[:2]
    m = np.array([[1.0, -shear, shear * h / 2], [0.0, 1.0, 0.0]])
    return cv2.warpAffine(photo, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


# Without the lean undone, each of these genuine pairs was called a clone ("every glyph
# differs"): sheared glyphs do not match upright ones by rotation and stretch alone.
@pytest.mark.parametrize(("shear", "seed"), [(0.45, 2), (0.45, 3), (-0.45, 2)])
def test_a_leaning_rubbing_is_made_upright_and_matches(shear: float, seed: int) -> None:
    upright, leaning = rectify(_photo(0.0, seed=1)), rectify(_photo(shear, seed))
    assert upright is not None and leaning is not None
    assert upright.complete and leaning.complete
    # One correction, estimated on the leaning crop, leaves at most a few degrees.
    assert abs(band_module._lean(leaning)) <= 0.1
    result = compare_bands(upright, leaning)
    assert result.verdict == "match", result.note


def test_the_lean_is_measured_from_the_glyph_row() -> None:
    straight = rectify(_photo(0.0, seed=1))
    assert straight is not None
    sheared = cv2.warpAffine(
        straight.binary, np.array([[1.0, 0.3, -0.3 * straight.binary.shape[0] / 2], [0, 1, 0]]),
        straight.binary.shape[::-1], flags=cv2.INTER_NEAREST,
    )  # fmt: skip
    leaning = band_module.Band(
        straight.strokes, sheared, straight.boxes, straight.gray, straight.light_on_dark
    )
    assert band_module._lean(leaning) == pytest.approx(-0.3, abs=0.05)
    assert band_module._lean(straight) == pytest.approx(0.0, abs=0.05)


def test_keystoned_photo_narrows_the_top_or_the_bottom() -> None:
    from pipeline.vin.texture import keystoned_photo

    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 10:14] = 255  # a vertical bar near the left edge
    top, bottom = keystoned_photo(img, 0.1), keystoned_photo(img, -0.1)
    assert np.flatnonzero(top[2, :, 0] > 128).min() > 25  # the top row moved in by ~20 px
    assert np.flatnonzero(top[97, :, 0] > 128).min() < 16  # the bottom row stayed
    assert np.flatnonzero(bottom[2, :, 0] > 128).min() < 16
    assert np.flatnonzero(bottom[97, :, 0] > 128).min() > 25


def _clearest_one_by_one(
    xs: np.ndarray, dy: np.ndarray, x0: int, x1: int, shears: np.ndarray
) -> float:
    """``band._clearest_shear`` as its docstring says it, one shear at a time."""
    off = int(np.abs(dy).max() * np.abs(shears).max()) + 2
    scores = []
    for s in shears:
        cols = np.rint(xs + s * dy).astype(np.int64) + off
        prof = np.bincount(cols, minlength=x1 + 2 * off)[off + x0 : off + x1]
        low = max(1.0, 0.2 * float(np.median(prof[prof > 0]))) if prof.any() else 1.0
        scores.append(int((prof <= low).sum()))
    return float(np.mean([s for s, v in zip(shears, scores, strict=True) if v == max(scores)]))


def test_all_shears_scored_at_once_agree_with_one_by_one() -> None:
    # Real bands (a sheared photo's and an upright one's) and sparse random ink, where some
    # shears leave no inked column in the span at all.
    for shear in (0.0, 0.3):
        band = rectify(_photo(shear, 7))
        assert band is not None
        ys, xs = np.nonzero(band.binary)
        dy = ys - band.binary.shape[0] / 2
        x0, x1 = min(b[0] for b in band.boxes), max(b[0] + b[2] for b in band.boxes)
        for shears in (band_module._LEANS, band_module._PART_LEANS):
            got = band_module._clearest_shear(xs, dy, x0, x1, shears)
            assert got == _clearest_one_by_one(xs, dy, x0, x1, shears)
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(50, 400))
        xs = rng.integers(0, 900, n)
        dy = rng.integers(0, 86, n) - 43.0
        x0 = int(rng.integers(0, 880))
        x1 = x0 + int(rng.integers(5, 60))
        shears = band_module._PART_LEANS
        got = band_module._clearest_shear(xs, dy, x0, x1, shears)
        assert got == _clearest_one_by_one(xs, dy, x0, x1, shears)
