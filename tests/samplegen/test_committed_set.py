"""The committed sample set is well formed: manifests, files, required codes, truth, registry."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline.config import CONFIG_DIR
from pipeline.manifest import parse_manifest
from pipeline.samplegen import DEFECTS
from pipeline.tables import PhotoTypeTable, load_reasons

STATION_SIZES = {(1280, 720), (1920, 1080)}


def test_every_package_has_a_truth_entry(samples_dir: Path, truth: dict[str, Any]) -> None:
    folders = sorted(p.parent.name for p in samples_dir.glob("*/manifest.json"))
    assert folders == sorted(truth)
    assert len(folders) >= 10


def test_manifests_parse_and_name_existing_files(samples_dir: Path, truth: dict[str, Any]) -> None:
    for folder, entry in truth.items():
        m = parse_manifest((samples_dir / folder / "manifest.json").read_bytes())
        assert m.inspection_id == entry["inspection_id"]
        assert m.vehicle.to_json() == entry["vehicle"]
        for item in m.evidence:
            path = samples_dir / folder / item.file
            if item.kind == "frames":
                assert path.is_dir() and len(list(path.glob("*.jpg"))) >= 2, path
            else:
                assert path.is_file() and path.stat().st_size > 1000, path
            assert item.file in entry["files"]


def test_clean_packages_have_every_required_code(
    samples_dir: Path, truth: dict[str, Any], photo_types: PhotoTypeTable
) -> None:
    clean = {f: e for f, e in truth.items() if e["defect"] == "clean"}
    assert {e["vehicle"]["vehicle_type"][:1] for e in clean.values()} >= {"K", "H"}
    for folder, entry in clean.items():
        m = parse_manifest((samples_dir / folder / "manifest.json").read_bytes())
        codes = {i.code for i in m.evidence}
        assert set(photo_types.required_codes(m.vehicle.vehicle_type)) <= codes, folder
        assert entry["verdict"] == "pass" and entry["reasons"] == []


def test_truth_uses_known_reasons_and_covers_every_defect(truth: dict[str, Any]) -> None:
    known = load_reasons(CONFIG_DIR / "reasons.toml")
    for entry in truth.values():
        assert entry["verdict"] in ("pass", "fail", "review")
        assert set(entry["reasons"]) | set(entry["may_also"]) <= set(known)
        assert (entry["verdict"] == "pass") == (not entry["reasons"])
    planted = {d for e in truth.values() for d in e["defect"].split("+")}
    assert planted >= set(DEFECTS)


def test_registry_and_reference_rubbings(samples_dir: Path, truth: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO((samples_dir / "registry.csv").read_text("utf-8"))))
    registry = {r["vin"]: r for r in rows}
    for entry in truth.values():
        v = entry["vehicle"]
        assert registry[v["vin"]]["plate"] == v["plate"]
        assert registry[v["vin"]]["registered_on"] == v["registered_on"]
        with Image.open(samples_dir / entry["reference"]) as im:
            im.load()
            assert im.format == "JPEG" and im.width >= 640


def test_photos_are_station_sized_jpegs_with_capture_time(
    samples_dir: Path, truth: dict[str, Any]
) -> None:
    for folder, entry in truth.items():
        for name, facts in entry["files"].items():
            if name.endswith("/") or "truncated_to" in facts or facts.get("reused"):
                continue
            with Image.open(samples_dir / folder / name) as im:
                im.load()
                assert im.format == "JPEG" and im.size in STATION_SIZES, (folder, name)
                exif = im.getexif().get_ifd(0x8769).get(36867)
            if facts["code"] == "J":
                assert exif is None  # scanned rubbings carry no capture time
                continue
            shown = datetime.fromisoformat(facts["watermark_time"])
            assert exif == shown.strftime("%Y:%m:%d %H:%M:%S"), (folder, name)
