"""Decoding untrusted images: garbage, truncation, bombs and size limits become EvidenceError."""

from __future__ import annotations

import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.errors import EvidenceError
from pipeline.imaging import decode_image, decode_image_noting, read_header
from tests.packages import jpeg


def test_good_jpeg_decodes() -> None:
    img = decode_image(jpeg(1), max_pixels=10_000_000, name="a.jpg")
    assert img.shape == (480, 640, 3)


@pytest.mark.parametrize("cut", [100, 2000, -2])
def test_truncated_jpeg(cut: int) -> None:
    data = jpeg(2)[:cut]
    with pytest.raises(EvidenceError, match=r"a\.jpg") as info:
        decode_image(data, max_pixels=10_000_000, name="a.jpg")
    assert info.value.reason in {"evidence_truncated", "evidence_unreadable"}


def test_garbage_and_empty() -> None:
    for data in (b"", b"hello world", b"\xff\xd8\xff" + b"\x00" * 100, b"%PDF-1.4 ..."):
        with pytest.raises(EvidenceError) as info:
            decode_image(data, max_pixels=10_000_000, name="x.jpg")
        assert info.value.reason == "evidence_unreadable"


def test_pixel_limit_checked_from_header() -> None:
    buf = io.BytesIO()
    Image.new("L", (4000, 3000)).save(buf, "PNG")
    with pytest.raises(EvidenceError, match=r"12\.0 Mpx") as info:
        decode_image(buf.getvalue(), max_pixels=10_000_000, name="big.png")
    assert info.value.reason == "evidence_too_large"


def test_png_decompression_bomb_header_only() -> None:
    """A tiny PNG claiming 100,000 x 100,000 pixels is refused before any pixel is inflated."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    header = read_header(data, name="bomb.png")
    assert (header.width, header.height) == (100_000, 100_000)
    with pytest.raises(EvidenceError, match="over the") as info:
        decode_image(data, max_pixels=40_000_000, name="bomb.png")
    assert info.value.reason == "evidence_too_large"


def test_gif_is_refused_with_its_format() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    with pytest.raises(EvidenceError, match="GIF"):
        decode_image(buf.getvalue(), max_pixels=10_000_000, name="x.gif")


def _cv2(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_jpeg_pixels_are_opencvs(mode: str) -> None:
    """libjpeg-turbo through simplejpeg, or OpenCV where it cannot (CMYK): the same pixels."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(jpeg(3))).convert(mode).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    image, note = decode_image_noting(data, max_pixels=10_000_000, name="a.jpg")
    assert note is None and np.array_equal(image, _cv2(data))


def test_exif_orientation_is_applied_as_opencv_does() -> None:
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    Image.open(io.BytesIO(jpeg(4))).save(buf, "JPEG", quality=90, exif=exif)
    image = decode_image(buf.getvalue(), max_pixels=10_000_000, name="r.jpg")
    assert image.shape == (640, 480, 3) and np.array_equal(image, _cv2(buf.getvalue()))


def test_corrupt_jpeg_data_is_noted_and_still_decoded() -> None:
    """Scrambled entropy-coded data (markers intact): libjpeg warns and goes on, so the file
    decodes; the warning is kept for a review finding instead of vanishing."""
    data = bytearray(jpeg(5))
    start = len(data) // 3
    data[start : start + 2000] = bytes((i * 37 + 11) % 255 for i in range(2000))
    image, note = decode_image_noting(bytes(data), max_pixels=10_000_000, name="c.jpg")
    assert image.shape == (480, 640, 3)
    assert note is not None and note.startswith("Corrupt JPEG data")
    assert decode_image_noting(jpeg(5), max_pixels=10_000_000, name="c.jpg")[1] is None
