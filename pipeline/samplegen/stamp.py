"""Stamped VINs: the physical die impression (:class:`DieStyle`) and the 0113 VIN photo.

A :class:`DieStyle` describes one VIN as physically stamped on one frame: the punch font,
size, stroke depth, spacing and each position's tilt and offset (how the worker's hand put
each punch down), plus per-punch wear. Everything drawn from the same ``DieStyle`` (VIN
photos and every rubbing) shows the same glyph shapes; a restamped or altered VIN is a
different ``DieStyle`` (:func:`DieStyle.random` again, or :meth:`DieStyle.altered`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image, ImageDraw

from pipeline.samplegen import effects
from pipeline.samplegen.fonts import STAMP_FACES, FontFace, available, pick
from pipeline.samplegen.scene import warp_onto


@dataclass(frozen=True)
class DieStyle:
    """One physical VIN stamping: font, size, stroke, spacing, per-position tilt/offset."""

    face: FontFace
    height_px: int = 64  # glyph height at the die's native resolution
    width_scale: float = 0.6  # glyph width as a fraction of its height
    stroke: int = 3  # punch line width (px at native resolution)
    spacing: float = 1.2  # advance as a multiple of the glyph width
    tilts: tuple[float, ...] = ()  # degrees, one per position
    offsets: tuple[tuple[float, float], ...] = ()  # (dx, dy) px, one per position
    wear_seed: int = 0  # fixes each punch's nicks and worn corners
    overrides: tuple[tuple[int, FontFace], ...] = ()  # positions punched with another set
    # Characters punched over a position's own with its set, tilt and offset: a stroke
    # added to make a look-alike (an 8 over a 3).
    additions: tuple[tuple[int, str], ...] = ()

    @classmethod
    def random(cls, rng: np.random.Generator, n: int = 17) -> DieStyle:
        """A new stamping: random punch set, spacing and hand placement of each position."""
        return cls(
            face=pick(STAMP_FACES, rng),
            height_px=int(rng.integers(56, 76)),
            width_scale=float(rng.uniform(0.5, 0.7)),
            stroke=int(rng.integers(2, 5)),
            spacing=float(rng.uniform(1.1, 1.35)),
            tilts=tuple(float(v) for v in rng.normal(0, 1.6, n)),
            offsets=tuple((float(a), float(b)) for a, b in rng.normal(0, 1.8, (n, 2))),
            wear_seed=int(rng.integers(1 << 31)),
        )

    def altered(self, position: int, rng: np.random.Generator) -> DieStyle:
        """The same stamping with one position ground off and re-punched with another set."""
        others = [f for f in available(STAMP_FACES) if f != self.face] or [self.face]
        face = others[int(rng.integers(len(others)))]
        tilts = list(self.tilts)
        offsets = list(self.offsets)
        tilts[position] = float(rng.choice([-1, 1]) * rng.uniform(4, 8))
        offsets[position] = (
            float(rng.uniform(-5, 5)),
            float(rng.choice([-1, 1]) * rng.uniform(4, 7)),
        )
        return replace(
            self,
            tilts=tuple(tilts),
            offsets=tuple(offsets),
            overrides=(*self.overrides, (position, face)),
        )

    def advance(self) -> float:
        """Distance between glyph origins in native pixels."""
        return self.height_px * self.width_scale * self.spacing


def render_die_mask(vin: str, die: DieStyle) -> np.ndarray:
    """Groove depth of the stamped VIN, float32 in [0, 1], at the die's native resolution.

    Deterministic in (vin, die): this is the shape every photo and rubbing of the stamp shares.
    """
    h = die.height_px
    gw = round(h * die.width_scale)
    margin = h // 2
    width = round(margin * 2 + die.advance() * (len(vin) - 1) + gw)
    canvas = np.zeros((h + 2 * margin, width), np.float32)
    faces = dict(die.overrides)
    punches = [*enumerate(vin), *die.additions]
    for i, ch in punches:
        glyph = _punch(ch, faces.get(i, die.face), gw, h, die.stroke, die.wear_seed + i * 7919)
        tilt = die.tilts[i] if i < len(die.tilts) else 0.0
        dx, dy = die.offsets[i] if i < len(die.offsets) else (0.0, 0.0)
        m = cv2.getRotationMatrix2D((gw / 2, h / 2), tilt, 1.0)
        x0 = margin + i * die.advance() + dx
        y0 = margin + dy
        m[:, 2] += np.array((x0, y0))
        placed = cv2.warpAffine(glyph, m, (width, canvas.shape[0]), flags=cv2.INTER_LINEAR)
        canvas = np.maximum(canvas, placed)
    # V-shaped groove: deepest along the stroke's centre line.
    dist = cv2.distanceTransform((canvas > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    depth = np.clip(dist / max(1.0, die.stroke / 1.6), 0, 1)
    return cv2.GaussianBlur(depth.astype(np.float32), (0, 0), 0.8)


def _punch(ch: str, face: FontFace, w: int, h: int, stroke: int, seed: int) -> np.ndarray:
    """One punch's glyph, stretched to the cell, thickened to the stroke, with its wear."""
    font = face.at(h * 2)
    left, top, right, bottom = font.getbbox(ch)
    img = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))), 0)
    ImageDraw.Draw(img).text((-left, -top), ch, font=font, fill=255)
    glyph: np.ndarray = np.asarray(img.resize((w, h), Image.Resampling.LANCZOS), np.float32)
    glyph = glyph / 255.0
    glyph = cv2.erode(glyph, np.ones((3, 3), np.uint8), iterations=1)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (stroke, stroke))
    glyph = cv2.dilate(glyph, k)
    rng = np.random.default_rng(seed)
    for _ in range(2):  # nicks: small bites out of the punch edge
        cy, cx = int(rng.integers(h)), int(rng.integers(w))
        cv2.circle(glyph, (cx, cy), int(rng.integers(1, 3)), 0.0, -1)
    return glyph


def render_vin_photo(
    vin: str, die: DieStyle, rng: np.random.Generator, size: tuple[int, int]
) -> np.ndarray:
    """A photo of the VIN stamped into a painted frame rail: engraved look, perspective."""
    depth = render_die_mask(vin, die)
    w, h = size
    scale = w * rng.uniform(0.62, 0.82) / depth.shape[1]
    d = cv2.resize(depth, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    metal = _metal(d.shape[1] + 200, d.shape[0] + 160, rng)
    pad = np.zeros(metal.shape[:2], np.float32)
    pad[80 : 80 + d.shape[0], 100 : 100 + d.shape[1]] = d
    plate = _engrave(metal, pad, rng)
    scene = _metal(w, h, rng, base=float(metal.mean()) + float(rng.uniform(-35, 10)))
    cx, cy = w / 2 + rng.uniform(-0.05, 0.05) * w, h / 2 + rng.uniform(-0.08, 0.08) * h
    ph, pw = plate.shape[:2]
    quad = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    quad += rng.normal(0, 0.03, quad.shape) * (pw, ph)  # hand-held: slight perspective
    rot = np.radians(rng.uniform(-4, 4))
    quad = quad @ np.array([[np.cos(rot), np.sin(rot)], [-np.sin(rot), np.cos(rot)]])
    warp_onto(scene, plate, quad + np.array((cx, cy)))
    if rng.random() < 0.6:
        scene = effects.scratches(scene, rng, int(rng.integers(5, 25)))
    if rng.random() < 0.5:
        scene = effects.dirt(scene, rng, float(rng.uniform(0.2, 0.5)))
    # A close-up focused on the stamping: no extra lens softness, just light and noise.
    scene = effects.lighting(scene, rng)
    return effects.sensor_noise(scene, rng, 3.5 * rng.uniform(0.7, 1.2))


def _metal(w: int, h: int, rng: np.random.Generator, base: float | None = None) -> np.ndarray:
    """Painted or bare steel: brushed grain along x plus broad mottling, BGR."""
    grain: np.ndarray = rng.normal(0, 1, (h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), sigmaX=12, sigmaY=0.7) * 18
    mottle = (
        cv2.resize(rng.random((6, 10)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        * 40
    )
    level = float(rng.uniform(95, 170)) if base is None else base
    speckle = rng.normal(0, 3, (h, w)).astype(np.float32)  # fine tooling marks and pits
    gray = level + grain + mottle + speckle
    tint = np.array(rng.choice([(1.0, 1.0, 1.0), (1.08, 1.02, 0.95), (0.9, 0.95, 1.05)]))
    return np.clip(gray[..., None] * tint, 0, 255).astype(np.uint8)


def _engrave(metal: np.ndarray, depth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shade grooves: dark groove floors, lit and shadowed walls from a raking light."""
    gy, gx = np.gradient(cv2.GaussianBlur(depth, (0, 0), 1.2))
    ang = rng.uniform(0, 2 * np.pi)
    relief = -(gx * np.cos(ang) + gy * np.sin(ang)) * float(rng.uniform(260, 420))
    occlusion = 1.0 - depth * float(rng.uniform(0.3, 0.55))
    out = metal.astype(np.float32) * occlusion[..., None] + relief[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)
