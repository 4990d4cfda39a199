"""Plate visible: the registered plate is readable in at least one frame of the clip.

Cheap by design: a few evenly spaced frames, line recognition (no text detection) on
plate-coloured crops only, stop at the first match; one whole frame (downscaled) goes through
full text detection only when no crop showed the plate.
"""

from __future__ import annotations

from typing import Any, Literal

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
from pipeline.frames.plate import distance, downscale, matches, plate_like, plate_regions
from pipeline.frames.report import span
from pipeline.frames.scan import even_picks, get_scan
from pipeline.frames.sheet import contact_sheet, fetch
from pipeline.package import LoadedItem


class FramesPlateParams(Params):
    """``frames`` read at most. A plate read ``min_distance`` or more edits away (province
    aside) at ``mismatch_score`` or more fails; a nearer miss is ``plate_uncertain`` review."""

    frames: int = Field(default=4, ge=1, le=20)
    mismatch_score: float = Field(default=0.85, ge=0, le=1)
    min_distance: int = Field(default=3, ge=1, le=8)
    whole_frame_fallback: bool = True
    not_visible: Literal["review", "fail"] = "review"


@register
class FramesPlate(Check):
    """Passes when the plate is read in a frame, else ``plate_mismatch``/``plate_not_visible``."""

    name = "frames_plate"
    kinds = frozenset({"frames", "video"})
    params_model = FramesPlateParams
    params: FramesPlateParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Read plates in a few frames until the registered one is seen."""
        p = self.params
        expected = ctx.vehicle.plate
        scan = get_scan(item)
        assert item.frames is not None
        picks = even_picks(scan.count, p.frames)
        frames = {i: scan.kept[i] for i in picks if i in scan.kept}  # video: kept by the scan
        missing = [i for i in picks if i not in frames]
        if missing:
            frames.update(fetch(item.frames, missing))
        ocr = ctx.services.ocr
        reads: list[dict[str, Any]] = []
        for i in picks:
            for crop in plate_regions(frames[i]):
                text, score = ocr.read_line(crop)  # a crop is one line: no detection needed
                hit = self._judge(text, expected, i, reads, score)
                if hit is not None:
                    return hit
        if p.whole_frame_fallback:  # no crop, or no crop read: one full detection
            i = picks[len(picks) // 2]
            for line in ocr.read(downscale(frames[i])):
                hit = self._judge(line.text, expected, i, reads, line.score)
                if hit is not None:
                    return hit
        return self._no_match(item, scan, picks, expected, reads)

    def _judge(
        self, text: str, expected: str, frame: int, reads: list[dict[str, Any]], score: float
    ) -> Result | None:
        if matches(text, expected):
            return passed(frame=frame, read=text, expected=expected)
        plate = plate_like(text)
        if plate:
            reads.append({"frame": frame, "read": plate, "score": round(score, 3)})
        return None

    def _no_match(
        self,
        item: LoadedItem,
        scan: Any,
        picks: list[int],
        expected: str,
        reads: list[dict[str, Any]],
    ) -> Result:
        assert item.frames is not None
        detail = {**span(scan, picks[0], picks[-1]), "expected": expected, "reads": reads[:10]}
        # A read one or two characters off is an OCR confusion as often as another vehicle.
        far = [r for r in reads if distance(r["read"], expected) >= self.params.min_distance]
        sure = [r for r in far if r["score"] >= self.params.mismatch_score]
        if sure:
            res = failed("plate_mismatch", read=sure[0]["read"], **detail)
        elif reads:
            res = review("plate_uncertain", read=reads[0]["read"], **detail)
        elif self.params.not_visible == "fail":
            res = failed("plate_not_visible", **detail)
        else:
            res = review("plate_not_visible", **detail)
        art = {"contact_sheet": contact_sheet(item.frames, picks, scan.times)}
        return Result(res.outcome, res.reason, res.detail, art)
