"""Time window: an item's ``taken_at`` lies inside the inspection's start-finish window."""

from __future__ import annotations

from datetime import timedelta

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


class TimeWindowParams(Params):
    """``slack_minutes``: tolerance on both ends (station clocks drift)."""

    slack_minutes: float = Field(default=5.0, ge=0, le=240)
    require_taken_at: bool = False


@register
class TimeWindow(Check):
    """Fails when ``taken_at`` is outside [started_at - slack, finished_at + slack]."""

    name = "time_window"
    kinds = frozenset({"photo", "frames", "video"})
    params_model = TimeWindowParams
    params: TimeWindowParams

    def applies_to(self, item: LoadedItem) -> bool:
        """Runs on every item kind, even undecodable ones: the time is in the manifest."""
        return item.item.kind in self.kinds

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Compare ``taken_at`` with the window."""
        params = self.params
        taken = item.item.taken_at
        if taken is None:
            if params.require_taken_at:
                return review("taken_at_missing")
            return passed(skipped="no taken_at")
        slack = timedelta(minutes=params.slack_minutes)
        start, end = ctx.manifest.started_at - slack, ctx.manifest.finished_at + slack
        detail = {
            "taken_at": ctx.local(taken).isoformat(),
            "window": [
                ctx.local(ctx.manifest.started_at).isoformat(),
                ctx.local(ctx.manifest.finished_at).isoformat(),
            ],
        }
        if start <= taken <= end:
            return passed(**detail)
        off = (start - taken) if taken < start else (taken - end)
        return failed(
            "taken_outside_window", minutes_outside=round(off.total_seconds() / 60, 1), **detail
        )
