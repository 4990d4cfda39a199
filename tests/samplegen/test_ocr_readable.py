"""The real OCR (RapidOCR) reads what the generator says it drew: watermarks and plates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from pipeline.ocr import RapidOcrEngine
from tests.samplegen.conftest import by_defect, planted

_DATE = re.compile(r"(20\d\d)\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")


@pytest.fixture(scope="module")
def ocr() -> Iterator[RapidOcrEngine]:
    """One RapidOCR engine for the module (model load takes a few seconds)."""
    yield RapidOcrEngine()


def _crop(path: Path, boxes: list[list[int]], pad: int = 12) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None
    x0 = max(0, min(b[0] for b in boxes) - pad)
    y0 = max(0, min(b[1] for b in boxes) - pad)
    x1, y1 = max(b[2] for b in boxes) + pad, max(b[3] for b in boxes) + pad
    return img[y0:y1, x0:x1]


def test_watermark_date_mismatch_is_read_by_ocr(
    ocr: RapidOcrEngine, samples_dir: Path, truth: dict[str, Any]
) -> None:
    folder, e = by_defect(truth, "watermark_date_mismatch")
    code = planted(e, "watermark_date_mismatch")["code"]
    facts = e["files"][f"{code}.jpg"]
    lines = ocr.read(_crop(samples_dir / folder / f"{code}.jpg", facts["watermark_boxes"]))
    dates = [m.groups() for line in lines if (m := _DATE.search(line.text))]
    assert dates, [line.text for line in lines]
    read = datetime(*(int(g) for g in dates[0])).date()
    assert read == datetime.fromisoformat(facts["watermark_time"]).date()
    assert read != datetime.fromisoformat(e["files"][f"{code}.jpg"]["taken_at"]).date()
    plate_lines = [line.text for line in lines if e["vehicle"]["plate"][1:] in line.text]
    assert plate_lines, "the watermark's 号牌 line names the registered plate"


def _rectify(path: Path, quad: list[list[float]]) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None
    dst = np.array([[0, 0], [220, 0], [220, 70], [0, 70]], np.float32)
    m = cv2.getPerspectiveTransform(np.array(quad, np.float32), dst)
    return cv2.warpPerspective(img, m, (220, 70))


def test_plates_read_on_crops(
    ocr: RapidOcrEngine, samples_dir: Path, truth: dict[str, Any]
) -> None:
    """On rectified crops of plates at least 70 px wide, the characters after the province
    read exactly; small plates (trucks seen at 45 degrees) are left to the plate check."""
    checked, exact = 0, 0
    for folder, entry in truth.items():
        for name, facts in entry["files"].items():
            if "blur" in facts or "truncated_to" in facts:
                continue
            for quad in facts.get("plate_quads", {}).values():
                if name not in ("0111.jpg", "0112.jpg", "0158.jpg"):
                    continue
                if np.hypot(*np.subtract(quad[1], quad[0])) < 70:
                    continue
                text, _ = ocr.read_line(_rectify(samples_dir / folder / name, quad))
                text = text.replace("·", "").replace(".", "").replace(" ", "")
                shown = facts["plate_shown"]
                assert text[1:] == shown[1:], (folder, name, text, shown)
                checked += 1
                exact += text == shown
    assert checked >= 10
    assert exact >= checked * 0.6  # the province character is the hardest part for the model
