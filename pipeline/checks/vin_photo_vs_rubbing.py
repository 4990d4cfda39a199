"""VIN photo vs rubbing: the VIN read from 0113 equals the VIN read from J of the same inspection.

It needs no record and no reference, so it still catches a rubbing taken from another vehicle
when the registry is missing. Reads are shared with ``vin_match`` through ``item.cache``.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from pipeline.checks.vin_match import differing, vin_read_of

PHOTO_CODE = "0113"
RUBBING_CODE = "J"


class VinPhotoVsRubbingParams(Params):
    """``min_confidence``: as for ``vin_match``."""

    min_confidence: float = Field(default=0.6, ge=0, le=1)


@register
class VinPhotoVsRubbing(Check):
    """Fails when both VINs are read as they stand (valid check digits, nothing corrected)
    and differ; else review."""

    name = "vin_photo_vs_rubbing"
    scope = "inspection"
    params_model = VinPhotoVsRubbingParams
    params: VinPhotoVsRubbingParams

    def check_inspection(self, ctx: CheckContext) -> Sequence[Result]:
        """Compare the two reads."""
        photos = [i for i in ctx.package.by_code(PHOTO_CODE) if i.ok]
        rubbings = [i for i in ctx.package.by_code(RUBBING_CODE) if i.ok]
        if not photos or not rubbings:
            return []  # completeness reports the missing item
        photo, rubbing = photos[0], rubbings[0]
        a = vin_read_of(ctx, photo, self.params.min_confidence)
        b = vin_read_of(ctx, rubbing, self.params.min_confidence)
        detail: dict[str, object] = {
            "photo": a.vin,
            "rubbing": b.vin,
            "photo_file": photo.item.file,
            "rubbing_file": rubbing.item.file,
        }
        if a.vin is None or b.vin is None:
            res = review("vin_unreadable", **detail)
        elif a.vin == b.vin:
            res = passed(**detail)
        else:
            detail["positions"] = differing(a.vin, b.vin)
            res = failed("vin_photo_rubbing_mismatch", **detail)
            if not (a.check_ok and b.check_ok) or a.inferred or b.inferred:
                res = review("vin_photo_rubbing_mismatch", **detail)
        return [
            Result(res.outcome, res.reason, res.detail, file=rubbing.item.file, code=RUBBING_CODE)
        ]
