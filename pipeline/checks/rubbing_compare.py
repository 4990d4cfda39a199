"""Rubbing comparison: the J rubbing's glyphs match the VIN's reference rubbing.

The reference comes from ``ctx.services.references`` (object store + database). The finding
carries the suspect positions and a reviewer's overlay JPEG (``artifacts["overlay"]``).
"""

from __future__ import annotations

from typing import Literal

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
from pipeline.checks.vin_match import band_of, vin_read_of
from pipeline.package import LoadedItem
from pipeline.vin.compare import Thresholds, compare_bands, with_text
from pipeline.vin.reading import read_band
from pipeline.vin.rubbing import draw_overlay, read_alike_as_found


class RubbingCompareParams(Params):
    """Limits of :class:`pipeline.vin.compare.Thresholds`, and what a mismatch becomes."""

    mismatch_outcome: Literal["fail", "review"] = "fail"
    min_confidence: float = Field(default=0.6, ge=0, le=1)
    edge: float = Field(default=Thresholds.edge, gt=0)
    shape: float = Field(default=Thresholds.shape, gt=0)
    shift: float = Field(default=Thresholds.shift, gt=0)
    tilt: float = Field(default=Thresholds.tilt, gt=0)
    weight: float = Field(default=Thresholds.weight, gt=0)
    placement: float = Field(default=Thresholds.placement, gt=0)
    clone_edge: float = Field(default=Thresholds.clone_edge, gt=0)
    clone_width: float = Field(default=Thresholds.clone_width, gt=0)


@register
class RubbingCompare(Check):
    """Compares J with the reference; no reference → review ``rubbing_no_reference``."""

    name = "rubbing_compare"
    kinds = frozenset({"photo"})
    params_model = RubbingCompareParams
    params: RubbingCompareParams

    def _thresholds(self) -> Thresholds:
        p = self.params
        return Thresholds(edge=p.edge, shape=p.shape, shift=p.shift, tilt=p.tilt, weight=p.weight,
            placement=p.placement,
                          clone_edge=p.clone_edge, clone_width=p.clone_width)  # fmt: skip

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Fetch the reference, compare, explain."""
        vin = ctx.vehicle.vin.strip().upper()
        references = ctx.services.references
        ref_info = references.latest(vin)
        if ref_info is None:
            return review("rubbing_no_reference", vin=vin)
        ref_band = references.band(ref_info)
        cand_band = band_of(item)
        reads = None
        alike = False
        if ref_band is not None and ref_band.boxes:
            cand_read = vin_read_of(ctx, item, self.params.min_confidence)
            kept = len(ref_band.reads)
            ocr, least = ctx.services.ocr, self.params.min_confidence
            ref_read = read_band(ref_band, ocr, least)
            if len(ref_band.reads) > kept:  # enrolled without a read (or by another model)
                references.keep_band(ref_info, ref_band)
            reads = ref_read.as_read, cand_read.as_read
            # The bands' own reads as found: the candidate's read above may be its photo's.
            alike = cand_band is not None and read_alike_as_found(ref_band, cand_band, ocr, least)
        result = compare_bands(ref_band, cand_band, self._thresholds(), vin, read_alike=alike)
        if reads is not None:
            result = with_text(result, *reads, vin)
        detail: dict[str, object] = {
            "vin": vin,
            "reference": ref_info.key,
            "score": round(result.score, 3),
            "suspect_positions": list(result.suspects),
            "note": result.note,
        }
        if result.verdict == "match":
            return passed(**detail)
        # The reviewer's picture only for a finding a reviewer will open.
        overlay = {"overlay": draw_overlay(ref_band, cand_band, result)}
        if result.verdict == "unreadable":
            return Result("review", "rubbing_unreadable", detail, overlay)
        outcome = self.params.mismatch_outcome
        detail["glyphs"] = [
            {"position": g.index + 1, "why": g.why, "suspicion": round(g.suspicion, 2)}
            for g in result.glyphs
            if g.index in result.suspects
        ]
        res = (
            failed("rubbing_glyph_mismatch", **detail)
            if outcome == "fail"
            else review("rubbing_glyph_mismatch", **detail)
        )
        return Result(res.outcome, res.reason, res.detail, overlay)
