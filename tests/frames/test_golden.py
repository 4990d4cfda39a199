"""Golden outcomes over generated clips: every planted defect found, nothing flagged on clean ones.

Each case is one clip in a package, verified with the frame checks only, through the real
loader, runner, OCR and (embedded SQLite) hash bank. ``expect`` is the exact set of non-passing
(check, reason) pairs; planted ranges are compared frame-exactly for frame folders and within
one sampling step for videos (which are re-encoded, so copies are not pixel-exact).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.config import load_settings
from pipeline.frames import testgen as tg
from pipeline.package import LocalPackage
from pipeline.records import Verdict
from pipeline.services import Services
from pipeline.verify import verify_package

FRAME_CHECKS = [
    "frames_duration",
    "frames_frozen",
    "frames_loop",
    "frames_timing",
    "frames_reuse",
    "vehicle_motion",
    "frames_plate",
]
SMALL = tg.Scene(width=480, height=360)


@dataclass
class Case:
    """A generated clip and what the checks must say about it."""

    code: str
    make: Callable[[], tg.Clip]
    expect: set[tuple[str, str]] = field(default_factory=set)
    frames: tuple[int, int] | None = None  # planted range of the first expected finding
    plate: str = "鲁F12345"


Edit = Callable[[list[np.ndarray]], list[np.ndarray]]


def folder(
    scene: tg.Scene, edit: Edit | None = None, timestamps: list[float] | None = None
) -> Callable[[], tg.Clip]:
    """A frame-folder clip maker."""

    def make() -> tg.Clip:
        frames = tg.render(scene)
        return tg.Clip("", edit(frames) if edit else frames, scene.fps, timestamps=timestamps)

    return make


def video(scene: tg.Scene, edit: Edit | None = None, fourcc: str = "mp4v") -> Callable[[], tg.Clip]:
    """A video clip maker."""

    def make() -> tg.Clip:
        frames = tg.render(scene)
        return tg.Clip("", edit(frames) if edit else frames, scene.fps, "video", fourcc=fourcc)

    return make


def _jitter(n: int, fps: float, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [round(i / fps + float(rng.uniform(-0.02, 0.02)), 3) for i in range(n)]


def _gap(n: int, fps: float, at: int, seconds: float) -> list[float]:
    return [i / fps + (seconds if i >= at else 0.0) for i in range(n)]


def _swap(n: int, fps: float, at: int) -> list[float]:
    t = [i / fps for i in range(n)]
    t[at], t[at + 1] = t[at + 1], t[at]
    return t


V25 = SMALL.with_(fps=25.0, seconds=4.0, seed=31)
CLEAN: dict[str, Case] = {
    "clean_plain": Case("0344", folder(SMALL.with_(seed=1))),
    "clean_shake_light": Case("0344", folder(SMALL.with_(seed=2, shake=4, lighting=0.25))),
    "clean_flicker_noise": Case("0342", folder(SMALL.with_(seed=3, flicker=0.04, noise=3.5))),
    "clean_slow": Case("0344", folder(SMALL.with_(seed=4, speed=15, shake=2))),
    "clean_fast": Case("0342", folder(SMALL.with_(seed=5, speed=110))),
    "clean_low_noise": Case("0344", folder(SMALL.with_(seed=6, noise=1.0, seconds=6))),
    "clean_pause": Case("0344", folder(SMALL.with_(seed=7, seconds=8, pause=(2.0, 5.0)))),
    "clean_parked_brake": Case("0322", folder(SMALL.with_(seed=8, speed=0, seconds=6))),
    "clean_parked_shake": Case("0321", folder(SMALL.with_(seed=9, speed=0, shake=3, lighting=0.2))),
    "clean_jitter_times": Case(
        "0344", folder(SMALL.with_(seed=10), timestamps=_jitter(30, 5.0, 1))
    ),
    "clean_parked_shake_long": Case(  # 40 s of look-alike frames: no loop may be "found"
        "0323", folder(tg.Scene(width=320, height=240, seconds=40, speed=0, shake=4, seed=3))
    ),
    "clean_video_mp4v": Case("0344", video(V25.with_(shake=2))),
    "clean_video_mjpg": Case(
        "0342", video(V25.with_(fps=15.0, seed=32, lighting=0.2), fourcc="MJPG")
    ),
    "clean_video_parked": Case(
        "0323", video(V25.with_(speed=0, seed=33, shake=1, fps=12.0, seconds=6.0))
    ),
}
DEFECTS: dict[str, Case] = {
    "freeze_folder": Case(
        "0344",
        folder(SMALL.with_(seed=11), edit=lambda f: tg.freeze(f, 10, 8)),
        {("frames_frozen", "frames_frozen")},
        (10, 17),
    ),
    "freeze_parked": Case(
        "0322",
        folder(SMALL.with_(seed=12, speed=0, shake=2), edit=lambda f: tg.freeze(f, 5, 12)),
        {("frames_frozen", "frames_frozen")},
        (5, 16),
    ),
    "freeze_video": Case(
        "0344",
        video(V25.with_(seed=13), edit=lambda f: tg.freeze(f, 30, 35)),
        {("frames_frozen", "frames_frozen")},
        (30, 64),
    ),
    "loop_folder": Case(
        "0344",
        folder(SMALL.with_(seed=14), edit=lambda f: tg.loop(f, 5, 6)),
        {("frames_loop", "frames_looped")},
        (11, 16),
    ),
    "replay_folder": Case(
        "0342",
        folder(SMALL.with_(seed=15, shake=3), edit=lambda f: tg.replay(f, 3, 6, 20)),
        {("frames_loop", "frames_looped")},
        (20, 25),
    ),
    "replay_video": Case(
        "0344",
        video(V25.with_(seed=16, shake=2), edit=lambda f: tg.replay(f, 5, 25, 60)),
        {("frames_loop", "frames_looped")},
        (60, 84),
    ),
    "loop_video_mjpg": Case(
        "0342",
        video(V25.with_(seed=17, fps=15.0), edit=lambda f: tg.loop(f, 15, 20), fourcc="MJPG"),
        {("frames_loop", "frames_looped")},
        (35, 54),
    ),
    "short_folder": Case(
        "0344",
        folder(SMALL.with_(seed=18, seconds=2.0)),
        {("frames_duration", "video_too_short")},
        (0, 9),
    ),
    "short_video": Case(
        "0322",
        video(V25.with_(seed=19, seconds=1.5)),
        {("frames_duration", "video_too_short")},
        (0, 36),
    ),
    "still_vehicle": Case(
        "0344",
        folder(SMALL.with_(seed=20, speed=0, shake=4, lighting=0.2)),
        {("vehicle_motion", "vehicle_not_moving")},
    ),
    "still_vehicle_video": Case(
        "0342",
        video(V25.with_(seed=21, speed=0, shake=3, flicker=0.03)),
        {("vehicle_motion", "vehicle_not_moving")},
    ),
    "time_gap": Case(
        "0344",
        folder(SMALL.with_(seed=22), timestamps=_gap(30, 5.0, 12, 2.0)),
        {("frames_timing", "frames_time_gap")},
        (11, 12),
    ),
    "time_disorder": Case(
        "0344",
        folder(SMALL.with_(seed=23), timestamps=_swap(30, 5.0, 17)),
        {("frames_timing", "frames_time_gap")},
        (17, 18),
    ),
    "plate_missing": Case(
        "0321",
        folder(SMALL.with_(seed=24, plate=None, speed=0)),
        {("frames_plate", "plate_not_visible")},
    ),
    "plate_other_vehicle": Case(
        "0321",
        folder(SMALL.with_(seed=25, speed=0)),
        {("frames_plate", "plate_mismatch")},
        plate="苏E67890",
    ),
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """Embedded services with a fresh SQLite hash bank for this module."""
    home = tmp_path_factory.mktemp("home")
    settings = load_settings(None).model_copy(update={"home": str(home)})
    return Services(settings)


def run_case(root: Path, case: Case, services: Services, inspection_id: str) -> Verdict:
    """Write the case as a package and verify it with the frame checks."""
    clip = replace(case.make(), code=case.code)
    tg.write_package(root, [clip], inspection_id=inspection_id, plate=case.plate)
    return verify_package(LocalPackage(root), services, only=FRAME_CHECKS)


def flags(verdict: Verdict) -> set[tuple[str, str]]:
    """Non-passing (check, reason) pairs."""
    return {(f.check, f.reason or "") for f in verdict.findings if f.outcome != "pass"}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_clips_are_not_flagged(name: str, tmp_path: Path, services: Services) -> None:
    """No frame check fails or asks for review on clean footage."""
    verdict = run_case(tmp_path / name, CLEAN[name], services, f"clean{abs(hash(name)) % 10**9}")
    assert flags(verdict) == set(), [f.to_json() for f in verdict.findings if f.outcome != "pass"]


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_planted_defects_are_found(name: str, tmp_path: Path, services: Services) -> None:
    """Exactly the planted defect is reported, naming its frames, with a contact sheet."""
    case = DEFECTS[name]
    verdict = run_case(tmp_path / name, case, services, f"defect{abs(hash(name)) % 10**9}")
    assert flags(verdict) == case.expect, [f.to_json() for f in verdict.findings]
    check, reason = next(iter(case.expect))
    found = next(f for f in verdict.findings if f.check == check and f.reason == reason)
    sheet = cv2.imdecode(
        np.frombuffer(found.artifacts["contact_sheet"], np.uint8), cv2.IMREAD_COLOR
    )
    assert sheet is not None and sheet.shape[0] > 50
    if case.frames is not None:
        first, last = found.detail["frames"]
        tol = 0 if "video" not in name else 3
        assert abs(first - case.frames[0]) <= tol and abs(last - case.frames[1]) <= tol, (
            found.detail
        )
        assert len(found.detail["seconds"]) == 2


def test_frames_reused_from_another_inspection(tmp_path: Path, services: Services) -> None:
    """Footage of inspection A pasted into inspection B is found through the hash bank."""
    scene = SMALL.with_(seed=40, shake=2)
    original = tg.render(scene)
    first = run_case(
        tmp_path / "a", Case("0344", lambda: tg.Clip("", original, 5.0)), services, "A1"
    )
    assert flags(first) == set()
    own = tg.render(scene.with_(seed=41))
    spliced = tg.splice(own, original, 5, 15, 10)  # 3 s of A's frames at B's frames 10..24
    second = run_case(
        tmp_path / "b", Case("0344", lambda: tg.Clip("", spliced, 5.0)), services, "B1"
    )
    assert flags(second) == {("frames_reuse", "frames_reused")}, [
        f.to_json() for f in second.findings
    ]
    found = next(f for f in second.findings if f.check == "frames_reuse")
    assert found.outcome == "fail" and found.detail["inspection_id"] == "A1"
    # B shows A's frames 5 later (a neighbouring frame of a slow scene may match instead)
    assert all(abs(b - a - 5) <= 1 for b, a in found.detail["matched"]), found.detail["matched"]
    first_frame, last_frame = found.detail["frames"]
    # The bank holds one frame per second of A (5 frames), so the ends are known to that.
    assert 10 <= first_frame <= 14 and 20 <= last_frame <= 24, found.detail
    again = run_case(
        tmp_path / "a2", Case("0344", lambda: tg.Clip("", original, 5.0)), services, "A1"
    )
    # Re-verifying A never matches A itself (only B, which now holds A's frames).
    ids = {f.detail["inspection_id"] for f in again.findings if f.reason == "frames_reused"}
    assert ids == {"B1"}


def test_reencoded_reuse_goes_to_review(tmp_path: Path, services: Services) -> None:
    """A's footage re-encoded into B's video matches by pHash only: a person decides."""
    scene = V25.with_(seed=42, shake=1)
    original = tg.render(scene)
    first = run_case(
        tmp_path / "a", Case("0344", lambda: tg.Clip("", original, 25.0, "video")), services, "VA"
    )
    assert flags(first) == set()
    spliced = tg.splice(tg.render(scene.with_(seed=43)), original, 0, 75, 20)
    second = run_case(
        tmp_path / "b", Case("0344", lambda: tg.Clip("", spliced, 25.0, "video")), services, "VB"
    )
    found = [f for f in second.findings if f.reason == "frames_reused"]
    assert [f.outcome for f in found] == ["review"], [f.to_json() for f in second.findings]
    assert found[0].detail["inspection_id"] == "VA" and not found[0].detail["exact"]
