"""Vehicle motion: at the dynamic chassis stations (0344/0342) the vehicle must move.

Independent motion is measured on frame pairs ~0.4 s apart with the camera's own motion
(shake, pan) removed (:mod:`pipeline.frames.motion`); a shaking camera over a parked vehicle
is not motion. Stops as soon as enough motion was seen.
"""

from __future__ import annotations

import numpy as np
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
from pipeline.frames.motion import summarise
from pipeline.frames.report import span
from pipeline.frames.scan import get_scan
from pipeline.frames.sheet import contact_sheet
from pipeline.package import LoadedItem


class VehicleMotionParams(Params):
    """A pair moves when one region of ``min_area`` shifts over ``min_shift_px`` on its own."""

    min_shift_px: float = Field(default=0.7, gt=0)
    min_area: float = Field(default=0.08, gt=0, lt=1)
    min_moving_seconds: float = Field(default=0.8, gt=0)
    min_pairs: int = Field(default=2, ge=1)


@register
class VehicleMotion(Check):
    """Fails ``vehicle_not_moving`` when independent motion lasts under ``min_moving_seconds``."""

    name = "vehicle_motion"
    kinds = frozenset({"frames", "video"})
    params_model = VehicleMotionParams
    params: VehicleMotionParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Measure independent motion until enough is seen or the clip ends."""
        p = self.params
        scan = get_scan(item)
        summary = summarise(
            scan.motion,
            scan.times,
            min_shift_px=p.min_shift_px,
            min_area=p.min_area,
            enough_seconds=p.min_moving_seconds,
        )
        detail = {
            "moving_seconds": round(summary.moving_seconds, 3),
            "required": p.min_moving_seconds,
            "pairs": len(summary.pairs),
            "max_moving_area": round(summary.max_fraction, 4),
            "max_camera_px": summary.max_camera_px,
        }
        if summary.moving_seconds >= p.min_moving_seconds:
            return passed(**detail)
        if len(summary.pairs) < p.min_pairs:
            return review("motion_unmeasurable", **detail)
        res = failed("vehicle_not_moving", **span(scan, 0, scan.count - 1), **detail)
        assert item.frames is not None
        picks = [int(x) for x in np.linspace(0, scan.count - 1, 5)]
        art = {"contact_sheet": contact_sheet(item.frames, picks, scan.times)}
        return Result(res.outcome, res.reason, res.detail, art)
