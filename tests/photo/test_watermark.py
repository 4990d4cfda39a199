"""Watermark stamps: parsing OCR text, and finding stamps in varied synthetic photos."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.photo.synth import Scene, jpeg, latin_fonts, render
from pipeline.photo.watermark import find_stamp, parse_stamp
from tests.photo.conftest import loaded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23 09:13:05", datetime(2026, 11, 23, 9, 13, 5)),
        ("2026/11/23 09:13", datetime(2026, 11, 23, 9, 13)),
        ("2026年11月23日 09:13:05", datetime(2026, 11, 23, 9, 13, 5)),
        ("2O26-11-23O9:13:O5", datetime(2026, 11, 23, 9, 13, 5)),  # O for 0, lost space
        ("拍摄时间:20261123 091305", datetime(2026, 11, 23, 9, 13, 5)),
        ("检测站 京A12345", None),
        ("2026-13-45 09:13:05", None),
    ],
)
def test_parse(text: str, expected: datetime | None) -> None:
    got = parse_stamp(text)
    assert (got[0] if got else None) == expected


def test_varied_synthetic(ocr: RapidOcrEngine) -> None:
    """Fonts, colours, corners, box/outline, size and lighting vary; never a wrong stamp."""
    rng = random.Random(11)
    colours = [(255, 255, 255), (255, 230, 0), (255, 60, 60), (80, 255, 80)]
    found = 0
    n = 12
    for i in range(n):
        moment = datetime(2026, rng.randrange(1, 13), rng.randrange(1, 28), rng.randrange(24),
                          rng.randrange(60), rng.randrange(60))  # fmt: skip
        scene = Scene(
            watermark=moment,
            watermark_lines=rng.choice([[], ["XX机动车检测站 2号线"], ["京A12345", "检测站"]]),
            corner=rng.choice(["tl", "tr", "bl", "br", "tc"]),
            wm_color=rng.choice(colours),
            wm_box=rng.random() < 0.4,
            wm_height=rng.randrange(24, 46),
            font=rng.choice(latin_fonts()),
            brightness=rng.uniform(0.7, 1.15),
            seed=100 + i,
        )
        item = loaded(jpeg(render(scene), 88))
        assert item.image is not None
        stamp, _ = find_stamp(item.image, item.gray, ocr)
        if stamp is not None and stamp.padded:  # unpadded reads are never trusted (review)
            assert stamp.moment == moment  # a trusted stamp must be the right one
            found += 1
    assert found >= n - 3  # measured 21/24 on a larger run of the same generator


@pytest.mark.parametrize("seed", range(5))
def test_blob_boxes_are_the_connected_components_boxes(seed: int) -> None:
    """Contour-traced boxes equal cv2's connected-component stats, blobs in holes included."""
    from pipeline.photo.textlines import blob_boxes

    rng = np.random.default_rng(seed)
    specks = (rng.random((120, 200)) > 0.93).astype(np.uint8) * 255
    mask = cv2.dilate(specks, np.ones((2, 3), np.uint8))
    cv2.rectangle(mask, (20, 20), (120, 90), 255, 2)  # a ring with blobs inside its hole
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    want = sorted(tuple(int(v) for v in s[:4]) for s in stats[1:n])
    assert sorted(blob_boxes(mask)) == want


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("2026/11/26 120:33", "review"),  # 12:20:33 with a digit lost: hour read as "1"
        ("2026/11/23108", "review"),  # day and time run together: hour "1", minute "08"
        ("2026/11/26 01:20:33", "fail"),  # printed padded and outside the window: a real fail
        ("2026/11/26 12:20:33", "pass"),
    ],
)
def test_a_time_read_with_a_dropped_digit_goes_to_review(
    tmp_path: Path, text: str, outcome: str
) -> None:
    """The window check must not fail an inspection on a time the OCR garbled."""
    from zoneinfo import ZoneInfo

    from pipeline.checks.base import CheckContext
    from pipeline.checks.watermark_date import WatermarkDate
    from pipeline.config import load_settings
    from pipeline.package import LocalPackage
    from pipeline.photo.textlines import LineBox
    from pipeline.photo.watermark import Stamp
    from pipeline.services import Services
    from pipeline.verify import load
    from tests.packages import make_package

    services = Services(load_settings(env={"INSPECTPIPE_HOME": str(tmp_path / "home")}))
    package = load(LocalPackage(make_package(tmp_path, codes=["0351"])), services)
    tz = ZoneInfo("Asia/Shanghai")
    item = package.items[0]
    parsed = parse_stamp(text)
    assert parsed is not None
    moment, seconds, padded = parsed
    start = package.manifest.started_at.astimezone(tz)
    moment = moment.replace(year=start.year, month=start.month, day=start.day)
    if outcome == "pass":  # inside the package's window
        moment = moment.replace(hour=start.hour, minute=start.minute) + timedelta(minutes=5)
    item.cache["watermark"] = Stamp(moment, text, 0.97, LineBox(0, 0, 10, 10, 1.0), seconds, padded)
    ctx = CheckContext(package, package.manifest.vehicle, None, services, tz)
    result = WatermarkDate(WatermarkDate.params_model()).check_item(ctx, item)
    assert result.outcome == outcome, result
    if outcome == "review":
        assert result.detail["why"] == "time read with a dropped digit"


def test_tightly_spaced_stamp_lines_are_split_not_dropped(ocr: RapidOcrEngine) -> None:
    """Five stamp lines printed without gaps close into one block taller than a line; it is
    split into lines (it was dropped whole, and the photo went to review unread)."""
    img = np.full((720, 1280, 3), (170, 160, 200), np.uint8)
    cv2.rectangle(img, (400, 200), (1100, 600), (60, 40, 140), -1)
    lines = ["2026/11/23 09:22:28", "STATION 3706000456", "PLATE LU A12345", "0111 LEFT 45",
             "LANE 3 OPERATOR 17"]  # fmt: skip
    for i, text in enumerate(lines):
        y = 34 + 22 * i
        cv2.putText(img, text, (16, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 5, cv2.LINE_AA)
        cv2.putText(img, text, (16, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    from pipeline.photo.textlines import propose_lines

    assert len(propose_lines(gray)) == len(lines)
    stamp, _ = find_stamp(img, gray, ocr)
    assert stamp is not None and stamp.moment == datetime(2026, 11, 23, 9, 22, 28)


class _Scripted:
    """A line reader answering by crop width: the proposal cut short, or the wider re-read."""

    def __init__(self, narrow: str, wide: str) -> None:
        self.narrow, self.wide = narrow, wide
        self.widths: list[int] = []

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        self.widths.append(image.shape[1])
        return (self.wide if len(self.widths) > 1 else self.narrow), 0.95


def test_a_line_cut_short_is_read_again_wider_when_it_parses_unpadded() -> None:
    """ "2026/11/2309" parses only as an unpadded 2026-11-02 03:09; the row is read again wider
    and the full stamp kept (a padded parse is never replaced by a worse one)."""
    img = np.full((720, 1280, 3), 200, np.uint8)
    cv2.putText(img, "2026/11/23 09:33:01", (16, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    reader = _Scripted("2026/11/2309", "2026/11/23 09:33:01")
    stamp, reads = find_stamp(img, gray, reader)
    assert stamp is not None and stamp.padded
    assert stamp.moment == datetime(2026, 11, 23, 9, 33, 1)
    assert len(reads) == 2 and reader.widths[1] > reader.widths[0]
    # A full first read is not read again.
    reader = _Scripted("2026/11/23 09:33:01", "unused")
    stamp, reads = find_stamp(img, gray, reader)
    assert stamp is not None and len(reads) == 1
