"""Timestamp gaps and disorder in a frame sequence (from ``timestamps.json``, names or video)."""

from __future__ import annotations

from pydantic import Field

from pipeline.checks.base import Check, CheckContext, Params, Result, failed, passed, register
from pipeline.frames.report import sheet, span
from pipeline.frames.scan import get_scan
from pipeline.frames.timing import frame_interval, time_faults
from pipeline.package import LoadedItem


class FramesTimingParams(Params):
    """A gap is a step over ``gap_factor`` typical intervals and over ``min_gap_seconds``."""

    gap_factor: float = Field(default=3.0, gt=1)
    min_gap_seconds: float = Field(default=0.5, ge=0)


@register
class FramesTiming(Check):
    """Fails ``frames_time_gap`` naming the frames around the first gap or disorder."""

    name = "frames_timing"
    kinds = frozenset({"frames", "video"})
    params_model = FramesTimingParams
    params: FramesTimingParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Look at every step between consecutive frame times."""
        scan = get_scan(item)
        if scan.timestamps_source == "nominal":
            return passed(skipped="no per-frame timestamps (nominal fps)")
        p = self.params
        faults = time_faults(
            scan.times, scan.fps, gap_factor=p.gap_factor, min_gap_seconds=p.min_gap_seconds
        )
        interval = round(frame_interval(scan.times, scan.fps), 4)
        if not faults:
            return passed(interval=interval, timestamps=scan.timestamps_source)
        f = faults[0]
        res = failed(
            "frames_time_gap",
            **span(scan, f.first, f.last),
            kind=f.kind,
            jump_seconds=f.seconds,
            interval=interval,
            faults=[
                {"kind": x.kind, "frames": [x.first, x.last], "jump_seconds": x.seconds}
                for x in faults[:20]
            ],
        )
        return Result(res.outcome, res.reason, res.detail, sheet(item, scan, (f.first, f.last)))
