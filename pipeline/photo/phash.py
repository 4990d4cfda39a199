"""64-bit perceptual hash (DCT pHash), Hamming distance and the 16-bit bands of the hash bank.

The bank stores the hash as a signed int64 (PostgreSQL BIGINT) and four 16-bit bands for a
multi-index lookup: two hashes within Hamming distance 3 agree exactly on at least one band
(pigeonhole: 3 differing bits cannot touch all four bands).
"""

from __future__ import annotations

import cv2
import numpy as np

BANDS = 4
BAND_BITS = 16
_MASK64 = (1 << 64) - 1


def phash(gray: np.ndarray) -> int:
    """The unsigned 64-bit pHash of a grayscale image (8x8 low DCT terms against their median)."""
    return _hash32(_small32(gray))


def phash_pair(gray: np.ndarray) -> tuple[int, int]:
    """pHashes of the image and of its horizontal mirror, from one downscale."""
    small = _small32(gray)
    return _hash32(small), _hash32(small[:, ::-1].copy())


def _small32(gray: np.ndarray) -> np.ndarray:
    if gray.ndim != 2:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    # Halve with area averaging until small: OpenCV's 2x INTER_AREA is a fast path (~0.1 ms
    # at 1080p), while one large non-2x area resize costs ~5 ms.
    while min(gray.shape) >= 128:
        h, w = gray.shape
        gray = cv2.resize(gray, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)


def _hash32(small: np.ndarray) -> int:
    low = cv2.dct(small)[:8, :8].flatten()
    # The DC term measures overall brightness only; excluding it from the median keeps the
    # threshold meaningful for the 63 structural terms.
    # np.median's exact value for the 63 terms is the 32nd smallest; partition finds it.
    med = float(np.partition(low[1:], 31)[31])
    return int.from_bytes(np.packbits(low > med).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def to_signed(value: int) -> int:
    """Unsigned 64-bit value as the signed int64 a BIGINT column holds."""
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    """Signed int64 from the database back to the unsigned 64-bit hash."""
    return value & _MASK64


def bands(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a hash, most significant first."""
    v = value & _MASK64
    mask = (1 << BAND_BITS) - 1
    b0, b1, b2, b3 = ((v >> (BAND_BITS * (BANDS - 1 - i))) & mask for i in range(BANDS))
    return (b0, b1, b2, b3)
