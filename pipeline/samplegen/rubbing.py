"""VIN rubbings (拓印膜): pencil or carbon rubbed over tape laid on the stamped VIN.

``render_rubbing(vin, die, rng, variations=...)`` is the public entry point. The glyph shapes
come only from ``render_die_mask(vin, die)``; everything that changes from one rubbing of the
same stamp to the next (placement, scale, pressure, grain, blur, paper) is in
:class:`RubbingVariations`, drawn from ``rng`` unless given.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.samplegen.stamp import DieStyle, render_die_mask


@dataclass(frozen=True)
class RubbingVariations:
    """What differs between two rubbings of the same stamp."""

    tilt_deg: float = 0.0  # rotation of the tape on the paper
    span: float = 0.75  # fraction of the output width the stamped VIN covers
    shift: tuple[float, float] = (0.0, 0.0)  # offset of the VIN from centre, pixels
    pressure: float = 0.8  # mean carbon density 0..1
    unevenness: float = 0.25  # low-frequency pressure variation 0..1
    grain: float = 0.5  # pencil/paper grain 0..1
    blur: float = 0.8  # Gaussian sigma of the scan/photo, pixels
    invert: bool = False  # True: dark glyphs on light ground (carbon that filled the grooves)
    size: tuple[int, int] = (1280, 400)  # output width, height
    paper: tuple[int, int, int] = (236, 240, 242)  # BGR of the backing paper

    @classmethod
    def random(
        cls, rng: np.random.Generator, size: tuple[int, int] = (1280, 400)
    ) -> RubbingVariations:
        """Plausible variation between rubbings taken by different people on different days."""
        return cls(
            tilt_deg=float(rng.uniform(-3.5, 3.5)),
            span=float(rng.uniform(0.62, 0.82)),
            shift=(float(rng.uniform(-30, 30)), float(rng.uniform(-15, 15))),
            pressure=float(rng.uniform(0.65, 0.95)),
            unevenness=float(rng.uniform(0.1, 0.45)),
            grain=float(rng.uniform(0.3, 0.9)),
            blur=float(rng.uniform(0.4, 1.3)),
            invert=bool(rng.random() < 0.15),
            size=size,
            paper=(
                int(rng.integers(225, 246)),
                int(rng.integers(232, 250)),
                int(rng.integers(235, 252)),
            ),
        )


def render_rubbing(
    vin: str,
    die: DieStyle,
    rng: np.random.Generator,
    *,
    variations: RubbingVariations | None = None,
) -> np.ndarray:
    """A rubbing of ``vin`` as stamped by ``die``: BGR ``uint8`` image of ``variations.size``.

    Light glyph strokes on a dark carbon strip (or the reverse with ``invert``), laid on paper.
    Same ``die`` gives the same glyph shapes; ``rng`` and ``variations`` change the rest.
    """
    v = variations or RubbingVariations.random(rng)
    w, h = v.size
    depth = render_die_mask(vin, die)
    dh, dw = depth.shape
    m = cv2.getRotationMatrix2D((dw / 2, dh / 2), v.tilt_deg, v.span * w / dw)
    m[:, 2] += (w / 2 - dw / 2 + v.shift[0], h / 2 - dh / 2 + v.shift[1])
    groove = cv2.warpAffine(depth, m, (w, h), flags=cv2.INTER_LINEAR)
    tape = cv2.warpAffine(np.ones((dh, dw), np.float32), m, (w, h), flags=cv2.INTER_NEAREST)
    tape = cv2.dilate(
        tape, np.ones((int(rng.integers(12, 40)), int(rng.integers(20, 60))), np.uint8)
    )
    carbon = _carbon(w, h, v, rng) * tape
    # Grooves take no carbon: the tape stays clear over them.
    hit = np.clip(groove * 1.8, 0, 1)
    density = carbon * (1 - hit) if not v.invert else carbon * hit * 1.1 + tape * 0.05
    paper = np.array(v.paper, np.float32)
    out = paper * (1 - 0.88 * np.clip(density, 0, 1))[..., None]
    out += _sheen(tape, rng)[..., None]
    out = cv2.GaussianBlur(out, (0, 0), v.blur)
    out += rng.normal(0, 2.5, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _carbon(w: int, h: int, v: RubbingVariations, rng: np.random.Generator) -> np.ndarray:
    """Carbon density: uneven hand pressure times directional pencil grain."""
    field = cv2.resize(rng.random((4, 9)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    pressure = v.pressure * (1 - v.unevenness * field)
    noise = rng.random((h, w)).astype(np.float32)
    ang = rng.uniform(20, 70)
    k: np.ndarray = np.zeros((15, 15), np.float32)
    cv2.line(k, (0, 7), (14, 7), 1.0, 1)
    k = cv2.warpAffine(k, cv2.getRotationMatrix2D((7, 7), ang, 1.0), (15, 15))
    streaks = cv2.filter2D(noise, -1, k / max(k.sum(), 1e-6))
    grain = 1 - v.grain * 0.5 * np.clip((0.55 - streaks) * 4, 0, 1)
    return np.clip(pressure * grain, 0, 1).astype(np.float32)


def _sheen(tape: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A faint light band where the tape reflects the scanner or lamp."""
    h = tape.shape[0]
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    c = rng.uniform(-0.5, 0.5)
    band = np.exp(-(((y - c) / 0.15) ** 2)) * float(rng.uniform(5, 25))
    return band * tape
