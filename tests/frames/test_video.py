"""Opening videos and frame folders: limits, temp-file cleanup, timestamps, partial decoding."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import EvidenceError
from pipeline.frames import testgen as tg
from pipeline.frames.scan import scan, scan_frames
from pipeline.package import FolderFrames, LocalPackage
from pipeline.records import EvidenceItem
from pipeline.video import VideoFrames, open_video

SCENE = tg.Scene(width=320, height=240, fps=20.0, seconds=2.0, speed=60, seed=5)


@pytest.fixture(scope="module")
def video_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 40-frame mp4v clip."""
    path = tmp_path_factory.mktemp("v") / "clip.mp4"
    return tg.write_video(tg.render(SCENE), path, SCENE.fps).read_bytes()


def _open(data: bytes, **limits: int) -> VideoFrames:
    item = EvidenceItem(code="0344", file="clip.mp4", kind="video")
    return open_video(
        item, data, max_frames=limits.get("max_frames", 100), max_pixels=limits.get("px", 10**7)
    )


def test_video_opens_with_count_fps_and_times(video_bytes: bytes) -> None:
    """Container figures, then exact times after a pass; the temp file goes on close."""
    seq = _open(video_bytes)
    assert seq.count == 40 and seq.fps == pytest.approx(20.0)
    times = seq.timestamps()
    assert len(times) == 40 and times[0] == 0.0
    assert np.allclose(np.diff(times), 0.05, atol=1e-3)
    assert os.path.exists(seq.path)
    seq.close()
    assert not os.path.exists(seq.path)


def test_video_partial_decoding_returns_just_the_wanted_frames(video_bytes: bytes) -> None:
    """``frames`` retrieves only what was asked; ``iter_frames`` honours its step."""
    seq = _open(video_bytes)
    got = seq.frames([3, 17])
    assert sorted(got) == [3, 17] and got[3].shape == (240, 320, 3)
    assert [i for i, _ in seq.iter_frames(10)] == [0, 10, 20, 30]
    seq.close()


@pytest.mark.parametrize(
    ("limits", "reason"),
    [({"max_frames": 10}, "evidence_too_large"), ({"px": 320 * 240 - 1}, "evidence_too_large")],
)
def test_video_limits(video_bytes: bytes, limits: dict[str, int], reason: str) -> None:
    """Too many frames or pixels is refused before decoding."""
    with pytest.raises(EvidenceError) as err:
        _open(video_bytes, **limits)
    assert err.value.reason == reason


def test_garbage_is_not_a_video(tmp_path: Path) -> None:
    """Bytes OpenCV cannot decode are ``evidence_unreadable``, and no temp file is left."""
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with pytest.raises(EvidenceError) as err:
        _open(b"\x00\x01 not a video" * 100)
    assert err.value.reason == "evidence_unreadable"
    after = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    assert not [n for n in after - before if n.startswith("inspectpipe-video-")]


def test_video_scan_samples_and_refines(video_bytes: bytes) -> None:
    """At 20 fps the scan samples every other frame; refinement reads exactly the asked ones."""
    seq = _open(video_bytes)
    s = scan(seq)
    assert s.step == 2 and list(s.index[:3]) == [0, 2, 4] and s.count == 40
    assert len(s.kept) == 4  # full frames for plate reading, decoded in the same pass
    fine = scan_frames(seq, range(10, 15))
    assert list(fine.index) == [10, 11, 12, 13, 14]
    seq.close()


def _folder(root: Path, names: list[str], fps: float | None = 5.0) -> FolderFrames:
    item = EvidenceItem(code="0344", file="f/", kind="frames", fps=fps)
    return FolderFrames(LocalPackage(root), item, [f"f/{n}" for n in names], 10**7, 10**7)


def test_folder_timestamps_from_json_names_or_fps(tmp_path: Path) -> None:
    """timestamps.json wins, then ``_<n>ms`` names, then nominal i/fps."""
    frames = tg.render(SCENE.with_(seconds=0.25))
    tg.write_folder(frames, tmp_path / "f", timestamps=[10.0, 10.1, 10.25, 10.3, 10.5])
    seq = _folder(tmp_path, [f"{i:06d}.jpg" for i in range(5)])
    assert seq.timestamps() == pytest.approx([0, 0.1, 0.25, 0.3, 0.5])
    assert seq.timestamps_source == "file"
    (tmp_path / "f" / "timestamps.json").unlink()
    names = [f"{i:03d}_{1700000000000 + 300 * i}ms.jpg" for i in range(5)]
    for i, n in enumerate(names):
        (tmp_path / "f" / f"{i:06d}.jpg").rename(tmp_path / "f" / n)
    seq = _folder(tmp_path, names)
    assert seq.timestamps() == pytest.approx([0, 0.3, 0.6, 0.9, 1.2])
    assert seq.timestamps_source == "names"
    seq = _folder(tmp_path, [*names[:2], "plain.jpg"])
    assert seq.timestamps() == pytest.approx([0, 0.2, 0.4]) and seq.timestamps_source == "nominal"


def test_bad_timestamps_file_is_an_evidence_error(tmp_path: Path) -> None:
    """A timestamps.json that does not give one number per frame is refused, by name."""
    tg.write_folder(tg.render(SCENE.with_(seconds=0.15)), tmp_path / "f")
    (tmp_path / "f" / "timestamps.json").write_text(json.dumps([0.0, "x", 0.2]))
    seq = _folder(tmp_path, [f"{i:06d}.jpg" for i in range(3)])
    with pytest.raises(EvidenceError, match=r"timestamps\.json"):
        seq.timestamps()


def test_reduced_decoding_keeps_the_limits(tmp_path: Path) -> None:
    """The scan's reduced JPEG decode refuses what full decoding refuses."""
    tg.write_folder(tg.render(SCENE.with_(seconds=0.1)), tmp_path / "f")
    path = tmp_path / "f" / "000000.jpg"
    path.write_bytes(path.read_bytes()[:-400])
    seq = _folder(tmp_path, ["000000.jpg"])
    with pytest.raises(EvidenceError) as err:
        seq.gray_reduced(0, 2)
    assert err.value.reason == "evidence_truncated"


def test_a_damaged_frame_is_never_a_pass(tmp_path: Path) -> None:
    """A truncated frame in a folder turns every frame check into a review naming the file."""
    from pipeline.config import load_settings
    from pipeline.services import Services
    from pipeline.verify import verify_package

    frames = tg.render(SCENE.with_(fps=5.0, seconds=3.0))
    root = tg.write_package(tmp_path / "p", [tg.Clip("0344", frames, 5.0)])
    bad = root / "0344_0" / "000007.jpg"
    bad.write_bytes(bad.read_bytes()[:-300])
    services = Services(load_settings(None).model_copy(update={"home": str(tmp_path / "h")}))
    checks = ["frames_duration", "frames_frozen", "frames_loop", "vehicle_motion"]
    verdict = verify_package(LocalPackage(root), services, only=checks)
    outcomes = {(f.check, f.outcome, f.reason) for f in verdict.findings}
    assert outcomes == {(c, "review", "check_error") for c in checks}
    assert all("000007.jpg" in f.detail["error"] for f in verdict.findings)
