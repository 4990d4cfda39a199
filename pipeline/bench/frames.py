"""``inspectpipe bench frames``: frames per second checked vs decoded, same sequence, same run.

Renders one clean, varied clip (moving vehicle with plate, camera shake, lighting drift,
noise) and writes it twice into a package: as a JPEG frame folder (0344) and as an mp4v video
(0342). For each sequence, alternately and ``--repeat`` times on freshly loaded packages:

- *decode-only*: every frame decoded to BGR through the sequence's own ``iter_frames`` (the
  cost any per-frame check would pay at least);
- *checking*: every frame check on the same item (scan, duration, frozen, loops, timing,
  bank lookups + adds on a throwaway SQLite bank, vehicle motion, plate OCR), and once more
  without the plate check (OCR) for reference. The first check pays for the shared scan.

Reports medians and ``ratio = checked fps / decode-only fps``. Target: ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.checks.base import CheckContext
from pipeline.cli.app import App
from pipeline.frames import testgen as tg
from pipeline.package import LoadedPackage, LocalPackage
from pipeline.services import Services
from pipeline.verify import load

FRAME_CHECKS = [
    "frames_duration",
    "frames_frozen",
    "frames_loop",
    "frames_timing",
    "frames_reuse",
    "vehicle_motion",
    "frames_plate",
]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench frames``."""
    p.add_argument("--seconds", type=float, default=10.0, help="clip length (default 10)")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--folder-fps", type=float, default=10.0)
    p.add_argument("--video-fps", type=float, default=25.0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace, app: App) -> int:
    """Render, write, time, print."""
    with tempfile.TemporaryDirectory(prefix="inspectpipe-bench-frames-") as tmp:
        out = bench(app, Path(tmp), args)
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        _table(out)
    return 0


def bench(app: App, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """All figures, as a dict."""
    scene = tg.Scene(
        width=args.width, height=args.height, seconds=args.seconds, shake=3.0, lighting=0.2
    )
    clips = [
        tg.Clip("0344", tg.render(scene.with_(fps=args.folder_fps, seed=1)), args.folder_fps),
        tg.Clip(
            "0342", tg.render(scene.with_(fps=args.video_fps, seed=2)), args.video_fps, "video"
        ),
    ]
    root = tg.write_package(tmp / "pkg", clips)
    settings = app.settings.model_copy(update={"home": str(tmp / "home")})
    services = Services(settings)
    # Load the OCR models and migrate the throwaway bank before anything is timed.
    services.ocr.read_line(clips[0].frames[0][:48, :160])
    services.hash_bank.count()
    results: dict[str, Any] = {"width": args.width, "height": args.height, "sequences": []}
    for n, clip in enumerate(clips):
        results["sequences"].append(_one(services, root, n, clip, args.repeat))
    services.close()
    return results


def _one(services: Services, root: Path, n: int, clip: tg.Clip, repeat: int) -> dict[str, Any]:
    decode, check, no_ocr = [], [], []
    per_check: dict[str, list[float]] = {}
    count = 0
    for _ in range(repeat):
        item = load(LocalPackage(root), services).items[n]
        assert item.frames is not None
        t0 = time.perf_counter()
        count = sum(1 for _ in item.frames.iter_frames(1))
        decode.append(time.perf_counter() - t0)
        t, times = _check(services, load(LocalPackage(root), services), n, FRAME_CHECKS)
        check.append(t)
        for name, ms in times.items():
            per_check.setdefault(name, []).append(ms)
        t, _ = _check(services, load(LocalPackage(root), services), n, FRAME_CHECKS[:-1])
        no_ocr.append(t)
    dec_fps = count / statistics.median(decode)
    chk_fps = count / statistics.median(check)
    return {
        "sequence": clip.kind,
        "code": clip.code,
        "frames": count,
        "fps": clip.fps,
        "decode_only_fps": round(dec_fps, 1),
        "checked_fps": round(chk_fps, 1),
        "ratio": round(chk_fps / dec_fps, 2),
        "checked_fps_without_ocr": round(count / statistics.median(no_ocr), 1),
        "ratio_without_ocr": round(count / statistics.median(no_ocr) / dec_fps, 2),
        "check_ms": {k: round(statistics.median(v), 1) for k, v in sorted(per_check.items())},
    }


def _check(
    services: Services, pkg: LoadedPackage, n: int, checks: list[str]
) -> tuple[float, dict[str, float]]:
    """Time every named check on item ``n``, sharing one item cache as the runner does.

    Checks are called directly (not through the photo-type table) so that one clip is timed
    with all of them, motion and plate alike. The inspection id is the same in every run:
    the bank excludes it, so runs do not find each other.
    """
    item = pkg.items[n]
    ctx = CheckContext(
        package=pkg,
        vehicle=pkg.manifest.vehicle,
        registry=None,
        services=services,
        tz=ZoneInfo(services.settings.timezone),
    )
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    for name in checks:
        t = time.perf_counter()
        services.checks[name].check_item(ctx, item)
        times[name] = (time.perf_counter() - t) * 1000.0
    return time.perf_counter() - t0, times


def _table(out: dict[str, Any]) -> None:
    print(f"bench frames: {out['width']}x{out['height']}, medians of the runs")
    head = "sequence  frames  decode-only fps  checked fps  ratio  (no OCR: fps, ratio)"
    print(head)
    for s in out["sequences"]:
        print(
            f"{s['sequence']:<8}  {s['frames']:>6}  {s['decode_only_fps']:>15}  "
            f"{s['checked_fps']:>11}  {s['ratio']:>5}  ({s['checked_fps_without_ocr']}, "
            f"{s['ratio_without_ocr']})"
        )
        print("          per check ms: " + ", ".join(f"{k} {v}" for k, v in s["check_ms"].items()))
    print("target: ratio >= 0.5 (checking keeps up with decoding)")
