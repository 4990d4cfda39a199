"""Fixtures for the photo checks: the real OCR engine, realdata paths, package builders."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.package import LoadedItem
from pipeline.records import EvidenceItem
from tests.realdata import REALDATA

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ocr() -> RapidOcrEngine:
    """The real RapidOCR engine (models ship in its wheel), shared by the session."""
    return RapidOcrEngine(threads=1)


def realdata(folder: str) -> Path:
    """A realdata folder, or skip when the licensed set is absent."""
    path = REALDATA / folder
    if not (path / "labels.csv").exists():
        pytest.skip(f"realdata/{folder} not present ({REALDATA}; set TEST_REALDATA)")
    return path


def labels(folder: str) -> list[dict[str, str]]:
    """Rows of a realdata labels.csv."""
    with (realdata(folder) / "labels.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def loaded(data: bytes, code: str = "0111", file: str = "x.jpg") -> LoadedItem:
    """A decoded photo item as the package loader would give it."""
    import hashlib

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return LoadedItem(
        EvidenceItem(code, file), data=data, image=image, sha256=hashlib.sha256(data).hexdigest()
    )


def write_package(
    folder: Path,
    inspection_id: str,
    photos: dict[str, bytes],
    *,
    started: datetime,
    plate: str = "京A12345",
) -> Path:
    """A minimal inspection/1 package with the given photos (code -> JPEG bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    evidence: list[dict[str, Any]] = []
    for i, (code, data) in enumerate(photos.items()):
        (folder / f"{code}.jpg").write_bytes(data)
        taken = started + timedelta(minutes=2 + i)
        evidence.append({"code": code, "file": f"{code}.jpg", "taken_at": taken.isoformat()})
    manifest = {
        "schema": "inspection/1",
        "inspection_id": inspection_id,
        "station_id": "3706000123",
        "lane": "1",
        "attempt": 1,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=30)).isoformat(),
        "vehicle": {
            "plate": plate,
            "plate_type": "02",
            "vin": "LSVAM4187C2184847",
            "vehicle_type": "K33",
            "use": "A",
            "registered_on": "2019-05-01",
        },
        "evidence": evidence,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Any]:
    """A fresh SQLite database with the schema."""
    from sqlalchemy import create_engine

    from pipeline.db.schema import metadata

    engine = create_engine(f"sqlite:///{tmp_path / 'bank.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()
