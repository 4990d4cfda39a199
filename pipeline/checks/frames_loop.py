"""Loops and replays within one sequence: a stretch of frames that appears again later."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pipeline.checks.base import Check, CheckContext, Params, Result, failed, passed, register
from pipeline.frames.loops import LoopParams, Repeat, find_repeats
from pipeline.frames.report import sheet, span
from pipeline.frames.scan import Scan, get_scan
from pipeline.package import LoadedItem


class FramesLoopParams(Params):
    """Thresholds of :mod:`pipeline.frames.loops` (thumbnail gray levels, pHash bits)."""

    min_seconds: float = Field(default=0.6, gt=0)
    hash_tol: int = Field(default=10, ge=0, le=32)
    ratio: float = Field(default=0.2, gt=0, lt=1)
    max_cross: float = Field(default=1.2, gt=0)
    min_motion: float = Field(default=1.0, ge=0)
    exact_mad: float = Field(default=0.05, ge=0)


@register
class FramesLoop(Check):
    """Fails ``frames_looped`` naming the replayed frames and the frames they copy."""

    name = "frames_loop"
    kinds = frozenset({"frames", "video"})
    params_model = FramesLoopParams
    params: FramesLoopParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Search the sequence for repeated stretches."""
        scan = get_scan(item)
        assert item.frames is not None
        found = find_repeats(item.frames, scan, LoopParams(**self.params.model_dump()))
        if not found:
            return passed(samples=scan.n)
        r = max(found, key=lambda r: r.length)
        last = r.dst + r.length - 1
        res = failed(
            "frames_looped",
            **span(scan, r.dst, last),
            source=span(scan, r.src, r.src + r.length - 1),
            exact=r.exact,
            repeats=[_repeat_json(scan, x) for x in found],
        )
        art = sheet(
            item,
            scan,
            (r.src, r.src + r.length - 1),
            (r.dst, last),
            marked=tuple(range(r.dst, last + 1)),
        )
        return Result(res.outcome, res.reason, res.detail, art)


def _repeat_json(scan: Scan, x: Repeat) -> dict[str, Any]:
    return {
        **span(scan, x.dst, x.dst + x.length - 1),
        "source_frames": [x.src, x.src + x.length - 1],
        "exact": x.exact,
        "difference": round(x.cross, 3),
        "motion": round(x.motion, 3),
    }
