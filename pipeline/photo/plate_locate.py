"""Plate candidates on a downscaled copy: background-colour masks plus an edge-density pass.

Colour first: a plate is a filled rectangle of one of four background colours (blue, yellow,
green new-energy, white) holding dense vertical strokes (the characters). The edge pass
finds rows of dense vertical strokes where the colour mask breaks up (the white-to-green
gradient of new-energy plates, over- or under-exposed plates); it still requires a plate
background colour in the box, so a burned-in watermark line is not a plate. Every candidate
carries its four corners so an angled plate can be warped flat before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# (colour, lower, upper) in OpenCV HSV (H 0-179). Each colour has a loose and a strict
# range: the strict one separates a saturated plate from a bluish car body around it. The
# pale green range covers the white-to-green gradient of new-energy plates.
HSV_RANGES = (
    ("blue", (100, 70, 40), (134, 255, 255)),
    ("blue", (100, 150, 110), (126, 255, 255)),
    ("yellow", (15, 90, 90), (34, 255, 255)),
    ("green", (35, 60, 40), (90, 255, 255)),
    ("green", (35, 25, 80), (90, 255, 255)),
    ("white", (0, 0, 170), (179, 40, 255)),
)
Quad = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PlateCandidate:
    """A plate-like region in full-resolution coordinates."""

    x0: int
    y0: int
    x1: int
    y1: int
    color: str
    score: float
    # Corners (tl, tr, br, bl) when the plate is seen at an angle: read after a perspective
    # warp to a flat plate instead of an axis-aligned crop.
    quad: Quad | None = None

    @property
    def width(self) -> float:
        """Width along the plate in full-resolution pixels (mean of top and bottom edges)."""
        if self.quad is None:
            return float(self.x1 - self.x0)
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = self.quad
        return (float(np.hypot(bx - ax, by - ay)) + float(np.hypot(cx - dx, cy - dy))) / 2


def downscale(image: np.ndarray, work_side: int) -> np.ndarray:
    """``image`` with its longer side at most ``work_side`` (area halvings, then linear)."""
    small = image
    # 2x area halvings take OpenCV's fast path; the last step is a cheap linear resize.
    while max(small.shape[:2]) >= 2 * work_side:
        small = cv2.resize(
            small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
    if max(small.shape[:2]) > work_side:
        f = work_side / max(small.shape[:2])
        size = (round(small.shape[1] * f), round(small.shape[0] * f))
        small = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
    return small


def locate(image: np.ndarray, *, work_side: int = 640, limit: int = 4) -> list[PlateCandidate]:
    """Up to ``limit`` plate candidates, best first."""
    small = downscale(image, work_side)
    inv = image.shape[1] / small.shape[1]
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    strokes = np.abs(cv2.Sobel(gray, cv2.CV_16S, 1, 0, ksize=3)) > 50
    masks = {
        i: cv2.inRange(hsv, np.array(lo, np.uint8), np.array(hi, np.uint8))
        for i, (_, lo, hi) in enumerate(HSV_RANGES)
    }
    found: list[PlateCandidate] = []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3))
    # Where characters are: a plate touching a same-coloured kerb line, car body or sign
    # is cut out of it by keeping only the coloured pixels near strokes.
    near_text = cv2.dilate(strokes.astype(np.uint8) * 255, np.ones((5, 7), np.uint8))
    tall = np.ones((5, 1), np.uint8)  # opening with it drops lines under 5 px thick
    for i, (color, _, _) in enumerate(HSV_RANGES):
        # Closing bridges the characters, which are not background-coloured.
        mask = cv2.morphologyEx(masks[i], cv2.MORPH_CLOSE, kernel)
        found += _from_mask(mask, strokes, masks, color, inv, edge=False)
        if color != "white":
            gated = cv2.morphologyEx(cv2.bitwise_and(mask, near_text), cv2.MORPH_OPEN, tall)
            found += _from_mask(gated, strokes, masks, color, inv, edge=False)
    # Edge pass: rows of vertical strokes closed into blobs, whatever their colour.
    bridged = cv2.morphologyEx(
        strokes.astype(np.uint8) * 255,
        cv2.MORPH_CLOSE,
        cv2.getStructuringElement(cv2.MORPH_RECT, (7, 3)),
    )
    bridged = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    found += _from_mask(bridged, strokes, masks, "", inv, edge=True)
    found.sort(key=lambda c: -c.score)
    return _distinct(found)[:limit]


def _from_mask(
    mask: np.ndarray,
    strokes: np.ndarray,
    masks: dict[int, np.ndarray],
    color: str,
    inv: float,
    *,
    edge: bool,
) -> list[PlateCandidate]:
    """Plate-shaped components of one mask, scored; edge blobs take their box's colour."""
    sh, sw = mask.shape
    # Outer contours, not connected-component labels: ~10x cheaper on noisy masks, and the
    # closed blob's holes (the characters) count as plate anyway.
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[PlateCandidate] = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if bh < 6 or bw < max(14, 0.03 * sw) or bw > 0.85 * sw or bh > 0.3 * sh:
            continue
        area = cv2.contourArea(contour)
        if edge:
            # A stroke blob is often the text band plus the plate's thin outline above and
            # below it: keep only the rows the blob fills, then judge that band.
            x, y, bw, bh, area, contour = _band(contour, x, y, bw, bh)
            if bh < 5:
                continue
        aspect, fill, quad = _shape(contour.reshape(-1, 2), x, y, bw, bh, area)
        # A text band (edge blob) is longer than its plate: characters fill ~65% of height.
        if not 1.8 <= aspect <= (8.5 if edge else 6.5) or fill < 0.45:
            continue
        density = float(strokes[y : y + bh, x : x + bw].mean())
        if density < 0.08:
            continue
        inside = np.zeros((bh, bw), np.uint8)
        cv2.drawContours(inside, [contour], -1, 255, -1, offset=(-x, -y))
        # A plate is a solid background with characters on it; coloured watermark text
        # closes into a similar blob but its own pixels cover far less of it.
        if edge:
            box_color, solid = _box_colour(masks, x, y, inside)
        else:
            box_color, solid = color, _solid(masks, color, x, y, inside)
        if solid < 0.4:
            continue
        shape = 1.0 - min(abs(aspect - 3.3) / 3.0, 1.0)
        score = shape + fill + min(density, 0.35) * 2 - (0.5 if box_color == "white" else 0.0)
        score += _transitions(strokes[y : y + bh, x : x + bw]) - (0.3 if edge else 0.0)
        # Plates under ~40 px wide at full size rarely read; rank them after larger ones.
        score -= 0.5 if bw * inv < 40 else 0.0
        full = tuple((px * inv, py * inv) for px, py in quad) if quad else None
        box = (int(x * inv), int(y * inv), int((x + bw) * inv), int((y + bh) * inv))
        out.append(PlateCandidate(*box, box_color, score, full))
    return out


def _band(
    contour: np.ndarray, x: int, y: int, bw: int, bh: int
) -> tuple[int, int, int, int, float, np.ndarray]:
    """The rows of a blob that it fills at least half across, as box, area and outline."""
    inside = np.zeros((bh, bw), np.uint8)
    cv2.drawContours(inside, [contour], -1, 255, -1, offset=(-x, -y))
    rows = np.flatnonzero(np.count_nonzero(inside, axis=1) >= 0.5 * bw)
    if len(rows) == 0:
        return x, y, bw, 0, 0.0, contour
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    if top == 0 and bottom == bh:
        return x, y, bw, bh, float(np.count_nonzero(inside)), contour
    band = np.ascontiguousarray(inside[top:bottom])
    found, _ = cv2.findContours(band, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(found, key=cv2.contourArea) + np.array([x, y + top], np.int32)
    bx, by, bw, bh = cv2.boundingRect(outline)
    return bx, by, bw, bh, float(cv2.contourArea(outline)), outline


def _transitions(strokes: np.ndarray) -> float:
    """Stroke starts along the middle rows, 0-1 (a plate's 7-8 characters give 14 or more)."""
    h = strokes.shape[0]
    rows = strokes[h // 3 : max(h // 3 + 1, 2 * h // 3)].astype(np.int8)
    starts = np.count_nonzero(np.diff(rows, axis=1) == 1) / rows.shape[0]
    return min(starts / 14.0, 1.0)


def _solid(masks: dict[int, np.ndarray], color: str, x: int, y: int, inside: np.ndarray) -> float:
    """Largest share of a blob (``inside``, at x, y) covered by one raw range of ``color``."""
    h, w = inside.shape
    total = max(1, int(np.count_nonzero(inside)))
    return max(
        int(np.count_nonzero(cv2.bitwise_and(masks[i][y : y + h, x : x + w], inside))) / total
        for i, (c, _, _) in enumerate(HSV_RANGES)
        if c == color
    )


def _box_colour(
    masks: dict[int, np.ndarray], x: int, y: int, inside: np.ndarray
) -> tuple[str, float]:
    """The plate colour covering most of a blob, and its share (white only as a last resort)."""
    shares = {c: _solid(masks, c, x, y, inside) for c in dict.fromkeys(c for c, _, _ in HSV_RANGES)}
    coloured = max((c for c in shares if c != "white"), key=lambda c: shares[c])
    if shares[coloured] >= 0.4 or shares[coloured] >= shares["white"]:
        return coloured, shares[coloured]
    return "white", shares["white"]


def _shape(
    points: np.ndarray, x: int, y: int, bw: int, bh: int, area: float
) -> tuple[float, float, Quad | None]:
    """Aspect, fill and corners (tl, tr, br, bl) of a blob's outline; corners only when the
    blob is clearly not an upright rectangle (rotated, angled or sheared plate)."""
    upright = area / (bw * bh)
    if upright >= 0.8 and bw / bh >= 1.8:
        return bw / bh, upright, None
    best: tuple[float, float, Quad | None] = (bw / bh, upright, None)
    for quad in (_polygon_corners(points), _extreme_corners(points)):
        if quad is None:
            continue
        sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
        poly = float(cv2.contourArea(quad))
        # A plate's opposite sides have similar lengths even at an angle; anything else
        # is a blob whose corners were not found.
        if min(sides) < 3 or poly <= 0:
            continue
        if not (0.6 <= sides[0] / sides[2] <= 1.67 and 0.5 <= sides[1] / sides[3] <= 2.0):
            continue
        fill = min(1.0, area / poly)
        if fill > best[1]:
            corners = tuple((float(px), float(py)) for px, py in quad)
            best = ((sides[0] + sides[2]) / (sides[1] + sides[3]), fill, corners)
    return best


def _extreme_corners(points: np.ndarray) -> np.ndarray:
    """Corners as the extreme points along the diagonals (good for sheared plates)."""
    xs, ys = points[:, 0].astype(np.int64), points[:, 1].astype(np.int64)
    s, d = xs + ys, xs - ys
    order = (s.argmin(), d.argmax(), s.argmax(), d.argmin())
    return np.array([(xs[i], ys[i]) for i in order], np.float32)


def _polygon_corners(points: np.ndarray) -> np.ndarray | None:
    """Corners of the convex hull simplified to four points (good for rotated plates),
    ordered tl, tr, br, bl with the top edge one of the two long sides."""
    hull = cv2.convexHull(points.reshape(-1, 1, 2))
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.02, 0.04, 0.07):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True).reshape(-1, 2)
        if len(approx) == 4:
            break
    else:
        return None
    quad = approx.astype(np.float32)
    xs, ys = quad[:, 0], quad[:, 1]
    if float(np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys)) < 0:
        quad = quad[::-1]  # clockwise on screen (y down)
    sides = [float(np.linalg.norm(quad[(i + 1) % 4] - quad[i])) for i in range(4)]
    long_pair = (0, 2) if sides[0] + sides[2] >= sides[1] + sides[3] else (1, 3)
    top = min(long_pair, key=lambda i: quad[i][1] + quad[(i + 1) % 4][1])
    return np.roll(quad, -top, axis=0)


def _distinct(cands: list[PlateCandidate]) -> list[PlateCandidate]:
    """Drop candidates that mostly overlap a better one (several masks find one plate)."""
    kept: list[PlateCandidate] = []
    for c in cands:
        area = (c.x1 - c.x0) * (c.y1 - c.y0)
        if all(_overlap(c, k) < 0.7 * area for k in kept):
            kept.append(c)
    return kept


def _overlap(a: PlateCandidate, b: PlateCandidate) -> int:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(0, w) * max(0, h)
