"""Decoding untrusted images: garbage, truncation, bombs and size limits become EvidenceError."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from pipeline.errors import EvidenceError
from pipeline.imaging import decode_image, read_header
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
