"""Finding and reading a licence plate in a few frames, cheaply.

Chinese plates have saturated backgrounds (blue, yellow, new-energy green), so candidate
regions come from a colour mask (plate-shaped connected regions), and OCR runs on those small
crops only. A frame with no candidate can be read whole, downscaled, as a fallback.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

# HSV ranges (OpenCV hue 0-180) of plate backgrounds.
# Plate paint is strongly saturated; car bodies in pastel shades are not (S >= 120 of 255).
_COLOURS = (
    ((100, 120, 50), (125, 255, 255)),  # blue
    ((15, 120, 80), (35, 255, 255)),  # yellow
    ((40, 70, 80), (85, 255, 255)),  # green (new energy: a pale gradient)
)
MASK_WIDTH = 640
_PLATE_LIKE = re.compile(r"[\u4e00-\u9fff]?[A-Z][A-Z0-9]{4,6}")
_SEPARATORS = re.compile(r"[\s·•.\-_:：]")


def normalise(text: str) -> str:
    """Uppercase, without separators (``鲁F·12345`` -> ``鲁F12345``)."""
    return _SEPARATORS.sub("", text).upper()


def plate_like(text: str) -> str | None:
    """The plate-shaped part of a reading, if any."""
    m = _PLATE_LIKE.search(normalise(text))
    return m.group(0) if m else None


def matches(read: str, expected: str) -> bool:
    """True if a reading shows the expected plate (the province character may be misread)."""
    r, e = normalise(read), normalise(expected)
    if not e:
        return False
    return e in r or (len(e) > 2 and e[1:] in r)


def distance(read: str, expected: str) -> int:
    """Edit distance between two plates, ignoring the province character (often misread)."""
    a, b = normalise(read), normalise(expected)
    a, b = a[1:] if a[:1] > "~" else a, b[1:] if b[:1] > "~" else b
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def plate_regions(image: np.ndarray, max_regions: int = 4) -> list[np.ndarray]:
    """Crops (BGR) of plate-coloured, plate-shaped regions, most plate-like first.

    Ranked by how close the box is to a plate's 3.1:1 shape and by how much lettering (edges,
    and holes in the colour mask) it holds: painted panels and signs are solid.
    """
    # Find regions on a copy at most MASK_WIDTH wide (cheap), crop from the full frame.
    f = min(1.0, MASK_WIDTH / image.shape[1])
    small = image if f == 1.0 else cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    edges = cv2.Canny(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), 80, 160)
    found: list[tuple[float, np.ndarray]] = []
    for lo, hi in _COLOURS:
        mask = cv2.inRange(hsv, np.array(lo), np.array(hi))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 9), np.uint8))
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        for x, y, bw, bh, area in stats[1:]:
            if bh < 8 or bw * bh < 0.0005 * w * h or not 1.8 <= bw / bh <= 6.5:
                continue
            fill = area / (bw * bh)
            if fill < 0.4:
                continue
            lettering = float(np.mean(edges[y : y + bh, x : x + bw] > 0))
            shape = abs(float(np.log(bw / bh / 3.1)))
            score = lettering - 0.15 * shape - 0.1 * max(0.0, fill - 0.95)
            x0, y0 = int((x - bw * 0.08) / f), int((y - bh * 0.25) / f)
            x1, y1 = int((x + bw * 1.08) / f), int((y + bh * 1.25) / f)
            found.append((score, image[max(0, y0) : y1, max(0, x0) : x1]))
    found.sort(key=lambda t: -t[0])
    return [_upscale(c) for _, c in found[:max_regions]]


def _upscale(crop: np.ndarray, min_height: int = 48) -> np.ndarray:
    h, w = crop.shape[:2]
    if h >= min_height:
        return crop
    f = min_height / h
    return cv2.resize(crop, (round(w * f), min_height), interpolation=cv2.INTER_CUBIC)


def downscale(image: np.ndarray, max_side: int = 960) -> np.ndarray:
    """The image no larger than ``max_side`` (for a whole-frame OCR fallback)."""
    h, w = image.shape[:2]
    f = max_side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
