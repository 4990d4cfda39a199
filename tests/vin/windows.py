"""Glyph windows drawn with a TrueType font, as :func:`pipeline.vin.glyphs.measure` compares
them: :data:`~pipeline.vin.glyphs.NET_WINDOW` (32 x 48), values in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.vin.glyphs import NET_WINDOW

FONTS = Path("/usr/share/fonts/truetype")
SANS_BOLD = FONTS / "dejavu/DejaVuSans-Bold.ttf"


def glyph_window(ch: str, font: Path = SANS_BOLD, size: int = 40, sigma: float = 0.8) -> np.ndarray:
    """``ch`` centred in a window, ``size`` px, blurred by ``sigma``; skips the test when the
    font is not installed."""
    if not font.exists():
        pytest.skip(f"{font} is not installed")
    width, height = NET_WINDOW
    img = Image.new("L", (width, height), 0)
    face = ImageFont.truetype(str(font), size)
    ImageDraw.Draw(img).text((width // 2, height // 2), ch, fill=255, font=face, anchor="mm")
    return cv2.GaussianBlur(np.asarray(img, np.float32) / 255, (0, 0), sigma)
