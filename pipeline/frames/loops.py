"""Loops and replays: a stretch of frames that appears again later in the same sequence.

Candidates are diagonal runs in the sample-by-sample match matrix: samples ``j`` and ``j+d``
match when their pHashes are within ``hash_tol`` bits or their analysis pixels are identical.
A run is a replay only if it cannot be ordinary footage:

- *exact*: the pixels are identical (copied files) and the stretch is not itself frozen; or
- *re-encoded*: the stretch shows motion (its pHash changes by >= ``MIN_SPREAD`` bits and its
  thumbnails change by >= ``min_motion`` over ``TEMPORAL_LAG_S``), and the two copies differ by
  at most ``ratio`` times that motion and at most ``max_cross`` gray levels. Real footage that
  merely looks alike (a parked car under a shaking camera, a wheel spinning on rollers)
  differs by noise and misalignment of the same order as its own motion; a replay differs by
  codec rounding only.

On a subsampled scan the copies can be misaligned by up to half a step, so candidates found
there are re-measured frame by frame (:func:`refine`) before they are reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.frames.scan import Scan, scan_frames
from pipeline.package import FrameSequence

TEMPORAL_LAG_S = 0.2
MIN_SPREAD = 6  # pHash bits a stretch must change by to count as moving
MAX_CANDIDATES = 400  # verification budget per sequence
DISTINCT = 0.5  # a copy matches at least twice as well as the best look-alike elsewhere
MAX_REFINE = 12  # candidates re-read frame by frame (one extra pass for all of them)


@dataclass(frozen=True)
class LoopParams:
    """Thresholds (see the module docstring)."""

    min_seconds: float
    hash_tol: int
    ratio: float
    max_cross: float
    min_motion: float
    exact_mad: float


@dataclass(frozen=True)
class Repeat:
    """Frames ``src``..``src+length-1`` appear again as ``dst``..``dst+length-1``."""

    src: int
    dst: int
    length: int
    exact: bool
    cross: float
    motion: float


def _mad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(np.mean(np.abs(a - b), axis=(1, 2)))


def _temporal(thumbs: np.ndarray, lag: int) -> np.ndarray:
    """Per sample, how much the picture changes over ``lag`` samples (forward, else back)."""
    n = len(thumbs)
    if n <= lag:
        return np.zeros(n)
    fwd = _mad(thumbs[: n - lag], thumbs[lag:])
    return np.concatenate([fwd, fwd[-lag:]])


def _close(mask: np.ndarray) -> np.ndarray:
    """Fill one-sample holes: a single noisy comparison does not split a replay in two."""
    out = mask.copy()
    out[1:-1] |= mask[:-2] & mask[2:]
    return out


def _runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [
        (int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= min_len
    ]


def candidates(scan: Scan, p: LoopParams, *, coarse: bool = False) -> list[Repeat]:
    """Repeats at sample level; ``coarse``: misaligned samples, candidates for :func:`refine`."""
    n = scan.n
    hz = scan.fps / max(1, scan.step)
    min_len = max(2, math.ceil(p.min_seconds * hz))
    lag = max(1, round(TEMPORAL_LAG_S * hz))
    motion = _temporal(scan.thumbs, lag)
    _, ids = np.unique(np.asarray(scan.digest, dtype="S16"), return_inverse=True)
    out: list[Repeat] = []
    for d in range(2 * lag + 1, n - min_len + 1):
        same = ids[: n - d] == ids[d:]
        for a, b in _runs(same, min_len):
            if len(set(scan.digest[a:b])) >= 2:  # else a frozen stretch matching itself
                out.append(_repeat(scan, a, d, b - a, True, 0.0, float(np.median(motion[a:b]))))
        near = np.bitwise_count(scan.phash[: n - d] ^ scan.phash[d:]) <= p.hash_tol
        for a, b in _runs(near & ~same, min_len):
            out.extend(_perceptual(scan, p, a, d, b - a, motion[a:b], coarse, min_len))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _repeat(
    scan: Scan, a: int, d: int, length: int, exact: bool, cross: float, mot: float
) -> Repeat:
    src, dst = int(scan.index[a]), int(scan.index[a + d])
    return Repeat(src, dst, int(scan.index[a + length - 1]) - src + 1, exact, cross, mot)


def _perceptual(
    scan: Scan,
    p: LoopParams,
    a: int,
    d: int,
    length: int,
    motion: np.ndarray,
    coarse: bool,
    min_len: int,
) -> list[Repeat]:
    """Sub-runs where the copies differ far less than the footage moves (see module doc)."""
    spread = np.bitwise_count(scan.phash[a : a + length] ^ scan.phash[a]).max()
    if spread < MIN_SPREAD or float(np.max(motion)) < p.min_motion:
        return []  # a still picture: look-alikes are expected, nothing to tell a replay by
    cross = _mad(scan.thumbs[a : a + length], scan.thumbs[a + d : a + d + length])
    # Coarse: samples of the two copies can be a frame or two apart, and a shaking camera
    # makes neighbouring frames as different as distant ones, so only "no worse than the
    # footage's own motion" can be asked; refine() decides on every frame.
    strict = np.minimum(np.maximum(p.exact_mad, p.ratio * motion), p.max_cross)
    limit = motion if coarse else strict
    ok = _close((cross <= limit) & (motion >= p.min_motion))
    out = []
    for x, y in _runs(ok, min_len):
        med_cross, med_motion = float(np.median(cross[x:y])), float(np.median(motion[x:y]))
        rep = _repeat(scan, a + x, d, y - x, False, med_cross, med_motion)
        if coarse or _distinct_match(scan, scan.thumbs[a + x : a + y], rep):
            out.append(rep)
    return out


def _distinct_match(scan: Scan, thumbs: np.ndarray, rep: Repeat) -> bool:
    """Whether the copy matches far better than the best look-alike away from both copies.

    A parked car under a shaking camera has many look-alike frames, some as close as a
    re-encoded copy would be; a replay of moving footage has none.
    """
    radius = max(2 * scan.step, round(2 * TEMPORAL_LAG_S * scan.fps))
    far = np.ones(scan.n, dtype=bool)
    for lo, hi in ((rep.src, rep.src + rep.length), (rep.dst, rep.dst + rep.length)):
        far &= (scan.index < lo - radius) | (scan.index >= hi + radius)
    if not far.any():
        return True
    picks = thumbs[np.linspace(0, len(thumbs) - 1, min(5, len(thumbs))).astype(int)]
    others = scan.thumbs[far]
    runner_up = np.median(
        [float(np.min(_mad(others, np.broadcast_to(t, others.shape)))) for t in picks]
    )
    return rep.cross <= DISTINCT * float(runner_up)


def _windows(scan: Scan, cand: Repeat) -> tuple[range, range]:
    """The frames to re-read around both copies of a candidate."""
    # Generous margins: sample-level ends and offsets can be steps off under camera shake,
    # and re-reading a few more frames in a pass that grabs them anyway costs little.
    k, last = scan.step, scan.count - 1
    m = max(5 * k, cand.length)
    src = range(max(0, cand.src - m), min(last, cand.src + cand.length - 1 + m) + 1)
    dst = range(max(0, cand.dst - m - 2 * k), min(last, cand.dst + cand.length - 1 + m + 2 * k) + 1)
    return src, dst


def refine(fine: Scan, scan: Scan, cand: Repeat, p: LoopParams) -> Repeat | None:
    """Re-measure a sample-level candidate on every frame around both copies (in ``fine``)."""
    k = scan.step
    src_range, _ = _windows(scan, cand)
    src_lo, src_hi = src_range.start, src_range.stop - 1
    pos = {int(f): j for j, f in enumerate(fine.index)}
    lag = max(1, round(TEMPORAL_LAG_S * scan.fps))
    best: Repeat | None = None
    # A shaking camera can pull the best sample match a step or two off the true offset.
    for off in range(cand.dst - cand.src - 2 * k, cand.dst - cand.src + 2 * k + 1):
        pairs = [(pos[f], pos[f + off]) for f in range(src_lo, src_hi + 1) if f + off in pos]
        pairs = [(s, t) for s, t in pairs if s != t]
        if len(pairs) < 2:
            continue
        src_j = np.array([s for s, _ in pairs])
        dst_j = np.array([t for _, t in pairs])
        cross = _mad(fine.thumbs[src_j], fine.thumbs[dst_j])
        ahead = np.array(
            [pos.get(int(fine.index[s]) + lag, pos.get(int(fine.index[s]) - lag, s)) for s in src_j]
        )
        motion = _mad(fine.thumbs[src_j], fine.thumbs[ahead])
        same = np.array([fine.digest[s] == fine.digest[t] for s, t in pairs])
        limit = np.minimum(np.maximum(p.exact_mad, p.ratio * motion), p.max_cross)
        ok = same | (cross <= limit)
        ok &= same | (motion >= p.min_motion)
        ok = _close(ok)
        run = _runs(ok, 2)
        if not run:
            continue
        a, b = max(run, key=lambda r: r[1] - r[0])
        frames = int(fine.index[src_j[b - 1]]) - int(fine.index[src_j[a]]) + 1
        if frames / scan.fps < p.min_seconds:
            continue
        rep = Repeat(
            int(fine.index[src_j[a]]),
            int(fine.index[src_j[a]]) + off,
            frames,
            bool(same[a:b].mean() >= 0.9),
            float(np.median(cross[a:b])),
            float(np.median(motion[a:b])),
        )
        if not rep.exact and not _distinct_match(scan, fine.thumbs[src_j[a:b]], rep):
            continue
        if best is None or rep.length > best.length:
            best = rep
    return best


def find_repeats(seq: FrameSequence, scan: Scan, p: LoopParams) -> list[Repeat]:
    """Every replayed stretch, frame-exact, longest first, without nested duplicates."""
    if scan.step == 1:
        found = candidates(scan, p)
    else:
        coarse = _distinct(_merge(candidates(scan, p, coarse=True), 3 * scan.step))
        # Most promising first, within a budget: all of them are re-read in one pass.
        coarse = sorted(coarse, key=lambda r: r.cross / max(r.motion, 1e-6))[:MAX_REFINE]
        wanted: set[int] = set()
        for c in coarse:
            for window in _windows(scan, c):
                wanted.update(window)
        if not wanted:
            return []
        fine = scan_frames(seq, sorted(wanted))
        fine.times = scan.times
        found = [r for c in coarse if (r := refine(fine, scan, c, p)) is not None]
    return _distinct(found)


def _merge(reps: list[Repeat], gap: int) -> list[Repeat]:
    """Join candidates with the same offset (within ``gap``) that touch or nearly do."""
    out: list[Repeat] = []
    for r in sorted(reps, key=lambda r: (r.dst - r.src, r.src)):
        last = out[-1] if out else None
        if (
            last is not None
            and abs((r.dst - r.src) - (last.dst - last.src)) <= gap
            and r.src <= last.src + last.length + gap
        ):
            end = max(last.src + last.length, r.src + r.length)
            out[-1] = Repeat(
                last.src, last.dst, end - last.src, last.exact and r.exact, last.cross, last.motion
            )
        else:
            out.append(r)
    return out


def _distinct(reps: list[Repeat]) -> list[Repeat]:
    """Drop repeats whose replayed frames lie inside an already kept (longer) one."""
    kept: list[Repeat] = []
    for r in sorted(reps, key=lambda r: (-r.length, r.dst)):
        inside = any(k.dst <= r.dst and r.dst + r.length <= k.dst + k.length for k in kept)
        if not inside:
            kept.append(r)
    return sorted(kept, key=lambda r: r.dst)
