"""Synthetic evidence photos for tests and benchmarks: a scene, a plate, a burned-in watermark.

Deliberately varied (fonts, colours, corner, outline or box, scale, lighting) so thresholds
are not tuned to one look. Not a substitute for real photos: tests also use ``realdata``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
)
PLATE_COLORS = {  # background (RGB), text (RGB)
    "blue": ((18, 62, 170), (245, 245, 245)),
    "yellow": ((235, 190, 20), (20, 20, 20)),
    "green": ((120, 200, 120), (15, 15, 15)),
    "white": ((238, 238, 238), (15, 15, 15)),
}


def cjk_fonts() -> list[str]:
    """Installed fonts that have CJK glyphs."""
    return [f for f in FONT_CANDIDATES if Path(f).exists()]


def latin_fonts() -> list[str]:
    """Installed fonts for the watermark's digits (CJK fonts included)."""
    return [f for f in LATIN_FONTS if Path(f).exists()] + cjk_fonts()


@dataclass
class Scene:
    """What to draw."""

    width: int = 1920
    height: int = 1080
    plate: str | None = "京A12345"
    plate_color: str = "blue"
    plate_scale: float = 1.0  # plate width as a share of 300 px at 1080p
    watermark: datetime | None = None
    watermark_lines: list[str] = field(default_factory=list)  # extra lines (station, plate)
    corner: str = "tl"  # tl, tr, bl, br, tc (top centre)
    wm_color: tuple[int, int, int] = (255, 255, 255)
    wm_box: bool = False  # dark box behind the text instead of an outline
    wm_height: int = 34  # text height in pixels at this resolution
    font: str | None = None
    brightness: float = 1.0
    seed: int = 0


def render(scene: Scene) -> np.ndarray:
    """A BGR image of the scene."""
    rng = random.Random(scene.seed)
    img = _background(scene.width, scene.height, rng)
    pil = Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    if scene.plate:
        _draw_car_and_plate(draw, scene, rng)
    if scene.watermark is not None:
        _draw_watermark(draw, scene, rng)
    out = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
    if scene.brightness != 1.0:
        out = cv2.convertScaleAbs(out, alpha=scene.brightness, beta=0)
    return out


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """Encode as JPEG."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _background(w: int, h: int, rng: random.Random) -> np.ndarray:
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    base = np.linspace(60 + rng.randrange(60), 150 + rng.randrange(80), h, dtype=np.float32)
    img = np.repeat(base[:, None], w, axis=1)
    img = np.dstack([img * rng.uniform(0.8, 1.1) for _ in range(3)])
    for _ in range(40):  # walls, lamps, equipment: structure for hashing and blur measures
        x, y = rng.randrange(w), rng.randrange(h)
        cw, ch = rng.randrange(20, w // 3), rng.randrange(10, h // 4)
        color = [rng.randrange(20, 235) for _ in range(3)]
        cv2.rectangle(img, (x, y), (x + cw, y + ch), color, -1)
    for _ in range(30):
        p1 = (rng.randrange(w), rng.randrange(h))
        p2 = (rng.randrange(w), rng.randrange(h))
        cv2.line(img, p1, p2, [rng.randrange(256) for _ in range(3)], rng.randrange(1, 6))
    img += nrng.normal(0, 4, img.shape).astype(np.float32)
    smooth = cv2.GaussianBlur(img, (0, 0), 0.8)
    return np.clip(smooth, 0, 255).astype(np.uint8)


def _font(path: str | None, size: int, rng: random.Random, cjk: bool) -> ImageFont.FreeTypeFont:
    choices = cjk_fonts() if cjk else latin_fonts()
    return ImageFont.truetype(path or rng.choice(choices), size)


def _draw_car_and_plate(draw: ImageDraw.ImageDraw, scene: Scene, rng: random.Random) -> None:
    w, h = scene.width, scene.height
    k = h / 1080 * scene.plate_scale
    car = [int(w * 0.2), int(h * 0.25), int(w * 0.8), int(h * 0.85)]
    draw.rounded_rectangle(
        car, radius=int(60 * k), fill=tuple(rng.randrange(30, 200) for _ in range(3))
    )
    pw, ph = int(300 * k), int(96 * k)
    cx, cy = w // 2 + rng.randrange(-w // 10, w // 10), int(h * 0.7)
    bg, fg = PLATE_COLORS[scene.plate_color]
    box = [cx - pw // 2, cy - ph // 2, cx + pw // 2, cy + ph // 2]
    draw.rounded_rectangle(
        box, radius=int(8 * k), fill=bg, outline=(230, 230, 230), width=max(1, int(3 * k))
    )
    assert scene.plate is not None
    text = scene.plate[:2] + "·" + scene.plate[2:]
    size = int(ph * 0.68)
    path = rng.choice(cjk_fonts())
    font = _font(path, size, rng, cjk=True)
    while font.getlength(text) > pw * 0.92 and size > 8:
        size -= 2
        font = _font(path, size, rng, cjk=True)
    tw = font.getlength(text)
    draw.text((cx - tw / 2, cy - size * 0.62), text, font=font, fill=fg)


def _draw_watermark(draw: ImageDraw.ImageDraw, scene: Scene, rng: random.Random) -> None:
    assert scene.watermark is not None
    stamp = scene.watermark.strftime("%Y-%m-%d %H:%M:%S")
    lines = (
        [stamp, *scene.watermark_lines]
        if scene.corner[0] == "t"
        else [*scene.watermark_lines, stamp]
    )
    size = scene.wm_height
    font = _font(scene.font, size, rng, cjk=any(ord(c) > 127 for c in "".join(lines)))
    gap = int(size * 1.35)
    widths = [font.getlength(t) for t in lines]
    block_w, block_h = max(widths), gap * len(lines)
    margin = int(size * 0.8)
    x = {"l": margin, "r": scene.width - margin - block_w, "c": (scene.width - block_w) / 2}[
        scene.corner[1]
    ]
    y = margin if scene.corner[0] == "t" else scene.height - margin - block_h
    if scene.wm_box:
        draw.rectangle([x - 8, y - 6, x + block_w + 8, y + block_h + 2], fill=(10, 10, 10))
    for i, text in enumerate(lines):
        pos = (x, y + i * gap)
        if scene.wm_box:
            draw.text(pos, text, font=font, fill=scene.wm_color)
        else:
            draw.text(
                pos,
                text,
                font=font,
                fill=scene.wm_color,
                stroke_width=max(1, size // 14),
                stroke_fill=(0, 0, 0),
            )
