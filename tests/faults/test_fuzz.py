"""Property tests over the decode path and the package loader (Hypothesis).

Whatever bytes arrive as evidence or manifest, the loader either gives decoded pixels within
the pixel limit or an :class:`EvidenceError` with a reason (per item), or a
:class:`ManifestError` (per package). No other exception escapes, and no image over the limit
is ever decoded. The parser alone is covered by tests/core/test_manifest.py.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import EvidenceError, ManifestError, ObjectNotFound
from pipeline.imaging import decode_image
from pipeline.package import load_package
from tests.packages import BASE_MANIFEST

MAX_PIXELS = 200_000
REASONS = {"evidence_unreadable", "evidence_truncated", "evidence_too_large"}


def _png(w: int, h: int) -> bytes:
    ok, buf = cv2.imencode(".png", np.full((h, w, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


def _jpeg(w: int, h: int, progressive: bool = False) -> bytes:
    img = np.zeros((h, w, 3), np.uint8)
    cv2.circle(img, (w // 2, h // 2), min(w, h) // 3, (40, 200, 90), -1)
    params = [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    ok, buf = cv2.imencode(".jpg", img, params)
    assert ok
    return buf.tobytes()


SEEDS = [_jpeg(64, 48), _jpeg(120, 90, progressive=True), _png(50, 40)]


def _with_size(data: bytes, w: int, h: int) -> bytes:
    """Rewrite the declared size in a JPEG frame header or PNG IHDR (CRC fixed)."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        out[16:24] = struct.pack(">II", w, h)
        out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])) & 0xFFFFFFFF)
        return bytes(out)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            out[at + 5 : at + 9] = struct.pack(">HH", h, w)
    return bytes(out)


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A real JPEG/PNG with flipped bytes, a cut, spliced junk or a lying size header."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    op = draw(st.sampled_from(["flip", "cut", "splice", "size", "none"]))
    if op == "flip":
        for _ in range(draw(st.integers(1, 20))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
    elif op == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    elif op == "splice":
        i = draw(st.integers(0, len(data)))
        data[i:i] = draw(st.binary(max_size=300))
    elif op == "size":
        side = st.integers(0, 65535)
        return _with_size(bytes(data), draw(side), draw(side))
    return bytes(data)


def _decodes_within_limit(data: bytes) -> None:
    try:
        image = decode_image(data, max_pixels=MAX_PIXELS, name="x.jpg")
    except EvidenceError as exc:
        assert exc.reason in REASONS, exc.reason
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert 0 < image.shape[0] * image.shape[1] <= MAX_PIXELS


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_images())
def test_decode_mutated_images(data: bytes) -> None:
    """Mutated real images decode within the limit or raise EvidenceError with a reason."""
    _decodes_within_limit(data)


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=3000) | st.builds(lambda b: b"\xff\xd8\xff" + b, st.binary(max_size=3000))
)
def test_decode_arbitrary_bytes(data: bytes) -> None:
    """Random bytes (also behind a JPEG signature) never escape as anything but EvidenceError."""
    _decodes_within_limit(data)


class DictSource:
    """A package held in a dict, as a PackageSource."""

    label = "fuzz/"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, name: str, *, max_bytes: int) -> bytes:
        if name not in self.files:
            raise ObjectNotFound(name, key=name)
        data = self.files[name]
        if len(data) > max_bytes:
            raise EvidenceError("too large", reason="evidence_too_large", key=name)
        return data

    def list(self, folder: str) -> list[str]:
        return sorted(n for n in self.files if n.startswith(folder) and n != folder)


names = st.sampled_from(["0111.jpg", "0112.jpg", "J.png", "a/../b.jpg", "/etc/x", "f/"])
items = st.fixed_dictionaries(
    {"code": st.sampled_from(["0111", "0112", "J", "0351", ""]), "file": names},
    optional={
        "kind": st.sampled_from(["photo", "frames", "video", "x"]),
        "fps": st.integers(-1, 30),
        "taken_at": st.sampled_from(["2026-11-23T09:15:00+08:00", "bad"]),
        "sha256": st.sampled_from(["0" * 64, "xyz"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(items, max_size=5),
    st.dictionaries(names, mutated_images(), max_size=4),
    st.booleans(),
)
def test_load_package_never_crashes(
    evidence: list[dict[str, Any]], files: dict[str, bytes], raw_junk: bool
) -> None:
    """Fuzzed manifest + files: ManifestError, or every item loaded or carrying an error."""
    manifest = dict(BASE_MANIFEST, evidence=evidence)
    raw = json.dumps(manifest).encode()
    if raw_junk:
        raw = raw[: len(raw) // 2] + b"\x80\xff" + raw[len(raw) // 2 :]
    source = DictSource({**files, "manifest.json": raw})
    try:
        pkg = load_package(
            source,
            max_manifest_bytes=1 << 20,
            max_items=50,
            max_file_bytes=1 << 20,
            max_pixels=MAX_PIXELS,
            max_frames=10,
        )
    except ManifestError as exc:
        assert str(exc)
        return
    assert len(pkg.items) == len(pkg.manifest.evidence)
    for li in pkg.items:
        if li.error is not None:
            assert li.error.reason, li.error
        elif li.image is not None:
            assert li.image.shape[0] * li.image.shape[1] <= MAX_PIXELS
        else:
            assert li.frames is not None
