"""Frozen stretches: consecutive frames whose pixels do not change.

A live camera always adds sensor noise, so even a parked vehicle in an empty bay changes a
little from frame to frame; a frozen stream (a repeated frame, a paused encoder) changes by
nothing or by codec rounding only. ``max_mad`` is the mean absolute difference (gray levels at
analysis resolution, ~160 px wide) below which two frames count as the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.frames.scan import Scan, scan_frames
from pipeline.package import FrameSequence


@dataclass(frozen=True)
class Stretch:
    """Frames ``first``..``last`` (inclusive) and how long they cover in seconds."""

    first: int
    last: int
    seconds: float


def still_runs(diff_prev: np.ndarray, max_mad: float) -> list[tuple[int, int]]:
    """Sample runs (j0, j1) where every sample after j0 differs from its predecessor <= max."""
    d = np.nan_to_num(diff_prev, nan=np.inf)
    still = d <= max_mad
    # Video codecs refresh a frozen picture at every keyframe: a lone small bump between
    # still samples does not end the freeze. Live noise is never still, so nothing to bridge.
    bump = (d <= max(1.0, 3.0 * max_mad)) & ~still
    bump[1:-1] &= still[:-2] & still[2:]
    bump[[0, -1]] = False
    still |= bump
    runs: list[tuple[int, int]] = []
    j = 1
    while j < len(still):
        if still[j]:
            k = j
            while k + 1 < len(still) and still[k + 1]:
                k += 1
            runs.append((j - 1, k))
            j = k + 1
        else:
            j += 1
    return runs


def covered_seconds(scan: Scan, first: int, last: int) -> float:
    """How long frames first..last are on screen (until the next frame, or one frame time)."""
    t = scan.times
    end = t[last + 1] if last + 1 < len(t) else t[last] + 1.0 / scan.fps
    return float(end - t[first])


def find_frozen(
    seq: FrameSequence, scan: Scan, *, max_mad: float, min_seconds: float, min_frames: int
) -> list[Stretch]:
    """Frozen stretches at least ``min_seconds`` and ``min_frames`` long, frame-exact."""
    out: list[Stretch] = []
    slack = 2.0 * scan.step / scan.fps
    for j0, j1 in still_runs(scan.diff_prev, max_mad):
        first, last = int(scan.index[j0]), int(scan.index[j1])
        if covered_seconds(scan, first, last) + slack < min_seconds:
            continue
        if scan.step > 1:
            # The true ends lie between this run and the samples around it; the frames in
            # between were never compared, so look at every one of them.
            lo = int(scan.index[j0 - 1]) if j0 > 0 else first
            hi = int(scan.index[j1 + 1]) if j1 + 1 < scan.n else scan.count - 1
            fine = scan_frames(seq, range(lo, hi + 1))
            fine.times = scan.times
            runs = [
                (int(fine.index[a]), int(fine.index[b]))
                for a, b in still_runs(fine.diff_prev, max_mad)
            ]
        else:
            runs = [(first, last)]
        for a, b in runs:
            secs = covered_seconds(scan, a, b)
            if b - a + 1 >= min_frames and secs >= min_seconds:
                out.append(Stretch(a, b, round(secs, 3)))
    return out
