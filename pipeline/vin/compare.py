"""Compare a candidate rubbing with the reference rubbing of the same VIN, glyph by glyph.

Both bands are rectified and segmented (:mod:`pipeline.vin.band`). The candidate is mapped
onto the reference by a robust fit of the glyph centres (scale and offset along the line,
baseline slope), then every glyph is matched against its reference counterpart over small
shifts and rotations. Each glyph gets measurements a reviewer can read:

- ``shape``: 1 - best normalised correlation of the stroke maps (another die, altered glyph);
- ``shift``: its displacement from where the layout puts it, in glyph heights (hand restamp);
- ``tilt``: its rotation against the others, in degrees (hand restamp);
- ``weight``/``width``: stroke area and glyph width against the other glyphs' ratio (die).

Each measurement is divided by its threshold; a glyph whose largest ratio exceeds 1 is
suspect. Consistently high shape distance over the whole band means a different die set for
every glyph (a clone).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from pipeline.vin.align import fit_layout, match_blur, x_scale
from pipeline.vin.band import GLYPH_H, Band

# Pairs RapidOCR swaps on worn glyphs; a read difference between them says nothing.
OCR_NOISE = frozenset(
    frozenset(p) for p in ("Z2", "S5", "B8", "D0", "UV", "G6", "L1", "T7", "A4", "J1")
)
TEXT_CONFIRM = 0.5  # share of a glyph's limits its measurements must reach to confirm OCR
ANGLES = (-10.0, -6.0, -3.0, 0.0, 3.0, 6.0, 10.0)


@dataclass(frozen=True)
class Thresholds:
    """Per-measurement limits; a glyph is suspect when any measurement exceeds its limit.

    Calibrated on generated style A only (see ``pipeline/vin/evalgen.py``), at the 99.5th
    percentile of genuine pairs' worst glyph.
    """

    edge: float = 0.33  # outline distance above the band's median
    shape: float = 0.16  # 1 - NCC above the band's median
    shift: float = 0.08  # glyph heights from where the layout puts it
    tilt: float = 6.0  # degrees against the other glyphs (only when rotating helps)
    tilt_gain: float = 0.01  # NCC gained by rotating, below which a tilt is noise
    weight: float = 0.46  # |log stroke-area ratio| against the band's median ratio
    placement: float = 1.1  # hypot(shift/shift limit, tilt/tilt limit): moved *and* turned
    clone_edge: float = 0.135  # median outline distance over the band
    clone_width: float = 0.29  # |median log width ratio|: another die's proportions


@dataclass(frozen=True)
class GlyphScore:
    """Measurements for one glyph position."""

    index: int
    shape: float
    shift: float
    tilt: float
    weight: float
    edge: float
    suspicion: float  # the largest measurement/limit ratio
    why: str  # which measurement that was


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two bands."""

    verdict: str  # match | mismatch | unreadable
    score: float  # 0..1, 1 = identical stamping; < 0.5 means mismatch
    suspects: tuple[int, ...]
    glyphs: tuple[GlyphScore, ...] = ()
    note: str = ""
    offsets: tuple[tuple[float, float], ...] = field(default=(), repr=False)


def _rotated(img: np.ndarray, angle: float) -> np.ndarray:
    if angle == 0.0:
        return img
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)


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
            best = (float(mx), float(loc[0] - margin), float(loc[1] - margin), ang)
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
    rs = cv2.GaussianBlur(ref_s, (0, 0), 1.5)
    cs = cv2.GaussianBlur(warped, (0, 0), 1.5)
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
                "x": x + bw / 2,
            }
        )
    return out


def _features(raw: list[dict[str, float]], t: Thresholds) -> dict[str, np.ndarray]:
    """Per-glyph measurements, each relative to the band's own typical value."""

    def col(name: str) -> np.ndarray:
        return np.array([g[name] for g in raw], np.float64)

    shape, edge = 1.0 - col("ncc"), col("edge")
    dx, dy = col("dx") / GLYPH_H, col("dy") / GLYPH_H
    gain = col("ncc") - col("ncc0")
    ang = col("angle")
    area = np.log((col("c_area") + 20) / (col("r_area") + 20))
    return {
        "edge": edge - np.median(edge),
        "shape": shape - np.median(shape),
        "shift": np.hypot(dx - np.median(dx), dy - np.median(dy)),
        "tilt": np.where(gain > t.tilt_gain, np.abs(ang - np.median(ang)), 0.0),
        "weight": np.abs(area - np.median(area)),
        "_edge": edge,
        "_width": np.log(col("c_w") / col("r_w")),
    }


def decide(raw: list[dict[str, float]], t: Thresholds) -> Comparison:
    """Turn raw measurements into glyph scores, suspects, a verdict and a score."""
    f = _features(raw, t)
    # A hand-punched glyph is usually both a little off and a little turned: each alone may
    # stay inside genuine variation, together they rarely do (99th percentile on style A).
    f["placement"] = np.hypot(f["shift"] / t.shift, f["tilt"] / t.tilt)
    names = ("edge", "shape", "shift", "tilt", "weight", "placement")
    limits = (t.edge, t.shape, t.shift, t.tilt, t.weight, t.placement)
    ratios = np.vstack([np.maximum(f[n], 0.0) / lim for n, lim in zip(names, limits, strict=True)])
    susp = ratios.max(axis=0)
    why = [names[int(k)] for k in ratios.argmax(axis=0)]
    glyphs = tuple(
        GlyphScore(
            i,
            float(f["shape"][i]),
            float(f["shift"][i]),
            float(f["tilt"][i]),
            float(f["weight"][i]),
            float(f["edge"][i]),
            float(susp[i]),
            why[i],
        )
        for i in range(len(raw))
    )
    clone = max(
        float(np.median(f["_edge"])) / t.clone_edge,
        abs(float(np.median(f["_width"]))) / t.clone_width,
    )
    worst = max(float(susp.max()), clone)
    score = float(np.clip(1.0 - 0.5 * worst, 0.0, 1.0))
    if clone > 1.0:
        suspects = tuple(range(len(raw)))
        note = "every glyph differs: another die set (clone or fully restamped VIN)"
    else:
        suspects = tuple(int(i) for i in np.nonzero(susp > 1.0)[0])
        note = ", ".join(f"{i + 1}:{why[i]}" for i in suspects)
    return Comparison("mismatch" if suspects else "match", score, suspects, glyphs, note)


def with_text(comparison: Comparison, ref_text: str | None, cand_text: str | None) -> Comparison:
    """Add positions where the two rubbings *read* differently (3→8, 1→7, C→G alterations).

    Both bands are read by the same OCR, so a genuine pair's glyphs usually read alike; more
    than three differences mean one read is unreliable and the text is ignored. OCR only
    proposes: the glyph's own measurements must confirm at half their limits, so a misread
    of two identical glyphs does not flag a genuine rubbing.
    """
    if comparison.verdict == "unreadable" or not ref_text or not cand_text:
        return comparison
    if len(ref_text) != len(cand_text):
        return comparison
    diff = [
        i
        for i, (a, b) in enumerate(zip(ref_text, cand_text, strict=True))
        if a != b and frozenset((a, b)) not in OCR_NOISE
    ]
    if len(diff) > 3:
        return comparison
    by_index = {g.index: g for g in comparison.glyphs}
    diff = [i for i in diff if i in by_index and by_index[i].suspicion >= TEXT_CONFIRM]
    if not diff:
        return comparison
    suspects = tuple(sorted(set(comparison.suspects) | set(diff)))
    note = ", ".join(
        filter(
            None, [comparison.note, *(f"{i + 1}:reads {ref_text[i]}→{cand_text[i]}" for i in diff)]
        )
    )
    return replace(
        comparison,
        verdict="mismatch",
        score=min(comparison.score, 0.25),
        suspects=suspects,
        note=note,
    )


def compare_bands(ref: Band | None, cand: Band | None, t: Thresholds | None = None) -> Comparison:
    """Compare two rectified bands; ``unreadable`` unless both have 17 glyphs."""
    if ref is None or not ref.complete:
        return Comparison(
            "unreadable", 0.0, (), note="reference: VIN band not found or not 17 glyphs"
        )
    if cand is None or not cand.complete:
        return Comparison(
            "unreadable", 0.0, (), note="candidate: VIN band not found or not 17 glyphs"
        )
    return decide(measure(ref, cand), t or Thresholds())
