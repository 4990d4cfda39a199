"""The Hershey stroke fonts of the evaluation generator's ``strokes`` dies (styles E and F)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.vin import hershey, rules
from pipeline.vin.evalgen import make_pair


def test_every_vin_character_in_every_face_at_the_dies_weight() -> None:
    for font in hershey.FACES:
        for ch in sorted(rules.ALPHABET):
            glyph = hershey.render(font, ch, 48, 4.0)
            assert glyph.shape == (96, 96) and glyph.any(), (font, ch)
    # The pen's weight shows (OpenCV 5's putText draws every thickness from 2 up alike).
    light, heavy = (hershey.render(cv2.FONT_HERSHEY_SIMPLEX, "T", 48, w) for w in (2.0, 6.0))
    assert heavy.sum() > 2 * light.sum()
    # Cap height is the die's height: H spans 48 rows, centred in the canvas.
    rows = np.flatnonzero(hershey.render(cv2.FONT_HERSHEY_SIMPLEX, "H", 48, 1.0).max(axis=1))
    assert abs((rows[-1] - rows[0]) - 48) <= 2 and abs((rows[0] + rows[-1]) / 2 - 48) <= 2


def test_serif_and_sans_faces_differ() -> None:
    sans = hershey.render(cv2.FONT_HERSHEY_SIMPLEX, "L", 48, 3.0).astype(np.float32)
    serif = hershey.render(cv2.FONT_HERSHEY_COMPLEX, "L", 48, 3.0).astype(np.float32)
    overlap = float((sans * serif).sum() / np.sqrt((sans**2).sum() * (serif**2).sum()))
    assert overlap < 0.8


def test_missing_font_data_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(hershey, "FONT_DIR", tmp_path)
    hershey.load.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="hershey-fonts-data"):
            hershey.load("rowmans")
    finally:
        hershey.load.cache_clear()


def test_styles_e_and_f_make_pairs() -> None:
    rng = np.random.default_rng(3)
    for style in "EF":
        pair = make_pair("die_restamp", style, rng)
        assert pair.style == style and pair.positions and pair.candidate != pair.reference
