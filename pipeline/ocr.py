"""OCR behind a tiny interface: RapidOCR (PP-OCR models shipped in its wheel) on onnxruntime.

Tests and benchmarks can inject any object with the same two methods. The engine is created
once per process and shared; calls are serialised by a lock because onnxruntime sessions are
used from worker threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from pipeline.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OcrLine:
    """One line of text found in an image: the text, its confidence and its 4-point box."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]

    @property
    def center(self) -> tuple[float, float]:
        """Centre of the box."""
        xs = [p[0] for p in self.box]
        ys = [p[1] for p in self.box]
        return (sum(xs) / len(xs), sum(ys) / len(ys))


class OcrEngine(Protocol):
    """Detect and read text lines, or read one already-cropped line."""

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Find and read every text line of a BGR or gray image."""

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Read a cropped single line (no detection): text and confidence."""


Box = tuple[tuple[float, float], ...]


class RapidOcrEngine:
    """RapidOCR with its bundled PP-OCRv4 models."""

    def __init__(self, threads: int = 1) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                "OCR needs rapidocr_onnxruntime: pip install rapidocr_onnxruntime"
            ) from exc
        self._engine: Any = RapidOCR(
            intra_op_num_threads=threads, inter_op_num_threads=1, print_verbose=False
        )
        # Detection for read_selected: a copy bounded by its longest side (the default engine
        # scales every image UP to a 736-pixel shortest side, which costs time and memory on
        # whole pages). Same model files, so no extra download or pin.
        self._det_engine: Any = RapidOCR(
            intra_op_num_threads=threads,
            inter_op_num_threads=1,
            print_verbose=False,
            det_limit_type="max",
            det_limit_side_len=960,
        )
        self._lock = threading.Lock()

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Detection + classification + recognition."""
        with self._lock:
            result, _ = self._engine(image, use_cls=False)
        lines = []
        for box, text, score in result or []:
            pts = tuple((float(x), float(y)) for x, y in box)
            lines.append(OcrLine(str(text), float(score), pts))
        return lines

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Recognition only, on an image that holds one line of text."""
        with self._lock:
            result, _ = self._engine(image, use_det=False, use_cls=False, use_rec=True)
        if not result:
            return "", 0.0
        text, score = result[0][0], result[0][1]
        return str(text), float(score)

    def read_selected(
        self, image: np.ndarray, keep: Callable[[Box], bool], *, limit: int = 12
    ) -> list[OcrLine]:
        """Detect lines on a page (longest side bounded), then recognise only the lines
        ``keep`` accepts, at most ``limit`` of them (widest first), in one batch.

        Reading every line of a document costs about 30 ms a line; a VIN is one line.
        """
        with self._lock:
            boxes, _ = self._det_engine(image, use_cls=False, use_rec=False)
        chosen = [b for b in boxes or [] if keep(tuple((float(x), float(y)) for x, y in b))]
        chosen.sort(key=lambda b: -_aspect(b))
        chosen = chosen[:limit]
        if not chosen:
            return []
        crops = [_crop(image, np.asarray(b, dtype=np.float32)) for b in chosen]
        with self._lock:
            results, _ = self._engine.text_rec(crops)
        lines = []
        for box, res in zip(chosen, results, strict=True):
            pts = tuple((float(x), float(y)) for x, y in box)
            lines.append(OcrLine(str(res[0]), float(res[1]), pts))
        return lines


def _aspect(box: Any) -> float:
    pts = np.asarray(box, dtype=np.float32)
    w = float(np.linalg.norm(pts[1] - pts[0]))
    h = float(np.linalg.norm(pts[3] - pts[0]))
    return w / max(h, 1.0)


def _crop(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Perspective crop of a 4-point text box, upright (as PP-OCR's own pipeline does)."""
    w = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    h = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    w, h = max(w, 1), max(h, 1)
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, dst)
    crop = cv2.warpPerspective(
        image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if h / w >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)
