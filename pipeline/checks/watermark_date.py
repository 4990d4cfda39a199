"""Watermark date: the date/time stations burn into each photo matches the inspection.

The stamp is found without a full-image OCR pass (see :mod:`pipeline.photo.textlines`): a few
proposed lines are read with line recognition until one parses as a date-time. Its date must
equal the inspection date and its time fall inside the window (with slack). A date that is
off only by digits the recogniser confuses, read with low confidence, is ``review``, not
``fail``; no stamp found is ``review`` (watermark_unreadable).
"""

from __future__ import annotations

from datetime import datetime, timedelta
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
from pipeline.photo.watermark import Stamp, find_stamp

# Digit pairs the recogniser mixes up in small burned-in fonts.
_CONFUSABLE_DIGITS = {
    frozenset(p) for p in ("38", "08", "06", "09", "17", "56", "68", "89", "27", "35")
}


class WatermarkDateParams(Params):
    """``slack_minutes`` around the window; reads under ``min_score`` never fail on one digit."""

    slack_minutes: float = Field(default=10.0, ge=0, le=720)
    max_reads: int = Field(default=6, ge=1, le=20)
    min_score: float = Field(default=0.90, ge=0, le=1)


def read_stamp(ctx: CheckContext, item: LoadedItem, max_reads: int) -> Stamp | None:
    """The watermark stamp of a photo, computed once and shared through ``item.cache``."""
    if "watermark" not in item.cache:
        assert item.image is not None
        stamp, reads = find_stamp(item.image, item.gray, ctx.services.ocr, max_reads=max_reads)
        item.cache["watermark"] = stamp
        item.cache["watermark_reads"] = reads
    result: Stamp | None = item.cache["watermark"]
    return result


@register
class WatermarkDate(Check):
    """Burned-in date equals the inspection date; burned-in time inside the window."""

    name = "watermark_date"
    params_model = WatermarkDateParams
    params: WatermarkDateParams

    def check_item(self, ctx: CheckContext, item: LoadedItem) -> Result:
        """Find, parse and compare the stamp."""
        p = self.params
        stamp = read_stamp(ctx, item, p.max_reads)
        if stamp is None:
            reads = item.cache.get("watermark_reads", [])
            return review("watermark_unreadable", reads=[t for t, _ in reads][:8])
        local = stamp.moment.replace(tzinfo=ctx.tz)
        detail: dict[str, Any] = {
            "watermark": stamp.moment.isoformat(sep=" "),
            "text": stamp.text,
            "score": round(stamp.score, 3),
            "box": [stamp.box.x0, stamp.box.y0, stamp.box.x1, stamp.box.y1],
        }
        expected = ctx.inspection_date
        if local.date() != expected:
            detail["inspection_date"] = expected.isoformat()
            if not stamp.padded:
                return review(
                    "watermark_unreadable", why="date read with a dropped digit", **detail
                )
            if stamp.score < p.min_score and _one_confusable_digit(
                stamp.moment.strftime("%Y%m%d"), expected.strftime("%Y%m%d")
            ):
                return review(
                    "watermark_unreadable", why="date differs by one confusable digit", **detail
                )
            return failed("watermark_date_mismatch", **detail)
        slack = timedelta(minutes=p.slack_minutes)
        start, end = ctx.manifest.started_at - slack, ctx.manifest.finished_at + slack
        if start <= local <= end:
            return passed(**detail)
        detail["window"] = [
            ctx.local(ctx.manifest.started_at).isoformat(),
            ctx.local(ctx.manifest.finished_at).isoformat(),
        ]
        if not stamp.padded:
            # "2026/11/26 120:33" for 12:20:33, "2026/11/23108" for 10:8: a dropped digit or
            # separator turns the hour into one digit (stations print it padded), and the
            # time it gives says nothing about when the photo was taken.
            return review("watermark_unreadable", why="time read with a dropped digit", **detail)
        if stamp.score < p.min_score and _near_by_confusion(local, start, end):
            return review(
                "watermark_unreadable", why="time differs by one confusable digit", **detail
            )
        return failed("watermark_time_outside_window", **detail)


def _one_confusable_digit(read: str, expected: str) -> bool:
    diffs = [(a, b) for a, b in zip(read, expected, strict=True) if a != b]
    return len(diffs) == 1 and frozenset(diffs[0]) in _CONFUSABLE_DIGITS


def _near_by_confusion(moment: datetime, start: datetime, end: datetime) -> bool:
    """Whether changing one confusable digit of HHMM puts the time inside the window."""
    hhmm = moment.strftime("%H%M")
    for i, ch in enumerate(hhmm):
        for pair in _CONFUSABLE_DIGITS:
            if ch in pair:
                other = next(iter(pair - {ch}))
                cand = hhmm[:i] + other + hhmm[i + 1 :]
                hh, mm = int(cand[:2]), int(cand[2:])
                if hh < 24 and mm < 60 and start <= moment.replace(hour=hh, minute=mm) <= end:
                    return True
    return False
