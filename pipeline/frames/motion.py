"""Did something in the picture move, apart from the camera?

For frame pairs about 0.2 s apart (the scan's motion frames) dense optical flow (Farneback) is
computed on the analysis images, the camera's own motion is fitted as a similarity transform
(RANSAC over a grid of flow vectors: shake, pan, small zoom), and what the camera motion does
not explain is *independent motion*. A pair is moving when one connected region of at least
``min_area`` of the picture moves by more than ``min_shift_px`` (analysis pixels, ~160 px wide)
on its own (textured pixels only, where flow is reliable). Frames are
normalised for brightness first, so lighting changes and flicker are not motion.

Limit: a vehicle that fills the whole picture and moves uniformly looks like a camera pan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np

_GRID = 6  # px between flow samples for the camera fit
_KERNEL = np.ones((5, 5), np.uint8)


@dataclass(frozen=True)
class PairMotion:
    """Independent motion between two frames."""

    first: int
    last: int
    seconds: float
    fraction: float  # share of the picture moving on its own
    camera_px: float  # how far the camera itself moved (median, analysis px)


@dataclass
class MotionSummary:
    """Motion over a sequence (possibly stopped early once enough motion was seen)."""

    pairs: list[PairMotion] = field(default_factory=list)
    moving_seconds: float = 0.0
    complete: bool = True

    @property
    def max_fraction(self) -> float:
        """Largest moving share seen in one pair."""
        return max((p.fraction for p in self.pairs), default=0.0)

    @property
    def max_camera_px(self) -> float:
        """Largest camera motion seen in one pair."""
        return max((p.camera_px for p in self.pairs), default=0.0)


def _normalise(gray: np.ndarray) -> np.ndarray:
    g = gray.astype(np.float32)
    std = float(g.std())
    g = (g - float(g.mean())) * (48.0 / max(std, 1.0)) + 128.0
    return np.clip(g, 0, 255).astype(np.uint8)


def pair_motion(g0: np.ndarray, g1: np.ndarray, min_shift_px: float) -> tuple[float, float]:
    """(share of the picture in the largest independently moving region, camera motion px)."""
    a, b = _normalise(g0), _normalise(g1)
    h, w = a.shape
    init = np.zeros((h, w, 2), np.float32)
    flow = np.asarray(cv2.calcOpticalFlowFarneback(a, b, init, 0.5, 3, 13, 3, 5, 1.1, 0))
    ys, xs = np.mgrid[_GRID // 2 : h : _GRID, _GRID // 2 : w : _GRID]
    pts = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    vec = flow[ys.ravel(), xs.ravel()]
    m, _ = cv2.estimateAffinePartial2D(
        pts, pts + vec, method=cv2.RANSAC, ransacReprojThreshold=1.0, maxIters=500
    )
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    if m is None:  # degenerate picture: take the median vector as a pure camera shift
        med = np.median(vec, axis=0)
        pred = np.broadcast_to(med, flow.shape)
    else:
        px = m[0, 0] * gx + m[0, 1] * gy + m[0, 2] - gx
        py = m[1, 0] * gx + m[1, 1] * gy + m[1, 2] - gy
        pred = np.stack([px, py], axis=2)
    resid = np.linalg.norm(flow - pred, axis=2)
    camera = float(np.median(np.linalg.norm(pred, axis=2)))
    # Flow is only trustworthy where the picture has texture; and a vehicle is one connected
    # region, while noise and shake leave scattered specks: measure the largest moving blob.
    eig = cv2.cornerMinEigenVal(a, 5)
    textured = eig > np.percentile(eig, 50)
    moving = ((resid > min_shift_px) & textured).astype(np.uint8)
    moving = cv2.dilate(moving, _KERNEL)
    n, _, stats, _ = cv2.connectedComponentsWithStats(moving)
    largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0
    return largest / moving.size, camera


def summarise(
    motion_frames: dict[int, np.ndarray],
    times: np.ndarray,
    *,
    min_shift_px: float,
    min_area: float,
    enough_seconds: float | None = None,
) -> MotionSummary:
    """Motion over consecutive motion frames; stop early after ``enough_seconds`` of motion."""
    out = MotionSummary()
    keys = sorted(motion_frames)
    for i0, i1 in pairwise(keys):
        frac, cam = pair_motion(motion_frames[i0], motion_frames[i1], min_shift_px)
        secs = float(times[i1] - times[i0])
        out.pairs.append(PairMotion(i0, i1, round(secs, 3), round(frac, 4), round(cam, 2)))
        if frac >= min_area:
            out.moving_seconds += max(secs, 0.0)
        if enough_seconds is not None and out.moving_seconds >= enough_seconds:
            out.complete = i1 == keys[-1]
            break
    return out
