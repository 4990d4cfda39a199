"""Raw per-glyph measurements of a candidate VIN band against the reference band.

The candidate is mapped onto the reference by :func:`pipeline.vin.align.fit_layout`, blur is
equalised, and every reference glyph is searched for in the candidate over small shifts
(to a fraction of a pixel) and rotations. What is measured per glyph: best correlation
(``ncc``, and ``ncc0`` at angle 0), offset (``dx``, ``dy``), ``angle``, outline distance
(``edge``), unexplained stroke share (``ink``), stroke areas and box sizes.
:mod:`pipeline.vin.compare` turns them into a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.vin.align import fit_layout, match_blur, x_scale, y_scale
from pipeline.vin.band import GLYPH_H, Band

SMOOTH = 1.0  # extra blur (px) before template matching: tolerance for stroke-edge noise
ANGLES = (-10.0, -6.0, -3.0, 0.0, 3.0, 6.0, 10.0)


def _rotated(img: np.ndarray, angle: float) -> np.ndarray:
    if angle == 0.0:
        return img
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)


def _subpixel(res: np.ndarray, loc: Sequence[int]) -> tuple[float, float]:
    """Peak of a correlation map to a fraction of a pixel (a parabola on each axis).

    A re-punch lands a pixel or two off; whole-pixel peaks would make every genuine glyph's
    offset 0 or 1 px and hide the difference.
    """
    x, y = loc
    out = [float(x), float(y)]
    for axis, (i, n) in enumerate(((x, res.shape[1]), (y, res.shape[0]))):
        if 0 < i < n - 1:
            lo = res[y, x - 1] if axis == 0 else res[y - 1, x]
            hi = res[y, x + 1] if axis == 0 else res[y + 1, x]
            den = float(lo - 2 * res[y, x] + hi)
            if den < 0:
                out[axis] += float(np.clip(0.5 * (lo - hi) / den, -0.5, 0.5))
    return out[0], out[1]


def _match_glyph(
    tmpl: np.ndarray, search: np.ndarray, margin: int
) -> tuple[float, float, float, float, float]:
    """Best (ncc, dx, dy, angle, ncc at angle 0) of a reference glyph over a search window."""
    best = (-1.0, 0.0, 0.0, 0.0)
    scores = {}
    for ang in ANGLES:
        res = cv2.matchTemplate(search, _rotated(tmpl, ang), cv2.TM_CCOEFF_NORMED)
        _, mx, _, loc = cv2.minMaxLoc(res)
        scores[ang] = mx
        if mx > best[0]:
            sx, sy = _subpixel(res, loc)
            best = (float(mx), sx - margin, sy - margin, ang)
    # Refine the angle with a parabola through the best and its neighbours.
    i = ANGLES.index(best[3])
    if 0 < i < len(ANGLES) - 1:
        a0, a1, a2 = ANGLES[i - 1], ANGLES[i], ANGLES[i + 1]
        s0, s1, s2 = scores[a0], scores[a1], scores[a2]
        den = s0 - 2 * s1 + s2
        if den < 0:
            step = min(a1 - a0, a2 - a1)
            best = (
                best[0],
                best[1],
                best[2],
                a1 + float(np.clip(0.5 * (s0 - s2) / den, -0.5, 0.5)) * step,
            )
    return (*best, float(scores[0.0]))


def _window(img: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """A fixed-size window (0.9 x 1.2 glyph heights) centred on a box, as 32 x 48 pixels."""
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = int(cx - 0.45 * GLYPH_H), int(cy - 0.6 * GLYPH_H)
    pad = GLYPH_H
    big = np.pad(img, pad)
    win = big[y0 + pad : y0 + pad + int(1.2 * GLYPH_H), x0 + pad : x0 + pad + int(0.9 * GLYPH_H)]
    return cv2.resize(win, (32, 48), interpolation=cv2.INTER_AREA)


def _edge_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - correlation of gradient magnitudes: outlines (serifs, curves, ends) of two glyphs."""

    def grad(x: np.ndarray) -> np.ndarray:
        x = cv2.GaussianBlur(x, (0, 0), 1.0)
        g = cv2.magnitude(cv2.Sobel(x, cv2.CV_32F, 1, 0), cv2.Sobel(x, cv2.CV_32F, 0, 1))
        return g.ravel() - float(g.mean())

    ga, gb = grad(a), grad(b)
    den = float(np.linalg.norm(ga) * np.linalg.norm(gb))
    return 1.0 - float(ga @ gb) / den if den > 1e-6 else 1.0


def _ink(a: np.ndarray, b: np.ndarray) -> float:
    """Share of either glyph's strokes that the other does not explain (2 px tolerance)."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    sa, sb = float(a.sum()), float(b.sum())
    if sa < 10 or sb < 10:
        return 1.0
    miss = float((a & (1 - cv2.dilate(b, k))).sum()) / sa
    extra = float((b & (1 - cv2.dilate(a, k))).sum()) / sb
    return max(miss, extra)


def measure(ref: Band, cand: Band) -> list[dict[str, float]]:
    """Raw per-glyph measurements of a candidate band against a reference band."""
    m = fit_layout(ref, cand)
    h, w = ref.strokes.shape
    warped = cv2.warpPerspective(
        cand.strokes, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    wbin = cv2.warpPerspective(
        cand.binary, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )
    ref_s, warped = match_blur(ref.strokes, warped)
    rs = cv2.GaussianBlur(ref_s, (0, 0), SMOOTH)
    cs = cv2.GaussianBlur(warped, (0, 0), SMOOTH)
    margin = int(0.25 * GLYPH_H)
    pad = 6
    pr = np.pad(rs, margin + pad)
    pc = np.pad(cs, margin + pad)
    rbin = np.pad(ref.binary, 3)
    out = []
    for (x, y, bw, bh), cbox in zip(ref.boxes, cand.boxes, strict=True):
        x0, y0 = x + margin, y + margin  # in padded coordinates, minus pad
        tmpl = pr[y0 : y0 + bh + 2 * pad, x0 : x0 + bw + 2 * pad]
        search = pc[
            y0 - margin : y0 + bh + 2 * pad + margin, x0 - margin : x0 + bw + 2 * pad + margin
        ]
        ncc, dx, dy, ang, ncc0 = _match_glyph(tmpl, search, margin)
        r_area = float(ref.binary[y : y + bh, x : x + bw].sum())
        sx, sy_ = round(x + dx), round(y + dy)
        c_area = float(wbin[max(sy_, 0) : max(sy_, 0) + bh, max(sx, 0) : max(sx, 0) + bw].sum())
        m2 = cv2.getRotationMatrix2D((x + bw / 2, y + bh / 2), ang, 1.0)
        m2[:, 2] += np.array([dx, dy])
        cb = cv2.warpAffine(wbin, m2, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
        aligned = cv2.warpAffine(warped, m2, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        edge = _edge_distance(_window(ref_s, x, y, bw, bh), _window(aligned, x, y, bw, bh))
        ink = _ink(
            rbin[y : y + bh + 6, x : x + bw + 6], np.pad(cb, 3)[y : y + bh + 6, x : x + bw + 6]
        )
        cw = cbox[2] / max(x_scale(m, x + bw / 2, y + bh / 2), 1e-3)
        ch = cbox[3] / max(y_scale(m, x + bw / 2, y + bh / 2), 1e-3)
        out.append(
            {
                "edge": edge,
                "ncc": ncc,
                "ncc0": ncc0,
                "ink": ink,
                "dx": dx,
                "dy": dy,
                "angle": ang,
                "r_area": r_area,
                "c_area": c_area,
                "r_w": float(bw),
                "c_w": float(cw),
                "r_h": float(bh),
                "c_h": float(ch),
                "x": x + bw / 2,
            }
        )
    return out
