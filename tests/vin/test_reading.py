"""Reading VINs with the real RapidOCR models: candidates, real plates, generated VIN photos."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest

from pipeline.ocr import OcrLine, RapidOcrEngine
from pipeline.samplegen.stamp import DieStyle, render_vin_photo
from pipeline.vin import rules
from pipeline.vin.reading import (
    CLOSE_UP_SIDES,
    DETECT_SIDES,
    UNREADABLE,
    best_read,
    candidates,
    read_vin,
    stood_up,
)
from tests.realdata import REALDATA

REAL = REALDATA / "vin"


@pytest.fixture(scope="module")
def ocr() -> RapidOcrEngine:
    return RapidOcrEngine()


def test_candidates_drop_labels_prose_and_ambiguity() -> None:
    assert candidates("VIN: LSVAM4187C2184847") == ["LSVAM4187C2184847"]
    assert candidates("LSVAM4I87C2184847") == ["LSVAM4187C2184847"]  # I is never a VIN letter
    assert candidates("ON THE DATE OF MANUFACTURE") == []
    assert candidates("LSVAM4187C21848") == []  # too short: unreadable, not guessed


def test_delimiter_marks_around_a_vin_are_not_words() -> None:
    # Some makers punch ★LSV...★; OCR reads the marks as tokens of their own or attached.
    for text in ("★ LSVAM4187C2184847 ★", "★LSVAM4187C2184847★", "* LSVAM4187C2184847 *"):
        assert candidates(text) == ["LSVAM4187C2184847"], text
    assert candidates("★ ON THE DATE OF MANUFACTURE ★") == []


def test_a_vin_between_star_marks_is_read(ocr: RapidOcrEngine) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 48)
    img = Image.new("RGB", (900, 160), (200, 200, 200))
    ImageDraw.Draw(img).text((30, 50), "★ LSVAM4187C2184847 ★", font=font, fill=(40, 40, 40))
    read = read_vin(np.asarray(img)[:, :, ::-1].copy(), ocr)
    assert read.vin == "LSVAM4187C2184847" and read.check_ok


def _line(text: str) -> OcrLine:
    return OcrLine(text, 0.95, ((0.0, 0.0), (400.0, 0.0), (400.0, 40.0), (0.0, 40.0)))


def test_reads_the_check_digit_chose_are_marked_inferred() -> None:
    """Read as it stands: not inferred. Picked out of a longer line by the check digit (an
    inserted character), or corrected by it: inferred, so a mismatch only goes to review."""
    plain = best_read([_line("VIN: LSVAM4187C2184847")], 0.6)
    assert plain.vin == "LSVAM4187C2184847" and plain.check_ok and not plain.inferred
    inserted = next(
        "LSVAM4187C2184847"[:i] + c + "LSVAM4187C2184847"[i:]
        for i in range(1, 17)
        for c in "0123456789"
        if len(candidates("LSVAM4187C2184847"[:i] + c + "LSVAM4187C2184847"[i:])) == 1
    )
    windowed = best_read([_line(inserted)], 0.6)
    assert windowed.readable and windowed.windowed and windowed.inferred
    corrected = best_read([_line("LSVAM4187C2184B47")], 0.6)  # 8 read as B, last 4 are digits
    assert corrected.vin == "LSVAM4187C2184847"
    misread = next(
        v
        for v in (
            "LSVAM4187C2184847"[:i] + c + "LSVAM4187C2184847"[i + 1 :]
            for i in range(3, 9)
            for c in "ABDGSZ"
        )
        if not rules.check_digit_ok(v) and rules.arbitrate(v).changed
    )
    fixed = best_read([_line(misread)], 0.6)  # a confusable misread the check digit arbitrates
    assert fixed.check_ok and fixed.corrected and fixed.inferred and not fixed.windowed


def test_generated_vin_photos_read_exactly(ocr: RapidOcrEngine) -> None:
    from pipeline.vin.evalgen import random_vin

    rng = np.random.default_rng(8)
    vins = [random_vin(rng) for _ in range(4)]
    reads = [
        read_vin(render_vin_photo(v, DieStyle.random(rng), rng, (1024, 640)), ocr) for v in vins
    ]
    assert [r.vin for r in reads] == vins


@pytest.mark.parametrize("quarter", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_vin_photo_taken_with_the_camera_on_its_side_is_read(
    ocr: RapidOcrEngine, quarter: int
) -> None:
    # Before, a VIN running down or up the picture was unreadable (0 of 30 generated photos
    # either way); now its line is recognised standing up, both ways round.
    from pipeline.vin.evalgen import random_vin

    rng = np.random.default_rng(10)
    vins = [random_vin(rng) for _ in range(3)]
    photos = [render_vin_photo(v, DieStyle.random(rng), rng, (1024, 640)) for v in vins]
    reads = [read_vin(cv2.rotate(p, quarter), ocr, sides=CLOSE_UP_SIDES) for p in photos]
    assert [r.vin for r in reads] == vins


def _box(x0: float, y0: float, x1: float, y1: float) -> tuple[tuple[float, float], ...]:
    """A box lying across, from (x0, y0) to (x1, y1), corners as the detector gives them."""
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def test_a_vin_split_in_two_boxes_is_joined_along_its_line() -> None:
    vin = "LSVAM4187C2184847"
    head, tail = vin[:8], vin[8:]
    # Lying across: the halves side by side on one row, in either order in the list.
    left, right = _box(0, 0, 200, 40), _box(220, 2, 420, 42)
    for lines in (
        [OcrLine(head, 0.9, left), OcrLine(tail, 0.9, right)],
        [OcrLine(tail, 0.9, right), OcrLine(head, 0.9, left)],
    ):
        assert best_read(lines, 0.6).vin == vin
    # Standing on end (a photo taken on its side): each half recognised going down the
    # picture and going up it; only the halves read the same way join, in reading order.
    upper, lower = _box(0, 0, 40, 200), _box(2, 220, 42, 420)
    upper_down, upper_up = stood_up(upper)
    lower_down, lower_up = stood_up(lower)
    down = [OcrLine(head, 0.9, upper_down), OcrLine(tail, 0.9, lower_down)]
    up = [OcrLine(tail, 0.9, upper_up), OcrLine(head, 0.9, lower_up)]
    assert best_read(down, 0.6).vin == vin
    assert best_read(up, 0.6).vin == vin
    junk = [OcrLine("XXXXXXXX", 0.9, upper_up), OcrLine("YYYYYYYYY", 0.9, lower_up)]
    assert best_read(down + junk, 0.6).vin == vin
    # Halves on different rows, or read different ways, are not one line.
    apart = [OcrLine(head, 0.9, left), OcrLine(tail, 0.9, _box(220, 60, 420, 100))]
    assert best_read(apart, 0.6).vin is None
    crossed = [OcrLine(head, 0.9, upper_down), OcrLine(tail, 0.9, lower_up)]
    assert best_read(crossed, 0.6).vin is None


def test_only_boxes_standing_on_end_are_stood_up() -> None:
    lying = ((0.0, 0.0), (200.0, 0.0), (200.0, 20.0), (0.0, 20.0))
    standing = ((0.0, 0.0), (20.0, 0.0), (20.0, 200.0), (0.0, 200.0))
    assert stood_up(lying) == []
    down, up = stood_up(standing)
    # Each read from its first corner along its top edge: 200 px long, 20 px high.
    assert down[:2] == ((20.0, 0.0), (20.0, 200.0)) and up[:2] == ((0.0, 200.0), (0.0, 0.0))


def test_close_up_sides_read_near_and_far_vins(ocr: RapidOcrEngine) -> None:
    """VIN photos are detected on a 480 px copy first; a VIN photographed from further away
    (the close-up shrunk to a quarter in a 1920x1080 frame) is found on the 960 px copy."""
    from pipeline.vin.evalgen import random_vin

    rng = np.random.default_rng(9)
    sides: list[int] = []
    detect = ocr.detect

    def counting(image: np.ndarray, *, max_side: int = 960) -> list:  # type: ignore[type-arg]
        sides.append(max_side)
        return detect(image, max_side=max_side)

    for scale, tried in ((1.0, [480]), (0.25, [480, 960])):
        vin = random_vin(rng)
        photo = render_vin_photo(vin, DieStyle.random(rng), rng, (1920, 1080))
        frame = np.full_like(photo, int(np.median(photo)))
        small = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = small.shape[:2]
        frame[(1080 - h) // 2 : (1080 - h) // 2 + h, (1920 - w) // 2 : (1920 - w) // 2 + w] = small
        ocr.detect = counting  # type: ignore[method-assign]
        try:
            sides.clear()
            near = read_vin(frame, ocr, sides=CLOSE_UP_SIDES)
            assert sides == tried
        finally:
            del ocr.detect
        assert near.vin == read_vin(frame, ocr, sides=DETECT_SIDES).vin == vin


def test_blank_image_is_unreadable(ocr: RapidOcrEngine) -> None:
    assert read_vin(np.full((300, 600, 3), 200, np.uint8), ocr).vin == UNREADABLE.vin


def test_real_vin_plates(ocr: RapidOcrEngine) -> None:
    labels = REAL / "labels.csv"
    if not labels.is_file():
        pytest.skip(f"real data absent: {labels}")
    rows = [r for r in csv.DictReader(labels.open()) if r["vin_text"]]
    images = [cv2.imread(str(REAL / r["file"])) for r in rows]
    reads = [read_vin(im, ocr).vin for im in images if im is not None]
    exact = sum(a == r["vin_text"] for a, r in zip(reads, rows, strict=True))
    # 256x256 stretched plates: measured 5/7 exact (the 2 misses fail their own check
    # digit, so vin_match sends them to review); fewer means a regression.
    assert exact >= 5, list(zip(reads, [r["vin_text"] for r in rows], strict=True))
