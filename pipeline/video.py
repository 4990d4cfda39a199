"""Open an uploaded video file as a :class:`~pipeline.package.FrameSequence` (OpenCV/FFmpeg).

OpenCV reads from a path, so the bytes go to a private temp file that lives as long as the
sequence (removed by :meth:`VideoFrames.close` or when the object is collected). Limits are
checked before any frame is decoded (pixel count, frame count from the container) and again
while decoding (a container that under-reports its length cannot exceed ``max_frames``).

Decoding is sequential: every frame is *grabbed* (inter-coded video cannot skip decoding), but
only the frames a caller wants are *retrieved* (converted to BGR), which is most of the cost.
Presentation times are recorded on every full pass.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from pipeline.errors import EvidenceError
from pipeline.records import EvidenceItem

log = logging.getLogger(__name__)

DEFAULT_FPS = 25.0


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class VideoFrames:
    """A decoded-on-demand video file."""

    def __init__(
        self, path: str, item: EvidenceItem, fps: float, count: int, max_frames: int
    ) -> None:
        self.path = path
        self.name = item.file
        self.fps = fps
        self._count = count
        self._max_frames = max_frames
        self._timestamps: list[float] | None = None
        self.timestamps_source = "video"
        self._finalizer = weakref.finalize(self, _unlink, path)

    @property
    def count(self) -> int:
        """Number of frames (the container's figure until a full pass has counted them)."""
        return self._count

    def close(self) -> None:
        """Remove the temp file now."""
        self._finalizer()

    def timestamps(self) -> list[float]:
        """Presentation times in seconds from the first frame (one grab pass if not yet known)."""
        if self._timestamps is None:
            for _ in self.walk(lambda i: False):
                pass
        assert self._timestamps is not None
        return list(self._timestamps)

    def frame(self, index: int) -> np.ndarray:
        """Decode one frame (BGR)."""
        got = self.frames([index])
        if index not in got:
            raise EvidenceError(
                f"{self.name} has no frame {index}", reason="evidence_unreadable", key=self.name
            )
        return got[index]

    def frames(self, indices: Iterable[int]) -> dict[int, np.ndarray]:
        """Decode the given frames in one sequential pass (stops after the last one)."""
        wanted = set(indices)
        if not wanted:
            return {}
        last = max(wanted)
        out: dict[int, np.ndarray] = {}
        for i, _, img in self.walk(wanted.__contains__, stop=last + 1):
            if img is not None:
                out[i] = img
        return out

    def iter_frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """Decode every ``step``-th frame."""
        step = max(1, step)
        for i, _, img in self.walk(lambda i: i % step == 0):
            if img is not None:
                yield i, img

    def walk(
        self, want: Callable[[int], bool], *, stop: int | None = None
    ) -> Iterator[tuple[int, float, np.ndarray | None]]:
        """Grab frames in order; yield (index, seconds, BGR image if ``want(index)`` else None).

        A pass that reaches the end records the true frame count and every frame's time.
        """
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            raise EvidenceError(
                f"{self.name} cannot be opened", reason="evidence_unreadable", key=self.name
            )
        times: list[float] = []
        complete = False
        try:
            i = 0
            while stop is None or i < stop:
                if not cap.grab():
                    complete = True
                    break
                if i >= self._max_frames:
                    raise EvidenceError(
                        f"{self.name} has more than {self._max_frames} frames",
                        reason="evidence_too_large",
                        key=self.name,
                    )
                t = _position_seconds(cap, i, self.fps)
                times.append(t)
                img = None
                if want(i):
                    ok, img = cap.retrieve()
                    if not ok or img is None:
                        img = None
                yield i, t - times[0], img
                i += 1
        finally:
            cap.release()
        if complete:
            self._count = len(times)
            self._timestamps = [t - times[0] for t in times] if times else []


def _position_seconds(cap: cv2.VideoCapture, index: int, fps: float) -> float:
    msec = cap.get(cv2.CAP_PROP_POS_MSEC)
    if msec is None or not math.isfinite(msec) or (msec <= 0 and index > 0):
        return index / fps
    return float(msec) / 1000.0


def open_video(item: EvidenceItem, data: bytes, *, max_frames: int, max_pixels: int) -> VideoFrames:
    """Check a video's limits and decodability, and return it as a frame sequence."""
    suffix = Path(item.file).suffix.lower()[:8] or ".bin"
    fd, path = tempfile.mkstemp(prefix="inspectpipe-video-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        fps, count = _probe(path, item, max_frames=max_frames, max_pixels=max_pixels)
    except BaseException:
        _unlink(path)
        raise
    return VideoFrames(path, item, fps, count, max_frames)


def _probe(path: str, item: EvidenceItem, *, max_frames: int, max_pixels: int) -> tuple[float, int]:
    name = item.file
    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise EvidenceError(
                f"{name} is not a video OpenCV can decode", reason="evidence_unreadable", key=name
            )
        w = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        h = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        if w * h > max_pixels:
            raise EvidenceError(
                f"{name} is {w}x{h}, over the {max_pixels / 1e6:.1f} Mpx limit",
                reason="evidence_too_large",
                key=name,
            )
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        if count > max_frames:
            raise EvidenceError(
                f"{name} has {count} frames, over the {max_frames} limit",
                reason="evidence_too_large",
                key=name,
            )
        ok, first = cap.read()
        if not ok or first is None:
            raise EvidenceError(
                f"{name} has no decodable frame", reason="evidence_unreadable", key=name
            )
        fh, fw = first.shape[:2]
        if fw * fh > max_pixels:  # the header may lie; the decoded frame does not
            raise EvidenceError(
                f"{name} frames are {fw}x{fh}, over the pixel limit",
                reason="evidence_too_large",
                key=name,
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    if not math.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = float(item.fps or DEFAULT_FPS)
    return fps, max(count, 1)
