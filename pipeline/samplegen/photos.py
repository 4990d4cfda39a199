"""The unwatermarked picture of each photo-type code for one vehicle (before the camera)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import cv2
import numpy as np

from pipeline.records import Vehicle
from pipeline.samplegen import effects
from pipeline.samplegen.documents import photograph_document, render_document
from pipeline.samplegen.plate import PlateLook, render_plate
from pipeline.samplegen.rubbing import RubbingVariations, render_rubbing
from pipeline.samplegen.scene import Bay
from pipeline.samplegen.stamp import DieStyle, render_vin_photo
from pipeline.samplegen.station import SHOTS, render_vehicle_photo
from pipeline.samplegen.vehicle import Body

VEHICLE_CODES = ("0111", "0112", "0158")
BAY_CODES = ("0321", "0352", "0322", "0348", "0351", "0323")
DOCUMENT_CODES = ("0201", "0203", "0204", "0205")
FRAME_CODES = ("0344", "0342")


@dataclass(frozen=True)
class VehicleLook:
    """How one vehicle and its surroundings look in every photo of a package."""

    body: Body
    paint: tuple[int, int, int]
    plate_look: PlateLook
    bay: Bay
    die: DieStyle


def render_code(
    code: str,
    vehicle: Vehicle,
    look: VehicleLook,
    *,
    on: date,
    station_id: str,
    size: tuple[int, int],
    rng: np.random.Generator,
    shown_plate: str,
    shown_vin: str,
    rubbing_die: DieStyle,
) -> tuple[np.ndarray, dict[str, object]]:
    """The picture for one code and what it shows (plate, plate quads, VIN)."""
    meta: dict[str, object] = {}
    if code in VEHICLE_CODES or code in BAY_CODES:
        plate = render_plate(shown_plate, look.plate_look, 2.0, rng)
        shot = code if code in SHOTS else {"0352": "0321", "0348": "0322"}[code]
        img, quads = render_vehicle_photo(
            shot,
            look.body,
            look.paint,
            plate,
            look.bay,
            size,
            rng,
            rear_number=(shown_plate, look.plate_look.cjk),
        )
        if code == "0323":
            img = _pit_light(img, rng)
        meta.update(plate_shown=shown_plate, plate_quads=quads)
    elif code == "0113":
        img = render_vin_photo(shown_vin, look.die, rng, size)
        meta["vin_shown"] = shown_vin
    elif code == "J":
        variations = RubbingVariations.random(rng, size=size)
        img = render_rubbing(vehicle.vin, rubbing_die, rng, variations=variations)
        meta.update(vin_shown=vehicle.vin, die_changed=rubbing_die != look.die)
    elif code in DOCUMENT_CODES:
        doc = render_document(code, vehicle, on, station_id, rng)
        img = photograph_document(doc, rng, size)
        meta["vin_shown"] = vehicle.vin
    else:
        raise ValueError(f"no renderer for photo-type code {code!r}")
    return img, meta


def _pit_light(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chassis pit: dark, lit by the inspector's hand lamp."""
    h, w = img.shape[:2]
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.4, 0.7) * h
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.18 * w) ** 2)))
    out = img.astype(np.float32) * (0.4 + 0.8 * spot)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def apply_blur(img: np.ndarray, kind: str, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Strong camera shake or missed focus, as planted for the blurry defect."""
    if kind == "motion":
        return effects.motion_blur(img, round(amount), float(rng.uniform(0, 180)))
    return effects.defocus_blur(img, amount)


def fit(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to exactly ``size`` (width, height) if needed."""
    if (img.shape[1], img.shape[0]) == size:
        return img
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)
