"""OCR behind a tiny interface: RapidOCR (PP-OCR models shipped in its wheel) on onnxruntime.

Tests and benchmarks can inject any object with the same two methods. The engine is created
once per process and shared; calls are serialised by a lock because onnxruntime sessions are
used from worker threads.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol

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
