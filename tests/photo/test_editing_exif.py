"""Editing traces (EXIF editor, double JPEG) and EXIF capture time."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import cv2
import numpy as np
from PIL import Image

from pipeline.checks.base import CheckContext
from pipeline.checks.editing_traces import EditingTraces, EditingTracesParams
from pipeline.checks.exif_time import ExifTime, ExifTimeParams
from pipeline.photo.synth import Scene, jpeg, render
from tests.photo.conftest import loaded

TZ = ZoneInfo("Asia/Shanghai")


def _with_exif(
    image: np.ndarray, *, software: str | None = None, taken: str | None = None
) -> bytes:
    pil = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    if software:
        exif[0x0131] = software
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def test_editor_software_gives_review_with_heatmap() -> None:
    check = EditingTraces(EditingTracesParams())
    image = render(Scene(seed=2))
    result = check.check_item(None, loaded(_with_exif(image, software="Adobe Photoshop 25.1")))  # type: ignore[arg-type]
    assert (result.outcome, result.reason) == ("review", "editing_traces")
    assert result.artifacts["heatmap"][:2] == b"\xff\xd8"
    meitu = check.check_item(None, loaded(_with_exif(image, software="Meitu XiuXiu")))  # type: ignore[arg-type]
    assert meitu.outcome == "review"


def test_single_vs_double_compression() -> None:
    check = EditingTraces(EditingTracesParams())
    image = render(Scene(seed=3))
    once = check.check_item(None, loaded(jpeg(image, 90)))  # type: ignore[arg-type]
    assert once.outcome == "pass"
    first = cv2.imdecode(np.frombuffer(jpeg(image, 70), np.uint8), cv2.IMREAD_COLOR)
    twice = check.check_item(None, loaded(jpeg(first, 92)))  # type: ignore[arg-type]
    assert (twice.outcome, twice.reason) == ("review", "editing_traces")
    assert "double_jpeg" in twice.detail["signs"]


class _Ctx:
    """The parts of CheckContext exif_time reads."""

    def __init__(self, start: datetime) -> None:
        self.tz = TZ
        self.manifest: Any = type(
            "M", (), {"started_at": start, "finished_at": start + timedelta(minutes=30)}
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(TZ)


def test_exif_time() -> None:
    check = ExifTime(ExifTimeParams())
    start = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    ctx: CheckContext = _Ctx(start)  # type: ignore[assignment]
    image = render(Scene(seed=5))
    inside = check.check_item(ctx, loaded(_with_exif(image, taken="2026:11:23 09:10:00")))
    assert inside.outcome == "pass"
    other_day = check.check_item(ctx, loaded(_with_exif(image, taken="2026:11:20 09:10:00")))
    assert (other_day.outcome, other_day.reason) == ("fail", "exif_time_mismatch")
    none = check.check_item(ctx, loaded(jpeg(image)))
    assert none.outcome == "pass" and "skipped" in none.detail
