"""Timestamp faults: gaps (missing time) and disorder (time going backwards or standing still)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class TimeFault:
    """Frames ``first``..``last`` around a fault; ``seconds`` is the jump (negative: backwards)."""

    kind: Literal["gap", "disorder"]
    first: int
    last: int
    seconds: float


def frame_interval(times: np.ndarray, fps: float) -> float:
    """The typical time between frames: the median positive step, else 1/fps."""
    dt = np.diff(times)
    pos = dt[dt > 0]
    return float(np.median(pos)) if len(pos) else 1.0 / fps


def time_faults(
    times: np.ndarray, fps: float, *, gap_factor: float, min_gap_seconds: float
) -> list[TimeFault]:
    """Gaps longer than ``gap_factor`` intervals (and ``min_gap_seconds``), and disorder."""
    dt = np.diff(times)
    if len(dt) == 0:
        return []
    step = frame_interval(times, fps)
    limit = max(gap_factor * step, step + min_gap_seconds)
    out: list[TimeFault] = []
    for i in np.flatnonzero((dt <= 0) | (dt > limit)):
        kind: Literal["gap", "disorder"] = "disorder" if dt[i] <= 0 else "gap"
        prev = out[-1] if out else None
        if prev is not None and prev.kind == kind == "disorder" and prev.last == i:
            out[-1] = TimeFault(kind, prev.first, int(i) + 1, min(prev.seconds, float(dt[i])))
            continue
        out.append(TimeFault(kind, int(i), int(i) + 1, round(float(dt[i]), 3)))
    return out
