"""Build small real inspection packages for tests (real JPEG files, valid manifests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

BASE_MANIFEST: dict[str, Any] = {
    "schema": "inspection/1",
    "inspection_id": "370600202611230001",
    "station_id": "3706000123",
    "lane": "1",
    "attempt": 1,
    "started_at": "2026-11-23T09:12:00+08:00",
    "finished_at": "2026-11-23T09:41:00+08:00",
    "vehicle": {
        "plate": "鲁F12345",
        "plate_type": "02",
        "vin": "LSVAM4187C2184847",
        "vehicle_type": "K33",
        "use": "A",
        "registered_on": "2019-05-01",
    },
}

K33_CODES = ["0111", "0112", "0113", "J", "0201", "0203", "0205", "0321", "0322", "0351"]


def jpeg(seed: int, size: tuple[int, int] = (480, 640)) -> bytes:
    """A real JPEG with structured content (gradients and shapes), different per seed."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    for c in range(3):
        img[..., c] = ((xx * rng.uniform(0.1, 0.5) + yy * rng.uniform(0.1, 0.5)) % 256).astype(
            np.uint8
        )
    for _ in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        color = tuple(int(v) for v in rng.integers(0, 255, 3))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 120)), y + 40), color, -1)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    return buf.tobytes()


def make_package(
    root: Path,
    name: str = "pkg",
    *,
    codes: list[str] | None = None,
    seed: int = 0,
    manifest_overrides: dict[str, Any] | None = None,
    frames: dict[str, int] | None = None,
) -> Path:
    """Write a package folder: one JPEG per code (taken inside the window) + manifest.json."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    evidence: list[dict[str, Any]] = []
    for i, code in enumerate(codes if codes is not None else K33_CODES):
        file = f"{code}.jpg"
        (folder / file).write_bytes(jpeg(seed * 100 + i))
        evidence.append(
            {"code": code, "file": file, "taken_at": f"2026-11-23T09:{15 + i}:00+08:00"}
        )
    for code, count in (frames or {}).items():
        sub = folder / code
        sub.mkdir(exist_ok=True)
        for j in range(count):
            (sub / f"{j:04d}.jpg").write_bytes(jpeg(seed * 1000 + j, (240, 320)))
        evidence.append({"code": code, "file": f"{code}/", "kind": "frames", "fps": 5})
    manifest = dict(BASE_MANIFEST)
    manifest["evidence"] = evidence
    manifest.update(manifest_overrides or {})
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder
