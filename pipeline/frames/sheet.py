"""Contact sheets: a grid of labelled thumbnails of the frames a finding is about."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from pipeline.imaging import encode_jpeg
from pipeline.package import FrameSequence
from pipeline.video import VideoFrames

THUMB_WIDTH = 192
COLUMNS = 6
MAX_TILES = 12


def around(first: int, last: int, count: int, inner: int = 3) -> list[int]:
    """Frames to show for a range: one before, the ends, a few inside, one after."""
    picks = {first, last}
    if last > first:
        picks.update(int(x) for x in np.linspace(first, last, inner + 2)[1:-1])
    if first > 0:
        picks.add(first - 1)
    if last + 1 < count:
        picks.add(last + 1)
    return sorted(picks)


def fetch(seq: FrameSequence, indices: Sequence[int]) -> dict[int, np.ndarray]:
    """Decode some frames (BGR), in one pass for a video."""
    if isinstance(seq, VideoFrames):
        return seq.frames(indices)
    return {i: seq.frame(i) for i in sorted(set(indices))}


def contact_sheet(
    seq: FrameSequence,
    indices: Sequence[int],
    times: Sequence[float] | np.ndarray,
    *,
    marked: Sequence[int] = (),
) -> bytes:
    """A JPEG grid of the given frames labelled ``#index  seconds``; ``marked`` ones framed red."""
    wanted = sorted(set(indices))[:MAX_TILES]
    frames = fetch(seq, wanted)
    tiles = []
    for i in wanted:
        img = frames.get(i)
        if img is None:
            continue
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        h, w = img.shape[:2]
        tile = cv2.resize(
            img, (THUMB_WIDTH, max(1, round(h * THUMB_WIDTH / w))), interpolation=cv2.INTER_AREA
        )
        label = f"#{i}  {float(times[i]):.2f}s" if i < len(times) else f"#{i}"
        cv2.rectangle(tile, (0, 0), (THUMB_WIDTH, 18), (0, 0, 0), -1)
        cv2.putText(tile, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        if i in marked:
            cv2.rectangle(tile, (0, 0), (tile.shape[1] - 1, tile.shape[0] - 1), (0, 0, 255), 3)
        tiles.append(tile)
    if not tiles:
        return encode_jpeg(np.zeros((18, THUMB_WIDTH, 3), np.uint8))
    th = max(t.shape[0] for t in tiles)
    rows = []
    for r in range(0, len(tiles), COLUMNS):
        row = [_pad(t, th) for t in tiles[r : r + COLUMNS]]
        row += [np.zeros((th, THUMB_WIDTH, 3), np.uint8)] * (COLUMNS - len(row))
        rows.append(np.hstack(row))
    return encode_jpeg(np.vstack(rows), quality=80)


def _pad(tile: np.ndarray, height: int) -> np.ndarray:
    if tile.shape[0] == height:
        return tile
    pad = np.zeros((height - tile.shape[0], tile.shape[1], 3), np.uint8)
    return np.vstack([tile, pad])
