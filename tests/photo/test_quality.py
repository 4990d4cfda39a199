"""Quality on real labelled photos (sharp / defocus / motion) and on clear synthetic cases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import cv2
import numpy as np

from pipeline.checks.quality import Quality, QualityParams
from pipeline.photo.synth import Scene, jpeg, render
from tests.photo.conftest import labels, loaded, realdata


def _run(check: Quality, data: bytes) -> Any:
    return check.check_item(None, loaded(data))  # type: ignore[arg-type]  # quality uses no ctx


def test_real_blur_set() -> None:
    """Measured: 9/9 sharp pass; 8/9 defocus and 9/9 motion are flagged (fail or review)."""
    folder = realdata("blur")
    check = Quality(QualityParams(min_short_side=200))  # 8 triplets are 300 px
    table: Counter[tuple[str, str]] = Counter()
    for row in labels("blur"):
        result = _run(check, (folder / row["file"]).read_bytes())
        table[(row["label"], result.outcome)] += 1
    assert table[("sharp", "pass")] == 9
    assert table[("defocus_blur", "pass")] <= 1
    assert table[("motion_blur", "pass")] == 0
    assert table[("motion_blur", "fail")] == 0  # motion evidence alone is review


def test_synthetic_cases() -> None:
    check = Quality(QualityParams())
    scene = render(Scene(seed=4))
    assert _run(check, jpeg(scene)).outcome == "pass"
    small = cv2.resize(scene, (320, 180), interpolation=cv2.INTER_AREA)
    assert _run(check, jpeg(small)).reason == "too_small"
    blurred = cv2.GaussianBlur(scene, (0, 0), 4)
    assert _run(check, jpeg(blurred)).reason == "blurry"
    dark = (scene.astype(np.float32) * 0.12).astype(np.uint8)
    assert _run(check, jpeg(dark)).reason == "underexposed"
    bright = cv2.convertScaleAbs(scene, alpha=1.0, beta=200)
    assert _run(check, jpeg(bright)).reason == "overexposed"
    plain = np.full_like(scene, 128)
    result = _run(check, jpeg(plain))
    assert (result.outcome, result.reason) == ("review", "quality_uncertain")


def test_vin_closeups_leave_edge_width_to_vin_match_but_still_catch_motion() -> None:
    """0113 config: sharpness not judged (relief edges are soft whatever the focus), while
    directional blur still goes to review. Photos from the sample generator's VIN renderer.

    Measured: near-horizontal and near-vertical 17 px motion gives anisotropy 0.47-0.60
    (review); diagonal motion only 0.53-0.76 (four direction bins), so some of it passes
    here and is left to ``vin_match`` (unreadable or check-digit failures go to review)."""
    from pipeline.config import load_settings
    from pipeline.samplegen import effects
    from pipeline.samplegen.stamp import DieStyle, render_vin_photo
    from pipeline.services import Services

    check = Services(load_settings(env={})).check_for("quality", "0113")
    assert isinstance(check, Quality) and not check.params.judge_sharpness
    rng = np.random.default_rng(21)
    outcomes: Counter[tuple[str, str]] = Counter()
    for i in range(4):
        img = render_vin_photo("LSVAM4187C2184847", DieStyle.random(rng), rng, (1920, 1080))
        moved = effects.motion_blur(img, 17, float(rng.uniform(-10, 10)) + 90 * (i % 2))
        outcomes[("sharp", _run(check, jpeg(img)).outcome)] += 1
        outcomes[("motion", _run(check, jpeg(moved)).outcome)] += 1
    assert outcomes[("sharp", "pass")] == 4, outcomes
    assert outcomes[("motion", "pass")] == 0, outcomes
