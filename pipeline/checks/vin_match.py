"""VIN match: the VIN read from 0113, J, 0201 or 0205 equals the registered VIN.

The read is shared (``item.cache``) with ``vin_photo_vs_rubbing``. A read that differs but
fails its own check digit while the record's holds is more likely an OCR slip than another
vehicle, so it goes to a person (``vin_uncertain``) instead of failing; so does a differing
read whose characters the check digit corrected, or that it picked out of a longer line
(either choice rests on the other characters being read right). A read that equals the
registered VIN only after the check digit corrected it passes, or with ``corrected_match =
"review"`` goes to a person (``vin_corrected_match``).
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
from pipeline.package import LoadedItem
from pipeline.vin import rules
from pipeline.vin.band import Band, rectify
from pipeline.vin.reading import (
    CLOSE_UP_SIDES,
    DETECT_SIDES,
    UNREADABLE,
    VinRead,
    read_band,
    read_vin,
)

RUBBING_CODE = "J"
VIN_PHOTO_CODE = "0113"  # 车辆识别代号: a close-up of the stamped VIN


class VinMatchParams(Params):
    """``min_confidence``: OCR line confidence below which a read counts as unreadable.

    ``corrected_match``: what a read that equals the registered VIN only because the check
    digit corrected some of its characters gets: ``pass`` (the default), or ``review``
    (``vin_corrected_match``). A look-alike alteration (3→8, C→G) is one of the OCR
    confusions the check digit corrects, back toward the VIN it was made for, so such a
    read can hide an altered glyph. On the generated rubbings of session 21's captures
    (seeds 4242-2721, 6001-8004, 9001-9204, undisturbed), 1 of 2,931 genuine candidates' reads
    was corrected into the VIN, and 42 look-alike candidates' reads were. Not measured on VIN
    photos and documents, so a policy for the office to set.
    """

    min_confidence: float = Field(default=0.6, ge=0, le=1)
    corrected_match: Literal["pass", "review"] = "pass"


def band_of(item: LoadedItem) -> Band | None:
    """The rectified VIN band of a rubbing item (computed once per item)."""
    if "vin_band" not in item.cache:
        image = item.image if item.pixels_ready() else None
        item.cache["vin_band"] = rectify(image) if image is not None else None
    band: Band | None = item.cache["vin_band"]
    return band


def vin_read_of(ctx: CheckContext, item: LoadedItem, min_confidence: float) -> VinRead:
    """The VIN read from an item (computed once per item and shared between checks)."""
    cached = item.cache.get("vin_read")
    if isinstance(cached, VinRead):
        return cached
    result = UNREADABLE
    if not item.pixels_ready() or item.image is None:
        return result
    if item.item.code == RUBBING_CODE:
        band = band_of(item)
        if band is not None and band.boxes:
            result = read_band(band, ctx.services.ocr, min_confidence)
    if not result.readable:
        sides = CLOSE_UP_SIDES if item.item.code == VIN_PHOTO_CODE else DETECT_SIDES
        result = read_vin(item.image, ctx.services.ocr, min_confidence, sides=sides)
    item.cache["vin_read"] = result
    return result


def differing(read: str, expected: str) -> list[int]:
    """0-based positions where two VINs differ."""
    return [i for i, (a, b) in enumerate(zip(read, expected, strict=False)) if a != b]


@register
class VinMatch(Check):
    """Fails when the VIN read differs from the registered VIN; unreadable → review."""

    name = "vin_match"
    kinds = frozenset({"photo"})
    params_model = VinMatchParams
    params: VinMatchParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Read and compare (never corrected toward the expected VIN)."""
        expected = ctx.vehicle.vin.strip().upper()
        read = vin_read_of(ctx, item, self.params.min_confidence)
        detail: dict[str, object] = {
            "expected": expected,
            "read": read.vin,
            "raw": read.raw[:80],
            "confidence": round(read.confidence, 3),
            "check_digit_ok": read.check_ok,
        }
        if read.vin is None:
            return review("vin_unreadable", **detail)
        if read.corrected:
            detail["corrected_positions"] = list(read.corrected)
        if read.windowed:
            detail["windowed"] = True
        if read.vin == expected:
            if read.corrected:  # the check digit chose characters: read otherwise
                detail["as_read"] = read.as_read
                if self.params.corrected_match == "review":
                    return review("vin_corrected_match", **detail)
            return passed(**detail)
        detail["positions"] = differing(read.vin, expected)
        if read.inferred or (not read.check_ok and rules.check_digit_ok(expected)):
            # The check digit chose the corrected characters (or which 17 of a longer line);
            # a misread elsewhere that the digit cannot see makes such a choice wrong (about
            # one misread in eleven lands on a valid alternative), so only what was read as
            # it stands fails.
            return review("vin_uncertain", **detail)
        return failed("vin_mismatch", **detail)
