"""Editing forensics: editor software names, JPEG quality estimate, double quantisation, ELA.

* Error-level analysis (ELA): re-save the photo at its own estimated quality and look at how
  much each 16x16 block changes. Raw error levels follow texture (edges change most), so the
  level is divided by the block's gradient energy; a pasted or retouched region with another
  compression history then stands out as a connected cluster of outlier blocks.
* Double quantisation: the histogram of an AC DCT coefficient of a once-compressed photo
  decays smoothly; a second compression with another table leaves periodic holes or peaks.
  Station software usually re-encodes camera JPEGs when it burns the watermark, so this is
  reported as a measure, not treated as evidence on its own.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from pipeline.imaging import encode_jpeg

EDITORS = re.compile(
    r"photoshop|gimp|lightroom|meitu|美图|snapseed|picsart|pixlr|paint\.net|canva|醒图|"
    r"vsco|affinity|pixelmator|photoscape|acdsee|faceu|beautycam|picmonkey|fotor|inshot|"
    r"天天p图|p图|polarr|photodirector",
    re.IGNORECASE,
)

# The IJG (libjpeg) standard luminance table at quality 50.
_IJG_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    dtype=np.float64,
)  # fmt: skip


_IJG_QUALITIES = np.arange(10, 101)
_IJG_LOG = np.log(
    np.stack(
        [
            np.clip(
                np.floor((_IJG_LUMA * (5000 / q if q < 50 else 200 - 2 * q) + 50) / 100), 1, 255
            )
            for q in _IJG_QUALITIES
        ]
    )
)


def _dct_matrix(n: int = 8) -> np.ndarray:
    k = np.arange(n)
    m = np.cos(np.pi * (2 * k[None, :] + 1) * k[:, None] / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m.astype(np.float32)


_DCT8 = _dct_matrix()  # orthonormal DCT-II, the same transform as cv2.dct on 8x8 blocks


def editor_name(*fields: str | None) -> str | None:
    """The first field naming a known photo editor, or None."""
    for value in fields:
        if value and EDITORS.search(value):
            return value
    return None


def jpeg_luma_table(data: bytes) -> np.ndarray | None:
    """The 64 luminance quantisation steps of a JPEG in natural (row-major) order, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "JPEG":
                    return None
                tables = getattr(img, "quantization", None) or {}
                table = tables.get(0)
    except Exception:  # not a JPEG we can parse: no table, no JPEG evidence
        return None
    if table is None or len(table) != 64:
        return None
    return np.asarray(table, dtype=np.float64)


def estimate_quality(table: np.ndarray) -> int:
    """The IJG quality whose scaled standard table is nearest to ``table``."""
    err = np.abs(_IJG_LOG - np.log(np.maximum(table, 1))[None, :]).mean(axis=1)
    return int(_IJG_QUALITIES[int(np.argmin(err))])


@dataclass(frozen=True)
class ElaResult:
    """Outlier-cluster score of the normalised error levels, and a heatmap for reviewers."""

    score: float  # share of the image in the largest outlier cluster
    outlier_blocks: int
    quality: int
    heat: np.ndarray  # per-block normalised error level (float32)


def ela(image: np.ndarray, quality: int, *, work_side: int = 1024, z: float = 6.0) -> ElaResult:
    """Error-level analysis on a copy scaled to at most ``work_side`` (keeps 8x8 alignment)."""
    img = image
    h, w = img.shape[:2]
    # Only crop (never rescale) so the JPEG block grid stays aligned; a centre crop of
    # ``work_side`` keeps the cost bounded at any resolution.
    if max(h, w) > work_side:
        y0 = ((h - min(h, work_side)) // 2) // 8 * 8
        x0 = ((w - min(w, work_side)) // 2) // 8 * 8
        img = img[y0 : y0 + min(h, work_side), x0 : x0 + min(w, work_side)]
    y = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
    resaved = cv2.imdecode(np.frombuffer(encode_jpeg(y, quality), np.uint8), cv2.IMREAD_GRAYSCALE)
    if resaved is None:  # encoding our own array cannot fail; guard for the type checker
        resaved = y
    diff = cv2.absdiff(y, resaved).astype(np.float32)
    grad = cv2.Laplacian(y.astype(np.float32), cv2.CV_32F, ksize=1)
    bh, bw = y.shape[0] // 16, y.shape[1] // 16
    if bh < 4 or bw < 4:
        return ElaResult(0.0, 0, quality, np.zeros((1, 1), np.float32))
    err = cv2.resize(diff[: bh * 16, : bw * 16], (bw, bh), interpolation=cv2.INTER_AREA)
    tex = cv2.resize(np.abs(grad[: bh * 16, : bw * 16]), (bw, bh), interpolation=cv2.INTER_AREA)
    heat = err / (0.08 * tex + 0.5)
    med = float(np.median(heat))
    mad = float(np.median(np.abs(heat - med))) * 1.4826 + 1e-3
    outliers = ((heat - med) / mad > z).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(outliers, connectivity=8)
    largest = int(stats[1:, cv2.CC_STAT_AREA].max()) if n > 1 else 0
    return ElaResult(largest / heat.size, int(outliers.sum()), quality, heat.astype(np.float32))


def heatmap_jpeg(image: np.ndarray, heat: np.ndarray, *, side: int = 800) -> bytes:
    """The photo with the normalised error levels overlaid in false colour (for reviewers)."""
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    base = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))))
    if base.ndim == 2:
        base = cv2.cvtColor(base, cv2.COLOR_GRAY2BGR)
    top = float(np.percentile(heat, 99.5)) or 1.0
    norm = np.clip(heat / top * 255.0, 0, 255).astype(np.uint8)
    color = cv2.applyColorMap(cv2.resize(norm, base.shape[1::-1]), cv2.COLORMAP_JET)
    return encode_jpeg(cv2.addWeighted(base, 0.55, color, 0.45, 0), 80)


def double_quantisation(gray: np.ndarray, table: np.ndarray, *, side: int = 512) -> float:
    """Mean number of holes/peaks per low-frequency AC histogram (k = 1..12).

    Measured: once-compressed real photos 0-0.5, synthetic flat-colour scenes about 2,
    photos compressed at q70 then q92 3-9 (weaker, 0.1-3, after a third compression).
    """
    g = gray[: min(gray.shape[0], side) // 8 * 8, : min(gray.shape[1], side) // 8 * 8]
    blocks = g.astype(np.float32).reshape(g.shape[0] // 8, 8, g.shape[1] // 8, 8) - 128.0
    blocks = blocks.transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    if len(blocks) < 64:
        return 0.0
    low = _DCT8[:3]  # only the 3x3 lowest terms are used
    coeffs = low @ blocks @ low.T
    events = 0
    positions = [(0, 1), (1, 0), (1, 1), (0, 2), (2, 0), (1, 2), (2, 1), (2, 2)]
    for r, c in positions:
        k = np.abs(np.rint(coeffs[:, r, c] / table[r * 8 + c])).astype(np.int64)
        hist = np.bincount(k[k <= 12], minlength=13)[1:13].astype(np.float64)
        if hist[:4].sum() < 200:
            continue
        neigh = (hist[:-2] + hist[2:]) / 2.0
        holes = (hist[1:-1] < 0.5 * neigh) & (neigh > 20)
        peaks = (hist[1:-1] > 1.8 * neigh) & (hist[1:-1] > 20)
        events += int(holes.sum() + peaks.sum())
    return events / len(positions)
