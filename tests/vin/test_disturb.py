"""The disturbances ``bench rubbing --disturb`` puts on candidate photos."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.vin.evalgen import make_pair
from pipeline.vin.rubbing import compare_images, decode
from pipeline.vin.texture import (
    DISTURBANCES,
    glared_photo,
    on_form_photo,
    shaken_photo,
    wrinkled_photo,
)


def _photo() -> np.ndarray:
    image = decode(make_pair("genuine", "A", np.random.default_rng(3)).candidate)
    assert image is not None
    return image


def _steepest(image: np.ndarray) -> tuple[float, float]:
    gray = image.astype(np.float32)
    gx = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)).max()
    gy = np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1)).max()
    return float(gx), float(gy)


def test_shake_blurs_along_one_axis_only() -> None:
    square = np.zeros((60, 60), np.uint8)
    square[20:40, 20:40] = 200
    gx, gy = _steepest(square)
    axes = set()
    for seed in range(8):
        sx, sy = _steepest(shaken_photo(square, np.random.default_rng(seed)))
        # The edges across the shake are smeared over 5-9 px; the others stay sharp.
        assert max(sx / gx, sy / gy) == 1.0 and min(sx / gx, sy / gy) < 0.35
        axes.add(sx < sy)
    assert axes == {True, False}  # both directions occur


def test_wrinkles_move_the_film_a_few_pixels_and_glare_only_brightens() -> None:
    photo = _photo()
    wrinkled = wrinkled_photo(photo, np.random.default_rng(1))
    assert wrinkled.shape == photo.shape and not np.array_equal(wrinkled, photo)
    glared = glared_photo(photo, np.random.default_rng(1))
    assert (glared >= photo).all() and int(glared.max()) - int(photo.max()) >= 0
    assert float((glared.astype(int) - photo).max()) >= 40


def test_a_form_keeps_the_photo_whole_inside_its_frame() -> None:
    photo = _photo()
    form = on_form_photo(photo, np.random.default_rng(2))
    h, w = photo.shape[:2]
    assert form.shape[0] > h and form.shape[1] > w
    found = cv2.matchTemplate(form, photo, cv2.TM_SQDIFF)
    x, y = cv2.minMaxLoc(found)[2]
    assert np.array_equal(form[y : y + h, x : x + w], photo)  # pasted unchanged


def test_every_disturbed_genuine_photo_is_still_compared() -> None:
    pair = make_pair("genuine", "B", np.random.default_rng(4))
    ref, cand = decode(pair.reference), decode(pair.candidate)
    assert ref is not None and cand is not None
    for name, disturb in sorted(DISTURBANCES.items()):
        result = compare_images(ref, disturb(cand, np.random.default_rng(5)), overlay=False)
        assert result.verdict == "match", name
