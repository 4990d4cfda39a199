"""Write one ``inspection/1`` package: evidence files, then manifest.json (last, as stations do).

:func:`build_package` turns a :class:`PackagePlan` and its :class:`Tweaks` into files on disk
and returns the generator's own account of what each file shows (:class:`BuiltPackage`), which
the truth file and the tests use.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.samplegen import effects
from pipeline.samplegen.encode import CAMERAS, encode_jpeg, truncate
from pipeline.samplegen.frames import write_frames
from pipeline.samplegen.photos import FRAME_CODES, VehicleLook, apply_blur, fit, render_code
from pipeline.samplegen.plan import PackagePlan, Tweaks
from pipeline.samplegen.watermark import WatermarkStyle, burn_watermark, watermark_lines

CODE_NAMES = {
    "0111": "左前方斜视45度",
    "0112": "右后方斜视45度",
    "0113": "车辆识别代号",
    "0158": "车辆正后方",
    "0201": "行驶证",
    "0203": "交强险",
    "0204": "检验报告",
    "0205": "查验记录表",
    "0321": "灯光工位",
    "0352": "灯光工位",
    "0322": "制动工位",
    "0348": "制动工位",
    "0351": "驻车制动",
    "0323": "底盘检验",
    "0344": "底盘动态检验开始",
    "0342": "底盘动态检验结束",
    "J": "车辆识别代号拓印膜",
}
# Minutes after the start at which each code is usually shot (with jitter added).
SCHEDULE = {
    "0111": 1,
    "0112": 2,
    "0158": 3,
    "0113": 5,
    "J": 6,
    "0201": 7,
    "0203": 8,
    "0204": 9,
    "0205": 9,
    "0321": 12,
    "0352": 13,
    "0322": 15,
    "0348": 16,
    "0351": 17,
    "0323": 19,
    "0344": 21,
    "0342": 23,
}


@dataclass
class BuiltPackage:
    """A written package and the generator's record of what each evidence item shows."""

    folder: Path
    manifest: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # file -> facts


def build_package(
    plan: PackagePlan, tweaks: Tweaks, look: VehicleLook, style: WatermarkStyle, out_dir: Path
) -> BuiltPackage:
    """Render, degrade, watermark and write every item, then manifest.json."""
    rng = np.random.default_rng([plan.seed, plan.index, 7])
    folder = out_dir / plan.folder
    folder.mkdir(parents=True, exist_ok=True)
    built = BuiltPackage(folder, {})
    camera = CAMERAS[int(rng.integers(len(CAMERAS)))]
    evidence = []
    last = plan.started
    for code in plan.codes:
        if code in tweaks.drop:
            continue
        taken = _taken_at(plan, code, rng)
        last = max(last, taken)
        taken += tweaks.time_shift.get(code, timedelta(0))
        if code in FRAME_CODES:
            item, facts = write_frames(plan, tweaks, look, style, code, taken, folder, rng)
        else:
            item, facts = _write_photo(plan, tweaks, look, style, code, taken, camera, folder, rng)
        if plan.with_sha256 and code not in tweaks.truncate:
            item["sha256"] = (
                _sha256(folder / item["file"]) if item.get("kind") != "frames" else None
            )
            if item["sha256"] is None:
                del item["sha256"]
        evidence.append(item)
        built.files[item["file"]] = facts
    finished = last + timedelta(minutes=float(rng.uniform(3, 9)))
    built.manifest = {
        "schema": "inspection/1",
        "inspection_id": plan.inspection_id,
        "station_id": plan.station_id,
        "lane": plan.lane,
        "attempt": plan.attempt,
        "started_at": plan.started.isoformat(timespec="seconds"),
        "finished_at": finished.replace(microsecond=0).isoformat(),
        "vehicle": plan.vehicle.to_json(),
        "evidence": evidence,
    }
    text = json.dumps(built.manifest, ensure_ascii=False, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    return built


def _taken_at(plan: PackagePlan, code: str, rng: np.random.Generator) -> datetime:
    minutes = SCHEDULE.get(code, 10) + float(rng.uniform(0, 0.9))
    return (plan.started + timedelta(minutes=minutes)).replace(microsecond=0)


def _write_photo(
    plan: PackagePlan,
    tweaks: Tweaks,
    look: VehicleLook,
    style: WatermarkStyle,
    code: str,
    taken: datetime,
    camera: tuple[str, str],
    folder: Path,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], dict[str, Any]]:
    name = "rubbing.jpg" if code == "J" else f"{code}.jpg"
    item: dict[str, Any] = {"code": code, "file": name}
    facts: dict[str, Any] = {"code": code}
    if code in tweaks.reuse:
        data, taken = tweaks.reuse[code]
        facts["reused"] = True
    else:
        data = _render_photo(plan, tweaks, look, style, code, taken, camera, facts, rng)
    if code != "J":
        item["taken_at"] = taken.isoformat()
        facts["taken_at"] = item["taken_at"]
    if code in tweaks.truncate:
        data = truncate(data, tweaks.truncate[code])
        facts["truncated_to"] = len(data)
    (folder / name).write_bytes(data)
    return item, facts


def _render_photo(
    plan: PackagePlan,
    tweaks: Tweaks,
    look: VehicleLook,
    style: WatermarkStyle,
    code: str,
    taken: datetime,
    camera: tuple[str, str],
    facts: dict[str, Any],
    rng: np.random.Generator,
) -> bytes:
    size = plan.size
    img, meta = render_code(
        code,
        plan.vehicle,
        look,
        on=plan.started.date(),
        station_id=plan.station_id,
        size=size,
        rng=rng,
        shown_plate=tweaks.shown_plate or plan.vehicle.plate,
        shown_vin=tweaks.shown_vin or plan.vehicle.vin,
        rubbing_die=tweaks.rubbing_die or look.die,
    )
    facts.update(meta)
    img = fit(img, size)
    if code not in ("J", "0113") and not code.startswith("02"):
        img = effects.photograph(img, rng, noise=plan.noise)
    if code in tweaks.blur:
        kind, amount = tweaks.blur[code]
        img = apply_blur(img, kind, amount * size[0] / 1280, rng)
        facts["blur"] = {"kind": kind, "pixels": round(amount * size[0] / 1280, 1)}
    exif_time: datetime | None = taken
    if code == "J":
        exif_time = None  # scanned rubbings carry no capture time
    else:
        shown = taken + timedelta(days=tweaks.watermark_days.get(code, 0))
        if code in tweaks.watermark_days:
            exif_time = shown  # a photo from another day: its EXIF says so too
        lines = watermark_lines(
            style,
            shown,
            plan.station_id,
            plan.vehicle.plate,
            code,
            CODE_NAMES.get(code, code),
            plan.inspection_id,
        )
        img, boxes = burn_watermark(img, lines, style)
        facts.update(watermark=lines, watermark_boxes=boxes, watermark_time=shown.isoformat())
    quality = plan.quality + int(rng.integers(-6, 7))
    if code.startswith("02"):
        quality -= plan.document_quality_drop
    quality = int(np.clip(quality, 30, 95))
    facts.update(size=list(size), quality=quality)
    return encode_jpeg(img, quality, taken=exif_time, camera=camera)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
