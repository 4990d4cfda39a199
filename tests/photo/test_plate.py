"""Plate reading on real plates (CCPD frames, LPRNet/HyperLPR crops) and the comparison rules."""

from __future__ import annotations

from collections import Counter

import cv2
import pytest

from pipeline.ocr import RapidOcrEngine
from pipeline.photo.plate import compare, find_plate, normalise_plate
from tests.photo.conftest import labels, realdata


@pytest.mark.parametrize(
    ("read", "expected", "verdict"),
    [
        ("京A·12345", "京A12345", "match"),
        ("京A1234S", "京A12345", "uncertain"),  # 5/S
        ("京A12B45", "京A12845", "uncertain"),  # 8/B
        ("京AD2345", "京A02345", "uncertain"),  # 0/D
        ("晋A12345", "京A12345", "uncertain"),  # province glyph
        ("京A1245", "京A12345", "uncertain"),  # one character missing
        ("京A12346", "京A12345", "mismatch"),
        ("沪C99999", "京A12345", "mismatch"),
        ("京AD12345", "京AD12346", "mismatch"),  # green 8-char plate
    ],
)
def test_compare(read: str, expected: str, verdict: str) -> None:
    assert compare(read, expected)[0] == verdict


def test_real_crops(ocr: RapidOcrEngine) -> None:
    """Measured 18/18 exact reads of real plate crops (blue, green, yellow; 10 provinces)."""
    folder = realdata("plates")
    rows = [r for r in labels("plates") if r["image_kind"].startswith("plate_crop")]
    good = 0
    for row in rows:
        text, _ = ocr.read_line(cv2.imread(str(folder / row["file"])))
        good += normalise_plate(text) == row["plate_text"]
    assert good >= len(rows) - 2


def test_real_frames(ocr: RapidOcrEngine) -> None:
    """On full frames a read is never a confident wrong plate; most clear frames match."""
    folder = realdata("plates")
    table: Counter[str] = Counter()
    for row in labels("plates"):
        if row["image_kind"].startswith("plate_crop"):
            continue
        best, _ = find_plate(
            cv2.imread(str(folder / row["file"])), ocr, expected=row["plate_text"] or None
        )
        if row["has_plate"] == "no":
            table["no_plate_read" if best else "no_plate_ok"] += 1
        elif row["plate_text"] and best is not None:
            table[compare(best.text, row["plate_text"])[0]] += 1
        else:
            table["not_found"] += 1
    assert table["mismatch"] == 0  # a wrong plate would be a false fail
    assert table["no_plate_read"] == 0
    assert table["match"] >= 14  # measured 16 of 29 labelled frames


def test_watermark_plate_line_is_not_the_plate(ocr: RapidOcrEngine) -> None:
    """A station burns the registered plate into the watermark; with no plate on the car the
    check must not pass on that text (yellow, white, green, blue-ish text; outline or box)."""
    from datetime import datetime

    from pipeline.photo.synth import Scene, latin_fonts, render

    for i, colour in enumerate([(255, 220, 0), (255, 255, 255), (90, 255, 90), (80, 140, 255)]):
        scene = Scene(
            plate=None,
            watermark=datetime(2026, 11, 23, 9, 13, 5),
            watermark_lines=["京A12345"],
            corner=["tl", "bl", "tr", "br"][i],
            wm_color=colour,
            wm_box=i % 2 == 1,
            wm_height=44,
            font=latin_fonts()[-1],
            seed=300 + i,
        )
        best, _ = find_plate(render(scene), ocr, expected="京A12345")
        assert best is None or best.text != "京A12345"
