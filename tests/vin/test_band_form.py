"""A film stuck on a printed form and photographed with its frame and labels.

``data/on_form_*.jpg``: a generated look-alike pair (``evalgen.pairs(40, "B", 4243)``, pair
35: ZGJ0V8BK36KHT1403, the 10th glyph altered) with each photo pasted on a light "form"
whose frame is drawn close around it and a line of printed Chinese text above and below
(re-encoded at JPEG quality 80). The frame beside the film's own edge made a tall "post" at
each end of the stroke cluster, the closing joined them to the glyph row, and the band
found was the whole film: the candidate was unreadable.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.vin.band import _without_posts, rectify
from pipeline.vin.rubbing import compare_images

DATA = Path(__file__).resolve().parent / "data"


def _load(name: str) -> np.ndarray:
    image = cv2.imread(str(DATA / name))
    assert image is not None
    return image


def test_a_film_on_a_form_is_found_and_compared() -> None:
    ref, cand = _load("on_form_ref.jpg"), _load("on_form_cand.jpg")
    band = rectify(cand)
    assert band is not None and band.complete
    result = compare_images(ref, cand, overlay=False).comparison
    assert result.verdict == "mismatch" and 9 in result.suspects


def test_posts_are_cut_from_the_stroke_cluster() -> None:
    row = np.zeros((60, 200), bool)
    row[25:35, 20:180] = True  # the glyph row, 10 px tall
    posts = row.copy()
    posts[0:60, 10:20] = True  # a post as tall as the film at each end
    posts[0:60, 180:190] = True
    trimmed = _without_posts(posts)
    assert np.array_equal(trimmed, row)
    assert np.array_equal(_without_posts(row), row)  # nothing to cut: unchanged
