"""Minimum duration: a station's clip must last as long as the test it documents (per code)."""

from __future__ import annotations

from pydantic import Field

from pipeline.checks.base import (
    Check,
    CheckContext,
    Params,
    Result,
    failed,
    passed,
    register,
    review,
)
from pipeline.frames.freeze import covered_seconds
from pipeline.frames.report import sheet
from pipeline.frames.scan import get_scan
from pipeline.package import LoadedItem


class FramesDurationParams(Params):
    """``min_seconds`` per photo-type code; ``default_seconds`` for codes not listed (0: none)."""

    min_seconds: dict[str, float] = Field(
        default_factory=lambda: {"0344": 3.0, "0342": 3.0, "0322": 2.0, "0321": 2.0, "0323": 5.0}
    )
    default_seconds: float = Field(default=0.0, ge=0)


@register
class FramesDuration(Check):
    """Fails ``video_too_short`` when the clip covers less time than its code requires."""

    name = "frames_duration"
    kinds = frozenset({"frames", "video"})
    params_model = FramesDurationParams
    params: FramesDurationParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Compare the covered time (first frame to end of last) with the code's minimum."""
        required = self.params.min_seconds.get(item.item.code, self.params.default_seconds)
        scan = get_scan(item)
        if (
            item.item.kind == "frames"
            and item.item.fps is None
            and scan.timestamps_source == "nominal"
        ):
            return review("frame_rate_unknown", frames=scan.count, required=required)
        seconds = round(covered_seconds(scan, 0, scan.count - 1), 3)
        detail = {
            "seconds_covered": seconds,
            "required": required,
            "timestamps": scan.timestamps_source,
        }
        if seconds + 1e-6 >= required:
            return passed(**detail)
        res = failed(
            "video_too_short",
            frames=[0, scan.count - 1],
            seconds=scan.seconds(0, scan.count - 1),
            **detail,
        )
        return Result(res.outcome, res.reason, res.detail, sheet(item, scan, (0, scan.count - 1)))
