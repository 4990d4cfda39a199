"""``inspectpipe bench ocr``: the wheel's PP-OCR graphs against their folded copies, same run.

Both versions of the detector and the recogniser (:mod:`pipeline.ocr_models`) run on the same
inputs, alternately, ``--repeat`` rounds, one onnxruntime thread each: detector inputs of the
sizes ``read_vin`` uses (640 and 960 px on the long side of a 16:9 photo), recogniser inputs
of a short line (the 320-px minimum a plate or a date pads to) and a long one (a VIN with
its label). Inputs are real crops of a sample photo, so activations look like text. Prints
median milliseconds per run, ``speedup = wheel / folded``, and the largest output difference
(the fold keeps the arithmetic; differences are float rounding).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.cli.app import App

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "packages" / "14-clean" / "0201.jpg"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``bench ocr``."""
    p.add_argument("--repeat", type=int, default=15, help="rounds per input (default 15)")
    p.add_argument("--image", type=Path, default=SAMPLE, help="photo the inputs are cut from")


def _inputs(image: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    def det(side: int) -> np.ndarray:
        h, w = image.shape[:2]
        k = side / max(h, w)
        size = (round(w * k / 32) * 32, round(h * k / 32) * 32)
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return np.asarray(cv2.dnn.blobFromImage(small, 1 / 127.5, mean=(127.5,) * 3))

    def rec(width: int) -> np.ndarray:
        h, w = image.shape[:2]
        strip = image[h // 3 : h // 3 + h // 12, : w // 2]
        line = cv2.resize(strip, (width, 48), interpolation=cv2.INTER_AREA)
        return np.asarray(cv2.dnn.blobFromImage(line, 1 / 127.5, mean=(127.5,) * 3))

    return {
        "det 640": ("Det", det(640)),
        "det 960": ("Det", det(960)),
        "rec 48x320": ("Rec", rec(320)),
        "rec 48x480": ("Rec", rec(480)),
    }


def run(args: argparse.Namespace, app: App) -> int:
    """Measure and print."""
    from pipeline.ocr import _model_paths
    from pipeline.ocr_models import single_thread_session as session

    image = cv2.imread(str(args.image))
    if image is None:
        raise SystemExit(f"bench ocr: cannot read {args.image}")
    cache = app.settings.ocr.model_cache
    wheel = _model_paths(False, None)
    folded = _model_paths(True, Path(app.settings.expand(cache)) if cache else None)
    sessions = {part: (session(wheel[part]), session(folded[part])) for part in ("Det", "Rec")}
    out: dict[str, Any] = {"models": {p: str(folded[p]) for p in folded}, "inputs": {}}
    for label, (part, x) in _inputs(image).items():
        a, b = sessions[part]
        feed = {"x": x}
        diff = float(np.abs(a.run(None, feed)[0] - b.run(None, feed)[0]).max())
        times: dict[str, list[float]] = {"wheel": [], "folded": []}
        for _ in range(args.repeat):
            for name, s in (("wheel", a), ("folded", b)):
                t0 = time.process_time()
                s.run(None, feed)
                times[name].append((time.process_time() - t0) * 1000)
        med = {k: statistics.median(v) for k, v in times.items()}
        out["inputs"][label] = {
            "shape": list(x.shape),
            "wheel_ms": round(med["wheel"], 2),
            "folded_ms": round(med["folded"], 2),
            "speedup": round(med["wheel"] / med["folded"], 2),
            "max_output_diff": diff,
        }
    print(json.dumps(out, indent=1))
    return 0
