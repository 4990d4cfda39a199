"""Pure detectors: timestamp faults, still runs, plate text matching (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pipeline.frames.freeze import still_runs
from pipeline.frames.plate import matches, plate_like
from pipeline.frames.timing import time_faults

FPS = st.sampled_from([5.0, 10.0, 25.0, 30.0])


@given(fps=FPS, n=st.integers(3, 200), seed=st.integers(0, 2**16))
def test_jittered_clock_has_no_faults(fps: float, n: int, seed: int) -> None:
    """Station clocks jitter by up to a quarter frame: never a gap, never disorder."""
    rng = np.random.default_rng(seed)
    times = np.arange(n) / fps + rng.uniform(-0.24, 0.24, n) / fps
    assert time_faults(times, fps, gap_factor=3.0, min_gap_seconds=0.5) == []


@given(fps=FPS, n=st.integers(6, 200), data=st.data())
def test_planted_gap_and_disorder_are_found_where_planted(
    fps: float, n: int, data: st.DataObject
) -> None:
    """A jump of a second or more, or a swapped pair, is reported at its frames."""
    at = data.draw(st.integers(1, n - 2))
    jump = data.draw(st.floats(1.0, 30.0))
    times = np.arange(n) / fps
    gapped = times + np.where(np.arange(n) >= at, jump, 0.0)
    (fault,) = time_faults(gapped, fps, gap_factor=3.0, min_gap_seconds=0.5)
    assert (fault.kind, fault.first, fault.last) == ("gap", at - 1, at)
    swapped = times.copy()
    swapped[[at, at + 1]] = swapped[[at + 1, at]]
    kinds = {
        (f.kind, f.first) for f in time_faults(swapped, fps, gap_factor=3.0, min_gap_seconds=0.5)
    }
    assert ("disorder", at) in kinds


@given(st.lists(st.floats(0.5, 20.0), min_size=2, max_size=50), st.data())
def test_still_runs_are_exactly_the_planted_zero_stretches(
    moving: list[float], data: st.DataObject
) -> None:
    """Zero-difference stretches (of 3+ samples) come back as runs; live samples never do."""
    diffs = [float("nan"), *moving]
    start = data.draw(st.integers(1, len(diffs) - 1))
    length = data.draw(st.integers(3, 10))
    planted = diffs[:start] + [0.0] * length + diffs[start:]
    runs = still_runs(np.array(planted), 0.3)
    assert runs == [(start - 1, start + length - 1)]


PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATES = st.builds(
    lambda p, letter, tail: p + letter + tail,
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=5, max_size=6),
)


@given(PLATES, st.sampled_from(["", "·", " ", "-"]), st.sampled_from(PROVINCES))
def test_plate_matching(plate: str, sep: str, other_province: str) -> None:
    """Separators and a misread province still match; a changed character does not."""
    assert matches(plate[:2] + sep + plate[2:], plate)
    assert matches(other_province + plate[1:], plate)
    assert plate_like("车牌 " + plate) == plate
    changed = plate[:-1] + ("0" if plate[-1] != "0" else "1")
    assert not matches(changed, plate)
