"""Fixtures over the committed sample set (samples/packages) and its truth file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import CONFIG_DIR
from pipeline.tables import PhotoTypeTable, load_photo_types

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "packages"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The committed sample set."""
    if not (SAMPLES / "truth.json").is_file():
        pytest.fail(f"{SAMPLES}/truth.json is missing: regenerate with samples/README.md")
    return SAMPLES


@pytest.fixture(scope="session")
def truth(samples_dir: Path) -> dict[str, dict[str, Any]]:
    """folder -> expected outcome and the generator's facts."""
    data: dict[str, dict[str, Any]] = json.loads((samples_dir / "truth.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def photo_types() -> PhotoTypeTable:
    """The project's photo-type table."""
    return load_photo_types(CONFIG_DIR / "photo_types.toml")


def by_defect(truth: dict[str, dict[str, Any]], defect: str) -> tuple[str, dict[str, Any]]:
    """The (folder, entry) of the first package carrying ``defect`` (alone or combined)."""
    for folder, entry in truth.items():
        if defect in entry["defect"].split("+"):
            return folder, entry
    raise AssertionError(f"no package with defect {defect!r} in the committed set")


def planted(entry: dict[str, Any], defect: str) -> dict[str, Any]:
    """The planted notes of one defect of an entry (combined entries nest them by name)."""
    notes: dict[str, Any] = entry["planted"]
    return notes[defect] if "+" in entry["defect"] else notes
