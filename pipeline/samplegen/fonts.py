"""Fonts for the sample generator: the installed CJK and Latin faces, loaded once and cached.

Only fonts installed by the OS packages (fonts-noto-cjk, fonts-wqy-zenhei, DejaVu, Liberation)
are used; a missing face is skipped so the generator still runs with whatever is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

from pipeline.errors import ConfigError

_NOTO = "/usr/share/fonts/opentype/noto/"
_WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"
_LIB = "/usr/share/fonts/truetype/liberation/"


@dataclass(frozen=True)
class FontFace:
    """One font face: a file and the face index inside a .ttc collection."""

    path: str
    index: int = 0

    @property
    def available(self) -> bool:
        """True if the font file is installed."""
        return Path(self.path).is_file()

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        """This face at a pixel size (cached)."""
        return _load(self.path, self.index, max(4, int(size)))


@lru_cache(maxsize=256)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


# Simplified-Chinese faces (index 2 of the Noto CJK collections is SC).
CJK_FACES = (
    FontFace(_NOTO + "NotoSansCJK-Regular.ttc", 2),
    FontFace(_NOTO + "NotoSansCJK-Bold.ttc", 2),
    FontFace(_NOTO + "NotoSerifCJK-Regular.ttc", 2),
    FontFace(_WQY, 0),
    FontFace(_WQY, 2),
)
# Bold CJK faces closest to the plate's 黑体-like province character.
PLATE_CJK_FACES = (
    FontFace(_NOTO + "NotoSansCJK-Bold.ttc", 2),
    FontFace(_WQY, 0),
)
# Narrow bold Latin faces closest to the GA 36 plate alphanumerics.
PLATE_LATIN_FACES = (
    FontFace(_DEJAVU + "DejaVuSansCondensed-Bold.ttf"),
    FontFace(_LIB + "LiberationSansNarrow-Bold.ttf"),
    FontFace(_DEJAVU + "DejaVuSans-Bold.ttf"),
)
# Faces a VIN stamping die might resemble (monospaced or condensed, mostly bold).
STAMP_FACES = (
    FontFace(_DEJAVU + "DejaVuSansMono-Bold.ttf"),
    FontFace(_DEJAVU + "DejaVuSansMono.ttf"),
    FontFace(_LIB + "LiberationMono-Bold.ttf"),
    FontFace(_LIB + "LiberationMono-Regular.ttf"),
    FontFace(_DEJAVU + "DejaVuSansCondensed-Bold.ttf"),
    FontFace(_LIB + "LiberationSansNarrow-Bold.ttf"),
)
# Print faces for forms (body text) and their Latin digits.
PRINT_FACES = (
    FontFace(_NOTO + "NotoSerifCJK-Regular.ttc", 2),
    FontFace(_NOTO + "NotoSansCJK-Regular.ttc", 2),
    FontFace(_WQY, 0),
)


def available(faces: tuple[FontFace, ...]) -> tuple[FontFace, ...]:
    """The installed faces of a list; ConfigError if none is installed."""
    found = tuple(f for f in faces if f.available)
    if not found:
        raise ConfigError(
            f"no font installed among {[f.path for f in faces]}; "
            "install fonts-noto-cjk, fonts-wqy-zenhei and fonts-dejavu"
        )
    return found


def pick(faces: tuple[FontFace, ...], rng: np.random.Generator) -> FontFace:
    """One installed face, chosen by the generator's random stream."""
    found = available(faces)
    return found[int(rng.integers(len(found)))]
