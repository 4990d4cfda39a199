"""Frame checks on clips made from real photos (CCPD, in ../shared/realdata/plates).

Each clip is one real photo of a parked car seen by a shaking camera with sensor noise and a
lighting drift (5 fps, 3 s). Real texture is what synthetic scenes lack: the camera model must
explain the shake (so the parked car is *not moving*), live noise must not read as a freeze
or a loop, and the labelled plate must be read or left to a person, never failed.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.config import load_settings
from pipeline.frames import testgen as tg
from pipeline.package import LocalPackage
from pipeline.services import Services
from pipeline.verify import verify_package
from tests.realdata import REALDATA

PLATES = REALDATA / "plates"
# One of each condition CCPD labels, blue and green plates.
FILES = [
    "ccpd_wan_A0N718.jpg",  # normal
    "ccpd_wan_AJ002E.jpg",  # dark
    "ccpd_wan_A099Q5.jpg",  # tilted
    "ccpd_wan_AD11166.jpg",  # green, bright
    "ccpd_wan_AF05568.jpg",  # green, normal
    "ccpdsample_rot5.jpg",  # rotated
]
CHECKS = ["frames_frozen", "frames_loop", "frames_timing", "frames_duration", "vehicle_motion"]


def _photo(name: str) -> np.ndarray:
    img = cv2.imread(str(PLATES / name))
    assert img is not None, name
    return np.asarray(img)


def _labels() -> dict[str, str]:
    with (PLATES / "labels.csv").open(encoding="utf-8") as fh:
        return {r["file"]: r["plate_text"] for r in csv.DictReader(fh)}


def shaky_clip(photo: np.ndarray, seed: int, n: int = 15) -> list[np.ndarray]:
    """A fixed camera over a parked car: shake (3 px, 0.3 degrees), noise, lighting drift."""
    rng = np.random.default_rng(seed)
    h, w = photo.shape[:2]
    out = []
    for i in range(n):
        dx, dy = rng.normal(0, 1.5, 2).clip(-3, 3)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.normal(0, 0.15)), 1.0)
        m[:, 2] += (dx, dy)
        frame = cv2.warpAffine(photo, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        gain = 1.0 + 0.15 * math.sin(2 * math.pi * i / n)
        noise = rng.integers(-4, 5, frame.shape, dtype=np.int16)
        out.append(np.clip(frame * gain + noise, 0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """Embedded services in a throwaway home."""
    if not PLATES.is_dir():
        pytest.skip(f"real data not found at {PLATES}")
    home = tmp_path_factory.mktemp("home")
    return Services(load_settings(None).model_copy(update={"home": str(home)}))


@pytest.mark.parametrize("name", FILES)
def test_real_parked_car_with_shaking_camera(name: str, tmp_path: Path, services: Services) -> None:
    """Not moving (the shake is the camera), no freeze/loop/gap; plate passes or goes to review."""
    plate = _labels()[name]
    frames = shaky_clip(_photo(name), seed=len(name))
    # The same footage as the dynamic-chassis clip (motion) and as the lamp-station clip,
    # where the table asks for the plate.
    clips = [tg.Clip("0344", frames, 5.0), tg.Clip("0321", frames, 5.0)]
    root = tg.write_package(tmp_path / "p", clips, plate=plate)
    verdict = verify_package(LocalPackage(root), services, only=[*CHECKS, "frames_plate"])
    out = {f.check: f for f in verdict.findings if f.code == "0344" or f.check == "frames_plate"}
    flagged = {c: out[c].detail for c in CHECKS if out[c].outcome != "pass"}
    assert set(flagged) == {"vehicle_motion"}, flagged
    assert out["vehicle_motion"].reason == "vehicle_not_moving"
    assert out["frames_plate"].outcome != "fail", out["frames_plate"].detail


def test_real_texture_freeze_and_replay_are_found(tmp_path: Path, services: Services) -> None:
    """Planted on real texture: a 2 s freeze and a replayed 1.2 s stretch, at their frames."""
    photo = _photo(FILES[0])
    frames = shaky_clip(photo, seed=3, n=40)
    frames = tg.replay(tg.freeze(frames, 5, 10), 16, 6, 30)
    root = tg.write_package(tmp_path / "p", [tg.Clip("0344", frames, 5.0)], plate="皖A0N718")
    verdict = verify_package(LocalPackage(root), services, only=["frames_frozen", "frames_loop"])
    out = {f.check: f for f in verdict.findings}
    assert out["frames_frozen"].detail["frames"] == [5, 14]
    assert out["frames_loop"].detail["frames"] == [30, 35]
    assert out["frames_loop"].detail["source"]["frames"] == [16, 21]
