"""Frozen stretches: the picture stops changing (a repeated frame, a paused stream)."""

from __future__ import annotations

from pydantic import Field

from pipeline.checks.base import Check, CheckContext, Params, Result, failed, passed, register
from pipeline.frames.freeze import find_frozen
from pipeline.frames.report import sheet, span
from pipeline.frames.scan import get_scan
from pipeline.package import LoadedItem


class FramesFrozenParams(Params):
    """``max_mad``: gray levels (analysis resolution) below which frames are the same picture."""

    max_mad: float = Field(default=0.3, gt=0, le=5)
    min_seconds: float = Field(default=1.0, gt=0)
    min_frames: int = Field(default=3, ge=2)


@register
class FramesFrozen(Check):
    """Fails ``frames_frozen`` naming the longest frozen stretch (all of them in ``stretches``)."""

    name = "frames_frozen"
    kinds = frozenset({"frames", "video"})
    params_model = FramesFrozenParams
    params: FramesFrozenParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Find frozen stretches, frame-exact."""
        p = self.params
        scan = get_scan(item)
        assert item.frames is not None
        found = find_frozen(
            item.frames, scan, max_mad=p.max_mad, min_seconds=p.min_seconds, min_frames=p.min_frames
        )
        if not found:
            return passed(samples=scan.n)
        worst = max(found, key=lambda s: s.seconds)
        res = failed(
            "frames_frozen",
            **span(scan, worst.first, worst.last),
            frozen_seconds=worst.seconds,
            stretches=[{**span(scan, s.first, s.last), "frozen_seconds": s.seconds} for s in found],
        )
        return Result(
            res.outcome, res.reason, res.detail, sheet(item, scan, (worst.first, worst.last))
        )
