"""Glyph windows drawn with a TrueType font, as :func:`pipeline.vin.glyphs.measure` compares
them: 32 x 48, values in [0, 1]."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype")
SANS_BOLD = FONTS / "dejavu/DejaVuSans-Bold.ttf"


def glyph_window(ch: str, font: Path = SANS_BOLD, size: int = 40, sigma: float = 0.8) -> np.ndarray:
    """``ch`` centred in a window, ``size`` px, blurred by ``sigma``; skips the test when the
    font is not installed."""
    if not font.exists():
        pytest.skip(f"{font} is not installed")
    img = Image.new("L", (32, 48), 0)
    ImageDraw.Draw(img).text(
        (16, 24), ch, fill=255, font=ImageFont.truetype(str(font), size), anchor="mm"
    )
    return cv2.GaussianBlur(np.asarray(img, np.float32) / 255, (0, 0), sigma)
