"""Find and rectify the VIN band of a rubbing photo and segment its 17 glyphs.

The band is the longest dense cluster of vertical-stroke edges; its rotated rectangle gives
the angle; when the glyphs found in that crop slope by more than :data:`ANGLE_TOL` (the
cluster took in a film edge, fold or scratch) or an end glyph is at the crop's end, the band
is refitted once on the glyph row (angle, centre, length), and warped once more when its glyphs
lean (a photo taken at an angle shears them; :func:`_lean`) and again when their lean changes
along the row (a photo taken from above or below the film; :func:`_unkeystoned`). The
rectified crop is scaled so
glyphs are about :data:`GLYPH_H` pixels tall, its lighting is flattened, and it is turned
into a *stroke map* in [0, 1] whatever the polarity (light-on-dark carbon film or
dark-on-light pencil paper): strokes are the minority class.

Glyphs are the stroke components grouped into columns. Thin stroke fonts with serifs touch
their neighbours and slanted dies share columns between neighbours, so when the upright
columns are not an even row of 17, the columns are taken along the glyphs' slant and runs of
touching glyphs are cut at the row's pitch (:func:`_split_row`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from pipeline.vin.rules import LENGTH

GLYPH_H = 48
WORK_W = 960
ANGLE_TOL = 1.0  # degrees of glyph-row slope left after the band fit before it is refitted


@dataclass(frozen=True)
class Band:
    """A rectified VIN band: stroke map, binary mask, the 17 glyph boxes (x, y, w, h) or fewer."""

    strokes: np.ndarray  # float32 in [0, 1], 1 = stroke
    binary: np.ndarray  # uint8 0/1
    boxes: tuple[tuple[int, int, int, int], ...]
    gray: np.ndarray  # the rectified grey crop (uint8), for OCR and overlays
    light_on_dark: bool
    # OCR reads of the band's line, (text, score) per recogniser (``read_band``): kept with
    # a reference's band, so a comparison does not read the same reference again.
    reads: dict[str, tuple[str, float]] = field(default_factory=dict, compare=False)

    @property
    def complete(self) -> bool:
        """Whether exactly 17 glyphs were found."""
        return len(self.boxes) == LENGTH

    def to_bytes(self) -> bytes:
        """The band as a compressed ``.npz`` (exact arrays), tagged with :data:`ALGORITHM`."""
        buf = io.BytesIO()
        meta = {
            "algorithm": ALGORITHM,
            "light_on_dark": self.light_on_dark,
            "reads": {tag: [text, score] for tag, (text, score) in self.reads.items()},
        }
        np.savez_compressed(
            buf,
            strokes=self.strokes,
            binary=self.binary,
            gray=self.gray,
            boxes=np.asarray(self.boxes, np.int64).reshape(-1, 4),
            meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Band | None:
        """A band saved by :meth:`to_bytes`, or None when another algorithm made it or the
        data is not such a file."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes())
                if meta.get("algorithm") != ALGORITHM:
                    return None
                boxes = tuple(tuple(int(v) for v in b) for b in z["boxes"])
                return cls(
                    strokes=z["strokes"],
                    binary=z["binary"],
                    boxes=boxes,  # type: ignore[arg-type]
                    gray=z["gray"],
                    light_on_dark=bool(meta["light_on_dark"]),
                    reads={
                        str(tag): (str(text), float(score))
                        for tag, (text, score) in meta.get("reads", {}).items()
                    },
                )
        except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile):
            return None


def _algorithm() -> str:
    """A digest of what a band depends on: this module's code and OpenCV's version."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(cv2.__version__.encode())
    return digest.hexdigest()[:16]


# Saved bands (prepared references) are reused only when this matches.
ALGORITHM = _algorithm()


def _to_gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


Rect = tuple[tuple[float, float], tuple[float, float], float]

# Clusters of strokes rectified in turn where the largest gives no clearly regular row (see
# ``_search``): a film photographed on a textured desk or cloth has the ground's grain
# beside it as clusters of edges too, and one may be larger than the glyph row.
BAND_CHOICES = 3


def find_band(gray: np.ndarray, percentile: float = 88.0) -> Rect | None:
    """The rotated rectangle ((cx, cy), (w, h), angle) of the VIN band, or None; edges are
    the horizontal gradients above this ``percentile`` of the photo's."""
    found = find_bands(gray, percentile, 1)
    return found[0] if found else None


def find_bands(gray: np.ndarray, percentile: float = 88.0, most: int = BAND_CHOICES) -> list[Rect]:
    """Up to ``most`` rectangles of clusters of strokes that may be the VIN band, the likeliest
    (the largest) first: clusters at least three times as wide as tall and a quarter of the
    photo wide; where none is, rows freed from taller clusters (:func:`_row_part`)."""
    h, w = gray.shape
    # Contrast scales with the light falling on the film: divide the light out first.
    f = gray.astype(np.float32)
    flat = f / (_lighting(f, 30.0) + 8.0)
    gx = np.abs(cv2.Sobel(flat, cv2.CV_32F, 1, 0, ksize=3))
    gx = cv2.GaussianBlur(gx, (0, 0), 1.0)
    thr = float(np.percentile(gx, percentile))
    edges = (gx > max(thr, 0.04)).astype(np.uint8)
    # Vertical film edges are long thin lines: an opening with a short horizontal kernel
    # after closing keeps only clusters of strokes.
    closed = cv2.morphologyEx(
        edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (w // 25 + 1, 3))
    )
    opened = cv2.morphologyEx(
        closed,
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (w // 60 + 1, h // 60 + 3)),
    )
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    rows: list[tuple[int, int, int, np.ndarray | None]] = []  # area, x, y, mask (None: label)
    tall = []  # clusters too tall for a row, wide enough for one
    for i in range(1, n):
        bw, bh, area = (int(v) for v in stats[i][2:5])
        if bw < 0.25 * w:
            continue
        if bw < 3 * bh:
            tall.append(i)
        else:
            rows.append((area, i, 0, None))
    if not rows:
        # No cluster is a row: the row may be joined to a tall cluster at its end.
        for i in tall:
            bx, by, bw, bh = (int(v) for v in stats[i][:4])
            row = _row_part(labels[by : by + bh, bx : bx + bw] == i, 0.25 * w)
            if row is not None:
                rows.append((int(row[2].sum()), bx + row[0], by + row[1], row[2]))
    rows.sort(key=lambda r: -r[0])  # stable: equal areas keep the labels' order
    out = []
    for _, a, b, part in rows[:most]:
        if part is None:
            bx, by, bw, bh = (int(v) for v in stats[a][:4])
            mask = _without_posts(labels[by : by + bh, bx : bx + bw] == a)
        else:
            bx, by, mask = a, b, part
        if mask.any():
            out.append(_rect(mask, bx, by))
    return out


def _rect(mask: np.ndarray, bx: int, by: int) -> Rect:
    """The rotated rectangle of a stroke cluster's mask placed at (bx, by), read left to
    right."""
    rect = cv2.minAreaRect(_row_ends(mask, bx, by))
    (cx, cy), (rw, rh) = rect[0], rect[1]
    corners = cv2.boxPoints(rect)
    sides = [corners[(i + 1) % 4] - corners[i] for i in range(2)]
    long_edge = max(sides, key=lambda e: float(np.hypot(*e)))
    ang = float(np.degrees(np.arctan2(long_edge[1], long_edge[0])))
    # The band is read left to right: fold the direction into (-90, 90].
    if ang > 90:
        ang -= 180
    elif ang <= -90:
        ang += 180
    return (float(cx), float(cy)), (max(rw, rh), min(rw, rh)), ang


# A column of the stroke cluster this many times taller than its typical column is a post.
POST_HEIGHT = 1.8


def _without_posts(mask: np.ndarray) -> np.ndarray:
    """The stroke cluster without tall vertical "posts" joined to its ends.

    The film's own edges are removed by the opening, but an edge doubled by a line close
    beside it (the frame printed around a film stuck on a form, a ruler) survives as a
    post as tall as the film, and the closing joins it to the glyph row: the band found
    was then the whole film. The row itself is about as tall in every column (at a slant
    too), so columns much taller than the cluster's median column are dropped."""
    heights = mask.sum(axis=0)
    typical = float(np.median(heights[heights > 0])) if heights.any() else 0.0
    posts = heights > POST_HEIGHT * typical
    if not posts.any():
        return mask
    out = mask.copy()
    out[:, posts] = False
    return out


def _row_part(mask: np.ndarray, min_width: float) -> tuple[int, int, np.ndarray] | None:
    """A row of strokes inside a cluster too tall to be one: (x, y, mask) of its largest
    part once the posts are dropped (:func:`_without_posts`), if that part is a row (at
    least three times as wide as tall and ``min_width`` wide).

    A film photographed on textured ground (a desk's grain, a noisy dark cloth), with the
    edge of its paper close to the VIN, makes a tall cluster of edges there that the
    closing joins to the glyph row; the row itself is still the widest part of it."""
    rest = _without_posts(mask).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    if n < 2:
        return None
    j = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, bw, bh = (int(v) for v in stats[j][:4])
    if bw < min_width or bw < 3 * bh:
        return None
    return x, y, labels[y : y + bh, x : x + bw] == j


# Lighting is smooth: blurring a copy this many times smaller gives nearly the same field
# (within ~3 % of the direct blur inside the image on tuning rubbings), 8x cheaper.
_LIGHT_SHRINK = 2


def _lighting(f: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``f`` at ``sigma`` (tens of pixels), computed on a shrunk copy
    (area-averaged) and enlarged again; a direct blur at this width costs ~180 taps a pixel."""
    h, w = f.shape
    k = _LIGHT_SHRINK
    if min(h, w) < 8 * k:
        return cv2.GaussianBlur(f, (0, 0), sigma)
    small = cv2.resize(f, (w // k, h // k), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _row_ends(mask: np.ndarray, x0: int, y0: int) -> np.ndarray:
    """The first and last pixel of each row of ``mask`` (offset by x0, y0), as float32 points.

    Every vertex of a pixel set's convex hull is the end of its row, so the minimum-area
    rectangle of these points is that of the whole set (the same result, 30x faster than
    handing ``cv2.minAreaRect`` every pixel of a band-sized cluster).
    """
    rows = np.flatnonzero(mask.any(axis=1))
    sub = mask[rows]
    first = sub.argmax(axis=1)
    last = sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
    ys = rows + y0
    return np.concatenate(
        [np.column_stack([first + x0, ys]), np.column_stack([last + x0, ys])]
    ).astype(np.float32)


def _polarity(crop: np.ndarray) -> bool:
    """First guess of whether glyphs are light: strokes are usually the minority class."""
    f = crop.astype(np.float32)
    h = f.shape[0]
    mid = f[int(h * 0.3) : int(h * 0.7)]
    hp = cv2.GaussianBlur(mid, (0, 0), 1.0) - cv2.GaussianBlur(mid, (0, 0), GLYPH_H / 2)
    lo, hi = np.percentile(hp, [2, 98])
    u8 = np.clip((hp - lo) / max(hi - lo, 1e-3) * 255, 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float((u8 > t).mean()) < 0.5


# The top-hat's structuring element: a disc wider than any stroke (odd, so centred).
_DISC = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (GLYPH_H // 2 | 1, GLYPH_H // 2 | 1))


def _disc_runs(kernel: np.ndarray) -> list[tuple[int, int, int]]:
    """Each kernel row's run of ones as (dy, x0, x1) about the centre anchor."""
    kh, kw = kernel.shape
    runs = []
    for row in range(kh):
        xs = np.flatnonzero(kernel[row])
        if len(xs):
            runs.append((row - kh // 2, int(xs[0]) - kw // 2, int(xs[-1]) - kw // 2))
    return runs


def _extreme(f: np.ndarray, runs: list[tuple[int, int, int]], erode: bool) -> np.ndarray:
    """Grey erosion (min) or dilation (max) of float ``f`` by a convex kernel given as row
    runs: a 1-D pass per distinct run, then the rows' results shifted into place. Outside
    the image counts as +inf for erosion and -inf for dilation, as in OpenCV."""
    edge = np.inf if erode else -np.inf
    combine = np.minimum if erode else np.maximum
    pass_1d = cv2.erode if erode else cv2.dilate
    h, w = f.shape
    lines: dict[tuple[int, int], np.ndarray] = {}
    out = np.full((h, w), edge, np.float32)
    for dy, x0, x1 in runs:
        if (x0, x1) not in lines:
            line = np.ones((1, x1 - x0 + 1), np.uint8)
            lines[(x0, x1)] = pass_1d(
                f, line, anchor=(-x0, 0), borderType=cv2.BORDER_CONSTANT, borderValue=edge
            )
        g = lines[(x0, x1)]
        if 0 <= dy < h:
            combine(out[: h - dy], g[dy:], out=out[: h - dy])
        elif 0 < -dy < h:
            combine(out[-dy:], g[: h + dy], out=out[-dy:])
    return out


def _hat(f: np.ndarray, kernel: np.ndarray, light: bool) -> np.ndarray:
    """``cv2.morphologyEx`` TOPHAT (``light``) or BLACKHAT of float32 ``f`` by an odd-sized
    convex kernel, bit for bit, about twice as fast for the disc (OpenCV runs non-rectangular
    kernels on floats element by element; here every row of the disc is a fast 1-D pass)."""
    runs = _disc_runs(kernel)
    mirrored = [(-dy, -x1, -x0) for dy, x0, x1 in runs]
    if light:  # f - opening
        return f - _extreme(_extreme(f, runs, erode=True), mirrored, erode=False)
    # closing - f
    return _extreme(_extreme(f, runs, erode=False), mirrored, erode=True) - f


def _stroke_map(crop: np.ndarray, light: bool) -> np.ndarray:
    """Strokes in [0, 1] for a polarity.

    A morphological top-hat with a kernel wider than any stroke removes everything broad
    (lighting, film edges, the desk), so only stroke-sized structure remains.
    """
    f = crop.astype(np.float32)
    h = f.shape[0]
    th = _hat(cv2.GaussianBlur(f, (0, 0), 0.8), _DISC, light)
    core = th[int(h * 0.3) : int(h * 0.7)]
    top = float(np.percentile(core, 97))
    # Rubbing pressure varies along the band: scale each glyph by its own neighbourhood's
    # peak (floored, so plain texture between glyphs is not blown up into strokes).
    peak = cv2.dilate(th, np.ones((GLYPH_H, GLYPH_H), np.uint8))
    peak = cv2.blur(peak, (GLYPH_H, 3))
    strokes = np.clip(th / np.maximum(peak * 0.9, 0.4 * max(top, 1e-3)), 0, 1)
    return strokes.astype(np.float32)


def _segment_strokes(strokes: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Binary strokes and glyph boxes at the first threshold that yields an even row of 17
    glyphs with none cut in two (else the first even row of 17, else the first 17, else the
    count nearest 17; :func:`_row_key`). The dots of a dot-peen marking are joined into
    glyphs first (:func:`_joined_dots`)."""
    u8 = (strokes * 255).astype(np.uint8)
    t, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    base = min(max(t, 70), 140)
    best: tuple[np.ndarray, list[tuple[int, int, int, int]]] | None = None
    best_key = (LENGTH, True, True)
    # Thick or blurred strokes touch at one threshold and part at a higher one; broken
    # strokes join at a lower one.
    for thr in (base, base + 40, base - 30, base + 75):
        raw_bin = (u8 > thr).astype(np.uint8)
        binary: np.ndarray = cv2.morphologyEx(raw_bin, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        parts = _labelled(binary)
        joined = _joined_dots(binary, parts)
        if joined is not None:
            binary, parts = joined, _labelled(joined)
        boxes = segment(binary, parts)
        key = _row_key(boxes)
        if best is None or key < best_key:
            best, best_key = (binary, boxes), key
        if key == (0, False, False):
            break
    assert best is not None
    return best


def _row_key(boxes: Sequence[Sequence[int]]) -> tuple[int, bool, bool]:
    """How far a segmentation is from an even row of 17 (lower is nearer): the count, then
    evenness, then whether two neighbouring boxes stand closer than :data:`CUT_GAP` of the
    row's pitch (one glyph cut in two to make up the count, as when a faint glyph at the
    row's end was not found at this threshold)."""
    n = abs(len(boxes) - LENGTH)
    if len(boxes) != LENGTH or not _even(boxes):
        return n, True, True
    gaps = np.diff(_centres(boxes))
    return n, False, bool(gaps.min() < CUT_GAP * float(np.median(gaps)))


# Neighbouring glyphs of an even row stand about a pitch apart; two pieces of one glyph
# stand half a pitch apart. Session 17, tuning captures (5,000 pairs): 4,901 -> 4,903 right
# (the faint first E of tuning seed 910 B #121, undisturbed and wrinkled, found at a lower
# threshold; 2 of 2,400 undisturbed pairs' bands changed).
CUT_GAP = 0.6


# The 8-connected components of a binary map: count, labels, stats, centroids (as OpenCV).
Parts = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def _labelled(binary: np.ndarray) -> Parts:
    """``cv2.connectedComponentsWithStats(binary, connectivity=8)``, taken once per map for
    :func:`_joined_dots` and :func:`segment` alike."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
    return int(n), labels, stats, centroids


def _joined_dots(binary: np.ndarray, parts: Parts | None = None) -> np.ndarray | None:
    """A dot-peen VIN's strokes with each glyph's dots joined (closed across the gap between
    neighbouring dots), or None when the strokes are not mostly small separate dots.

    The closing reaches one dot pitch (the median distance between neighbouring dots); the
    glyphs of a dot-matrix die stand at least a dot pitch apart, so they stay apart. The
    stroke map the comparison correlates keeps its dots (blurring them into strokes hid
    re-punches with another dot die: tuning seed 4242, 60 pairs of each of styles G and H,
    103 of 120 right as is, 98 blurred, 92 with the dots not joined)."""
    n, _, stats, centroids = parts if parts is not None else _labelled(binary)
    if n - 1 < 3 * LENGTH:
        return None
    size = np.maximum(stats[1:, 2], stats[1:, 3])
    dots = size < 0.3 * GLYPH_H
    if dots.mean() < DOT_SHARE:
        return None
    pts = centroids[1:][dots].astype(np.float64)
    d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d2, np.inf)
    pitch = float(np.median(np.sqrt(d2.min(axis=1))))
    reach = round(pitch) | 1
    if reach < 3 or reach > 0.35 * GLYPH_H:
        return None
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    joined: np.ndarray = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)
    return joined


# Share of stroke components that must be small dots for a band to be read as dot-peen.
DOT_SHARE = 0.7


def turned_band(band: Band) -> Band:
    """The band turned half a turn: a film photographed upside down, the right way up (its
    glyph boxes in reading order again)."""
    h, w = band.strokes.shape
    boxes = tuple((w - x - bw, h - y - bh, bw, bh) for x, y, bw, bh in reversed(band.boxes))
    return Band(
        np.ascontiguousarray(band.strokes[::-1, ::-1]),
        np.ascontiguousarray(band.binary[::-1, ::-1]),
        boxes,
        np.ascontiguousarray(band.gray[::-1, ::-1]),
        band.light_on_dark,
    )


def rectify(image: np.ndarray) -> Band | None:
    """The rectified, segmented VIN band of a rubbing photo, or None when none is found.

    The band finder looks for a roughly level row of strokes, in the other clusters of
    strokes too where the largest makes no clearly regular row (:func:`_search`); when it
    finds no complete row of 17, or only one far from even, it looks again on copies turned
    by :data:`SEARCH_TURNS` degrees (a film photographed at a slant) and then on the
    strongest edges only (:data:`STRICT_EDGES`), and a band found there counts only when it
    is complete and clearly regular (:data:`CLEAR_ROW`; the strongest edges' most regular
    complete row also when it is more even than the first). A film may also be
    photographed in portrait, its VIN running up or down the picture: a portrait photo is
    searched a quarter turn clockwise first (a complete band found so is taken), a landscape
    one a quarter turn when nothing else found a complete band (and the band must then be
    clearly regular). A film that reads downwards after the quarter turn is upside down, as
    the comparison and the reader allow for."""
    gray = _to_gray(image)
    portrait = gray.shape[0] > gray.shape[1]
    if portrait:
        band = _search(cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE))
        if band is not None and band.complete:
            return band
    band = _search(gray)
    if (band is not None and band.complete) or portrait:
        return band
    other = _search(cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE))
    if other is not None and other.complete and _regularity(other) >= CLEAR_ROW:
        return other
    return band


def _search(gray: np.ndarray) -> Band | None:
    """The band of a grey photo as it lies, or at a slant of up to about 35 degrees.

    The largest cluster of strokes is rectified first and taken when it makes a clearly
    regular row of 17. Otherwise the other clusters are tried (a film on a textured desk or
    cloth: the ground's grain can make a larger cluster than the glyph row); where the first
    makes a complete row, not far from even (:data:`UNEVEN_ROW`), it stays unless one of them
    is clearly regular. Where it makes none, the copies turned by :data:`SEARCH_TURNS` are
    searched, then the clusters of the strongest edges (:data:`STRICT_EDGES`: a film
    streaked with pencil grain is one cluster at the usual percentile): the first clearly
    regular row wins, else the most regular complete row of the level searches if it is
    more regular than the first."""
    scale = WORK_W / gray.shape[1]
    small = cv2.resize(
        gray, (WORK_W, max(8, round(gray.shape[0] * scale))), interpolation=cv2.INTER_AREA
    )
    rects = find_bands(small)
    band = _rectified(small, rects[0]) if rects else None
    regular = _regularity(band) if band is not None and band.complete else -np.inf
    if regular >= CLEAR_ROW:
        return band
    rows = []  # complete rows of other clusters, not clearly regular
    for rect in rects[1:]:
        other = _rectified(small, rect)
        if other.complete:
            if _regularity(other) >= CLEAR_ROW:
                return other
            rows.append(other)
    if regular >= UNEVEN_ROW:
        return band
    for turn in SEARCH_TURNS:
        found = find_band(_turned(small, turn))
        if found is None:
            continue
        (cx, cy), size, ang = found
        # Back into the unturned copy: the centre turns back, the angle adds the turn.
        inv = cv2.invertAffineTransform(_turn_matrix(small.shape, turn))
        x, y = inv @ np.array([cx, cy, 1.0])
        other = _rectified(small, ((float(x), float(y)), size, ang + turn))
        if other.complete and _regularity(other) >= CLEAR_ROW:
            return other
    for rect in (r for percentile in STRICT_EDGES for r in find_bands(small, percentile)):
        other = _rectified(small, rect)
        if other.complete:
            if _regularity(other) >= CLEAR_ROW:
                return other
            rows.append(other)
    best = max(rows, key=_regularity, default=None)
    if best is not None and _regularity(best) > max(regular, UNEVEN_ROW):
        return best
    return band


# A first complete row less regular than this is searched past as if there were none (and
# a row found instead must be more regular than this): such a row is the noise of the
# ground, the gaps of a film's other polarity or glyphs cut askew, not a VIN as found
# (genuine rows: above -0.36, see ``CLEAR_ROW``).
UNEVEN_ROW = -0.5


# Edge percentiles searched as well where the largest cluster makes no row: a film whose
# carbon is streaked with grain (a hard pencil pressed unevenly) has edges all over, and at
# the usual percentile the whole film is one cluster, two or three glyph heights tall; only
# the glyphs' strokes stand above the grain's steeper edges.
STRICT_EDGES = (95.0,)


# Turns (degrees, counter-clockwise) of the working copy searched when the level search
# finds no complete band: the level finder holds to about ±10° of slant.
SEARCH_TURNS = (15.0, -15.0, 30.0, -30.0)


def _turn_matrix(shape: tuple[int, ...], turn: float) -> np.ndarray:
    h, w = shape[:2]
    return cv2.getRotationMatrix2D((w / 2, h / 2), turn, 1.0)


def _turned(small: np.ndarray, turn: float) -> np.ndarray:
    """The working copy turned by ``turn`` degrees about its centre, same size, edges
    continued (so no new straight edge is drawn)."""
    h, w = small.shape[:2]
    return cv2.warpAffine(
        small, _turn_matrix(small.shape, turn), (w, h), borderMode=cv2.BORDER_REPLICATE
    )


def _rectified(
    small: np.ndarray, rect: tuple[tuple[float, float], tuple[float, float], float]
) -> Band:
    """The band of a found rectangle: warped, re-centred and re-scaled on its glyphs, refitted
    on the glyph row, its lean undone."""
    (cx, cy), (rw, rh), ang = rect
    k = GLYPH_H / max(rh * 0.92, 4.0)
    band = _warp(small, (cx, cy), (rw, rh), ang, k)
    # The re-warps below re-centre and re-scale the same crop: the polarity chosen so far is
    # their first guess.
    if len(band.boxes) >= 5:
        # The edge cluster only approximates the glyphs: re-centre and re-scale once on
        # the glyphs actually found, so every band is compared at one size and position.
        first = band
        band, (cx, cy), ratio = _rescaled(small, first, (cx, cy), (rw, rh), ang, k)
        other = (
            None
            if _regularity(band) >= ROUGH_ROW
            else _polarised(band.gray, not band.light_on_dark)
        )
        if (
            other is not None
            and other.complete
            and _median_height(band) < COUNTER_ROW * _median_height(other)
        ):
            # Re-scaled, the row chosen is far shorter than the other polarity's: it was the
            # glyphs' counters (a strongly keystoned photo), so start from the other row.
            flipped = _polarised(first.gray, not first.light_on_dark)
            if len(flipped.boxes) >= 5:
                band, (cx, cy), ratio = _rescaled(small, flipped, rect[0], (rw, rh), ang, k)
        k *= ratio
        refit = _refit(band, (cx, cy), (rw, rh), ang, k)
        if refit is not None:
            (cx, cy), rw, ang = refit
            band = _warp(small, (cx, cy), (rw, rh), ang, k, band.light_on_dark, keep=True)
        lean = _lean(band)
        if abs(lean) > LEAN_TOL:
            band = _warp(
                small, (cx, cy), (rw, rh), ang, k, band.light_on_dark, keep=True, lean=lean
            )
        else:
            lean = 0.0
        band = _unkeystoned(small, band, ((cx, cy), (rw, rh), ang, k), lean)
    return band


def _rescaled(
    small: np.ndarray,
    band: Band,
    centre: tuple[float, float],
    size: tuple[float, float],
    ang: float,
    k: float,
) -> tuple[Band, tuple[float, float], float]:
    """``band`` (warped at scale ``k`` about ``centre``) warped again centred and scaled on
    its glyph row: the new band, its centre and the scale ratio."""
    ratio = GLYPH_H / _median_height(band)
    mid_y = float(np.median([b[1] + b[3] / 2 for b in band.boxes]))
    dy = (mid_y - band.strokes.shape[0] / 2) / k
    t = np.deg2rad(ang)
    cx, cy = centre[0] - dy * np.sin(t), centre[1] + dy * np.cos(t)
    again = _warp(small, (cx, cy), size, ang, k * ratio, band.light_on_dark, keep=True)
    return again, (cx, cy), ratio


def _median_height(band: Band) -> float:
    """Median height of the band's boxes (px)."""
    return float(np.median([b[3] for b in band.boxes])) if band.boxes else 0.0


# After the re-scale on the glyph row, a row that is not clearly regular and whose median
# box is under this share of the other polarity's is the glyphs' counters: at a strong
# keystone the wrong polarity can cut 17 fairly even ones and win the first warp (0.48
# against the glyphs' 0.69 of GLYPH_H); re-scaled on them, the glyphs stand 1.42 and the
# counters 0.38. Only a rough row (re-scaled, counters rows measured -1.2 to -1.5) is
# questioned: the other polarity's row costs half a rectification, and 1 % of undisturbed
# tuning bands are that rough (13 % are under CLEAR_ROW).
ROUGH_ROW = -0.5
COUNTER_ROW = 0.5


def _unkeystoned(
    small: np.ndarray,
    band: Band,
    frame: tuple[tuple[float, float], tuple[float, float], float, float],
    lean: float,
) -> Band:
    """The band warped again with a lean that varies along the row undone, when the row's
    lean (:func:`_row_lean`) changes clearly from one end of the row to the other: a photo
    taken from above or below the film (keystone) leans the end glyphs towards the middle,
    the left ones one way, the right ones the other, which no single shear (``lean``,
    already undone) straightens. A strong keystone leans the end glyphs further than one
    estimate reaches, so what is left is measured and undone again (up to
    :data:`KEYSTONE_ROUNDS` warps); the new band is kept only when complete and its lean
    difference at most halved, in the polarity that straightened reads more regularly
    (:func:`_repolarised`)."""
    fit = _row_lean(band)
    if fit is None or abs(fit[2]) < KEYSTONE_SPAN:
        return band
    centre, size, ang, k = frame
    # Lean undone at crop x: the single lean plus the row's own a + b x.
    line = (lean + fit[0], fit[1])
    best: tuple[Band, float] | None = None
    for _ in range(KEYSTONE_ROUNDS):
        other = _warp(small, centre, size, ang, k, band.light_on_dark, keep=True, lean=line)
        after = _row_lean(other) if other.complete else None
        if after is None:
            break
        if best is None or abs(after[2]) < best[1]:
            best = (other, abs(after[2]))
        if abs(after[2]) <= KEYSTONE_LEFT:
            break
        line = (line[0] + after[0], line[1] + after[1])
    if best is None or best[1] >= 0.5 * abs(fit[2]):
        return band
    return _repolarised(best[0])


def _repolarised(band: Band) -> Band:
    """A straightened band in the more regular of its two polarities. The polarity was
    chosen on the keystoned crop, where the leaning glyphs of a dark pencil rubbing touch
    and the light film between them can make the more regular row; straightened, the
    glyphs' own row is clearly the more regular (tuning seed 4243, style B, keystone -0.2:
    regularity about -0.2 against -0.65 to -1.9 for the film's)."""
    other = _polarised(band.gray, not band.light_on_dark)
    if other.complete and _regularity(other) > _regularity(band):
        return other
    return band


# The generator's ordinary photos (film corners moved up to 4 % of its width) already lean
# the row's end glyphs apart by up to about +-0.55 (tuning seed 4244, style C, 80 photos);
# a photo with its top edge 30 % narrower adds 0.5-0.7, one 40 % narrower (and turned in
# the picture) up to 2.2 (tuning seed 4243, style B, keystone 0.2).
KEYSTONE_SPAN = 0.6  # fitted lean difference between the row's ends that is undone
KEYSTONE_LEFT = 0.15  # lean difference left after a correction that is not undone again
KEYSTONE_ROUNDS = 3
KEYSTONE_PARTS = 3  # stretches of the row whose lean is measured apart
_PART_LEANS = np.linspace(-1.2, 1.2, 49)


def _row_lean(band: Band) -> tuple[float, float, float] | None:
    """The row's lean as it changes along the row, a + b x (crop x, in :func:`_lean`'s
    sense): the clearest shear (:func:`_clearest_shear`) of each of
    :data:`KEYSTONE_PARTS` stretches of glyphs, fitted by a line through their middles.
    ``(a, b, span)``, span the fitted lean difference between the row's ends; None for a
    row under 10 glyphs."""
    if len(band.boxes) < 10:
        return None
    boxes = sorted(band.boxes)
    ys, xs = np.nonzero(band.binary)
    dy = ys - band.binary.shape[0] / 2
    n = len(boxes)
    middles, leans = [], []
    for p in range(KEYSTONE_PARTS):
        first, last = boxes[p * n // KEYSTONE_PARTS], boxes[(p + 1) * n // KEYSTONE_PARTS - 1]
        x0, x1 = first[0], last[0] + last[2]
        inside = (xs >= x0) & (xs < x1)
        leans.append(_clearest_shear(xs[inside], dy[inside], x0, x1, _PART_LEANS))
        middles.append((x0 + x1) / 2)
    b, a = np.polyfit(middles, leans, 1)
    ends = boxes[-1][0] + boxes[-1][2] - boxes[0][0]
    return float(a), float(b), float(b * ends)


LEAN_TOL = 0.05  # glyph lean (dx per dy) left in a band below which it is not undone
_LEANS = np.linspace(-0.6, 0.6, 49)


def _lean(band: Band) -> float:
    """How far the band's glyphs lean (x shift per pixel up), as a camera at an angle to the
    film (or an italic die) leans them all alike: the shear that clears the most columns
    between the glyphs (:func:`_clearest_shear`). Undone in both rubbings, the glyphs are
    compared upright, where a rotation search cannot explain a lean (sheared glyphs of a
    genuine pair were called tilted, or a clone)."""
    ys, xs = np.nonzero(band.binary)
    if len(xs) < 50 or len(band.boxes) < 10:
        return 0.0
    x0, x1 = min(b[0] for b in band.boxes), max(b[0] + b[2] for b in band.boxes)
    inside = (xs >= x0) & (xs < x1)
    return _clearest_shear(xs[inside], ys[inside] - band.binary.shape[0] / 2, x0, x1, _LEANS)


def _clearest_shear(xs: np.ndarray, dy: np.ndarray, x0: int, x1: int, shears: np.ndarray) -> float:
    """Of ``shears``, the one under which most columns from ``x0`` to ``x1`` are clear of
    the ink pixels (at ``xs``, ``dy`` from the band's middle row, y down); the middle of the
    best plateau. A column counts as clear with at most a fifth of a typical column's ink,
    so glyphs that touch (bold dies, blur) still part. 0 for under 50 pixels."""
    if len(xs) < 50:
        return 0.0
    off = int(np.abs(dy).max() * np.abs(shears).max()) + 2  # no shear moves a pixel further
    # Every shear's column profile at once: row i of one bincount is shear i's.
    width = max(x1, int(xs.max()) + 1) + 2 * off
    cols = np.rint(xs[None, :] + shears[:, None] * dy[None, :]).astype(np.int64) + off
    cols += np.arange(len(shears))[:, None] * width
    prof = np.bincount(cols.ravel(), minlength=len(shears) * width)
    prof = prof.reshape(len(shears), width)[:, off + x0 : off + x1]
    # The median of each profile's inked columns: the middle of its sorted positive tail.
    srt = np.sort(prof, axis=1)
    inked = (prof > 0).sum(axis=1)
    start = prof.shape[1] - inked
    upper = np.minimum(start + inked // 2, prof.shape[1] - 1)
    lower = np.where(inked % 2 == 1, upper, np.maximum(upper - 1, 0))
    rows = np.arange(len(shears))
    median = 0.5 * (srt[rows, lower] + srt[rows, upper])
    low = np.where(inked > 0, np.maximum(1.0, 0.2 * median), 1.0)
    scores = (prof <= low[:, None]).sum(axis=1)
    return float(np.mean(shears[scores == scores.max()]))


def _matrix(
    centre: tuple[float, float], ang: float, k: float, out: tuple[int, int], lean: float = 0.0
) -> np.ndarray:
    """The affine map from the working image into a band crop of size ``out`` (w, h), the
    glyphs' ``lean`` (see :func:`_lean`) undone."""
    cx, cy = centre
    m = cv2.getRotationMatrix2D((cx, cy), ang, k)
    m[0, 2] += out[0] / 2 - cx
    m[1, 2] += out[1] / 2 - cy
    if lean:
        shear = np.array([[1.0, lean, -lean * out[1] / 2], [0.0, 1.0, 0.0]])
        m = shear @ np.vstack([m, [0.0, 0.0, 1.0]])
    return m


def _keystoned(
    small: np.ndarray, m: np.ndarray, out: tuple[int, int], line: tuple[float, float]
) -> np.ndarray:
    """The band crop of affine map ``m`` with a lean that changes linearly along the row
    (``line``: the lean at the crop's x = 0 and its change per pixel) undone column by
    column."""
    at_zero, per_px = line
    w, h = out
    u = np.arange(w, dtype=np.float32)
    lean = at_zero + per_px * u
    v = np.arange(h, dtype=np.float32)[:, None] - h / 2
    bx = u[None, :] - lean[None, :] * v  # band coordinates before the lean is undone
    by = np.broadcast_to(v + h / 2, bx.shape)
    inv = cv2.invertAffineTransform(m)
    mx = (inv[0, 0] * bx + inv[0, 1] * by + inv[0, 2]).astype(np.float32)
    my = (inv[1, 0] * bx + inv[1, 1] * by + inv[1, 2]).astype(np.float32)
    return cv2.remap(small, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _out_size(rw: float, k: float) -> tuple[int, int]:
    return int(rw * k + 3.0 * GLYPH_H), int(1.8 * GLYPH_H)


def _refit(
    band: Band, centre: tuple[float, float], size: tuple[float, float], ang: float, k: float
) -> tuple[tuple[float, float], float, float] | None:
    """Centre, length and angle of the band from the glyphs found, when the edge cluster's
    rectangle was off: its angle follows whatever the cluster took in (film edge, a fold,
    a scratch), which leaves the glyph row sloping and an end glyph cut or clipped.

    Returns None when the glyph row is level (within :data:`ANGLE_TOL`) and clear of the
    crop's ends, so most bands are still warped twice (about 4 % of tuning photos are refitted).
    """
    if len(band.boxes) < LENGTH - 5:
        return None
    b = np.array(band.boxes, np.float64)
    cx = b[:, 0] + b[:, 2] / 2
    cy = b[:, 1] + b[:, 3] / 2
    # Theil-Sen slope: one glyph joined with a scratch must not tilt the row.
    i, j = np.triu_indices(len(cx), 1)
    dx = cx[j] - cx[i]
    ok = dx > 0.5 * GLYPH_H
    if ok.sum() < 10:
        return None
    slope = float(np.median((cy[j] - cy[i])[ok] / dx[ok]))
    x0, x1 = float(b[:, 0].min()), float((b[:, 0] + b[:, 2]).max())
    xm = (x0 + x1) / 2
    ym = float(np.median(cy - slope * (cx - xm)))
    out_w, out_h = _out_size(size[0], k)
    d_ang = float(np.degrees(np.arctan(slope)))
    # Where the glyph span should sit: centred, with at least a glyph's margin each side.
    span = (x1 - x0) / k
    if len(band.boxes) < LENGTH:
        span *= LENGTH / len(band.boxes)
    rw = max(size[0], span + GLYPH_H / k)
    # An end glyph near the crop's end is dropped as film edge (or lies beyond it).
    near_end = min(x0, out_w - x1) < (1.0 if len(band.boxes) < LENGTH else 0.5) * GLYPH_H
    if abs(d_ang) < ANGLE_TOL and not near_end:
        return None
    inv = cv2.invertAffineTransform(_matrix(centre, ang, k, (out_w, out_h)))
    nx, ny = inv @ np.array([xm, ym, 1.0])
    return (float(nx), float(ny)), rw, ang + d_ang


def _warp(
    small: np.ndarray,
    centre: tuple[float, float],
    size: tuple[float, float],
    ang: float,
    k: float,
    guess: bool | None = None,
    keep: bool = False,
    lean: float | tuple[float, float] = 0.0,
) -> Band:
    """The band crop, its stroke map and glyph boxes. The polarity ``guess`` (by default
    :func:`_polarity`'s) is tried first and kept when its row is clearly regular; otherwise
    both are tried and the more regular row wins, or with ``keep`` (a re-warp of a crop
    whose polarity was already chosen) only a clearly regular one."""
    out_w, out_h = _out_size(size[0], k)
    if isinstance(lean, tuple):
        crop = _keystoned(small, _matrix(centre, ang, k, (out_w, out_h)), (out_w, out_h), lean)
    else:
        m = _matrix(centre, ang, k, (out_w, out_h), lean)
        crop = cv2.warpAffine(
            small, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    if guess is None:
        guess = _polarity(crop)
    first = _polarised(crop, guess)
    regularity = _regularity(first)
    if regularity >= CLEAR_ROW:
        return first
    # The minority-class guess fails on bold glyphs and the wrong polarity can still cut
    # 17 "glyphs" out of the gaps: the more regular row of glyphs wins.
    other = _polarised(crop, not guess)
    if keep:
        # The film's polarity was chosen on this crop already. Thin strokes' gaps are as
        # evenly pitched as the strokes, so a re-warp does not reverse that choice on a
        # small difference in regularity, only for a clearly regular row.
        return other if _regularity(other) >= max(CLEAR_ROW, regularity) else first
    return max((first, other), key=_regularity)


# A row this regular (17 even boxes, evenly spaced; see _regularity) from the guessed
# polarity is kept without trying the other. On 480 tuning rubbings (seeds 101, 303) the
# guess won 452 times, always with regularity above -0.36 (median -0.09); the other polarity
# won twice over a guess above -0.36 (at -0.36 and -0.20), never over one above this.
CLEAR_ROW = -0.15


def _polarised(crop: np.ndarray, light: bool) -> Band:
    strokes = _stroke_map(crop, light)
    binary, boxes = _segment_strokes(strokes)
    return Band(strokes, binary, tuple(boxes), crop, light)


def _regularity(band: Band) -> float:
    """Higher for 17 boxes of even height on an evenly spaced, straight row."""
    if not band.boxes:
        return -1e9
    cy = np.array([b[1] + b[3] / 2 for b in band.boxes], np.float64)
    spread = float(_size_and_gap_spread(band.boxes) + cy.std() / GLYPH_H)
    return -abs(len(band.boxes) - LENGTH) - spread


def _centres(boxes: Sequence[Sequence[int]]) -> np.ndarray:
    """The boxes' horizontal centres."""
    return np.array([b[0] + b[2] / 2 for b in boxes], np.float64)


def _size_and_gap_spread(boxes: Sequence[Sequence[int]]) -> float:
    """Relative spread of the boxes' heights plus that of the gaps between their centres."""
    h = np.array([b[3] for b in boxes], np.float64)
    cx = _centres(boxes)
    gaps = np.diff(cx) if len(cx) > 1 else np.array([1.0])
    return float(h.std() / max(h.mean(), 1) + gaps.std() / max(gaps.mean(), 1))


def segment(binary: np.ndarray, parts: Parts | None = None) -> list[tuple[int, int, int, int]]:
    """Glyph boxes left to right: connected strokes grouped into upright columns first; when
    that does not give an even row of 17, columns along the glyphs' slant with runs of
    touching glyphs split at the row's pitch; a fixed-pitch grid if still not 17
    (``parts``: the map's :func:`_labelled` components, when already taken)."""
    labels, boxes = _components(binary, parts)
    labels, boxes = _without_marks(labels, boxes)
    if len(boxes) == LENGTH and _even(boxes):
        return [tuple(b) for b in boxes]  # type: ignore[misc]
    split = _split_between_marks(labels, boxes)
    if split is not None and (len(boxes) != LENGTH or _even(split)):
        return split
    if len(boxes) == LENGTH or len(boxes) < LENGTH - 5:
        return [tuple(b) for b in boxes]  # type: ignore[misc]
    grid = _grid(labels, boxes)
    return grid if grid is not None else [tuple(b) for b in boxes]  # type: ignore[misc]


def _without_marks(
    labels: np.ndarray, boxes: list[list[int]]
) -> tuple[np.ndarray, list[list[int]]]:
    """The row without delimiter marks punched before and after the VIN (★LSV...★, as some
    makers do). A row of 18 or 19 columns is 17 glyphs and marks at its ends when the 17
    inner ones are evenly pitched to within :data:`MARK_TIGHT` of their pitch (a glyph in
    two pieces makes two half-pitch gaps) and the marks stand half a pitch to 1.6 pitches
    from them. Of 18, when either end could go, the one that looks more like a mark
    (:func:`_mark_likeness`) does. The marks' pixels leave ``labels`` too."""
    options = _mark_drops(boxes)
    if not options:
        return labels, boxes
    drop = max(options, key=lambda d: _mark_likeness(labels, boxes[d[0]]))
    kept = [b for i, b in enumerate(boxes) if i not in drop]
    return _drop_boxes(labels, boxes, drop), kept


def _mark_drops(boxes: list[list[int]]) -> list[tuple[int, ...]]:
    """The end columns a row could lose as delimiter marks (:func:`_between_marks`): of 19
    both ends together, of 18 either end alone; none for another count."""
    extra = len(boxes) - LENGTH
    if extra not in (1, 2):
        return []
    last = len(boxes) - 1
    tries: list[tuple[int, ...]] = [(0, last)] if extra == 2 else [(0,), (last,)]
    return [drop for drop in tries if _between_marks(boxes, drop)]


def other_ends(band: Band) -> Band | None:
    """The band with its glyph row taken one column further along, where the row as
    segmented had 18 columns and either end could have gone (:func:`_without_marks` chose
    the end that looks more like a delimiter mark); None where the row had no such choice.

    A film's edge or a scratch beside the row can stand a pitch from the end glyph and look
    no less like a glyph than a mark does; the comparison tries this band when the one
    found differs from its reference glyph by glyph (every glyph one place off)."""
    _, boxes = _components(band.binary)
    if len(boxes) != LENGTH + 1 or len(_mark_drops(boxes)) != 2:
        return None
    rows = [tuple(tuple(b) for b in boxes[1:]), tuple(tuple(b) for b in boxes[:-1])]
    if band.boxes not in rows:
        return None
    other = rows[1 - rows.index(band.boxes)]
    return replace(band, boxes=other, reads={})  # type: ignore[arg-type]


def other_polarity(band: Band) -> Band | None:
    """The band's crop read in the other polarity (light strokes on dark film taken for dark
    on light, or the reverse) where that makes a row of 17; None where it does not.

    :func:`_warp` keeps the guessed polarity when its row is clearly regular, and on a
    textured film with thin light strokes the gaps between the glyphs can cut a regular row
    of 17 "glyphs" of their own; the comparison tries this band when the one found differs
    from its reference glyph by glyph."""
    other = _polarised(band.gray, not band.light_on_dark)
    return other if other.complete else None


def _drop_boxes(labels: np.ndarray, boxes: list[list[int]], drop: Sequence[int]) -> np.ndarray:
    """``labels`` without the components that lie mostly inside the boxes ``drop``."""
    labels = labels.copy()
    totals = np.bincount(labels.ravel())
    for i in drop:
        x, y, w, h = boxes[i]
        region = labels[y : y + h, x : x + w]
        ids, counts = np.unique(region[region > 0], return_counts=True)
        labels[np.isin(labels, ids[counts >= 0.5 * totals[ids]])] = 0
    return labels


def _split_between_marks(
    labels: np.ndarray, boxes: list[list[int]]
) -> list[tuple[int, int, int, int]] | None:
    """:func:`_split_row`; and when its row is not tightly even and spans more than 17 glyph
    pitches (:func:`_units`: 18 or 19, delimiter marks beside touching glyphs), also the row
    without its first or last column (about 18) or both (about 19): the most even row of 17
    wins, the row as found unless a variant is clearly more even (:data:`MARK_GAIN`)."""
    split = _split_row(labels, boxes)
    base = _spread(split)
    units = _units(boxes)
    if base <= MARK_TIGHT / 2 or units is None or units < LENGTH + 0.6:
        return split
    best, best_spread = split, base - MARK_GAIN
    n = len(boxes)
    for drop in ((0, n - 1),) if units >= LENGTH + 1.5 else ((0,), (n - 1,)):
        if any(boxes[i][2] > 1.5 * boxes[i][3] for i in drop):
            continue  # a run of touching glyphs, not a mark
        kept = [b for i, b in enumerate(boxes) if i not in drop]
        other = _split_row(_drop_boxes(labels, boxes, drop), kept)
        spread = _spread(other)
        if spread < best_spread:
            best, best_spread = other, spread
    return best


def _units(boxes: list[list[int]]) -> float | None:
    """How many glyph pitches the row spans (plus one): the pitch taken between neighbouring
    columns that each hold one glyph (no wider than tall), or None with too few of them."""
    if len(boxes) < 6:
        return None
    cx = _centres(boxes)
    single = np.array([b[2] <= b[3] for b in boxes])
    gaps = np.diff(cx)[single[1:] & single[:-1]]
    if len(gaps) < 4:
        return None
    pitch = float(np.median(gaps))
    if pitch < MIN_PITCH:
        return None
    return float(cx[-1] - cx[0]) / pitch + 1


# A variant without end columns must be this much more even (in :func:`_spread`) to win.
MARK_GAIN = 0.1


def _spread(boxes: Sequence[Sequence[int]] | None) -> float:
    """How unevenly 17 boxes sit (:func:`_size_and_gap_spread`); infinite for no row or
    another count."""
    if boxes is None or len(boxes) != LENGTH:
        return float("inf")
    return _size_and_gap_spread(boxes)


# Inner gaps of a row between marks differ from its pitch by at most this share of it.
MARK_TIGHT = 0.25


def _between_marks(boxes: list[list[int]], drop: tuple[int, ...]) -> bool:
    cx = _centres(boxes)
    inner = np.delete(cx, drop)
    gaps = np.diff(inner)
    pitch = float(np.median(gaps))
    if pitch < MIN_PITCH or np.any(np.abs(gaps - pitch) > MARK_TIGHT * pitch):
        return False
    if any(boxes[i][2] >= 1.5 * pitch for i in range(len(boxes)) if i not in drop):
        return False
    for i in drop:
        gap = abs(cx[i] - (cx[1] if i == 0 else cx[-2]))
        if not 0.5 * pitch <= gap <= 1.6 * pitch:
            return False
    return True


def _mark_likeness(labels: np.ndarray, box: Sequence[int]) -> float:
    """How nearly a box's strokes repeat when turned a fifth or a sixth of a turn about
    their centre of ink (a star, an asterisk), 1 = exactly; letters and digits do not."""
    x, y, w, h = box
    patch = (labels[y : y + h, x : x + w] > 0).astype(np.float32)
    side = 32
    sq = cv2.resize(patch, (side, side), interpolation=cv2.INTER_AREA)
    sq = cv2.GaussianBlur(np.pad(sq, side // 4), (0, 0), 1.0)
    m = cv2.moments(sq)
    if m["m00"] <= 0:
        return 0.0
    centre = (m["m10"] / m["m00"], m["m01"] / m["m00"])
    dev = sq - sq.mean()
    best = 0.0
    for turn in (72.0, 60.0):
        rot = cv2.warpAffine(sq, cv2.getRotationMatrix2D(centre, turn, 1.0), sq.shape[::-1])
        rdev = rot - rot.mean()
        denom = float(np.sqrt((dev * dev).sum() * (rdev * rdev).sum()))
        best = max(best, float((dev * rdev).sum()) / denom if denom > 0 else 0.0)
    return best


# VIN glyphs are punched at least about 0.8 of their height apart (a glyph is 0.6-0.9 of
# its height wide, plus a gap; the box height here includes the stroke weight, ~10 % more):
# a row "pitched" much tighter than that is glyphs cut into pieces.
MIN_PITCH = 0.55 * GLYPH_H


def _even(boxes: Sequence[Sequence[int]]) -> bool:
    """Whether boxes sit on an evenly pitched row at a plausible pitch, none wider than
    one and a half pitches (two touching glyphs)."""
    cx = _centres(boxes)
    gaps = np.diff(cx)
    if len(gaps) == 0:
        return False
    pitch = float(np.median(gaps))
    widths = np.array([b[2] for b in boxes], np.float64)
    return (
        pitch >= MIN_PITCH
        and bool(np.all(np.abs(gaps - pitch) < 0.5 * pitch))
        and bool(np.all(widths < 1.5 * pitch))
    )


def _components(
    binary: np.ndarray, parts: Parts | None = None
) -> tuple[np.ndarray, list[list[int]]]:
    """Stroke components that look like glyphs (or parts, or runs of touching glyphs) as a
    label image (0 elsewhere) and their boxes grouped into upright columns (``parts``: the
    map's :func:`_labelled` components, when already taken)."""
    h, w_all = binary.shape
    _, labels, stats, _ = parts if parts is not None else _labelled(binary)
    x, y, w, hh, area = stats[1:].astype(np.int64).T
    # Whatever touches the crop's ends is film edge or desk, not a punched glyph; what
    # touches the top or bottom may be a glyph, unless it is large.
    ok = (x > 0) & (x + w < w_all)
    ok &= ~(((y <= 0) | (y + hh >= h)) & (area > 0.6 * GLYPH_H * GLYPH_H))
    ok &= np.abs(y + hh / 2 - h / 2) <= 0.6 * GLYPH_H
    ok &= (hh >= 0.3 * GLYPH_H) & (hh <= 1.6 * GLYPH_H) & (area >= 20)
    keep = np.concatenate([[False], ok])
    comps = sorted((int(x[i]), int(y[i]), int(w[i]), int(hh[i])) for i in np.flatnonzero(ok))
    boxes: list[list[int]] = []
    for x, y, w, hh in comps:
        if boxes:
            bx, by, bw, bh = boxes[-1]
            overlap = min(bx + bw, x + w) - max(bx, x)
            if overlap > 0.3 * min(w, bw):
                nx, ny = min(bx, x), min(by, y)
                boxes[-1] = [nx, ny, max(bx + bw, x + w) - nx, max(by + bh, y + hh) - ny]
                continue
        boxes.append([x, y, w, hh])
    if boxes:
        mh = float(np.median([b[3] for b in boxes]))
        boxes = [b for b in boxes if 0.55 * mh <= b[3] <= 1.5 * mh]
    kept = np.where(keep[labels], labels, 0).astype(np.int32)
    return kept, boxes


SLANTS = np.linspace(-0.4, 0.4, 9)  # dx/dy shears tried for the glyphs' upright strokes...
SLANT_STEP = 0.05  # ...and then this far either side of the best


def _slant(xs: np.ndarray, dy: np.ndarray) -> float:
    """The shear (dx/dy) that makes the column profile of stroke pixels at ``xs`` (rows
    ``dy`` from the band's middle) sharpest: upright stems stack in few columns."""

    def sharpness(s: float) -> float:
        col = np.round(xs - s * dy).astype(np.int64)
        prof = np.bincount(col - col.min()).astype(np.float64)
        return float(prof @ prof)

    coarse = max((float(s) for s in SLANTS), key=sharpness)
    return max((coarse - SLANT_STEP, coarse, coarse + SLANT_STEP), key=sharpness)


def _split_row(
    labels: np.ndarray, boxes: list[list[int]]
) -> list[tuple[int, int, int, int]] | None:
    """17 glyph boxes from columns taken along the glyphs' slant, runs of touching glyphs
    (serifs, blur) split into as many glyphs as the row's pitch fits, or None.

    The slant is the shear that makes the column profile of the strokes sharpest (upright
    stems); the pitch comes from the row's span, which holds 17 glyphs; each run is cut at
    the profile's lowest column near its even division. A glyph's box is that of its own
    stroke pixels in the band.
    """
    if len(boxes) < 3:
        return None
    ys, xs = np.nonzero(labels)
    if len(xs) < 50:
        return None
    lab = labels[ys, xs]
    yc = labels.shape[0] / 2
    dy = (ys - yc).astype(np.float64)
    best = _slant(xs[::2], dy[::2])
    xsh = xs - best * dy
    # Sheared extents of every component.
    order = np.argsort(lab, kind="stable")
    lab_s, x_s = lab[order], xsh[order]
    starts = np.flatnonzero(np.r_[True, lab_s[1:] != lab_s[:-1]])
    ids = lab_s[starts]
    lo = np.minimum.reduceat(x_s, starts)
    hi = np.maximum.reduceat(x_s, starts) + 1
    y_s, xo_s = ys[order], xs[order]
    top = np.minimum.reduceat(y_s, starts)
    bot = np.maximum.reduceat(y_s, starts) + 1
    left = dict(zip(ids.tolist(), np.minimum.reduceat(xo_s, starts).tolist(), strict=True))
    right = dict(zip(ids.tolist(), np.maximum.reduceat(xo_s, starts).tolist(), strict=True))
    pixels = np.diff(np.r_[starts, len(lab_s)])
    groups: list[list[float]] = []  # sheared x0, x1; y0, y1; stroke pixels
    members: list[list[int]] = []
    for i in np.argsort(lo, kind="stable"):
        a, b = float(lo[i]), float(hi[i])
        if groups:
            g0, g1, t, u, ink = groups[-1]
            if min(g1, b) - max(g0, a) > 0.3 * min(b - a, g1 - g0):
                ink += float(pixels[i])
                groups[-1] = [min(g0, a), max(g1, b), min(t, top[i]), max(u, bot[i]), ink]
                members[-1].append(int(ids[i]))
                continue
        groups.append([a, b, float(top[i]), float(bot[i]), float(pixels[i])])
        members.append([int(ids[i])])
    heights = [g[3] - g[2] for g in groups]
    mh = float(np.median(heights))
    fit = [0.55 * mh <= gh <= 1.5 * mh for gh in heights]
    groups = [g for g, f in zip(groups, fit, strict=True) if f]
    members = [m for m, f in zip(members, fit, strict=True) if f]
    if not groups:
        return None
    # Stray bits at the row's ends (texture, a film speck) are not glyphs; a narrow glyph
    # (a 1, an I) is a glyph-tall stroke, with a good share of a glyph's ink.
    med = float(np.median([g[4] for g in groups]))
    while len(groups) > 1 and groups[0][4] < 0.2 * med:
        groups, members = groups[1:], members[1:]
    while len(groups) > 1 and groups[-1][4] < 0.2 * med:
        groups, members = groups[:-1], members[:-1]
    widths = np.array([g[1] - g[0] for g in groups])
    if not LENGTH - 12 <= len(groups) <= LENGTH + 5:
        return None
    span = groups[-1][1] - groups[0][0]
    # 16 pitches and a glyph (about three quarters of a pitch wide).
    pitch = span / (LENGTH - 0.25)
    if pitch < MIN_PITCH:
        return None
    k = [max(1, round(float(wd) / pitch)) for wd in widths]
    while sum(k) > LENGTH:
        # One glyph in two pieces (a broken stroke) or a run counted a glyph too many: join
        # the two neighbouring pieces that together are narrowest, if that is a glyph's width.
        unions = [
            (groups[i + 1][1] - groups[i][0], i)
            for i in range(len(groups) - 1)
            if k[i] == k[i + 1] == 1
        ]
        if unions and min(unions)[0] <= 1.25 * pitch:
            i = min(unions)[1]
            ga, gb = groups[i], groups[i + 1]
            groups[i : i + 2] = [
                [ga[0], gb[1], min(ga[2], gb[2]), max(ga[3], gb[3]), ga[4] + gb[4]]
            ]
            members[i : i + 2] = [members[i] + members[i + 1]]
            k[i : i + 2] = [1]
            continue
        multi = [i for i in range(len(k)) if k[i] > 1]
        if not multi:
            return None
        k[min(multi, key=lambda i: (groups[i][1] - groups[i][0]) / (k[i] - 1))] -= 1
    while sum(k) < LENGTH:
        k[max(range(len(k)), key=lambda i: (groups[i][1] - groups[i][0]) / k[i])] += 1
    if any(g[1] - g[0] > 1.7 * pitch * kk for g, kk in zip(groups, k, strict=True)):
        return None
    out: list[tuple[int, int, int, int]] = []
    for (g0, g1, t, u, _), mem, kk in zip(groups, members, k, strict=True):
        if kk == 1:
            x0 = min(left[m] for m in mem)
            out.append((x0, int(t), max(right[m] for m in mem) - x0 + 1, int(u - t)))
            continue
        sel = np.isin(lab, mem)
        gx, gy, gs = xs[sel], ys[sel], xsh[sel]
        cuts = _cuts(gs, g0, g1, int(kk))
        piece = np.searchsorted(cuts, gs, side="right")
        for j in range(int(kk)):
            pick = piece == j
            if pick.sum() < 10:
                return None
            out.append(_pixel_box(gx[pick], gy[pick]))
    return out


def _cuts(xsh: np.ndarray, x0: float, x1: float, k: int) -> np.ndarray:
    """Where to cut a run of ``k`` touching glyphs (sheared columns ``xsh`` from ``x0`` to
    ``x1``): the least-inked column within a third of a glyph of each even division."""
    col = np.floor(xsh - x0).astype(np.int64)
    n = int(np.ceil(x1 - x0)) + 1
    prof = np.bincount(np.clip(col, 0, n - 1), minlength=n).astype(np.float64)
    prof = np.convolve(prof, np.ones(3) / 3, mode="same")
    step = (x1 - x0) / k
    reach = max(1, int(step / 3))
    cuts = []
    for j in range(1, k):
        c = round(j * step)
        a, b = max(c - reach, 1), min(c + reach + 1, n - 1)
        window = prof[a:b]
        # Lowest ink; among equals the one nearest the even division.
        near = np.abs(np.arange(a, b) - c)
        cuts.append(a + int(np.lexsort((near, window))[0]))
    return x0 + np.array(cuts, np.float64)


def _pixel_box(xs: np.ndarray, ys: np.ndarray) -> tuple[int, int, int, int]:
    x0, y0 = int(xs.min()), int(ys.min())
    return x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1


def _grid(mask: np.ndarray, boxes: list[list[int]]) -> list[tuple[int, int, int, int]] | None:
    """17 fixed-pitch cells fitted to the glyph columns (broken or touching glyphs)."""
    areas = np.array([b[2] * b[3] for b in boxes], np.float32)
    med = float(np.median(areas))
    while boxes and boxes[0][2] * boxes[0][3] < 0.3 * med:
        boxes = boxes[1:]
    while boxes and boxes[-1][2] * boxes[-1][3] < 0.3 * med:
        boxes = boxes[:-1]
    if len(boxes) < LENGTH - 5:
        return None
    centres = _centres(boxes)
    x0, pitch = centres[0], (centres[-1] - centres[0]) / (LENGTH - 1)
    if pitch < 0.4 * GLYPH_H:
        return None
    for _ in range(2):
        idx = np.round((centres - x0) / pitch)
        a = np.vstack([np.ones_like(idx), idx]).T
        (x0, pitch), *_ = np.linalg.lstsq(a, centres, rcond=None)
    idx = np.round((centres - x0) / pitch)
    widths = np.array([b[2] for b in boxes])
    resid = np.abs(centres - (x0 + idx * pitch))
    if idx.min() < 0 or idx.max() > LENGTH - 1 or np.any(resid[widths < pitch] > 0.35 * pitch):
        return None
    mh = int(np.median([b[3] for b in boxes]))
    my = int(np.median([b[1] for b in boxes]))
    out = []
    for i in range(LENGTH):
        lo = round(x0 + (i - 0.5) * pitch)
        hi = round(x0 + (i + 0.5) * pitch)
        cell = mask[:, max(lo, 0) : max(hi, 1)]
        ys, xs = np.nonzero(cell)
        if len(xs) < 10:
            out.append((int(x0 + i * pitch - 0.3 * pitch), my, int(0.6 * pitch), mh))
            continue
        out.append(
            (
                lo + int(xs.min()),
                int(ys.min()),
                int(xs.max() - xs.min() + 1),
                int(ys.max() - ys.min() + 1),
            )
        )
    return out
