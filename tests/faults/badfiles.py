"""Hostile evidence files for the fault tests, built small: no test allocates a huge image."""

from __future__ import annotations

import struct
import zlib

from tests.packages import jpeg


def truncated_jpeg(seed: int) -> bytes:
    """A real JPEG cut at 60 %: no end-of-image marker."""
    data = jpeg(seed)
    return data[: len(data) * 6 // 10]


def corrupt_jpeg(seed: int) -> bytes:
    """A real JPEG whose entropy-coded middle is overwritten with junk (markers intact)."""
    data = bytearray(jpeg(seed))
    start = len(data) // 3
    data[start : start + 2000] = bytes((i * 37 + 11) % 255 for i in range(2000))
    return bytes(data)


def huge_header_jpeg(seed: int, width: int = 10_000, height: int = 10_000) -> bytes:
    """A JPEG whose frame header claims ``width`` x ``height`` (100 Mpx by default)."""
    data = bytearray(jpeg(seed))
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            data[at + 5 : at + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise AssertionError("no SOF marker in the test JPEG")


def png_bomb(side: int = 12_000) -> bytes:
    """A valid grey PNG of ``side`` x ``side`` zeros: ~150 KB that inflates to ``side``² bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    comp = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one row of black
    parts = [comp.compress(row) for _ in range(side)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )
