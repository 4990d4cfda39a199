"""Burned-in watermarks as inspection-station cameras print them: time, station, plate, code.

Each station's software has its own look (corner, font, size, colour, date format), so a
package gets one :class:`WatermarkStyle` and every photo in it uses that style.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from PIL import Image, ImageDraw

from pipeline.samplegen.fonts import CJK_FACES, FontFace, pick

DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y年%m月%d日 %H:%M:%S")


@dataclass(frozen=True)
class WatermarkStyle:
    """How one station's software prints watermarks."""

    face: FontFace
    size_frac: float  # line height as a fraction of the image height
    color: tuple[int, int, int]  # RGB
    corner: str  # tl | bl | tr
    date_format: str
    outline: int  # outline width in pixels at 720 lines
    with_serial: bool  # adds a 流水号 line


def random_style(rng: np.random.Generator) -> WatermarkStyle:
    """A station watermark style: white or yellow text with a dark outline, some corner."""
    colors = ((255, 255, 255), (255, 235, 40), (255, 255, 200), (250, 60, 40))
    return WatermarkStyle(
        face=pick(CJK_FACES, rng),
        size_frac=float(rng.uniform(0.028, 0.042)),
        color=colors[int(rng.choice(4, p=[0.5, 0.3, 0.12, 0.08]))],
        corner=str(rng.choice(["tl", "bl", "tr"], p=[0.5, 0.35, 0.15])),
        date_format=DATE_FORMATS[int(rng.choice(3, p=[0.6, 0.25, 0.15]))],
        outline=int(rng.integers(1, 3)),
        with_serial=bool(rng.random() < 0.4),
    )


def watermark_lines(
    style: WatermarkStyle,
    when: datetime,
    station_id: str,
    plate: str,
    code: str,
    code_name: str,
    inspection_id: str = "",
) -> list[str]:
    """The text lines of one photo's watermark, date line first."""
    lines = [
        when.strftime(style.date_format),
        f"检验机构: {station_id}",
        f"号牌: {plate}",
        f"{code} {code_name}",
    ]
    if style.with_serial and inspection_id:
        lines.insert(2, f"流水号: {inspection_id}")
    return lines


def burn_watermark(
    image: np.ndarray, lines: list[str], style: WatermarkStyle
) -> tuple[np.ndarray, list[list[int]]]:
    """The BGR image with the lines burned in, and each line's box [x0, y0, x1, y1]."""
    h, w = image.shape[:2]
    size = max(12, round(h * style.size_frac))
    font = style.face.at(size)
    stroke = max(1, round(style.outline * h / 720))
    pil = Image.fromarray(image[..., ::-1].copy())
    draw = ImageDraw.Draw(pil)
    step = round(size * 1.3)
    margin = round(size * 0.8)
    widths = [draw.textlength(t, font=font) for t in lines]
    y = margin if style.corner in ("tl", "tr") else h - margin - step * len(lines)
    boxes = []
    for text, tw in zip(lines, widths, strict=True):
        x = margin if style.corner != "tr" else round(w - margin - max(widths))
        draw.text(
            (x, y), text, font=font, fill=style.color, stroke_width=stroke, stroke_fill=(20, 20, 20)
        )
        boxes.append([x, y, round(x + tw), y + step])
        y += step
    return np.asarray(pil)[..., ::-1].copy(), boxes
