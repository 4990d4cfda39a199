"""The glyph-pair network: how unlike the same die's stamping two aligned glyph windows look.

A small convolutional network (``models/glyphpair``: training script, model card, ONNX) reads
the reference's and the candidate's window of one glyph as :func:`pipeline.vin.glyphs.measure`
aligns them (blur matched, divided by the local peak, cuts repaired, best shift and rotation)
and gives a logit: high when the candidate glyph was punched by another die or altered (a
re-punch of another design, a look-alike stroke), low for the same die seen through another
rubbing and photo. It was trained on generated pairs only (styles A-D of
:mod:`pipeline.vin.evalgen`, seeds of its own); :mod:`pipeline.vin.compare` uses the logit
against the band's median as one measurement among the others (``design``), at a scale set on
genuine pairs like theirs.

The model runs with onnxruntime on one thread; its file is checked against the sha256 in the
model card before it is loaded.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.ocr_models import single_thread_session

MODEL = Path(__file__).resolve().parents[2] / "models" / "glyphpair" / "glyphpair.onnx"
SHA256 = "7a827ef1b608be4ddb4696d76084317b1cea0c849694e337526d4032d140cf37"

_lock = threading.Lock()
_session: Any = None


class ModelError(RuntimeError):
    """The glyph-pair model file is missing or is not the one the thresholds were set with."""


def _load(path: Path = MODEL, sha256: str = SHA256) -> Any:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelError(f"glyph-pair model {path} cannot be read: {e}") from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ModelError(
            f"glyph-pair model {path} has sha256 {digest}, expected {sha256} "
            "(models/glyphpair/README.md): the comparison's scales were set with that model"
        )
    return single_thread_session(data)


def session() -> Any:
    """The loaded model (once per process)."""
    global _session
    with _lock:
        if _session is None:
            _session = _load()
        return _session


def logits(windows: np.ndarray, model: Any = None) -> np.ndarray:
    """Logits for ``windows`` shaped (glyphs, 2, height, width): reference, candidate; by the
    model in use, or by ``model`` (an onnxruntime session of another network, for offline
    comparisons of networks: :mod:`pipeline.vin.offline`)."""
    if windows.ndim != 4 or windows.shape[1] != 2:
        raise ValueError(f"glyph windows must be (n, 2, h, w), not {windows.shape}")
    if len(windows) == 0:
        return np.zeros(0, np.float32)
    run = (model if model is not None else session()).run
    out = run(None, {"windows": np.ascontiguousarray(windows, np.float32)})
    return np.asarray(out[0], np.float32).reshape(len(windows))
