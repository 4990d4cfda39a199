"""Which hash-bank hits are footage reuse, and which are look-alikes.

A fixed lane camera sees the same bay in every inspection, so a single frame of another
vehicle's clip can be within 2 pHash bits of this one (measured on the sample generator's
lane scenes). Reuse is a *run*: several frames of this clip matching frames of one other clip
one-to-one with the same time shift, over a stretch whose picture changes (pHash spread >=
``min_spread`` bits; an empty bay matches an empty bay in every clip).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from pipeline.hashbank import Match

SHIFT_TOL = 1  # frames: a slow scene's neighbouring frame may match instead


@dataclass(frozen=True)
class ReuseRun:
    """Samples of this clip matched, in order, to frames of one other clip."""

    inspection_id: str
    attempt: int
    file: str
    samples: tuple[int, ...]  # sample positions in this clip's scan
    frames: tuple[int, ...]  # the other clip's frame indices
    exact_frames: int  # of which identical pixels (the bank's digest)


def reuse_runs(
    hits: dict[int, list[Match]], index: np.ndarray, phash: np.ndarray, min_spread: int
) -> list[ReuseRun]:
    """Runs per other clip, longest first; runs over a still picture are dropped.

    ``hits`` maps sample positions to bank matches, ``index`` samples to frame numbers.
    """
    groups: dict[tuple[str, int, str], list[tuple[int, Match]]] = defaultdict(list)
    for j, matches in hits.items():
        for m in matches:
            if m.frame is not None:
                groups[(m.inspection_id, m.attempt, m.file)].append((j, m))
    runs = []
    for (insp, attempt, file), pairs in groups.items():
        chain = _same_shift(pairs, index)
        js = [j for j, _ in chain]
        spread = int(np.bitwise_count(phash[js] ^ phash[js[0]]).max()) if js else 0
        if spread >= min_spread:
            frames = tuple(int(m.frame or 0) for _, m in chain)
            exact = sum(m.exact for _, m in chain)
            runs.append(ReuseRun(insp, attempt, file, tuple(js), frames, exact))
    return sorted(runs, key=lambda r: (-len(r.samples), r.inspection_id))


def _same_shift(pairs: list[tuple[int, Match]], index: np.ndarray) -> list[tuple[int, Match]]:
    """The matches sharing the most common time shift (within a frame), one per frame each.

    Copied footage keeps its frame order and spacing, so its matches share one shift
    (this clip's frame minus the other clip's); look-alikes land at scattered shifts.
    Assumes both clips have the same frame rate (one station, one code).
    """
    shifts = [int(index[j]) - int(m.frame or 0) for j, m in pairs]
    best = max(set(shifts), key=lambda s: sum(abs(x - s) <= SHIFT_TOL for x in shifts))
    chosen: dict[int, tuple[int, Match]] = {}
    used: set[int] = set()
    ranked = sorted(
        zip(shifts, pairs, strict=True), key=lambda t: (abs(t[0] - best), t[1][1].distance)
    )
    for shift, (j, m) in ranked:
        if abs(shift - best) <= SHIFT_TOL and j not in chosen and m.frame not in used:
            chosen[j] = (j, m)
            used.add(int(m.frame or 0))
    return [chosen[j] for j in sorted(chosen)]
