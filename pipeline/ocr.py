"""OCR behind a tiny interface: RapidOCR (PP-OCR models shipped in its wheel) on onnxruntime.

Tests and benchmarks can inject any object with the same two methods. The engine is created
once per process and shared; calls are serialised by a lock because onnxruntime sessions are
used from worker threads.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class LineOcr(OcrEngine, Protocol):
    """An engine that can also detect lines and recognise chosen ones separately, so a
    caller looking for one line (a VIN) recognises only the lines it wants."""

    def detect(self, image: np.ndarray, *, max_side: int = 960) -> list[Box]:
        """Text-line boxes in ``image`` coordinates."""

    def recognize(self, image: np.ndarray, boxes: Sequence[Box]) -> list[OcrLine]:
        """Read the given boxes of ``image``."""


class RapidOcrEngine:
    """RapidOCR with its bundled PP-OCRv4 models."""

    def __init__(
        self, threads: int = 1, *, fold_models: bool = True, cache_dir: Path | None = None
    ) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                "OCR needs rapidocr_onnxruntime: pip install rapidocr_onnxruntime"
            ) from exc
        paths = _model_paths(fold_models, cache_dir)

        def engine(models: dict[str, Path]) -> Any:
            with _memory_arena():
                return RapidOCR(
                    intra_op_num_threads=threads,
                    inter_op_num_threads=1,
                    print_verbose=False,
                    det_model_path=str(models["Det"]),
                    rec_model_path=str(models["Rec"]),
                )

        try:
            self._engine: Any = engine(paths)
        except Exception as exc:  # onnxruntime raises its own types for a damaged file
            wheel = _model_paths(False, None)
            if paths == wheel:
                raise
            # A damaged cached copy must not stop the worker: run the wheel's models now and
            # drop the copy, so the next start folds again.
            log.warning("OCR: cached folded models do not load (%s); using the wheel's", exc)
            for part, path in paths.items():
                if path != wheel[part]:
                    path.unlink(missing_ok=True)
            paths = wheel
            self._engine = engine(paths)
        self.model_paths = paths
        # Names the recogniser whose reads may be kept beside evidence (``read_band``).
        digest = hashlib.sha256(paths["Rec"].read_bytes()).hexdigest()[:12]
        self.model_tag = f"{paths['Rec'].name}:{digest}"
        self._det_pre: Any = DetPreProcess
        self._det_pres: dict[int, Any] = {}  # the detector's resizer per longest side
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

    def detect(self, image: np.ndarray, *, max_side: int = 960) -> list[Box]:
        """Text-line boxes (4 points, in ``image`` coordinates), detected on a copy whose
        longest side is at most ``max_side``.

        RapidOCR's own ``limit_type="max"`` raises the limit to 1500 or 2000 pixels for
        larger images, so the copy is made here; detection cost grows with its area.
        """
        h, w = image.shape[:2]
        scale = min(1.0, max_side / max(h, w))
        small = image
        if scale < 1.0:
            size = (max(32, round(w * scale)), max(32, round(h * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        det = self._engine.text_det
        tensor = self._det_tensor(small, max_side)
        if tensor is None:
            return []
        with self._lock:
            preds = det.infer(tensor)[0]
        boxes, _ = det.postprocess_op(preds, small.shape[:2])
        boxes = det.filter_tag_det_res(boxes, small.shape[:2])
        sx, sy = w / small.shape[1], h / small.shape[0]
        return [tuple((float(x) * sx, float(y) * sy) for x, y in b) for b in boxes]

    def _det_tensor(self, small: np.ndarray, max_side: int) -> np.ndarray | None:
        """The detector's input: ``small`` resized to multiples of 32 and normalised.

        The engine's own preprocessing scales every image UP to a 736-pixel shortest side
        ("max" keeps the copy at its size) and normalises in float64; OpenCV's blob does the
        same arithmetic in one float32 pass when the three channels share one deviation.
        """
        det = self._engine.text_det
        pre = self._det_pres.get(max_side)
        if pre is None:
            pre = self._det_pres[max_side] = self._det_pre(max_side, "max", det.mean, det.std)
        std = np.asarray(det.std, dtype=np.float64)
        if not np.all(std == std[0]):
            tensor: np.ndarray | None = pre(small)
            return tensor
        resized = pre.resize(small)
        if resized is None:
            return None
        mean = tuple(float(m) * 255.0 for m in det.mean)
        blob = cv2.dnn.blobFromImage(resized, scalefactor=1.0 / (255.0 * float(std[0])), mean=mean)
        return np.asarray(blob)

    def recognize(self, image: np.ndarray, boxes: Sequence[Box]) -> list[OcrLine]:
        """Recognise the given boxes of ``image`` (upright perspective crops), in one batch."""
        if not boxes:
            return []
        crops = [_crop(image, np.asarray(b, dtype=np.float32)) for b in boxes]
        with self._lock:
            results, _ = self._engine.text_rec(crops)
        return [
            OcrLine(str(res[0]), float(res[1]), tuple(box))
            for box, res in zip(boxes, results, strict=True)
        ]


@contextmanager
def _memory_arena() -> Iterator[None]:
    """Sessions made inside keep onnxruntime's CPU memory arena on.

    RapidOCR turns the arena off, so every run allocates and frees its intermediate tensors
    (tens of MB for a page's detection: fresh pages the kernel must zero each time). With the
    arena the buffers are reused: detection on real forms and VIN photos at 640/960 px took
    80 -> 64 ms, and the process's peak resident memory did not grow (578-582 MB against
    594-640 MB without; measured with one thread). RapidOCR builds its session options in one
    static method, wrapped here for the duration of the engine's construction only.
    """
    from rapidocr_onnxruntime.utils import infer_engine

    cls = infer_engine.OrtInferSession
    original = inspect.getattr_static(cls, "_init_sess_opts")

    def with_arena(config: dict[str, Any]) -> Any:
        opts = original.__func__(config)
        opts.enable_cpu_mem_arena = True
        return opts

    cls._init_sess_opts = staticmethod(with_arena)
    try:
        yield
    finally:
        cls._init_sess_opts = original


# Probe shapes for checking a folded model against its original (batch, channels, h, w).
_PROBES = {"Det": (1, 3, 96, 128), "Rec": (1, 3, 48, 160)}


def _model_paths(fold_models: bool, cache_dir: Path | None) -> dict[str, Path]:
    """The wheel's detection and recognition models, folded (see pipeline.ocr_models)."""
    from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
    from rapidocr_onnxruntime.utils import read_yaml, update_model_path

    config = update_model_path(read_yaml(DEFAULT_CFG_PATH))
    paths = {part: Path(config[part]["model_path"]) for part in _PROBES}
    if not fold_models:
        return paths
    from pipeline.ocr_models import default_cache_dir, folded_model

    where = cache_dir or default_cache_dir()
    return {part: folded_model(path, where, _PROBES[part]) for part, path in paths.items()}


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
