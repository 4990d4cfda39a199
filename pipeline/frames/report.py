"""Shared pieces of frame findings: frame-range details and contact sheets."""

from __future__ import annotations

from typing import Any

from pipeline.frames.scan import Scan
from pipeline.frames.sheet import around, contact_sheet
from pipeline.package import FrameSequence, LoadedItem


def span(scan: Scan, first: int, last: int) -> dict[str, Any]:
    """``{"frames": [first, last], "seconds": [t_first, t_last]}``."""
    return {"frames": [int(first), int(last)], "seconds": scan.seconds(first, last)}


def sheet(
    item: LoadedItem, scan: Scan, *ranges: tuple[int, int], marked: tuple[int, ...] = ()
) -> dict[str, bytes]:
    """``{"contact_sheet": JPEG}`` of the frames around each (first, last) range."""
    seq: FrameSequence | None = item.frames
    if seq is None:
        return {}
    picks: list[int] = []
    for first, last in ranges:
        picks.extend(around(first, last, scan.count, inner=2 if len(ranges) > 1 else 3))
    return {"contact_sheet": contact_sheet(seq, picks, scan.times, marked=marked)}
