"""One low-resolution pass over a frame sequence, shared by every frame check.

Each sampled frame is reduced to a ~160-px-wide grayscale *analysis image* (frame folders use
JPEG DCT scaling, so a 1080p JPEG is never decoded at full size), and kept only as features:

- ``phash``: the 64-bit DCT pHash of the hash bank (:mod:`pipeline.photo.phash`);
- ``digest``: a hash of the analysis pixels (identical decoded frames, e.g. copied files);
- ``thumbs``: a 64x48 float thumbnail (replay verification);
- ``diff_prev``: mean absolute difference to the previous sample at analysis resolution
  (frozen stretches);
- ``motion``: the analysis images of samples about 1/``MOTION_HZ`` s apart (vehicle motion).

Sampling: every frame up to ``SAMPLE_HZ`` frames per second, every k-th frame above it. The
detectors work on samples; checks refine suspicious stretches with :func:`scan_frames` on
just the frames there (for video, frames are still grabbed in order, but only sampled ones are
converted, which is most of the decode cost).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from pipeline.imaging import read_header, to_gray
from pipeline.package import FolderFrames, FrameSequence, LoadedItem
from pipeline.photo.phash import phash
from pipeline.video import VideoFrames

ANALYSIS_WIDTH = 160
THUMB_SIZE = (64, 48)  # (w, h)
SAMPLE_HZ = 8.0
MOTION_HZ = 2.5
KEEP_FULL = 4  # evenly spaced full frames kept from a video pass (plate reading)
CACHE_KEY = "frames.scan"


@dataclass
class Scan:
    """Features of the sampled frames of one sequence (see the module docstring)."""

    name: str
    fps: float
    count: int
    times: np.ndarray  # seconds of every frame of the sequence
    timestamps_source: str
    step: int
    index: np.ndarray  # sampled frame indices, increasing
    phash: np.ndarray  # uint64 per sample
    digest: list[bytes]
    thumbs: np.ndarray  # (n, 48, 64) float32
    diff_prev: np.ndarray  # float per sample; NaN for the first
    motion: dict[int, np.ndarray] = field(default_factory=dict)
    kept: dict[int, np.ndarray] = field(default_factory=dict)  # full BGR frames (video only)

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(self.index)

    @property
    def sample_times(self) -> np.ndarray:
        """Seconds of each sample."""
        return self.times[self.index]

    @property
    def sample_hz(self) -> float:
        """Samples per second (nominal)."""
        return self.fps / self.step

    def seconds(self, first: int, last: int) -> list[float]:
        """Times of two frame indices, rounded for findings."""
        return [round(float(self.times[first]), 3), round(float(self.times[last]), 3)]


def even_picks(count: int, k: int) -> list[int]:
    """``k`` frame indices spread evenly inside the clip (ends excluded)."""
    return sorted({int(x) for x in np.linspace(0, count - 1, k + 2)[1:-1]})


def sample_step(fps: float, sample_hz: float = SAMPLE_HZ) -> int:
    """Frames between samples: 1 up to ``sample_hz``, then the nearest whole ratio."""
    return max(1, round(fps / sample_hz))


def get_scan(item: LoadedItem) -> Scan:
    """The scan of an item's frame sequence, computed once and cached on the item."""
    cached = item.cache.get(CACHE_KEY)
    if cached is None:
        if item.frames is None:
            raise ValueError(f"{item.item.file} is not a frame sequence")
        try:
            cached = scan(item.frames)
        except Exception as exc:  # a damaged frame: every frame check reports it, none re-reads
            cached = exc
        item.cache[CACHE_KEY] = cached
    if isinstance(cached, Exception):
        raise cached
    assert isinstance(cached, Scan)
    return cached


def scan(seq: FrameSequence, step: int | None = None) -> Scan:
    """Sample the whole sequence (every ``step``-th frame; default from its fps)."""
    step = step or sample_step(seq.fps)
    motion_every = max(1, round(seq.fps / MOTION_HZ))
    # Motion frames ride on samples: pick the sample nearest each motion stride.
    motion_every = max(step, (motion_every // step) * step)
    keep = even_picks(seq.count, KEEP_FULL) if isinstance(seq, VideoFrames) else []
    wanted = sorted({*range(0, seq.count, step), *keep})
    return _build(seq, wanted, step, motion_every, set(keep))


def scan_frames(seq: FrameSequence, indices: Sequence[int]) -> Scan:
    """Features of just these frames (refinement around a suspicious stretch)."""
    return _build(seq, sorted(set(indices)), 1, 0, set(), partial=True)


def _build(
    seq: FrameSequence,
    wanted: Sequence[int],
    step: int,
    motion_every: int,
    keep: set[int],
    *,
    partial: bool = False,
) -> Scan:
    idx: list[int] = []
    hashes: list[int] = []
    digests: list[bytes] = []
    thumbs: list[np.ndarray] = []
    diffs: list[float] = []
    motion: dict[int, np.ndarray] = {}
    kept: dict[int, np.ndarray] = {}
    prev: np.ndarray | None = None
    for i, gray, full in _grays(seq, wanted, partial=partial):
        if i in keep and full is not None:
            kept[i] = full
            if i % step:  # kept for its pixels only, not a sample
                continue
        idx.append(i)
        hashes.append(phash(gray))
        digests.append(hashlib.blake2b(gray.tobytes(), digest_size=16).digest())
        thumbs.append(cv2.resize(gray, THUMB_SIZE, interpolation=cv2.INTER_AREA))
        g = gray.astype(np.int16)
        diffs.append(float(np.mean(np.abs(g - prev))) if prev is not None else float("nan"))
        prev = g
        if motion_every and i % motion_every == 0:
            motion[i] = gray
    times = np.asarray(seq.timestamps(), dtype=np.float64)
    n_thumb = np.stack(thumbs).astype(np.float32) if thumbs else np.zeros((0, 48, 64), np.float32)
    return Scan(
        name=seq.name,
        fps=float(seq.fps),
        count=seq.count,
        times=times,
        timestamps_source=str(getattr(seq, "timestamps_source", "nominal")),
        step=step,
        index=np.asarray(idx, dtype=np.int64),
        phash=np.asarray(hashes, dtype=np.uint64),
        digest=digests,
        thumbs=n_thumb,
        diff_prev=np.asarray(diffs, dtype=np.float64),
        motion=motion,
        kept=kept,
    )


def analysis_grays(seq: FrameSequence, wanted: Sequence[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The wanted frames as analysis images (gray, ``ANALYSIS_WIDTH`` wide), in order."""
    for i, gray, _ in _grays(seq, wanted):
        yield i, gray


def _grays(
    seq: FrameSequence, wanted: Sequence[int], *, partial: bool = False
) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(index, analysis image, full BGR frame when it was decoded anyway) in order.

    ``partial``: a video pass may stop after the last wanted frame (refinement); a full pass
    also records the true frame count and every frame's time.
    """
    wanted_set = set(wanted)
    stop = max(wanted_set) + 1 if partial and wanted_set else None
    size: tuple[int, int] | None = None
    frames: Iterator[tuple[int, np.ndarray, np.ndarray | None]]
    if isinstance(seq, VideoFrames):
        frames = (
            (i, to_gray(img), img)
            for i, _, img in seq.walk(wanted_set.__contains__, stop=stop)
            if img is not None
        )
    elif isinstance(seq, FolderFrames):
        frames = ((i, g, None) for i, g in _folder_grays(seq, sorted(wanted_set)))
    else:
        frames = ((i, to_gray(f), f) for i in sorted(wanted_set) for f in [seq.frame(i)])
    for i, gray, full in frames:
        if size is None:
            h, w = gray.shape[:2]
            size = (ANALYSIS_WIDTH, max(8, round(h * ANALYSIS_WIDTH / max(1, w))))
        if (gray.shape[1], gray.shape[0]) != size:
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        yield i, gray, full


def _folder_grays(seq: FolderFrames, indices: list[int]) -> Iterator[tuple[int, np.ndarray]]:
    if not indices:
        return
    width = read_header(seq.read_bytes(indices[0]), name=seq.names[indices[0]]).width
    factor = 1
    for f in (8, 4, 2):
        if width / f >= ANALYSIS_WIDTH:
            factor = f
            break
    for i in indices:
        yield i, seq.gray_reduced(i, factor)
