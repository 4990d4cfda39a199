"""Aligning a candidate band on the reference band: the homography's refinement and blur
matching."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from pipeline.vin.align import _refine, blur_sigma, blur_sigmas, match_blur
from pipeline.vin.band import rectify
from pipeline.vin.evalgen import make_pair
from pipeline.vin.rubbing import decode


def _strokes() -> np.ndarray:
    pair = make_pair("genuine", "B", np.random.default_rng(3))
    image = decode(pair.reference)
    assert image is not None
    band = rectify(image)
    assert band is not None and band.complete
    return band.strokes


def test_blur_along_one_axis_is_matched_along_that_axis() -> None:
    a = _strokes()
    b = cv2.GaussianBlur(a, (0, 0), sigmaX=3.0, sigmaY=0.1)  # shaken sideways
    (ax, ay), (bx, by) = blur_sigmas(a), blur_sigmas(b)
    assert bx > ax + 0.5 and abs(by - ay) < 0.2
    a2, b2 = match_blur(a, b)
    assert b2 is b  # the blurrier map is left alone
    ax2, bx2 = blur_sigmas(a2)[0], blur_sigmas(b2)[0]
    assert abs(ax2 - bx2) < 0.3  # sideways: as blurred as the candidate
    # The reference blurred to match looks more like the candidate than when it is blurred
    # alike every way by the difference of the overall spreads (as before).
    even = cv2.GaussianBlur(a, (0, 0), float(np.sqrt(blur_sigma(b) ** 2 - blur_sigma(a) ** 2)))
    assert _distance(a2, b) < 0.7 * _distance(even, b)


def _distance(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(x - y).mean())


def test_blur_alike_every_way_is_matched_as_before() -> None:
    a = _strokes()
    b = cv2.GaussianBlur(a, (0, 0), 2.0)
    a2, b2 = match_blur(a, b)
    extra = float(np.sqrt(blur_sigma(b) ** 2 - blur_sigma(a) ** 2))
    assert b2 is b
    assert np.array_equal(a2, cv2.GaussianBlur(a, (0, 0), extra))


def _mapped(hom: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(pts[None].astype(np.float32), hom.astype(np.float32))[0]


def test_the_refinement_finds_the_shear_the_glyph_boxes_leave() -> None:
    # The candidate is the reference seen a little from the side: sheared, with some
    # perspective and moved. Started from the move alone, the ECC refinement (run on half
    # size maps) must put every glyph within a fifth of a pixel of where it is.
    pair = make_pair("genuine", "B", np.random.default_rng(3))
    image = decode(pair.reference)
    assert image is not None
    ref = rectify(image)
    assert ref is not None and ref.complete
    h, w = ref.strokes.shape
    truth = np.array([[1.0, 0.05, 2.6], [0.003, 1.0, -1.4], [8e-6, 0.0, 1.0]], np.float32)
    cand = replace(ref, strokes=cv2.warpPerspective(ref.strokes, truth, (w, h)))
    start = np.array([[1.0, 0.0, 2.6], [0.0, 1.0, -1.4], [0.0, 0.0, 1.0]], np.float32)
    centres = np.array([(x + bw / 2, y + bh / 2) for x, y, bw, bh in ref.boxes], np.float32)
    corners = np.array([(x, y) for x, y, _, _ in ref.boxes], np.float32)
    pts = np.vstack([centres, corners])
    assert np.abs(_mapped(start, pts) - _mapped(truth, pts)).max() > 1.0  # the boxes' fit is off
    out = _refine(ref, cand, start)
    assert np.abs(_mapped(out, pts) - _mapped(truth, pts)).max() < 0.2
