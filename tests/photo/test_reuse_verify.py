"""Verifying A then B against one database flags B's photos reused from A, and only those."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from pipeline.config import load_settings
from pipeline.package import LocalPackage
from pipeline.photo.synth import Scene, jpeg, render
from pipeline.services import Services
from pipeline.verify import verify_package
from tests.photo.conftest import write_package

TZ = ZoneInfo("Asia/Shanghai")


def _shifted(image: np.ndarray, dx: float, zoom: float, gain: float) -> np.ndarray:
    """The same bay shot again: the camera moved a little, the light changed."""
    h, w = image.shape[:2]
    m = np.float32([[zoom, 0, dx * w + (1 - zoom) * w / 2], [0, zoom, (1 - zoom) * h / 2]])
    moved = cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return cv2.convertScaleAbs(moved, alpha=gain, beta=0)


def _reuse(verdict: object) -> dict[str, tuple[str, str | None, dict[str, object]]]:
    return {
        f.code: (f.outcome, f.reason, dict(f.detail))
        for f in verdict.findings  # type: ignore[attr-defined]
        if f.check == "photo_reuse"
    }


def test_verify_a_then_b(home: Path, tmp_path: Path) -> None:
    day_a = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    day_b = day_a + timedelta(days=365)
    bay = render(Scene(seed=21, watermark=day_a + timedelta(minutes=3)))
    other_car = render(Scene(seed=22, watermark=day_a + timedelta(minutes=4)))
    a_photos = {"0111": jpeg(bay, 90), "0113": jpeg(other_car, 90)}
    a = write_package(tmp_path / "A", "A-0001", a_photos, started=day_a)
    reused = cv2.imdecode(np.frombuffer(jpeg(bay, 90), np.uint8), cv2.IMREAD_COLOR)
    b_photos = {
        "0111": jpeg(cv2.resize(reused, (1280, 720), interpolation=cv2.INTER_AREA), 75),
        "0113": jpeg(_shifted(other_car, 0.04, 1.04, 1.1), 90),  # next shot, same bay
        "0158": jpeg(render(Scene(seed=23)), 90),
    }
    b = write_package(tmp_path / "B", "B-0002", b_photos, started=day_b)
    services = Services(load_settings())
    try:
        first = _reuse(verify_package(LocalPackage(a), services, only=["photo_reuse"]))
        assert {c: o for c, (o, _, _) in first.items()} == {"0111": "pass", "0113": "pass"}
        second = _reuse(verify_package(LocalPackage(b), services, only=["photo_reuse"]))
        outcome, reason, detail = second["0111"]
        assert (outcome, reason) == ("fail", "photo_reused")
        assert detail["inspection_id"] == "A-0001" and detail["file"] == "0111.jpg"
        assert second["0113"][0] == "pass"
        assert second["0158"][0] == "pass"
        # A reprocess (redelivery) of A neither matches itself nor adds rows twice.
        bank = services.hash_bank
        count = bank.count()
        again = _reuse(verify_package(LocalPackage(a), services, only=["photo_reuse"]))
        assert again["0111"][0] == "pass"
        assert bank.count() == count
    finally:
        services.close()


def test_a_near_identical_photo_of_another_type_goes_to_review(home: Path, tmp_path: Path) -> None:
    """Two different vehicles from other sides of one kind of hall can hash within 2 bits;
    that alone does not fail an inspection when the photo types differ (same bytes still do)."""
    day_a = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    day_b = day_a + timedelta(days=365)
    bay = render(Scene(seed=31, watermark=day_a + timedelta(minutes=3)))
    a = write_package(tmp_path / "A", "A-0003", {"0111": jpeg(bay, 90)}, started=day_a)
    resized = cv2.resize(bay, (1280, 720), interpolation=cv2.INTER_AREA)
    b_photos = {"0112": jpeg(resized, 75), "0113": jpeg(bay, 90)}  # re-encoded; same bytes
    b = write_package(tmp_path / "B", "B-0004", b_photos, started=day_b)
    services = Services(load_settings())
    try:
        _reuse(verify_package(LocalPackage(a), services, only=["photo_reuse"]))
        second = _reuse(verify_package(LocalPackage(b), services, only=["photo_reuse"]))
        outcome, reason, detail = second["0112"]
        assert (outcome, reason) == ("review", "photo_similar")
        assert detail["other_type"] is True and detail["file"] == "0111.jpg"
        assert int(str(detail["distance"])) <= 2
        outcome, reason, detail = second["0113"]
        assert (outcome, reason) == ("fail", "photo_reused") and detail["exact"] is True
    finally:
        services.close()
