"""Chinese licence plates (GA 36-2018 look): blue, yellow, green new-energy and white plates.

Plates are drawn flat at a pixel-per-millimetre scale; the scene renderer warps them onto the
vehicle. Dimensions follow the standard: 440x140 mm (7 characters of 45x90 mm) and 480x140 mm
for new-energy plates (8 characters of 43x90 mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from pipeline.samplegen.fonts import PLATE_CJK_FACES, PLATE_LATIN_FACES, FontFace, pick


@dataclass(frozen=True)
class PlateLook:
    """How one plate is drawn: style name and the fonts used (chosen per vehicle)."""

    style: str  # blue | yellow | green | green_large | white
    cjk: FontFace
    latin: FontFace
    dirt: float = 0.0  # 0..1, how much grime on the plate


_INK = {
    "blue": (245, 245, 245),
    "yellow": (15, 15, 15),
    "green": (10, 10, 10),
    "green_large": (10, 10, 10),
    "white": (15, 15, 15),
}


def random_look(rng: np.random.Generator, style: str) -> PlateLook:
    """A plate look with fonts and grime picked by the random stream."""
    return PlateLook(
        style, pick(PLATE_CJK_FACES, rng), pick(PLATE_LATIN_FACES, rng), float(rng.uniform(0, 0.35))
    )


def plate_size_mm(style: str) -> tuple[int, int]:
    """(width, height) of the plate in millimetres."""
    return (480, 140) if style.startswith("green") else (440, 140)


def render_plate(
    text: str, look: PlateLook, scale: float = 1.0, rng: np.random.Generator | None = None
) -> np.ndarray:
    """The plate as an RGB ``uint8`` array of ``plate_size_mm * scale`` pixels."""
    w_mm, h_mm = plate_size_mm(look.style)
    w, h = round(w_mm * scale), round(h_mm * scale)
    canvas = _background(look.style, w, h)
    img = Image.fromarray(canvas)
    draw = ImageDraw.Draw(img)
    ink = _INK[look.style]
    border = round(4 * scale)
    draw.rounded_rectangle(
        (border, border, w - border - 1, h - border - 1),
        radius=round(10 * scale),
        outline=ink,
        width=max(1, round(2.5 * scale)),
    )
    for i, (x0, cw) in enumerate(_cells(look.style, len(text))):
        ch = text[i]
        face = look.cjk if not ch.isascii() else look.latin
        color = (200, 20, 20) if look.style == "white" and ch == "警" else ink
        _glyph(
            img,
            ch,
            face,
            round(x0 * scale),
            round(25 * scale),
            round(cw * scale),
            round(90 * scale),
            color,
        )
    dot_x = _cells(look.style, len(text))[1]
    cx = round((dot_x[0] + dot_x[1] + (34 if len(text) == 7 else 49) / 2) * scale)
    r = max(2, round(5 * scale))
    draw.ellipse((cx - r, h // 2 - r, cx + r, h // 2 + r), fill=ink)
    for bx in (0.25, 0.75):
        _rivet(draw, round(w * bx), round(14 * scale), max(2, round(6 * scale)))
    out = np.asarray(img).copy()
    if rng is not None and look.dirt > 0:
        out = _grime(out, look.dirt, rng)
    return out


def _cells(style: str, n: int) -> list[tuple[float, float]]:
    """(x, width) in mm of each character cell; the separator dot sits after the second."""
    cw, gap, sep, x = (43.0, 9.0, 49.0, 15.5) if n == 8 else (45.0, 12.0, 34.0, 15.5)
    cells = []
    for i in range(n):
        cells.append((x, cw))
        x += cw + (sep if i == 1 else gap)
    return cells


def _background(style: str, w: int, h: int) -> np.ndarray:
    if style == "blue":
        base = np.array([24, 66, 178], np.float32)
        grad = np.linspace(1.06, 0.92, h)[:, None, None]
        return np.clip(base * grad * np.ones((h, w, 1)), 0, 255).astype(np.uint8)
    if style == "yellow":
        return np.full((h, w, 3), (242, 186, 24), np.uint8)
    if style == "white":
        return np.full((h, w, 3), (238, 238, 236), np.uint8)
    top, bottom = np.array([236, 246, 238.0]), np.array([92, 196, 110.0])
    t = np.linspace(0, 1, h)[:, None, None]
    out = (top * (1 - t) + bottom * t) * np.ones((h, w, 1))
    if style == "green_large":
        out[:, : int(w * 0.245)] = (240, 196, 30)
    return out.astype(np.uint8)


def _glyph(
    img: Image.Image,
    ch: str,
    face: FontFace,
    x: int,
    y: int,
    cw: int,
    chh: int,
    color: tuple[int, int, int],
) -> None:
    """Draw one character stretched to the plate's tall cell, narrow glyphs kept narrow."""
    font = face.at(chh * 2)
    left, top, right, bottom = font.getbbox(ch)
    gw, gh = max(1, int(right - left)), max(1, int(bottom - top))
    mask = Image.new("L", (gw, gh), 0)
    ImageDraw.Draw(mask).text((-left, -top), ch, font=font, fill=255)
    width = min(cw, max(2, round(gw * chh / gh * 0.9)))
    mask = mask.resize((width, chh), Image.Resampling.LANCZOS)
    img.paste(Image.new("RGB", mask.size, color), (x + (cw - width) // 2, y), mask)


def _rivet(draw: ImageDraw.ImageDraw, x: int, y: int, r: int) -> None:
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(170, 170, 165), outline=(90, 90, 90))


def _grime(img: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency dirt: brownish, darker toward the bottom edge."""
    h, w = img.shape[:2]
    small = rng.random((max(2, h // 20), max(2, w // 20))).astype(np.float32)
    field = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    field = field * np.linspace(0.4, 1.0, h, dtype=np.float32)[:, None]
    alpha = np.clip(field * amount, 0, 0.6)[..., None]
    dirt = np.array([90, 80, 60], np.float32)
    return (img * (1 - alpha) + dirt * alpha).astype(np.uint8)
