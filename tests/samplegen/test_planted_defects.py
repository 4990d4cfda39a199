"""Each planted defect is really in the pixels and files, not only in the truth file."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.errors import EvidenceError
from pipeline.imaging import decode_image
from pipeline.manifest import parse_manifest
from pipeline.samplegen import vin_check_digit
from pipeline.samplegen.frames import SHORT_FRAMES
from pipeline.tables import PhotoTypeTable
from tests.samplegen.conftest import by_defect, planted


def _gray(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert img is not None, path
    return img


def _codes(samples_dir: Path, folder: str) -> set[str]:
    m = parse_manifest((samples_dir / folder / "manifest.json").read_bytes())
    return {i.code for i in m.evidence}


def test_plate_and_vin_mismatch_show_other_identities(truth: dict[str, Any]) -> None:
    _, e = by_defect(truth, "plate_mismatch")
    shown = {f["plate_shown"] for f in e["files"].values() if "plate_shown" in f}
    assert shown == {planted(e, "plate_mismatch")["plate_shown"]}
    assert e["vehicle"]["plate"] not in shown
    _, e = by_defect(truth, "vin_mismatch")
    vin_shown = e["files"]["0113.jpg"]["vin_shown"]
    assert vin_shown != e["vehicle"]["vin"] and vin_check_digit(vin_shown) == vin_shown[8]
    assert e["files"]["rubbing.jpg"]["vin_shown"] == e["vehicle"]["vin"]


def test_rubbing_of_another_die(truth: dict[str, Any]) -> None:
    _, e = by_defect(truth, "rubbing_glyph_mismatch")
    assert e["files"]["rubbing.jpg"]["die_changed"] is True
    for folder, other in truth.items():
        if "rubbing.jpg" in other["files"] and other["defect"] == "clean":
            assert other["files"]["rubbing.jpg"]["die_changed"] is False, folder


def test_missing_codes_are_required_and_absent(
    samples_dir: Path, truth: dict[str, Any], photo_types: PhotoTypeTable
) -> None:
    for defect in ("photo_missing", "rubbing_missing"):
        folder, e = by_defect(truth, defect)
        code = planted(e, defect)["code"]
        assert code in photo_types.required_codes(e["vehicle"]["vehicle_type"])
        assert code not in _codes(samples_dir, folder)


def test_watermark_date_differs_and_exif_agrees(samples_dir: Path, truth: dict[str, Any]) -> None:
    folder, e = by_defect(truth, "watermark_date_mismatch")
    code = planted(e, "watermark_date_mismatch")["code"]
    facts = e["files"][f"{code}.jpg"]
    m = parse_manifest((samples_dir / folder / "manifest.json").read_bytes())
    shown = datetime.fromisoformat(facts["watermark_time"])
    assert shown.date() != m.started_at.date()
    assert facts["watermark"][0] == shown.strftime(_date_format(facts["watermark"][0]))
    assert m.started_at <= datetime.fromisoformat(facts["taken_at"]) <= m.finished_at


def _date_format(line: str) -> str:
    if "年" in line:
        return "%Y年%m月%d日 %H:%M:%S"
    return "%Y/%m/%d %H:%M:%S" if "/" in line else "%Y-%m-%d %H:%M:%S"


def test_taken_outside_window(samples_dir: Path, truth: dict[str, Any]) -> None:
    folder, e = by_defect(truth, "taken_outside_window")
    code = planted(e, "taken_outside_window")["code"]
    m = parse_manifest((samples_dir / folder / "manifest.json").read_bytes())
    item = m.items_with_code(code)[0]
    assert item.taken_at is not None and item.taken_at < m.started_at - timedelta(minutes=60)
    with Image.open(samples_dir / folder / item.file) as im:
        exif = im.getexif().get_ifd(0x8769).get(36867)
    assert exif == item.taken_at.strftime("%Y:%m:%d %H:%M:%S")


def test_truncated_file_is_rejected_by_the_decoder(
    samples_dir: Path, truth: dict[str, Any]
) -> None:
    folder, e = by_defect(truth, "evidence_truncated")
    code = planted(e, "evidence_truncated")["code"]
    with pytest.raises(EvidenceError) as err:
        decode_image((samples_dir / folder / f"{code}.jpg").read_bytes(), max_pixels=10**8)
    assert err.value.reason == "evidence_truncated"


def test_reused_photo_is_reencoded_copy(samples_dir: Path, truth: dict[str, Any]) -> None:
    folder, e = by_defect(truth, "photo_reused")
    p = planted(e, "photo_reused")
    ours, source = samples_dir / folder / f"{p['code']}.jpg", samples_dir / p["source"]
    assert ours.read_bytes() != source.read_bytes()
    same = np.abs(_gray(ours).astype(int) - _gray(source)).mean()
    others = [
        np.abs(_gray(samples_dir / f / f"{p['code']}.jpg").astype(int) - _gray(ours)).mean()
        for f, other in truth.items()
        if f"{p['code']}.jpg" in other["files"] and f not in (folder, p["source"].split("/")[0])
    ]
    assert same < 3.0 and min(others) > 4 * same, (same, min(others))


def _sharpness(path: Path, boxes: list[list[int]]) -> float:
    """Variance of the Laplacian outside the (sharp, burned-in) watermark."""
    img = _gray(path)
    lap = cv2.Laplacian(img, cv2.CV_64F)
    mask = np.ones(img.shape, bool)
    for x0, y0, x1, y1 in boxes:
        mask[max(0, y0 - 8) : y1 + 8, max(0, x0 - 8) : x1 + 8] = False
    return float(lap[mask].var())


def test_blurry_photo_is_much_softer(samples_dir: Path, truth: dict[str, Any]) -> None:
    folder, e = by_defect(truth, "blurry")
    code = planted(e, "blurry")["code"]
    facts = e["files"][f"{code}.jpg"]
    blurred = _sharpness(samples_dir / folder / f"{code}.jpg", facts["watermark_boxes"])
    sharp = [
        _sharpness(samples_dir / f / f"{code}.jpg", o["files"][f"{code}.jpg"]["watermark_boxes"])
        for f, o in truth.items()
        if o["defect"] == "clean" and f"{code}.jpg" in o["files"]
    ]
    assert sharp and blurred < 0.35 * min(sharp), (blurred, sharp)


def _frames(path: Path) -> list[np.ndarray]:
    return [_gray(p) for p in sorted(path.glob("*.jpg"))]


def _changed(a: np.ndarray, b: np.ndarray, level: int = 40) -> float:
    return float((cv2.absdiff(a, b) > level).mean())


def test_frame_sequence_defects(samples_dir: Path, truth: dict[str, Any]) -> None:
    clean_folder, clean = next(
        (f, e) for f, e in truth.items() if e["defect"] == "clean" and "0344/" in e["files"]
    )
    moving = _frames(samples_dir / clean_folder / "0344")
    assert _changed(moving[0], moving[-1]) > 0.03
    folder, e = by_defect(truth, "video_too_short")
    code = planted(e, "video_too_short")["code"]
    short = e["files"][f"{code}/"]
    assert len(_frames(samples_dir / folder / code)) == short["frames"] == SHORT_FRAMES
    assert short["duration_s"] < 0.5 * clean["files"]["0344/"]["duration_s"]
    folder, e = by_defect(truth, "frames_frozen")
    frozen = _frames(samples_dir / folder / planted(e, "frames_frozen")["code"])
    diff = cv2.absdiff(frozen[0], frozen[-1]) > 0
    ys, xs = np.nonzero(diff)
    box_area = (np.ptp(ys) + 1) * (np.ptp(xs) + 1) if len(ys) else 0
    assert box_area < 0.15 * diff.size  # only the burned-in clock changed
    folder, e = by_defect(truth, "vehicle_not_moving")
    still = _frames(samples_dir / folder / planted(e, "vehicle_not_moving")["code"])
    assert _changed(still[0], still[-1], 8) > 0 and _changed(still[0], still[-1]) < 0.01
    assert len(set(e["files"][planted(e, "vehicle_not_moving")["code"] + "/"]["offsets_m"])) == 1


def test_frames_have_per_frame_capture_times(samples_dir: Path, truth: dict[str, Any]) -> None:
    for folder, e in truth.items():
        for name, facts in e["files"].items():
            if not name.endswith("/"):
                continue
            stamps = []
            for p in sorted((samples_dir / folder / name).glob("*.jpg")):
                with Image.open(io.BytesIO(p.read_bytes())) as im:
                    ifd = im.getexif().get_ifd(0x8769)
                    stamps.append((ifd.get(36867), ifd.get(37521)))
            assert len(set(stamps)) == len(stamps) == facts["frames"], (folder, name)
            first = datetime.fromisoformat(facts["first"]).strftime("%Y:%m:%d %H:%M:%S")
            assert stamps[0][0] == first
