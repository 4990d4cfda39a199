"""Stamping dies for the evaluation generator: a font, a size, a weight and a layout.

Glyph sources: ``hershey``, OpenCV's ``putText`` faces (under OpenCV 5 these are one built-in
outline sans in a regular and a bold weight, not the Hershey designs they are named after, see
:mod:`pipeline.vin.hershey`); ``truetype``, fonts from the system (DejaVu, Liberation, Noto);
``strokes``, the real Hershey vector fonts drawn with a round pen of the die's weight;
``dots``, dot-peen marking (a TrueType glyph sampled on a 5 x 7 matrix of round dots). A die
renders a VIN into a float "depth" mask (1 = punched) at given glyph placements; a restamp
re-renders some glyphs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.vin import hershey

HERSHEY_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)
_TT_CANDIDATES = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSansMono-Bold.ttf",
    "dejavu/DejaVuSansCondensed.ttf",
    "dejavu/DejaVuSansCondensed-Bold.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSerifCondensed-Bold.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "liberation/LiberationSans-Bold.ttf",
    "liberation/LiberationMono-Regular.ttf",
    "liberation/LiberationMono-Bold.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationSansNarrow-Regular.ttf",
    "liberation/LiberationSansNarrow-Bold.ttf",
)
FONT_ROOT = Path("/usr/share/fonts/truetype")


def truetype_fonts() -> list[str]:
    """TrueType font files available on this machine (from a fixed list)."""
    return [str(FONT_ROOT / p) for p in _TT_CANDIDATES if (FONT_ROOT / p).is_file()]


@dataclass(frozen=True)
class Die:
    """One die set: which font, glyph height (px), stroke weight, width scale, slant, pitch."""

    family: str  # "hershey" | "truetype" | "strokes" | "dots"
    font: str  # Hershey font id as text, or a TrueType path
    height: int = 48
    weight: float = 3.0
    aspect: float = 0.85
    slant: float = 0.0
    pitch: float = 0.8  # advance per glyph, in glyph heights


@dataclass(frozen=True)
class Placement:
    """Where one glyph was punched: centre (px), extra tilt (degrees)."""

    x: float
    y: float
    tilt: float = 0.0


def random_die(rng: np.random.Generator, family: str, height: int = 48) -> Die:
    """A plausible die of a font family."""
    if family in ("hershey", "strokes"):
        font = str(int(rng.choice(HERSHEY_FONTS)))
        weight = float(rng.uniform(0.06, 0.12) * height)
    elif family == "dots":
        font = str(rng.choice(truetype_fonts()))
        weight = float(rng.uniform(0.05, 0.08) * height)  # dot radius
    else:
        font = str(rng.choice(truetype_fonts()))
        weight = float(rng.uniform(0.0, 0.04) * height)
    return Die(
        family=family,
        font=font,
        height=height,
        weight=weight,
        aspect=float(
            rng.uniform(0.6, 0.85) if family in ("truetype", "dots") else rng.uniform(0.7, 1.0)
        ),
        slant=float(rng.uniform(-0.05, 0.15)) if rng.random() < 0.3 else 0.0,
        pitch=float(rng.uniform(0.8, 1.05)),
    )


def design(die: Die) -> str:
    """The die's letter design, ignoring weight and width variants of one typeface.

    Hershey Simplex, Duplex and Plain share one sans design; Complex and Triplex one serif.
    """
    if die.family in ("hershey", "strokes"):
        return (
            "serif"
            if int(die.font) in (cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX)
            else "sans"
        )
    stem = Path(die.font).stem.split("-")[0]
    for variant in ("Condensed", "Narrow"):
        stem = stem.replace(variant, "")
    return f"dots:{stem}" if die.family == "dots" else stem


def other_die(die: Die, rng: np.random.Generator) -> Die:
    """A visibly different die: another design, or the same design clearly re-sized.

    A punch of the *same* design, size and weight leaves no trace in the glyph shape, so
    it is not a shape tamper at all (only its placement can tell). Some random choices
    render exactly like the original (OpenCV 5 draws every ``putText`` thickness from 2 up
    alike, and Duplex like Complex; a TrueType weight rounds to the same stroke), so the
    choice is rendered and, when under :data:`VISIBLE` of its ink differs, replaced by the
    first of a fixed list of variants that does differ (no random draw, so every other
    pair of a seed stays as it was).
    """
    chosen = _random_other(die, rng)
    if ink_difference(die, chosen) >= VISIBLE:
        return chosen
    heavier = max(1.0, chosen.weight) * 2 + 1.5
    variants = [
        replace(chosen, weight=1.0),  # thin: one-pixel strokes in every family
        replace(chosen, weight=heavier),
        replace(die, aspect=die.aspect * 0.75),
        replace(die, aspect=die.aspect * 1.3),
    ]
    for variant in variants:
        if ink_difference(die, variant) >= VISIBLE:
            return variant
    return max(variants, key=lambda v: ink_difference(die, v))


# Share of a glyph's ink lying more than a pixel outside the other die's glyph (average
# over the VIN alphabet) above which two dies count as visibly different. Half a pixel of
# placement gives 0. On the 50 re-punch dies of seed 303: 11 measured 0.0-0.021 (8 exactly
# 0: same rendering), every other one 0.045-0.375 (a stroke a pixel bolder gives 0.07-0.1).
VISIBLE = 0.03
_PROBE = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def ink_difference(a: Die, b: Die) -> float:
    """Mean share of ink that one die's glyph has more than a pixel away from the other's
    (placed alike; either way round), over the VIN alphabet."""
    if a == b:
        return 0.0
    near = np.ones((3, 3), np.uint8)
    shares = []
    for ch in _PROBE:
        ma, mb = _placed(a, ch) > 0.5, _placed(b, ch) > 0.5
        reach_a = cv2.dilate(ma.astype(np.uint8), near) > 0
        reach_b = cv2.dilate(mb.astype(np.uint8), near) > 0
        only_a = int(np.count_nonzero(ma & ~reach_b)) / max(int(np.count_nonzero(ma)), 1)
        only_b = int(np.count_nonzero(mb & ~reach_a)) / max(int(np.count_nonzero(mb)), 1)
        shares.append(max(only_a, only_b))
    return float(np.mean(shares))


def _placed(die: Die, ch: str) -> np.ndarray:
    h = max(die.height, 1)
    mask = np.zeros((int(2.4 * h), int(2.4 * h)), np.float32)
    stamp(mask, die, ch, Placement(1.2 * h, 1.2 * h))
    return mask


def _random_other(die: Die, rng: np.random.Generator) -> Die:
    if rng.random() < 0.65:
        for _ in range(50):
            cand = random_die(rng, die.family, die.height)
            if design(cand) != design(die):
                return replace(cand, pitch=die.pitch)
    if rng.random() < 0.5:
        factor = 1 + float(rng.choice([-1, 1]) * rng.uniform(0.5, 0.8))
        return replace(die, weight=max(1.0, die.weight * factor) + (1.5 if factor > 1 else 0.0))
    return replace(
        die, aspect=die.aspect * (1 + float(rng.choice([-1, 1]) * rng.uniform(0.2, 0.3)))
    )


# Delimiters some makers punch before and after the VIN (★LSV...★), drawn alike by every
# die family: a filled star, an outlined star, a six-armed asterisk.
MARKS = ("★", "☆", "*")


def _mark(ch: str, height: int, weight: float, family: str) -> np.ndarray:
    """A delimiter mark as a uint8 mask, about a cap height tall, centred in 2h x 2h."""
    size = 2 * height
    canvas = np.zeros((size, size), np.uint8)
    c = size / 2
    # A TrueType die's weight is the outline stroke added to its glyphs; a stroke die's is
    # the pen width.
    pen = max(2, round(weight + 0.09 * height if family == "truetype" else weight))
    r = 0.5 * height
    if ch == "*":
        for k in range(3):
            a = np.pi / 2 + k * np.pi / 3
            dx, dy = 0.42 * height * np.cos(a), 0.42 * height * np.sin(a)
            p0 = (round((c - dx) * 16), round((c - dy) * 16))
            p1 = (round((c + dx) * 16), round((c + dy) * 16))
            cv2.line(canvas, p0, p1, 255, pen, cv2.LINE_AA, shift=4)
        return canvas
    # A five-pointed star, point up, its box centred (the box is 1.81 r tall, 1.90 r wide).
    cy = c + r * (1 - (1 + np.cos(np.pi / 5)) / 2)
    inner = r * np.sin(np.pi / 10) / np.sin(7 * np.pi / 10)
    pts = [
        (
            c + (r if k % 2 == 0 else inner) * np.sin(k * np.pi / 5),
            cy - (r if k % 2 == 0 else inner) * np.cos(k * np.pi / 5),
        )
        for k in range(10)
    ]
    poly = (np.array(pts) * 16).round().astype(np.int32)
    if ch == "★":
        cv2.fillPoly(canvas, [poly], 255, cv2.LINE_AA, shift=4)
    else:
        cv2.polylines(canvas, [poly], True, 255, pen, cv2.LINE_AA, shift=4)
    return canvas


# A dot-peen marker's matrix: dots per glyph across and down.
DOT_COLS, DOT_ROWS = 5, 7


def _dotted(font: str, ch: str, height: int, radius: float) -> np.ndarray:
    """A dot-peen glyph (uint8, centred in 2h x 2h): the TrueType glyph sampled on a
    :data:`DOT_COLS` x :data:`DOT_ROWS` matrix over its box, a round dot where it has ink."""
    solid = (_glyph("truetype", font, ch, height, 0.0) * 255).astype(np.uint8)
    ys, xs = np.nonzero(solid > 80)
    canvas = np.zeros_like(solid)
    if len(xs) == 0:
        return canvas
    reach = max(1, height // 20)
    for gy in np.linspace(ys.min(), ys.max(), DOT_ROWS):
        for gx in np.linspace(xs.min(), xs.max(), DOT_COLS):
            y, x = round(float(gy)), round(float(gx))
            win = solid[max(y - reach, 0) : y + reach + 1, max(x - reach, 0) : x + reach + 1]
            if win.size and float(win.mean()) > 0.35 * 255:
                centre = (round(gx * 16), round(gy * 16))
                cv2.circle(canvas, centre, round(max(radius, 1.5) * 16), 255, -1, cv2.LINE_AA, 4)
    return canvas


@functools.lru_cache(maxsize=4096)
def _glyph(family: str, font: str, ch: str, height: int, weight: float) -> np.ndarray:
    """The upright glyph as a float mask whose cap height is ``height``, centred in 2h x 2h."""
    size = 2 * height
    if ch in MARKS:
        canvas = _mark(ch, height, weight, family)
    elif family == "dots":
        canvas = _dotted(font, ch, height, weight)
    elif family == "strokes":
        canvas = hershey.render(int(font), ch, height, weight)
    elif family == "hershey":
        fid = int(font)
        (_, h0), _ = cv2.getTextSize("H", fid, 1.0, 1)
        scale = height / max(h0, 1)
        thick = max(1, round(weight))
        (tw, th), _ = cv2.getTextSize(ch, fid, scale, thick)
        canvas = np.zeros((size, size), np.uint8)
        org = ((size - tw) // 2, (size + th) // 2)
        cv2.putText(canvas, ch, org, fid, scale, 255, thick, cv2.LINE_AA)
    else:
        probe = ImageFont.truetype(font, 100)
        box = probe.getbbox("H")
        pt = max(4, round(100 * height / max(box[3] - box[1], 1)))
        f = ImageFont.truetype(font, pt)
        img = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(img)
        stroke = max(0, round(weight))
        left, t, r, b = draw.textbbox((0, 0), ch, font=f, stroke_width=stroke)
        draw.text(
            ((size - (r - left)) / 2 - left, (size - (b - t)) / 2 - t),
            ch,
            font=f,
            fill=255,
            stroke_width=stroke,
            stroke_fill=255,
        )
        canvas = np.asarray(img)
    return canvas.astype(np.float32) / 255.0


def layout(die: Die, n: int, rng: np.random.Generator, jitter: float = 0.01) -> list[Placement]:
    """Machine placements of ``n`` glyphs: a fixed pitch with a tiny per-glyph irregularity."""
    h = die.height
    x0 = 1.2 * h
    return [
        Placement(
            x=x0 + i * die.pitch * h + float(rng.normal(0, jitter * h)),
            y=1.2 * h + float(rng.normal(0, jitter * h)),
            tilt=float(rng.normal(0, 0.3)),
        )
        for i in range(n)
    ]


def canvas_size(die: Die, n: int) -> tuple[int, int]:
    """(height, width) of a stamp canvas holding ``n`` glyphs of a die."""
    h = die.height
    return int(2.4 * h), int(2.4 * h + (n - 1) * die.pitch * h)


def stamp(mask: np.ndarray, die: Die, ch: str, where: Placement, erase: bool = False) -> None:
    """Punch one glyph into ``mask`` in place (``erase`` first grinds the cell flat)."""
    g = _glyph(die.family, die.font, ch, die.height, die.weight)
    c = g.shape[0] / 2
    t = np.deg2rad(where.tilt)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    a = rot @ np.array([[die.aspect, -die.slant], [0.0, 1.0]])
    off = np.array([where.x, where.y]) - a @ np.array([c, c])
    full = np.hstack([a, off[:, None]])
    warped = cv2.warpAffine(g, full, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_LINEAR)
    if erase:
        x0, x1 = (
            int(where.x - 0.45 * die.pitch * die.height),
            int(where.x + 0.45 * die.pitch * die.height),
        )
        y0, y1 = int(where.y - 0.6 * die.height), int(where.y + 0.6 * die.height)
        mask[max(y0, 0) : y1, max(x0, 0) : x1] = 0
    np.maximum(mask, warped, out=mask)


def stamp_vin(die: Die, vin: str, places: list[Placement], mark: str = "") -> np.ndarray:
    """A stamp mask of a whole VIN; with a ``mark`` (one of :data:`MARKS`) punched before
    and after it, ``places`` holds two more placements, the marks' first and last."""
    text = f"{mark}{vin}{mark}" if mark else vin
    mask = np.zeros(canvas_size(die, len(text)), np.float32)
    for ch, p in zip(text, places, strict=True):
        stamp(mask, die, ch, p)
    return mask
