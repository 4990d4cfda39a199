"""EXIF time: DateTimeOriginal, when present, agrees with ``taken_at`` and the window.

EXIF times carry no zone; they are read as local time in ``settings.timezone`` (stations
set camera clocks to local time). A photo without EXIF time passes unless ``require`` is set:
most station software strips EXIF.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
from pipeline.package import LoadedItem
from pipeline.photo.exif import ExifInfo, read_exif


class ExifTimeParams(Params):
    """Tolerances: camera clocks drift; ``taken_at`` may be the upload time."""

    slack_minutes: float = Field(default=10.0, ge=0, le=1440)  # around the inspection window
    taken_at_tolerance_minutes: float = Field(default=5.0, ge=0, le=1440)
    require: bool = False  # no EXIF time → review instead of pass


@register
class ExifTime(Check):
    """Compares the EXIF capture time with the manifest."""

    name = "exif_time"
    params_model = ExifTimeParams
    params: ExifTimeParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Pass, fail on a clear disagreement, review when absent and required."""
        assert item.data is not None
        info: ExifInfo = item.cache.get("exif") or read_exif(item.data)
        item.cache["exif"] = info
        p = self.params
        if info.taken is None:
            if info.taken_raw:
                return review("exif_time_mismatch", why="unparseable EXIF time", raw=info.taken_raw)
            if p.require:
                return review("exif_time_mismatch", why="no EXIF capture time")
            return passed(skipped="no EXIF capture time")
        taken = info.taken.replace(tzinfo=ctx.tz)
        detail: dict[str, Any] = {"exif_time": taken.isoformat()}
        slack = timedelta(minutes=p.slack_minutes)
        start, end = ctx.manifest.started_at - slack, ctx.manifest.finished_at + slack
        if not start <= taken <= end:
            off = (start - taken) if taken < start else (taken - end)
            return failed(
                "exif_time_mismatch",
                why="outside the inspection window",
                minutes_outside=round(off.total_seconds() / 60, 1),
                **detail,
            )
        if item.item.taken_at is not None:
            gap = abs(taken - item.item.taken_at)
            detail["taken_at"] = ctx.local(item.item.taken_at).isoformat()
            if gap > timedelta(minutes=p.taken_at_tolerance_minutes):
                # Inside the window but off taken_at: a clock or upload-time issue as often
                # as a swapped photo, so a person decides.
                return review(
                    "exif_time_mismatch",
                    why="differs from taken_at",
                    minutes_apart=round(gap.total_seconds() / 60, 1),
                    **detail,
                )
        return passed(**detail)
