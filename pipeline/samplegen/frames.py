"""Frame sequences of the dynamic chassis lane (0344/0342): a folder of timestamped JPEGs.

A clean sequence shows the vehicle driving across the fixed lane camera; the planted faults
are a sequence that is too short, one whose picture froze (only the burned-in clock moves),
and one where the vehicle stands still while the camera keeps running.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.samplegen import effects
from pipeline.samplegen.encode import encode_jpeg
from pipeline.samplegen.photos import VehicleLook
from pipeline.samplegen.plan import PackagePlan, Tweaks
from pipeline.samplegen.plate import render_plate
from pipeline.samplegen.scene import render_bay
from pipeline.samplegen.station import lane_camera, render_frame
from pipeline.samplegen.vehicle import build_faces
from pipeline.samplegen.watermark import WatermarkStyle, burn_watermark

SHORT_FRAMES = 4  # a "too short" sequence: 4 frames at 4x the rate, under a second


def write_frames(
    plan: PackagePlan,
    tweaks: Tweaks,
    look: VehicleLook,
    style: WatermarkStyle,
    code: str,
    taken: datetime,
    folder: Path,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write ``<code>/001.jpg ...`` and return the manifest item and the facts."""
    mode = tweaks.frames.get(code, "moving")
    n = SHORT_FRAMES if mode == "short" else plan.frame_count
    fps = plan.fps * 4 if mode == "short" else plan.fps
    cam = lane_camera(look.body, plan.frame_size, rng)
    background = render_bay(cam, look.bay, rng)
    faces = build_faces(look.body, look.paint)
    plate = render_plate(tweaks.shown_plate or plan.vehicle.plate, look.plate_look, 1.0, rng)
    travel = look.body.length + float(rng.uniform(3, 6))
    # The vehicle drives up the lane towards the camera (or away from it, reversed).
    if mode == "static":
        offsets = np.full(n, float(rng.uniform(-1.5, 0)))
    elif mode == "short":
        offsets = np.linspace(-1.2, 0, n)
    else:
        offsets = np.linspace(-travel, 0, n)
    if rng.random() < 0.5:
        offsets = offsets[::-1].copy()
    sub = folder / code
    sub.mkdir(exist_ok=True)
    frozen: np.ndarray | None = None
    stamps = []
    for i, off in enumerate(offsets):
        when = taken + timedelta(seconds=i / fps)
        if mode == "frozen" and frozen is not None:
            frame = frozen.copy()
        else:
            frame = render_frame(cam, background, look.body, faces, plate, float(off))
            frame = effects.sensor_noise(effects.lighting(frame, rng, 0.3), rng, plan.noise)
            frozen = frame if mode == "frozen" else None
        lines = [when.strftime(style.date_format), f"{code} 动态底盘 {plan.lane}号线"]
        frame, _ = burn_watermark(frame, lines, style)
        stamps.append(when.isoformat())
        quality = max(30, plan.quality - 12)
        (sub / f"{i + 1:03d}.jpg").write_bytes(encode_jpeg(frame, quality, taken=when))
    item = {
        "code": code,
        "file": f"{code}/",
        "kind": "frames",
        "fps": fps,
        "taken_at": taken.isoformat(),
    }
    facts = {
        "code": code,
        "frames": n,
        "duration_s": round((n - 1) / fps, 2),
        "mode": mode,
        "offsets_m": [round(float(o), 2) for o in offsets],
        "first": stamps[0],
        "last": stamps[-1],
        "taken_at": taken.isoformat(),
    }
    return item, facts
