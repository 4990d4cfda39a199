"""Segmenting thin stroke-font glyphs: slanted rows and serifs that touch their neighbours.

The genuine pairs are from ``evalgen.pairs(n, "EF", 303)`` (tuning seed 303, styles E and F,
the real Hershey stroke fonts): pair 0 (E, slanted Hershey Complex whose serifs touch: the
candidate's run "MEWUE" was one component wider than three glyphs and dropped, so the boxes
started at the 7th glyph and the rest were cut into 17), pair 125 (F, slanted serif glyphs
touching: 16 glyphs) and pair 165 (F, touching glyphs cut at the wrong places, so the two
bands did not line up and every glyph differed). Pairs 17 (F) and 38 (E) of
``pairs(n, "EF", 101)`` had the film's polarity chosen right on the first warp and reversed
on a re-warp, whose row of stroke gaps was a little more regular than the row of strokes.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from pipeline.vin import hershey
from pipeline.vin.band import GLYPH_H, Band, _labelled, rectify, segment
from pipeline.vin.compare import compare_bands
from pipeline.vin.evalgen import Pair, pairs
from pipeline.vin.rubbing import decode

# Letters whose advance box is centred on the drawing in every face (a Hershey J is not).
ROW = "LMNWKBUX94H458660"


def _row(font: int, slant: float, pitch: int, height: int = 44) -> tuple[np.ndarray, np.ndarray]:
    """A binary row of 17 stroke glyphs, sheared by ``slant`` (dx/dy), centres ``pitch``
    apart, and the true centres."""
    width = 17 * pitch + 200
    canvas = np.zeros((86, width), np.uint8)
    centres = 100 + pitch * np.arange(len(ROW), dtype=np.float64)
    for ch, x in zip(ROW, centres, strict=True):
        g = hershey.render(font, ch, height, 3.0)
        c = g.shape[0] / 2
        shear = np.array([[1, -slant, slant * c], [0, 1, 0]], np.float32)
        g = cv2.warpAffine(g, shear, (g.shape[1], g.shape[0]))
        x0, y0 = round(x - c), round(43 - c)
        top = max(y0, 0)
        sub = canvas[top : y0 + g.shape[0], x0 : x0 + g.shape[1]]
        np.maximum(sub, g[top - y0 : top - y0 + sub.shape[0], : sub.shape[1]], out=sub)
    return (canvas > 127).astype(np.uint8), centres


@pytest.mark.parametrize(
    ("font", "slant", "pitch"),
    [
        (cv2.FONT_HERSHEY_COMPLEX, 0.0, 36),
        (cv2.FONT_HERSHEY_COMPLEX, 0.15, 40),
        (cv2.FONT_HERSHEY_COMPLEX, 0.3, 44),
        (cv2.FONT_HERSHEY_TRIPLEX, 0.0, 40),
        (cv2.FONT_HERSHEY_TRIPLEX, 0.15, 36),
        (cv2.FONT_HERSHEY_SIMPLEX, 0.3, 36),
    ],
)
def test_touching_and_slanted_glyphs_are_split_at_the_rows_pitch(
    font: int, slant: float, pitch: int
) -> None:
    """Serifs touching the next glyph join runs of glyphs into one component (and a slant
    makes neighbours share columns): the row is still cut into its 17 glyphs."""
    binary, centres = _row(font, slant, pitch)
    boxes = segment(binary)
    assert len(boxes) == 17
    assert segment(binary, _labelled(binary)) == boxes  # components taken once, passed on
    found = np.array([x + w / 2 for x, _, w, _ in boxes])
    assert np.abs(found - centres).max() < 0.3 * pitch


def test_a_row_of_separate_upright_glyphs_keeps_its_component_boxes() -> None:
    """Glyphs that do not touch are boxed by their own strokes, as before."""
    binary, centres = _row(cv2.FONT_HERSHEY_SIMPLEX, 0.0, 48)
    boxes = segment(binary)
    n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    own = sorted(tuple(int(v) for v in s[:4]) for s in stats[1:n])
    # Every box is the union of the components in its column (a broken glyph has several).
    assert len(boxes) == 17
    for x, y, w, h in boxes:
        inside = [b for b in own if x <= b[0] and b[0] + b[2] <= x + w]
        assert inside
        assert x == min(b[0] for b in inside) and x + w == max(b[0] + b[2] for b in inside)
        assert y == min(b[1] for b in inside) and y + h == max(b[1] + b[3] for b in inside)
    found = np.array([x + w / 2 for x, _, w, _ in boxes])
    assert np.abs(found - centres).max() < 0.2 * 48


def _evenly_pitched(band: Band) -> bool:
    """17 boxes on a row pitched like glyphs (not glyphs cut in pieces), evenly."""
    cx = np.array([x + w / 2 for x, _, w, _ in band.boxes])
    gaps = np.diff(cx)
    pitch = float(np.median(gaps))
    return (
        band.complete and pitch > 0.6 * GLYPH_H and bool(np.all(np.abs(gaps - pitch) < 0.4 * pitch))
    )


@pytest.fixture(scope="module")
def stroke_pairs() -> dict[int, Pair]:
    """Genuine pairs 0, 125 and 165 of the tuning set ``pairs(n, "EF", 303)``."""
    wanted = (0, 125, 165)
    chosen = itertools.islice(pairs(max(wanted) + 1, "EF", 303), max(wanted) + 1)
    out = {i: p for i, p in enumerate(chosen) if i in wanted}
    assert all(out[i].kind == "genuine" for i in wanted)
    return out


@pytest.mark.parametrize("index", [0, 125, 165])
def test_genuine_serif_stroke_font_pair_segments_into_17_glyphs_and_matches(
    index: int, stroke_pairs: dict[int, Pair]
) -> None:
    pair = stroke_pairs[index]
    ref_img, cand_img = decode(pair.reference), decode(pair.candidate)
    assert ref_img is not None and cand_img is not None
    ref, cand = rectify(ref_img), rectify(cand_img)
    assert ref is not None and cand is not None
    # Carbon film (E) has light strokes, pencil paper (F) dark ones.
    assert ref.light_on_dark == cand.light_on_dark == (pair.style == "E")
    assert _evenly_pitched(ref), ref.boxes
    assert _evenly_pitched(cand), cand.boxes
    result = compare_bands(ref, cand)
    assert result.verdict == "match", result.note


@pytest.mark.parametrize("index", [17, 38])
def test_a_rewarp_keeps_the_polarity_chosen_on_the_first_warp(index: int) -> None:
    pair = next(itertools.islice(pairs(index + 1, "EF", 101), index, None))
    assert pair.kind == "genuine"
    ref_img, cand_img = decode(pair.reference), decode(pair.candidate)
    assert ref_img is not None and cand_img is not None
    ref, cand = rectify(ref_img), rectify(cand_img)
    assert ref is not None and cand is not None
    assert ref.light_on_dark == cand.light_on_dark == (pair.style == "E")
    assert compare_bands(ref, cand).verdict == "match"
