"""Read an inspection package (a folder or an object prefix): manifest and decoded evidence.

Photos are decoded once, up front, and shared by every check. Frame folders and videos are
opened lazily as :class:`FrameSequence` objects so checks can sample instead of decoding all.
A file that is missing, oversized, truncated or not an image does not raise here: its item
carries the :class:`EvidenceError` and the ``decode`` check turns it into a ``fail`` finding.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from pipeline.errors import EvidenceError, ManifestError, ObjectNotFound, UnsafePathError
from pipeline.imaging import decode_image, decode_image_noting, is_truncated, read_header, to_gray
from pipeline.manifest import parse_manifest
from pipeline.paths import safe_relpath
from pipeline.records import EvidenceItem, Manifest

MANIFEST_NAME = "manifest.json"
FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png")
_REDUCED_GRAY = {
    1: cv2.IMREAD_GRAYSCALE,
    2: cv2.IMREAD_REDUCED_GRAYSCALE_2,
    4: cv2.IMREAD_REDUCED_GRAYSCALE_4,
    8: cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


class PackageSource(Protocol):
    """Where a package's files come from: a local folder or an object-store prefix."""

    label: str

    def read(self, name: str, *, max_bytes: int) -> bytes:
        """The bytes of a file of the package; ObjectNotFound if absent."""

    def list(self, folder: str) -> list[str]:
        """Names of the files directly under ``folder/`` (relative to the package)."""


class LocalPackage:
    """A package in a local folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.label = str(root)

    def _path(self, name: str) -> Path:
        path = (self.root / safe_relpath(name, allow_dir=True)).resolve()
        if self.root not in path.parents and path != self.root:
            raise UnsafePathError(f"{name!r} escapes the package folder")
        return path

    def read(self, name: str, *, max_bytes: int) -> bytes:
        """Read a file, refusing anything over ``max_bytes``."""
        path = self._path(name)
        if not path.is_file():
            raise ObjectNotFound(f"{self.label}: {name} does not exist", key=name)
        size = path.stat().st_size
        if size > max_bytes:
            raise EvidenceError(
                f"{name} is {size} bytes, over the {max_bytes} limit",
                reason="evidence_too_large",
                key=name,
            )
        return path.read_bytes()

    def list(self, folder: str) -> list[str]:
        """Files directly inside a folder of the package."""
        path = self._path(folder.rstrip("/") + "/")
        if not path.is_dir():
            return []
        prefix = folder.rstrip("/") + "/"
        return [prefix + p.name for p in path.iterdir() if p.is_file()]


def natural_key(name: str) -> list[Any]:
    """Sort key that orders ``f2.jpg`` before ``f10.jpg``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


class FrameSequence(Protocol):
    """A time-ordered sequence of frames (a folder of JPEGs or a decoded video)."""

    name: str
    fps: float

    @property
    def count(self) -> int:
        """Number of frames."""

    def timestamps(self) -> list[float]:
        """Seconds from the first frame, one per frame."""

    def frame(self, index: int) -> np.ndarray:
        """Decode one frame (BGR)."""

    def iter_frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """Decode every ``step``-th frame, in order, as (index, image)."""


class FolderFrames:
    """Frames stored as image files in one folder, in natural name order."""

    def __init__(
        self,
        source: PackageSource,
        item: EvidenceItem,
        names: list[str],
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self.source = source
        self.name = item.file
        self.fps = float(item.fps or 1.0)
        self.names = sorted(names, key=natural_key)
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._timestamps: list[float] | None = None
        self.timestamps_source = "nominal"

    @property
    def count(self) -> int:
        """Number of frame files."""
        return len(self.names)

    def timestamps(self) -> list[float]:
        """Per-frame seconds: from ``timestamps.json`` or ``_<n>ms`` file names, else i/fps.

        ``timestamps_source`` says which ("file", "names" or "nominal"); see
        :mod:`pipeline.frames.timestamps` for the formats.
        """
        if self._timestamps is None:
            from pipeline.frames.timestamps import folder_timestamps  # lazy: frames only

            self._timestamps, self.timestamps_source = folder_timestamps(
                self.source, self.name, self.names, self.fps
            )
        return list(self._timestamps)

    def read_bytes(self, index: int) -> bytes:
        """The encoded bytes of one frame."""
        return self.source.read(self.names[index], max_bytes=self._max_bytes)

    def frame(self, index: int) -> np.ndarray:
        """Decode one frame."""
        return decode_image(
            self.read_bytes(index), max_pixels=self._max_pixels, name=self.names[index]
        )

    def iter_frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """Decode every ``step``-th frame."""
        for i in range(0, self.count, max(1, step)):
            yield i, self.frame(i)

    def gray_reduced(self, index: int, factor: int) -> np.ndarray:
        """Decode one frame as grayscale at 1/``factor`` size (1, 2, 4 or 8; JPEG DCT scaling).

        The same limits as :meth:`frame` apply (type, pixel count, truncation).
        """
        name = self.names[index]
        data = self.read_bytes(index)
        header = read_header(data, name=name)
        if header.width * header.height > self._max_pixels:
            raise EvidenceError(
                f"{name} is {header.width}x{header.height}, over the pixel limit",
                reason="evidence_too_large",
                key=name,
            )
        if is_truncated(data, header.format):
            raise EvidenceError(
                f"{name} is a truncated {header.format} file", reason="evidence_truncated", key=name
            )
        flag = _REDUCED_GRAY.get(factor, cv2.IMREAD_GRAYSCALE)
        gray = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
        if gray is None or gray.size == 0:
            raise EvidenceError(
                f"{name} could not be decoded", reason="evidence_unreadable", key=name
            )
        return gray


@dataclass
class LoadedItem:
    """An evidence item with its bytes and decoded pixels, or the error that stopped them."""

    item: EvidenceItem
    data: bytes | None = None
    image: np.ndarray | None = None
    frames: FrameSequence | None = None
    error: EvidenceError | None = None
    # The decoder's complaint about a photo it could still decode (corrupt JPEG data).
    corrupt: str | None = None
    sha256: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # Pixel limit of a photo whose decoding is deferred (load_package(decode=False)).
    deferred_max_pixels: int | None = None

    def pixels_ready(self) -> bool:
        """Decode a deferred photo if it is not decoded now (a decode error becomes
        ``error``); True if the item is usable."""
        if (
            self.image is None
            and self.deferred_max_pixels is not None
            and self.data is not None
            and self.error is None
        ):
            try:
                self.image, self.corrupt = decode_image_noting(
                    self.data, max_pixels=self.deferred_max_pixels, name=self.item.file
                )
            except EvidenceError as exc:
                self.error = exc
        return self.error is None

    def release_pixels(self) -> None:
        """Drop a deferred photo's pixels (bytes and ``cache`` stay; ``pixels_ready`` decodes
        again); eagerly decoded items keep theirs."""
        if self.deferred_max_pixels is not None:
            self.image = None
            self.__dict__.pop("gray", None)

    @property
    def ok(self) -> bool:
        """True if the item was read and decoded."""
        return self.error is None

    @cached_property
    def gray(self) -> np.ndarray:
        """Grayscale pixels of a photo."""
        if self.image is None:
            raise ValueError(f"{self.item.file} has no decoded image")
        return to_gray(self.image)


@dataclass
class LoadedPackage:
    """A manifest, its sha256, and every item loaded."""

    manifest: Manifest
    manifest_sha256: str
    items: list[LoadedItem]
    source: PackageSource

    def by_code(self, code: str) -> list[LoadedItem]:
        """Loaded items of one photo-type code."""
        return [li for li in self.items if li.item.code == code]


def load_package(
    source: PackageSource,
    *,
    max_manifest_bytes: int,
    max_items: int,
    max_file_bytes: int,
    max_pixels: int,
    max_frames: int,
    decode: bool = True,
) -> LoadedPackage:
    """Read and validate the manifest, then read and decode every item it names.

    With ``decode=False`` photos are read and hashed but decoded later, one at a time, by
    ``LoadedItem.pixels_ready`` (the runner does so, so a package's photos are not all held
    decoded at once: ~8 MB per 1080p photo with its gray copy)."""
    try:
        raw = source.read(MANIFEST_NAME, max_bytes=max_manifest_bytes)
    except ObjectNotFound:
        raise ManifestError(f"{source.label}: no manifest.json") from None
    except EvidenceError as exc:
        raise ManifestError(f"{source.label}: manifest.json {exc}") from None
    manifest = parse_manifest(raw, max_bytes=max_manifest_bytes, max_items=max_items)
    items = [
        _load_item(source, it, max_file_bytes, max_pixels, max_frames, decode)
        for it in manifest.evidence
    ]
    return LoadedPackage(manifest, hashlib.sha256(raw).hexdigest(), items, source)


def _load_item(
    source: PackageSource,
    item: EvidenceItem,
    max_bytes: int,
    max_pixels: int,
    max_frames: int,
    decode: bool,
) -> LoadedItem:
    loaded = LoadedItem(item)
    try:
        if item.kind == "frames":
            names = [n for n in source.list(item.file) if n.lower().endswith(FRAME_EXTENSIONS)]
            if not names:
                raise EvidenceError(
                    f"{item.file} has no frame images", reason="evidence_missing", key=item.file
                )
            if len(names) > max_frames:
                raise EvidenceError(
                    f"{item.file} has {len(names)} frames, over the {max_frames} limit",
                    reason="evidence_too_large",
                    key=item.file,
                )
            loaded.frames = FolderFrames(source, item, names, max_bytes, max_pixels)
            return loaded
        data = source.read(item.file, max_bytes=max_bytes)
        loaded.data = data
        loaded.sha256 = hashlib.sha256(data).hexdigest()
        if item.sha256 and item.sha256 != loaded.sha256:
            raise EvidenceError(
                f"{item.file} sha256 is {loaded.sha256[:12]}…, the manifest says "
                f"{item.sha256[:12]}…",
                reason="sha256_mismatch",
                key=item.file,
            )
        if item.kind == "video":
            from pipeline.video import open_video  # lazy: only packages with videos need it

            loaded.frames = open_video(item, data, max_frames=max_frames, max_pixels=max_pixels)
        elif decode:
            loaded.image, loaded.corrupt = decode_image_noting(
                data, max_pixels=max_pixels, name=item.file
            )
        else:  # decoded by pixels_ready(), which raises the same errors then
            loaded.deferred_max_pixels = max_pixels
    except ObjectNotFound:
        loaded.error = EvidenceError(
            f"{item.file} is named by the manifest but missing",
            reason="evidence_missing",
            key=item.file,
        )
    except EvidenceError as exc:
        loaded.error = exc
    return loaded
