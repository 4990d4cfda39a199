"""The defects the generator can plant, what a correct pipeline must say about each, and how.

Each :class:`Defect` lists the reasons a correct pipeline must report (``reasons``) and the
reasons it may add without being wrong (``may_also``), e.g. a photo from another day also has
an EXIF time that disagrees. Verdicts follow DESIGN.md: any failing finding makes ``fail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from pipeline.samplegen.identity import altered_plate, altered_vin
from pipeline.samplegen.photos import VehicleLook
from pipeline.samplegen.plan import PackagePlan, Tweaks
from pipeline.samplegen.stamp import DieStyle

LARGE_TYPES = ("K11", "H11")  # types that must have 0344/0342 frame sequences


@dataclass(frozen=True)
class Defect:
    """One plantable defect and the outcome a correct pipeline gives for it."""

    name: str
    verdict: str
    reasons: tuple[str, ...]
    may_also: tuple[str, ...] = ()
    vehicle_types: tuple[str, ...] = ()  # empty: any type
    description: str = ""


_PLATE_NOISE = ("plate_unreadable", "plate_uncertain")
DEFECTS = {
    d.name: d
    for d in (
        Defect(
            "plate_mismatch",
            "fail",
            ("plate_mismatch",),
            _PLATE_NOISE,
            description="the vehicle photos show another plate than the registered one",
        ),
        Defect(
            "watermark_date_mismatch",
            "fail",
            ("watermark_date_mismatch",),
            ("exif_time_mismatch", "watermark_time_outside_window"),
            description="one photo's burned-in date (and EXIF) is from another day",
        ),
        Defect(
            "vin_mismatch",
            "fail",
            ("vin_mismatch",),
            ("vin_photo_rubbing_mismatch",),
            description="the 0113 photo shows another VIN (valid check digit)",
        ),
        Defect(
            "rubbing_glyph_mismatch",
            "fail",
            ("rubbing_glyph_mismatch",),
            ("vin_photo_rubbing_mismatch",),
            description="the rubbing is of a restamped VIN or one altered character",
        ),
        Defect(
            "photo_missing",
            "fail",
            ("photo_missing",),
            description="a required photo type is absent",
        ),
        Defect(
            "rubbing_missing", "fail", ("rubbing_missing",), description="the J rubbing is absent"
        ),
        Defect(
            "photo_reused",
            "fail",
            ("photo_reused",),
            ("plate_mismatch", *_PLATE_NOISE),
            description="a bay photo re-encoded from another package of the set",
        ),
        Defect(
            "blurry",
            "fail",
            ("blurry",),
            (*_PLATE_NOISE, "plate_mismatch", "quality_uncertain"),
            description="strong motion or defocus blur on one vehicle photo (watermark sharp)",
        ),
        Defect(
            "taken_outside_window",
            "fail",
            ("taken_outside_window",),
            ("watermark_time_outside_window", "exif_time_mismatch"),
            description="one photo taken 1.5-2.5 hours before the inspection started",
        ),
        Defect(
            "video_too_short",
            "fail",
            ("video_too_short",),
            ("vehicle_not_moving",),
            LARGE_TYPES,
            "the 0344 sequence lasts about 2 seconds",
        ),
        Defect(
            "frames_frozen",
            "fail",
            ("frames_frozen",),
            ("vehicle_not_moving",),
            LARGE_TYPES,
            "the 0344 picture is frozen; only the burned-in clock advances",
        ),
        Defect(
            "vehicle_not_moving",
            "fail",
            ("vehicle_not_moving",),
            (),
            LARGE_TYPES,
            "the vehicle stands still in the 0344 sequence",
        ),
        Defect(
            "evidence_truncated",
            "fail",
            ("evidence_truncated",),
            ("evidence_unreadable",),
            description="one JPEG cut off part-way, as by an interrupted upload",
        ),
    )
}
CLEAN = Defect("clean", "pass", (), description="a complete, consistent inspection")


def plant(
    defect: str,
    plan: PackagePlan,
    look: VehicleLook,
    rng: np.random.Generator,
    frame_code: str = "0344",
) -> tuple[Tweaks, dict[str, Any]]:
    """The tweaks that plant ``defect`` in this package, and notes on what was planted.

    Frame defects go on ``frame_code`` (0344 unless a second frame defect shares the package).
    """
    t = Tweaks()
    photos = [c for c in plan.codes if c in ("0111", "0112", "0158")]
    if defect == "plate_mismatch":
        t.shown_plate = altered_plate(rng, plan.vehicle.plate)
        return t, {"plate_shown": t.shown_plate}
    if defect == "watermark_date_mismatch":
        code = photos[int(rng.integers(len(photos)))]
        t.watermark_days[code] = -int(rng.integers(1, 45))
        return t, {"code": code, "days": t.watermark_days[code]}
    if defect == "vin_mismatch":
        t.shown_vin = altered_vin(rng, plan.vehicle.vin)
        return t, {"vin_shown": t.shown_vin}
    if defect == "rubbing_glyph_mismatch":
        if rng.random() < 0.5:
            t.rubbing_die = DieStyle.random(rng)
            return t, {"how": "restamped with another die"}
        pos = int(rng.integers(11, 17))
        t.rubbing_die = look.die.altered(pos, rng)
        return t, {"how": "one character re-punched", "position": pos}
    if defect == "photo_missing":
        choices = [c for c in plan.codes if c not in ("J", "0111", "0344", "0342")]
        code = choices[int(rng.integers(len(choices)))]
        t.drop.add(code)
        return t, {"code": code}
    if defect == "rubbing_missing":
        t.drop.add("J")
        return t, {"code": "J"}
    if defect == "blurry":
        code = photos[int(rng.integers(len(photos)))]
        kind = "motion" if rng.random() < 0.5 else "defocus"
        t.blur[code] = (
            kind,
            float(rng.uniform(22, 34) if kind == "motion" else rng.uniform(7, 11)),
        )
        return t, {"code": code, "kind": kind}
    if defect == "taken_outside_window":
        code = photos[int(rng.integers(len(photos)))]
        t.time_shift[code] = -timedelta(minutes=float(rng.integers(90, 150)))
        return t, {"code": code, "minutes": -t.time_shift[code].total_seconds() / 60}
    if defect in ("video_too_short", "frames_frozen", "vehicle_not_moving"):
        mode = {"video_too_short": "short", "frames_frozen": "frozen"}.get(defect, "static")
        t.frames[frame_code] = mode
        return t, {"code": frame_code, "mode": mode}
    if defect == "evidence_truncated":
        code = photos[int(rng.integers(len(photos)))]
        t.truncate[code] = float(rng.uniform(0.45, 0.7))
        return t, {"code": code, "kept": round(t.truncate[code], 2)}
    if defect in ("clean", "photo_reused"):
        return t, {}  # photo_reused is filled in by the set generator (needs the source)
    raise ValueError(f"unknown defect {defect!r}; known: {', '.join(DEFECTS)}")


def expected(kind: str) -> Defect:
    """The expected outcome of a kind: ``clean``, a defect, or defects joined with ``+``."""
    parts = [DEFECTS.get(p, CLEAN) for p in kind.split("+")]
    if len(parts) == 1:
        return parts[0]
    reasons = tuple(dict.fromkeys(r for d in parts for r in d.reasons))
    may = tuple(dict.fromkeys(r for d in parts for r in d.may_also if r not in reasons))
    types = next((d.vehicle_types for d in parts if d.vehicle_types), ())
    return Defect(kind, "fail", reasons, may, types, "; ".join(d.description for d in parts))
