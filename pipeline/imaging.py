"""Decode untrusted images with limits: type, truncation, pixel count (decompression bombs).

An unreadable file is never returned as ``None``: every failure raises :class:`EvidenceError`
with a reason code and the file name, so it becomes a finding instead of a silent pass.

JPEGs are decoded by libjpeg-turbo through simplejpeg, in strict mode first: libjpeg only
*warns* about corrupt entropy-coded data ("Corrupt JPEG data: bad Huffman code") and goes on,
so OpenCV returns garbage pixels for a scrambled file without a word. Strict decoding turns
the warning into a note the caller can report; the pixels are then decoded leniently, as
OpenCV would (the same libjpeg, the same DCT and upsampling: identical pixels).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
import simplejpeg
from PIL import Image

from pipeline.errors import EvidenceError

# Pillow's own bomb guard is a warning at 89 Mpx; ours is explicit and configurable, and we
# check the header size before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = None

_FORMATS = {"JPEG", "PNG", "BMP", "WEBP", "TIFF"}


@dataclass(frozen=True)
class ImageHeader:
    """What the header says, read without decoding pixels."""

    format: str
    width: int
    height: int


def read_header(data: bytes, *, name: str = "image") -> ImageHeader:
    """Read format and size from the header; raise if it is not a supported image."""
    if not data:
        raise EvidenceError(f"{name} is empty", reason="evidence_unreadable", key=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                fmt, (w, h) = str(img.format), img.size
    except Exception:  # Pillow raises many types for garbage; all mean "not an image".
        raise EvidenceError(
            f"{name} is not a readable image", reason="evidence_unreadable", key=name
        ) from None
    if fmt not in _FORMATS:
        raise EvidenceError(
            f"{name} is a {fmt} image; expected JPEG or PNG", reason="evidence_unreadable", key=name
        )
    return ImageHeader(fmt, w, h)


def is_truncated(data: bytes, fmt: str) -> bool:
    """True if a JPEG lacks its end-of-image marker or a PNG its IEND chunk."""
    tail = data[-4096:].rstrip(b"\x00\r\n ")
    if fmt == "JPEG":
        return not tail.endswith(b"\xff\xd9")
    if fmt == "PNG":
        return b"IEND" not in tail[-16:]
    return False


def decode_image(data: bytes, *, max_pixels: int, name: str = "image") -> np.ndarray:
    """Decode to a BGR ``uint8`` array, after checking type, truncation and pixel count."""
    image, _ = decode_image_noting(data, max_pixels=max_pixels, name=name)
    return image


def decode_image_noting(
    data: bytes, *, max_pixels: int, name: str = "image"
) -> tuple[np.ndarray, str | None]:
    """:func:`decode_image`, and libjpeg's complaint when a JPEG's data is corrupt (the
    pixels are still returned: what the decoder made of it), else None."""
    header = read_header(data, name=name)
    pixels = header.width * header.height
    if pixels > max_pixels:
        raise EvidenceError(
            f"{name} is {header.width}x{header.height} = {pixels / 1e6:.1f} Mpx, over the "
            f"{max_pixels / 1e6:.1f} Mpx limit",
            reason="evidence_too_large",
            key=name,
        )
    if is_truncated(data, header.format):
        raise EvidenceError(
            f"{name} is a truncated {header.format} file", reason="evidence_truncated", key=name
        )
    note: str | None = None
    image: np.ndarray | None = None
    if header.format == "JPEG" and not _exif_rotated(data):
        image, note = _decode_jpeg(data)
    if image is None:  # not JPEG, EXIF-rotated (OpenCV turns it upright), or CMYK/odd JPEG
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise EvidenceError(
            f"{name} could not be decoded as {header.format}",
            reason="evidence_unreadable",
            key=name,
        )
    return image, note


def _decode_jpeg(data: bytes) -> tuple[np.ndarray | None, str | None]:
    """(BGR pixels, libjpeg's corrupt-data warning or None); no pixels when libjpeg-turbo's
    own API cannot decode the file (OpenCV is tried then)."""
    try:
        return simplejpeg.decode_jpeg(data, colorspace="BGR", strict=True), None
    except ValueError as exc:
        message = str(exc).strip()
    if "Corrupt JPEG data" not in message and "Premature end" not in message:
        return None, None
    try:
        image = simplejpeg.decode_jpeg(data, colorspace="BGR", strict=False)
    except ValueError:
        return None, message.splitlines()[0]
    return image, message.splitlines()[0]


def _exif_rotated(data: bytes) -> bool:
    """Whether a JPEG's EXIF orientation asks for a turn or flip (APP1 is near the start)."""
    head = data[:65536]
    if b"Exif\x00\x00" not in head:
        return False
    try:
        with Image.open(io.BytesIO(data)) as img:
            return int(img.getexif().get(0x0112, 1)) != 1
    except Exception:  # a broken EXIF block: let OpenCV decide, as before
        return True


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grayscale view of a BGR image (returns the input if already single-channel)."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def encode_jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """Encode an image for reviewers (overlays, heatmaps, contact sheets)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()
