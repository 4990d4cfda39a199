"""Quality: too small, blurred (defocus or motion), over- or under-exposed.

Decisions use the normalised measures of :mod:`pipeline.photo.quality`. Only clear cases
fail; the band between "clearly sharp" and "clearly blurred", low-texture scenes (where no
sharpness measure can be trusted) and directional blur go to a person as ``review``.
Thresholds were set from measurements on real photos (see the README's quality figures).
"""

from __future__ import annotations

from pydantic import Field

from pipeline.checks.base import Check, CheckContext, Params, Result, failed, passed, register
from pipeline.checks.base import review as review_result
from pipeline.package import LoadedItem
from pipeline.photo.quality import QualityMeasures, measure


class QualityParams(Params):
    """Thresholds; sharpness is ~1/edge width in pixels at ``work_side``."""

    min_short_side: int = Field(default=480, ge=16)
    work_side: int = Field(default=1024, ge=128, le=4096)
    sharp_pass: float = Field(default=0.30, gt=0, le=1)  # at or above: sharp enough
    sharp_fail: float = Field(default=0.24, gt=0, le=1)  # below: clearly blurred
    anisotropy_review: float = Field(default=0.66, ge=0, le=1)  # below: directional blur
    min_edge_fraction: float = Field(default=0.02, ge=0, le=1)  # below: too plain to judge
    # False where the sharpness measure cannot judge the content (set per code in config).
    judge_sharpness: bool = True
    clipped_high_fail: float = Field(default=0.50, ge=0, le=1)
    clipped_high_review: float = Field(default=0.25, ge=0, le=1)
    dark_p95_fail: float = Field(default=40.0, ge=0, le=255)  # 95% of pixels darker: fail
    dark_mean_review: float = Field(default=45.0, ge=0, le=255)
    bright_p5_fail: float = Field(default=215.0, ge=0, le=255)  # 95% of pixels brighter: fail


@register
class Quality(Check):
    """Resolution, sharpness and exposure of a photo."""

    name = "quality"
    params_model = QualityParams
    params: QualityParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Measure, then decide (fail only on clear evidence)."""
        p = self.params
        m: QualityMeasures = measure(item.gray, work_side=p.work_side)
        item.cache["quality"] = m
        detail = m.to_json()
        if min(m.width, m.height) < p.min_short_side:
            return failed("too_small", min_short_side=p.min_short_side, **detail)
        exposure = self._exposure(m)
        if exposure is not None:
            outcome, reason = exposure
            return (
                failed(reason, **detail) if outcome == "fail" else review_result(reason, **detail)
            )
        if not p.judge_sharpness:
            # Edge width is not judged, but motion still shows as direction-dependent edges.
            if m.anisotropy < p.anisotropy_review:
                return review_result("blurry", why="directional (motion) blur", **detail)
            return passed(**detail, sharpness_judged=False)
        return self._sharpness(m, detail)

    def _exposure(self, m: QualityMeasures) -> tuple[str, str] | None:
        p = self.params
        if m.p95 < p.dark_p95_fail:
            return "fail", "underexposed"
        if m.p5 > p.bright_p5_fail or m.clipped_high > p.clipped_high_fail:
            return "fail", "overexposed"
        if m.mean_luma < p.dark_mean_review:
            return "review", "underexposed"
        if m.clipped_high > p.clipped_high_review:
            return "review", "overexposed"
        return None

    def _sharpness(self, m: QualityMeasures, detail: dict[str, float]) -> Result:
        p = self.params
        if m.edge_fraction < p.min_edge_fraction:
            return review_result("quality_uncertain", why="too little texture to judge", **detail)
        if m.sharpness < p.sharp_fail:
            return failed("blurry", **detail)
        if m.sharpness < p.sharp_pass:
            return review_result("blurry", why="borderline sharpness", **detail)
        if m.anisotropy < p.anisotropy_review:
            return review_result("blurry", why="directional (motion) blur", **detail)
        return passed(**detail)
