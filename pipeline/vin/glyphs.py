"""Raw per-glyph measurements of a candidate VIN band against the reference band.

The candidate is mapped onto the reference by :func:`pipeline.vin.align.fit_layout`, blur is
equalised, both stroke maps are divided by their local peak (a smudge or uneven pressure
fades part of a glyph in one rubbing only), a thin straight scratch or fold cut across the
glyph row in one map only is filled (:func:`repair_cuts`), and every reference glyph is
searched for in the candidate over small shifts (to a fraction of a pixel), rotations and
horizontal stretches.
What is measured per glyph: best correlation (``ncc``, ``ncc0`` at angle 0, ``ncc_x`` at the
best stretch), offset (``dx``, ``dy``), ``angle`` and how much turning the glyph costs it
against itself (``rot_drop``), horizontal stretch (``xscale``, log), outline distance
(``edge``), the largest stroke piece either glyph has and the other does not (``extra``,
``missing``), how much more firmly the candidate walls off its counters (``sealed``),
unexplained stroke share (``ink``), stroke areas and box sizes, and the glyph-pair network's
logit for the two aligned windows (``design``, :mod:`pipeline.vin.glyphnet`).
:mod:`pipeline.vin.compare` turns them into a verdict. :func:`measure_across` takes the same
measurements of a candidate glyph against the reference's stamping of its character at another
position (and, on :func:`aligned_self`, of the reference's own glyph against it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.vin import glyphnet
from pipeline.vin.align import fit_layout, magnitude, match_blur, x_scale, y_scale
from pipeline.vin.band import GLYPH_H, Band

SMOOTH = 1.0  # extra blur (px) before template matching: tolerance for stroke-edge noise
LOCAL = 25  # px: window of the local contrast normalisation (0 = off)
LOCAL_FLOOR = 0.6  # peaks below this are not raised (background texture)
PIECE_DILATE = 3  # px (3 = one pixel each way)
PIECE_SIGMA = 2.0  # px: about a stroke width
XSCALES = (0.75, 0.87, 1.0, 1.15, 1.33)  # horizontal stretches tried (about equal log steps)
ANGLES = (-10.0, -6.0, -3.0, 0.0, 3.0, 6.0, 10.0)
CUT = 0.12  # mean cut depth along a line over the glyph row, beyond the other rubbing's (0 = off)
CUT_SLOPES = np.linspace(-0.8, 0.8, 33)  # dx/dy of the scratch and fold lines looked for
# Counters (enclosed holes) of a glyph window: strokes are pixels above a threshold, closed
# by a pixel so a one-pixel crack does not open a loop; holes under COUNTER_AREA px are noise.
# The candidate's counters, whose walls ``sealed`` compares, are taken at COUNTER_STRICT.
COUNTER_STRICT, COUNTER_AREA = 0.6, 4
SEAL_STEP = 0.1  # threshold step of the search for where counters join (see ``sealed``)


def _rotated(img: np.ndarray, angle: float) -> np.ndarray:
    if angle == 0.0:
        return img
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)


class _Turned(dict[float, np.ndarray]):
    """A glyph template turned by any angle, each turned on first use and kept."""

    def __init__(self, tmpl: np.ndarray) -> None:
        super().__init__()
        self.tmpl = tmpl

    def __missing__(self, angle: float) -> np.ndarray:
        self[angle] = turned = _rotated(self.tmpl, angle)
        return turned


def _rotations(tmpl: np.ndarray) -> _Turned:
    """The reference glyph turned by the angles of ``ANGLES`` that are asked for.

    The angle search, ``rotation_drop`` (±6°) and often ``width_search`` (when the best angle
    is one of these) all need the same turned templates; turning each once saves the warps,
    and an angle the search does not reach is not turned at all.
    """
    return _Turned(tmpl)


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


def _climb(n: int, start: int, score: Callable[[int], float]) -> int:
    """The best of ``n`` settings (the first of equals) by a climb from ``start``: the
    scored stretch grows on a side while its outermost setting there scores as high as the
    best so far, so the best and both its neighbours (for a parabola through them) are
    always scored. The same best as scoring all wherever the score falls away on both sides
    of its peak, as a glyph's correlation does around its own turn and stretch; ``score``
    is called once or more per setting (it keeps its own results)."""
    lo, hi = max(start - 1, 0), min(start + 1, n - 1)
    while True:
        best = max(score(i) for i in range(lo, hi + 1))
        if lo > 0 and score(lo) >= best:
            lo -= 1
        elif hi < n - 1 and score(hi) >= best:
            hi += 1
        else:
            return next(i for i in range(lo, hi + 1) if score(i) == best)


def _match_glyph(
    tmpl: np.ndarray, search: np.ndarray, margin: int, turned: _Turned
) -> tuple[float, float, float, float, float]:
    """Best (ncc, dx, dy, angle, ncc at angle 0) of a reference glyph over a search window.

    ``turned`` (:func:`_rotations`) turns the template by each angle the climb asks for.
    """
    scores: dict[float, float] = {}
    maps: dict[float, tuple[np.ndarray, Sequence[int]]] = {}

    def score(i: int) -> float:
        ang = ANGLES[i]
        if ang not in scores:
            res = cv2.matchTemplate(search, turned[ang], cv2.TM_CCOEFF_NORMED)
            _, mx, _, loc = cv2.minMaxLoc(res)
            scores[ang], maps[ang] = mx, (res, loc)
        return scores[ang]

    top = _climb(len(ANGLES), ANGLES.index(0.0), score)
    # The sub-pixel peak only of the winning map (it depends on nothing else).
    sx, sy = _subpixel(*maps[ANGLES[top]])
    best = (float(scores[ANGLES[top]]), sx - margin, sy - margin, ANGLES[top])
    # Refine the angle with a parabola through the best and its neighbours (the climb scored
    # both).
    if 0 < top < len(ANGLES) - 1:
        a0, a1, a2 = ANGLES[top - 1], ANGLES[top], ANGLES[top + 1]
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


def _xscaled(img: np.ndarray, k: float) -> np.ndarray:
    """The template stretched horizontally by ``k`` about its centre (same size)."""
    h, w = img.shape
    m = np.array([[k, 0.0, (1 - k) * w / 2], [0.0, 1.0, 0.0]], np.float32)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR)


def width_search(
    tmpl: np.ndarray,
    search: np.ndarray,
    angle: float,
    turned: _Turned | None = None,
) -> tuple[float, float]:
    """Best horizontal stretch of the (turned) reference glyph in the candidate, and its NCC.

    A die of the same design cut narrower or wider (another width variant) changes
    every glyph's width by a fifth or more; the stroke shape hardly changes. ``turned``
    (:func:`_rotations`) saves turning the template again when ``angle`` is one of ``ANGLES``.
    """
    base = turned[angle] if turned is not None and angle in ANGLES else _rotated(tmpl, angle)
    scores: dict[float, float] = {}

    def score(i: int) -> float:
        k = XSCALES[i]
        if k not in scores:
            stretched = base if k == 1.0 else _xscaled(base, k)
            scores[k] = float(cv2.matchTemplate(search, stretched, cv2.TM_CCOEFF_NORMED).max())
        return scores[k]

    i = _climb(len(XSCALES), XSCALES.index(1.0), score)
    best = XSCALES[i]
    out = np.log(best)
    if 0 < i < len(XSCALES) - 1:
        l1, l2 = np.log(best), np.log(XSCALES[i + 1])
        s0, s1, s2 = scores[XSCALES[i - 1]], scores[best], scores[XSCALES[i + 1]]
        den = s0 - 2 * s1 + s2
        if den < 0:
            out = l1 + float(np.clip(0.5 * (s0 - s2) / den, -0.5, 0.5)) * (l2 - l1)
    return float(out), scores[best]


def rotation_drop(tmpl: np.ndarray, angle: float = 6.0, turned: _Turned | None = None) -> float:
    """1 - correlation of a glyph with itself turned by ``angle``: how well a turn shows.

    A 0 or a D hardly changes when turned a few degrees, so their best angle is noise; an
    L or a 7 changes a lot. ``turned`` (:func:`_rotations` of a float32 ``tmpl``) saves
    turning it again.
    """
    a = tmpl.astype(np.float32)
    drops = []
    for sign in (-1.0, 1.0):
        t = turned[sign * angle] if turned is not None else None
        res = cv2.matchTemplate(
            a, _rotated(a, sign * angle) if t is None else t, cv2.TM_CCOEFF_NORMED
        )
        drops.append(1.0 - float(res.max()))
    return min(drops)


def _local_contrast(strokes: np.ndarray) -> np.ndarray:
    """Strokes divided by their own local peak (a fraction of a glyph around each pixel).

    A smudge or uneven rubbing pressure fades part of a glyph in one rubbing; a re-punch
    changes where the strokes are, not how bright they are.
    """
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (LOCAL, LOCAL))
    peak = cv2.GaussianBlur(cv2.dilate(strokes, k), (0, 0), LOCAL / 3)
    return np.clip(strokes / np.maximum(peak, LOCAL_FLOOR), 0, 1).astype(np.float32)


def _cut_profiles(s: np.ndarray, top: int, bot: int) -> tuple[np.ndarray, np.ndarray]:
    """How deeply a thin straight line cuts the strokes, per slope and column, and the fill.

    A scratch or fold line through a glyph in one photo leaves a cut one or two pixels wide
    through every stroke it crosses; a glyph's own gaps are wider. ``cut`` is how far a pixel
    lies below both its neighbours 2-3 px to each side; its mean along each straight line
    (slope ``CUT_SLOPES``) over the glyph row rows is the line's depth.
    """

    def shifted(a: np.ndarray, d: int) -> np.ndarray:
        out = np.zeros_like(a)
        if d > 0:
            out[:, d:] = a[:, :-d]
        else:
            out[:, :d] = a[:, -d:]
        return out

    fill = np.minimum(
        np.maximum(shifted(s, 2), shifted(s, 3)), np.maximum(shifted(s, -2), shifted(s, -3))
    )
    cut = np.clip(fill - s, 0, None)
    w = s.shape[1]
    yc = (top + bot) / 2
    prof = np.empty((len(CUT_SLOPES), w), np.float32)
    # The shear keeps rows and OpenCV computes each output row on its own, so the warp stops
    # at the glyph row's last row (the rows above it cannot be left out the same way: moving
    # the origin changes how OpenCV rounds the sampling positions).
    for i, k in enumerate(CUT_SLOPES):
        m = np.array([[1.0, -k, k * yc], [0.0, 1.0, 0.0]], np.float32)
        sheared = cv2.warpAffine(cut, m, (w, bot), flags=cv2.INTER_LINEAR)[top:bot]
        prof[i] = sheared.mean(axis=0)
    # Each line's depth is the deepest of three neighbouring columns (all slopes at once).
    return np.maximum(prof, np.maximum(np.roll(prof, 1, axis=1), np.roll(prof, -1, axis=1))), fill


def repair_cuts(
    a: np.ndarray, b: np.ndarray, boxes: Sequence[tuple[int, int, int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Fill straight scratch or fold cuts that cross the glyph row in one stroke map only.

    Damage through a glyph in one photo otherwise reads as a changed shape or weight. A line
    is repaired where its depth exceeds the other map's along the same line by ``CUT``
    (a glyph's own narrow gaps are in both rubbings); the cut pixels within a pixel of the
    line are raised to their neighbours' level. Tampering adds or moves strokes; it does not
    cut a thin straight line through the whole glyph row.
    """
    if CUT <= 0 or not boxes:
        return a, b
    top = min(y for _, y, _, _ in boxes)
    bot = max(y + h for _, y, _, h in boxes)
    if bot - top < 8:
        return a, b
    pa, fa = _cut_profiles(a, top, bot)
    pb, fb = _cut_profiles(b, top, bot)
    out = []
    h, w = a.shape
    yc = (top + bot) / 2
    ys = np.arange(h)
    for s, fill, mine, other in ((a, fa, pa, pb), (b, fb, pb, pa)):
        d = mine - other
        hit = (d > CUT) & (d >= np.roll(d, 1, axis=1)) & (d >= np.roll(d, -1, axis=1))
        if not hit.any():
            out.append(s)
            continue
        mask = np.zeros((h, w), bool)
        for i, x in zip(*np.nonzero(hit), strict=True):
            xs = np.round(x + CUT_SLOPES[i] * (ys - yc)).astype(int)
            for dx in (-1, 0, 1):
                ok = (xs + dx >= 0) & (xs + dx < w)
                mask[ys[ok], xs[ok] + dx] = True
        out.append(np.where(mask, np.maximum(s, fill), s).astype(np.float32))
    return out[0], out[1]


def _crop(img: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """``img[y0 : y0 + h, x0 : x0 + w]`` with zeros outside the image.

    The same as slicing the zero-padded image (where the padding reaches), without padding
    (copying) the whole band for every glyph.
    """
    out = np.zeros((h, w), img.dtype)
    ih, iw = img.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + w, iw), min(y0 + h, ih)
    if xa < xb and ya < yb:
        out[ya - y0 : yb - y0, xa - x0 : xb - x0] = img[ya:yb, xa:xb]
    return out


def _window_origin(x: int, y: int, w: int, h: int) -> tuple[int, int]:
    """Top-left corner of the :func:`_window` of a box."""
    cx, cy = x + w / 2, y + h / 2
    return int(cx - 0.45 * GLYPH_H), int(cy - 0.6 * GLYPH_H)


WINDOW_W, WINDOW_H = int(0.9 * GLYPH_H), int(1.2 * GLYPH_H)
# The window as the glyph-pair network reads it (width, height; ``models/glyphpair``).
NET_WINDOW = (32, 48)


def _window(img: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """A fixed-size window (0.9 x 1.2 glyph heights) centred on a box, resized to
    :data:`NET_WINDOW` (32 x 48 pixels).

    Zeros outside the band (boxes lie in the band, so a window sticks out by less than a
    glyph height, the padding this once took from a padded copy of the band).
    """
    x0, y0 = _window_origin(x, y, w, h)
    win = _crop(img, x0, y0, WINDOW_W, WINDOW_H)
    return cv2.resize(win, NET_WINDOW, interpolation=cv2.INTER_AREA)


# OpenCV warps a row in SIMD blocks and the columns after the last full block with scalar
# code, which may round the last bit differently; a block is at most 64 columns.
SIMD_COLUMNS = 64


def _warp_corner(img: np.ndarray, m: np.ndarray, width: int, height: int, flags: int) -> np.ndarray:
    """``cv2.warpAffine(img, m, (w, h), flags=flags)`` (``img`` h x w), at least its top-left
    ``width`` x ``height`` pixels, computed bit for bit as in the full-size warp.

    Every output pixel is computed from its own coordinates, so a smaller output is the full
    one's corner, provided the kept columns are still in whole SIMD blocks
    (:data:`SIMD_COLUMNS`). One glyph's window needs only the band up to that glyph.
    """
    h, w = img.shape
    width = min(w, -(-width // SIMD_COLUMNS) * SIMD_COLUMNS)
    return cv2.warpAffine(img, m, (width, min(h, height)), flags=flags)


def _edge_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - correlation of gradient magnitudes: outlines (serifs, curves, ends) of two glyphs."""

    def grad(x: np.ndarray) -> np.ndarray:
        x = cv2.GaussianBlur(x, (0, 0), 1.0)
        g = magnitude(cv2.Sobel(x, cv2.CV_32F, 1, 0), cv2.Sobel(x, cv2.CV_32F, 0, 1))
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


def _pieces(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Largest stroke piece of ``b`` that ``a`` does not explain, and the reverse.

    Each map is dilated by a pixel or so (small misalignment and ink-weight differences are
    explained), the other's excess is smoothed over about a stroke width, and its peak is
    taken: an added bar (3→8, C→G) or a differently shaped terminal leaves a compact excess.
    """
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (PIECE_DILATE, PIECE_DILATE))
    ex = np.maximum(b - cv2.dilate(a, k), 0.0)
    mi = np.maximum(a - cv2.dilate(b, k), 0.0)
    ex = cv2.GaussianBlur(ex, (0, 0), PIECE_SIGMA)
    mi = cv2.GaussianBlur(mi, (0, 0), PIECE_SIGMA)
    return float(ex.max()), float(mi.max())


def _closed_strokes(win: np.ndarray, threshold: float) -> np.ndarray:
    """The pixels above ``threshold`` (uint8 0/1), closed by a pixel: a crack of a pixel does
    not open a loop. What :func:`counters` and :func:`sealed` take for strokes."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    return cv2.morphologyEx((win > threshold).astype(np.uint8), cv2.MORPH_CLOSE, k)


def counters(win: np.ndarray, threshold: float) -> list[np.ndarray]:
    """Masks of a glyph window's counters: background regions its strokes enclose.

    Strokes are the pixels above ``threshold``, closed by a pixel (a crack of a pixel does
    not open a loop); a region touching the window's border is outside, one smaller than
    ``COUNTER_AREA`` pixels is noise. 6, 8, 0, A, R have them; 3, 1, C, 7 have none.
    """
    ink = _closed_strokes(win, threshold)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - ink, connectivity=4)
    h, w = ink.shape
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if x > 0 and y > 0 and x + bw < w and y + bh < h and area >= COUNTER_AREA:
            out.append(labels == i)
    return out


def _barriers(
    win: np.ndarray, seeds: list[tuple[int, int]], start: float, stop: float
) -> np.ndarray:
    """Lowest threshold (from ``start``, in steps of :data:`SEAL_STEP`, up to ``stop``) at
    which each two seeds, and seed 0, the window's outside, are joined through background:
    strokes are :func:`_closed_strokes` at the threshold, as in :func:`counters`; those
    still apart at ``stop`` get 1.0."""
    n = len(seeds) + 1
    out = np.ones((n, n), np.float32)
    np.fill_diagonal(out, 0.0)
    padded = np.pad(win, 1)
    at = [(0, 0), *((y + 1, x + 1) for y, x in seeds)]
    for t in np.arange(start, stop + 1e-6, SEAL_STEP):
        ink = _closed_strokes(padded, t)
        _, labels = cv2.connectedComponents(1 - ink, connectivity=4)
        lab = [int(labels[p]) if not ink[p] else -1 - i for i, p in enumerate(at)]
        joined = np.equal.outer(lab, lab) & (out == 1.0)
        out[joined] = round(float(t), 2)
        if not (out == 1.0).any():
            break
    return out


def _faintest(win: np.ndarray, region: np.ndarray) -> tuple[int, int]:
    """(y, x) of the region's pixel where ``win`` is least stroke (the first such)."""
    ys, xs = np.nonzero(region)
    i = int(np.argmin(win[ys, xs]))
    return int(ys[i]), int(xs[i])


def sealed(ref: np.ndarray, cand: np.ndarray) -> float:
    """How much more firmly the candidate glyph walls off its counters than the reference
    walls off the same places: from the outside (a 5's bowl closed into a 6's, a 6's open
    top closed into an 8's) and from each other (a 0's counter split by an 8's waist).

    For each counter of the candidate (:func:`counters` at ``COUNTER_STRICT``), the lowest
    threshold at which background joins it to the outside or to another counter, in the
    candidate and in the reference (from the counter's pixel most like background there);
    the largest excess of the candidate's over the reference's. Continuous, where a count
    of new counters is not: a 5 whose bowl the reference's blur nearly closes has a counter
    at a low threshold, which explained away the 6's firmly closed one (the 5's bowl joins
    the outside at 0.3, the 6's at 0.8 or above). Both windows are the aligned stroke maps
    ([0, 1]) of :func:`measure`; the reference's side stops at the candidate's highest
    join, as only what lies below counts.
    """
    mine = counters(cand, COUNTER_STRICT)
    if not mine:
        return 0.0
    seeds_c = [_faintest(cand, m) for m in mine]
    seeds_r = [_faintest(ref, m) for m in mine]
    # The candidate's counters are apart at COUNTER_STRICT, so they join above it; the
    # reference's joins matter only below the highest of those.
    own = _barriers(cand, seeds_c, COUNTER_STRICT + SEAL_STEP, 0.9)
    theirs = _barriers(ref, seeds_r, SEAL_STEP, float(own.max()) - SEAL_STEP)
    return float(max((own - theirs).max(), 0.0))


@dataclass(frozen=True)
class Aligned:
    """Both bands made ready for glyph measurement: the candidate mapped onto the reference
    (``m``), blur equalised, local contrast and cuts repaired, smoothed and padded copies."""

    ref: Band
    cand: Band
    m: np.ndarray
    ref_s: np.ndarray
    warped: np.ndarray
    wbin: np.ndarray
    pr: np.ndarray
    pc: np.ndarray


_MARGIN = int(0.25 * GLYPH_H)  # how far a glyph is searched for around where it should be
_PAD = 6  # context around a glyph's box in its template


def aligned_bands(ref: Band, cand: Band) -> Aligned:
    m = fit_layout(ref, cand)
    h, w = ref.strokes.shape
    warped = cv2.warpPerspective(
        cand.strokes, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    wbin = cv2.warpPerspective(
        cand.binary, m, (w, h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP
    )
    ref_s, warped = match_blur(ref.strokes, warped)
    if LOCAL > 0:
        ref_s, warped = _local_contrast(ref_s), _local_contrast(warped)
    ref_s, warped = repair_cuts(ref_s, warped, ref.boxes)
    rs = cv2.GaussianBlur(ref_s, (0, 0), SMOOTH)
    cs = cv2.GaussianBlur(warped, (0, 0), SMOOTH)
    pr = np.pad(rs, _MARGIN + _PAD)
    pc = np.pad(cs, _MARGIN + _PAD)
    return Aligned(ref, cand, m, ref_s, warped, wbin, pr, pc)


def aligned_self(ref: Band) -> Aligned:
    """The reference band made ready to be measured against itself (one stamping of a
    character against another, :func:`measure_across`): the same steps as
    :func:`aligned_bands` that apply to one band."""
    ref_s = ref.strokes
    if LOCAL > 0:
        ref_s = _local_contrast(ref_s)
    padded = np.pad(cv2.GaussianBlur(ref_s, (0, 0), SMOOTH), _MARGIN + _PAD)
    return Aligned(ref, ref, np.eye(3), ref_s, ref_s, ref.binary, padded, padded)


def _glyph(
    a: Aligned, box: Sequence[int], at: Sequence[int], cbox: Sequence[int]
) -> tuple[dict[str, float], np.ndarray]:
    """Raw measurements of the reference glyph in ``box`` searched for in the candidate where
    the box ``at`` (of the same size) lies, and the aligned window pair. ``at`` is ``box``
    itself for the glyph at its own position; ``cbox``: the candidate's own box there."""
    x, y, bw, bh = box
    ax, ay = at[0], at[1]
    margin, pad = _MARGIN, _PAD
    x0, y0 = x + margin, y + margin  # in padded coordinates, minus pad
    tmpl = a.pr[y0 : y0 + bh + 2 * pad, x0 : x0 + bw + 2 * pad]
    sx0, sy0 = ax + margin, ay + margin
    search = a.pc[
        sy0 - margin : sy0 + bh + 2 * pad + margin, sx0 - margin : sx0 + bw + 2 * pad + margin
    ]
    turned = _rotations(tmpl)
    ncc, dx, dy, ang, ncc0 = _match_glyph(tmpl, search, margin, turned)
    rot_drop = rotation_drop(tmpl, turned=turned)
    xs, ncc_x = width_search(tmpl, search, ang, turned)
    r_area = float(a.ref.binary[y : y + bh, x : x + bw].sum())
    sx, sy_ = round(ax + dx), round(ay + dy)
    c_area = float(a.wbin[max(sy_, 0) : max(sy_, 0) + bh, max(sx, 0) : max(sx, 0) + bw].sum())
    m2 = cv2.getRotationMatrix2D((ax + bw / 2, ay + bh / 2), ang, 1.0)
    m2[:, 2] += np.array([dx, dy])
    # Only the part of the band up to this glyph's window and ink box is warped.
    wx, wy = _window_origin(ax, ay, bw, bh)
    right, low = max(wx + WINDOW_W, ax + bw + 3), max(wy + WINDOW_H, ay + bh + 3)
    cb = _warp_corner(a.wbin, m2, right, low, cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    aligned = _warp_corner(a.warped, m2, right, low, cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    rwin, cwin = _window(a.ref_s, x, y, bw, bh), _window(aligned, ax, ay, bw, bh)
    edge = _edge_distance(rwin, cwin)
    extra, missing = _pieces(rwin, cwin)
    seal = sealed(rwin, cwin)
    ink = _ink(
        _crop(a.ref.binary, x - 3, y - 3, bw + 6, bh + 6),
        _crop(cb, ax - 3, ay - 3, bw + 6, bh + 6),
    )
    cw = cbox[2] / max(x_scale(a.m, ax + bw / 2, ay + bh / 2), 1e-3)
    ch = cbox[3] / max(y_scale(a.m, ax + bw / 2, ay + bh / 2), 1e-3)
    raw = {
        "edge": edge,
        "ncc": ncc,
        "ncc0": ncc0,
        "ink": ink,
        "extra": extra,
        "missing": missing,
        "sealed": seal,
        "dx": dx,
        "dy": dy,
        "angle": ang,
        "rot_drop": rot_drop,
        "xscale": xs,
        "ncc_x": ncc_x,
        "r_area": r_area,
        "c_area": c_area,
        "r_w": float(bw),
        "c_w": float(cw),
        "r_h": float(bh),
        "c_h": float(ch),
        "x": ax + bw / 2,
    }
    return raw, np.stack([rwin, cwin]).astype(np.float32)


def measure(
    ref: Band,
    cand: Band,
    *,
    design: bool = True,
    windows: list[np.ndarray] | None = None,
    aligned: Aligned | None = None,
) -> list[dict[str, float]]:
    """Raw per-glyph measurements of a candidate band against a reference band.

    ``design``: the glyph-pair network's logit for each aligned pair of windows
    (:mod:`pipeline.vin.glyphnet`); ``windows``, when given, receives those pairs, each
    (2, height, width) float32, reference first (the network's training data);
    ``aligned``: the two bands' :func:`aligned_bands`, when already made.
    """
    a = aligned if aligned is not None else aligned_bands(ref, cand)
    return _measured(
        a,
        [(box, box, cbox) for box, cbox in zip(ref.boxes, cand.boxes, strict=True)],
        design,
        windows,
    )


def measure_across(
    a: Aligned, pairs: Sequence[tuple[int, int]], *, design: bool = True
) -> list[dict[str, float]]:
    """Raw measurements of the candidate's glyph ``i`` against the reference's glyph ``j``
    (the same character elsewhere in the VIN, punched by the same die), for each ``(i, j)``
    of ``pairs``: the reference glyph is searched for where glyph ``i`` should be, centred
    on its box. The die's shape measurements are comparable with :func:`measure`'s; the
    offsets and the angle are those between two positions and mean nothing here."""
    h, w = a.ref_s.shape
    places = []
    for i, j in pairs:
        xi, yi, wi, hi = a.ref.boxes[i]
        box = a.ref.boxes[j]
        ax = min(max(round(xi + wi / 2 - box[2] / 2), 0), w - box[2])
        ay = min(max(round(yi + hi / 2 - box[3] / 2), 0), h - box[3])
        places.append((box, (ax, ay, box[2], box[3]), a.cand.boxes[i]))
    return _measured(a, places, design)


def _measured(
    a: Aligned,
    places: Sequence[tuple[Sequence[int], Sequence[int], Sequence[int]]],
    design: bool,
    windows: list[np.ndarray] | None = None,
) -> list[dict[str, float]]:
    """:func:`_glyph` for each (reference box, where it is searched for, candidate box) of
    ``places``, with the network's logits (``design``) and the window pairs (``windows``)."""
    out = []
    pairs = []
    for box, at, cbox in places:
        raw, pair = _glyph(a, box, at, cbox)
        out.append(raw)
        pairs.append(pair)
    if windows is not None:
        windows.extend(pairs)
    if design and pairs:
        for g, logit in zip(out, glyphnet.logits(np.stack(pairs)), strict=True):
            g["design"] = float(logit)
    return out
