"""Generate a set of packages with their truth file, reference rubbings and registry.

Layout written under ``out``::

    out/<folder>/manifest.json + evidence   one inspection package per folder
    out/truth.json                          folder -> expected verdict, reasons, facts
    out/references/<VIN>.jpg                reference rubbing (same die, another rubbing)
    out/registry.csv                        vin,plate,plate_type,vehicle_type,use,registered_on
    out/generator.json                      seed, count, profile and defects used
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.config import CONFIG_DIR
from pipeline.samplegen.defects import DEFECTS, expected, plant
from pipeline.samplegen.encode import encode_jpeg, reencode
from pipeline.samplegen.identity import PLATE_STYLES, family_of, random_vehicle
from pipeline.samplegen.package import SCHEDULE, BuiltPackage, build_package
from pipeline.samplegen.photos import VehicleLook
from pipeline.samplegen.plan import CST, PackagePlan, Tweaks, merge_tweaks
from pipeline.samplegen.plate import random_look
from pipeline.samplegen.rubbing import RubbingVariations, render_rubbing
from pipeline.samplegen.scene import random_bay
from pipeline.samplegen.stamp import DieStyle
from pipeline.samplegen.vehicle import body_for
from pipeline.samplegen.watermark import random_style
from pipeline.tables import PhotoTypeTable, load_photo_types

STATIONS = ("3706000123", "3706000456")
FIRST_DAY = date(2026, 11, 23)
CLEAN_TYPES = ("K33", "H11", "K31", "K11", "H31")
SMALL_TYPES = ("K33", "K31", "H31")
PAINTS = (
    (235, 235, 235),
    (30, 30, 30),
    (185, 185, 180),
    (40, 40, 170),
    (150, 90, 30),
    (120, 120, 125),
    (60, 130, 190),
    (200, 200, 210),
)
REUSED_CODE = "0351"
PROFILES = {  # size choices, quality, document quality drop, noise, frames, frame size
    "full": (((1280, 720), (1920, 1080)), 85, 0, 3.0, 12, (1280, 720)),
    "compact": (((1280, 720),), 46, 12, 1.5, 8, (800, 450)),
}


@dataclass(frozen=True)
class SetSummary:
    """What :func:`generate_set` wrote."""

    out: Path
    truth: dict[str, dict[str, Any]]
    references: tuple[str, ...]
    total_bytes: int


def parse_defects(spec: str | Sequence[str]) -> list[str]:
    """``all``, ``none`` or a comma-separated list of defect names, checked."""
    if isinstance(spec, str):
        if spec == "all":
            return list(DEFECTS)
        if spec == "none":
            return []
        spec = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [p for s in spec for p in s.split("+") if p not in DEFECTS]
    if unknown:
        raise ValueError(f"unknown defect {unknown[0]!r}; known: {', '.join(DEFECTS)}")
    return list(spec)


def generate_set(
    out: Path,
    *,
    count: int = 16,
    seed: int = 20261123,
    defects: str | Sequence[str] = "all",
    profile: str = "full",
    table: PhotoTypeTable | None = None,
) -> SetSummary:
    """Write ``count`` packages: a clean one, then one per defect, then more clean ones."""
    table = table or load_photo_types(CONFIG_DIR / "photo_types.toml")
    kinds = ["clean", *parse_defects(defects)]
    kinds += ["clean"] * max(0, count - len(kinds))
    kinds = kinds[:count]
    out.mkdir(parents=True, exist_ok=True)
    styles = {
        s: random_style(np.random.default_rng([seed, 1000 + i])) for i, s in enumerate(STATIONS)
    }
    truth: dict[str, dict[str, Any]] = {}
    built: list[tuple[PackagePlan, BuiltPackage]] = []
    refs: list[str] = []
    registry = []
    for index, kind in enumerate(kinds):
        plan, look = _plan(
            index, kind, seed, profile, table, sum(k == "clean" for k in kinds[:index])
        )
        tweaks, notes = _plant(kind, plan, look, np.random.default_rng([seed, index, 3]))
        if kind == "photo_reused":
            plan, notes = _reuse(plan, tweaks, built, profile)
        pkg = build_package(plan, tweaks, look, styles[plan.station_id], out)
        built.append((plan, pkg))
        truth[plan.folder] = _truth(kind, plan, pkg, notes)
        refs.append(_reference(out, plan, look, seed, profile))
        registry.append(plan.vehicle)
    _write_registry(out / "registry.csv", registry)
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    meta = {"seed": seed, "count": count, "profile": profile, "kinds": kinds}
    (out / "generator.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return SetSummary(out, truth, tuple(refs), total)


def _plant(
    kind: str, plan: PackagePlan, look: VehicleLook, rng: np.random.Generator
) -> tuple[Tweaks, dict[str, Any]]:
    """Plant one defect, or several joined by ``+`` (frame defects on 0344 then 0342)."""
    parts = kind.split("+")
    tweaks, notes = plant(parts[0], plan, look, rng)
    if len(parts) == 1:
        return tweaks, notes
    all_notes = {parts[0]: notes}
    for part in parts[1:]:
        more, more_notes = plant(part, plan, look, rng, frame_code="0342")
        tweaks = merge_tweaks(tweaks, more)
        all_notes[part] = more_notes
    return tweaks, all_notes


def _plan(
    index: int, kind: str, seed: int, profile: str, table: PhotoTypeTable, clean_before: int
) -> tuple[PackagePlan, VehicleLook]:
    rng = np.random.default_rng([seed, index])
    sizes, quality, doc_drop, noise, frames, frame_size = PROFILES[profile]
    defect = expected(kind)
    if defect.vehicle_types:
        vtype = defect.vehicle_types[int(rng.integers(len(defect.vehicle_types)))]
    elif kind == "clean":
        vtype = CLEAN_TYPES[clean_before % len(CLEAN_TYPES)]
    else:
        vtype = SMALL_TYPES[index % len(SMALL_TYPES)]
    day = FIRST_DAY + timedelta(days=int(rng.integers(0, 4)))
    started = datetime.combine(day, time(8, 30), CST) + timedelta(minutes=int(rng.integers(0, 420)))
    vehicle = random_vehicle(rng, vtype, day)
    codes = set(table.required_codes(vtype))
    extras = rng.random(2)  # drawn in every profile so the rest of the stream stays the same
    if profile == "full" and family_of(vtype) == "car" and extras[0] < 0.5:
        codes.add("0158")
    if profile == "full" and extras[1] < 0.4:
        codes.add("0204")
    station = STATIONS[index % 2]
    plan = PackagePlan(
        folder=f"{index + 1:02d}-{kind.replace('+', '-and-')}",
        index=index,
        seed=seed,
        defect=kind,
        inspection_id=f"{station[:6]}{day:%Y%m%d}{index + 1:04d}",
        station_id=station,
        started=started,
        vehicle=vehicle,
        codes=tuple(sorted(codes, key=lambda c: (SCHEDULE.get(c, 10), c))),
        size=sizes[int(rng.integers(len(sizes)))],
        quality=quality,
        noise=noise,
        document_quality_drop=doc_drop,
        frame_count=frames,
        frame_size=frame_size,
        with_sha256=bool(rng.random() < 0.5),
        lane=str(int(rng.integers(1, 4))),
    )
    look = VehicleLook(
        body=body_for(family_of(vtype), rng),
        paint=_paint(rng),
        plate_look=random_look(rng, PLATE_STYLES[vehicle.plate_type]),
        # Each lane of a station is one bay: same walls and floor for every car shot there.
        bay=random_bay(
            np.random.default_rng([seed, 2000 + STATIONS.index(station), int(plan.lane)])
        ),
        die=DieStyle.random(rng),
    )
    return plan, look


def _paint(rng: np.random.Generator) -> tuple[int, int, int]:
    """A common car colour, not exactly the factory shade (dirt, fading, lighting)."""
    base = PAINTS[int(rng.integers(len(PAINTS)))]
    b, g, r = (int(np.clip(c + rng.integers(-18, 19), 0, 255)) for c in base)
    return (b, g, r)


def _reuse(
    plan: PackagePlan, tweaks: Tweaks, built: list[tuple[PackagePlan, BuiltPackage]], profile: str
) -> tuple[PackagePlan, dict[str, Any]]:
    """Take a bay photo from an earlier package: same station and day, overlapping windows."""
    src_plan, src = next((p, b) for p, b in built if REUSED_CODE in p.codes)
    facts = src.files[f"{REUSED_CODE}.jpg"]
    data = (src.folder / f"{REUSED_CODE}.jpg").read_bytes()
    quality = 90 if profile == "full" else 75
    taken = datetime.fromisoformat(facts["taken_at"])
    tweaks.reuse[REUSED_CODE] = (reencode(data, quality), taken)
    plan = replace(
        plan,
        station_id=src_plan.station_id,
        started=src_plan.started + timedelta(minutes=6),
        inspection_id=src_plan.inspection_id[:6]
        + src_plan.started.strftime("%Y%m%d")
        + plan.inspection_id[-4:],
        codes=tuple(dict.fromkeys((*plan.codes, REUSED_CODE))),
    )
    return plan, {
        "code": REUSED_CODE,
        "source": f"{src_plan.folder}/{REUSED_CODE}.jpg",
        "how": f"decoded and re-encoded at quality {quality}",
    }


def _truth(
    kind: str, plan: PackagePlan, pkg: BuiltPackage, notes: dict[str, Any]
) -> dict[str, Any]:
    d = expected(kind)
    return {
        "verdict": d.verdict,
        "reasons": list(d.reasons),
        "may_also": list(d.may_also),
        "defect": kind,
        "inspection_id": plan.inspection_id,
        "station_id": plan.station_id,
        "vehicle": plan.vehicle.to_json(),
        "notes": d.description,
        "planted": notes,
        "reference": f"references/{plan.vehicle.vin}.jpg",
        "files": pkg.files,
    }


def _reference(out: Path, plan: PackagePlan, look: VehicleLook, seed: int, profile: str) -> str:
    """The archived rubbing of the vehicle's VIN: same die, a different rubbing."""
    rng = np.random.default_rng([seed, plan.index, 11])
    img = render_rubbing(
        plan.vehicle.vin, look.die, rng, variations=RubbingVariations.random(rng, size=(1280, 480))
    )
    name = f"references/{plan.vehicle.vin}.jpg"
    (out / "references").mkdir(exist_ok=True)
    (out / name).write_bytes(encode_jpeg(img, 85 if profile == "full" else 50))
    return name


def _write_registry(path: Path, vehicles: list[Any]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["vin", "plate", "plate_type", "vehicle_type", "use", "registered_on"])
        for v in vehicles:
            w.writerow(
                [
                    v.vin,
                    v.plate,
                    v.plate_type,
                    v.vehicle_type,
                    v.use,
                    v.registered_on.isoformat() if v.registered_on else "",
                ]
            )
