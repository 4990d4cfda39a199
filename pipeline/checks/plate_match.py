"""Plate match: find the licence plate in the photo, read it, compare with the registered plate.

Never passes on doubt: a read that differs from the registered plate only by characters the
recogniser confuses (0/D/Q, 8/B, 1/I/T, 2/Z, 5/S, a province glyph, one missing character)
is ``review`` (plate_uncertain); a clearly different valid plate is ``fail``
(plate_mismatch) only when a second crop of the plate repeats the differing characters;
no readable plate is ``review`` (plate_unreadable). Reads are cached in
``item.cache["plate"]`` for other checks of the same photo.
"""

from __future__ import annotations

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
from pipeline.photo.plate import PlateRead, compare, confirmed, find_plate, normalise_plate


class PlateMatchParams(Params):
    """``min_score``: recogniser confidence below which a differing read is only uncertain;
    ``min_fail_width``: plate width (px in the photo) below which it is only uncertain."""

    max_reads: int = Field(default=3, ge=1, le=12)
    min_score: float = Field(default=0.80, ge=0, le=1)
    # 80 px of plate width gives characters about 16 px high; smaller plates are misread
    # with high confidence (a 44 px plate read R as A and V as Y at 0.96 in samples/06).
    min_fail_width: int = Field(default=80, ge=0)


def read_plate(
    ctx: CheckContext, item: LoadedItem, max_reads: int
) -> tuple[PlateRead | None, list[PlateRead]]:
    """The plate reads of a photo, computed once and shared through ``item.cache``."""
    cached = item.cache.get("plate")
    if cached is None:
        assert item.image is not None
        cached = find_plate(
            item.image,
            ctx.services.ocr,
            expected=ctx.vehicle.plate,
            max_reads=max_reads,
            avoid=_stamp_block(item),
        )
        item.cache["plate"] = cached
    result: tuple[PlateRead | None, list[PlateRead]] = cached
    return result


def _stamp_block(item: LoadedItem) -> tuple[tuple[int, int, int, int], ...]:
    """The watermark block around the date line that watermark_date found (cached when it ran
    first): stations stack station and plate lines above or below the date, so a plate line
    there is never read as the plate on the car."""
    stamp = item.cache.get("watermark")
    box = getattr(stamp, "box", None)
    if box is None:
        return ()
    h = box.y1 - box.y0
    return ((box.x0 - h, box.y0 - 5 * h, box.x1 + 3 * h, box.y1 + 5 * h),)


@register
class PlateMatch(Check):
    """Registered plate vs the plate visible in the photo."""

    name = "plate_match"
    params_model = PlateMatchParams
    params: PlateMatchParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Pass only on an exact read of the registered plate."""
        expected = normalise_plate(ctx.vehicle.plate)
        best, reads = read_plate(ctx, item, self.params.max_reads)
        detail: dict[str, Any] = {
            "expected": expected,
            "reads": [
                {"text": r.text, "score": round(r.score, 3), "color": r.candidate.color}
                for r in reads
            ],
        }
        if best is not None and best.text == expected:
            return passed(read=best.text, score=round(best.score, 3), **detail)
        if best is not None:
            verdict, diffs = compare(best.text, expected)
            detail.update(read=best.text, score=round(best.score, 3), differences=diffs)
            big = best.candidate.width >= self.params.min_fail_width
            detail["plate_width"] = round(best.candidate.width)
            if verdict == "mismatch" and best.score >= self.params.min_score and big:
                # One confident read can still be wrong on a small plate (R/A, V/Y at 15 px
                # high): fail only when a second crop repeats the differing characters.
                assert item.image is not None
                if confirmed(item.image, best, expected, ctx.services.ocr):
                    return failed("plate_mismatch", confirmed=True, **detail)
                detail["confirmed"] = False
            return review("plate_uncertain", **detail)
        # No valid plate: an invalid read that is one confusion away is still worth a look.
        for r in reads:
            if r.text and compare(r.text, expected)[0] == "uncertain":
                return review("plate_uncertain", read=r.text, score=round(r.score, 3), **detail)
        return review("plate_unreadable", **detail)
