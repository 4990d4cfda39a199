"""JPEG encoding with the EXIF a station camera writes (capture time, make, model)."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
from PIL import Image

_EXIF_IFD = 0x8769
_MAKE, _MODEL, _DATETIME, _SOFTWARE = 271, 272, 306, 305
_DATETIME_ORIGINAL, _DATETIME_DIGITIZED, _OFFSET_ORIGINAL = 36867, 36868, 36881
_SUBSEC_ORIGINAL = 37521

CAMERAS = (
    ("HIKVISION", "DS-2CD3T45"),
    ("Dahua", "IPC-HFW4433"),
    ("Canon", "PowerShot G7 X"),
    ("HUAWEI", "VOG-AL00"),
    ("Xiaomi", "M2012K11AC"),
)


def encode_jpeg(
    image: np.ndarray,
    quality: int,
    *,
    taken: datetime | None = None,
    camera: tuple[str, str] | None = None,
    subsampling: int = 2,
) -> bytes:
    """JPEG bytes of a BGR image; EXIF DateTimeOriginal (+ offset) when ``taken`` is given."""
    pil = Image.fromarray(np.ascontiguousarray(image[..., ::-1]) if image.ndim == 3 else image)
    exif = Image.Exif()
    if camera:
        exif[_MAKE], exif[_MODEL] = camera
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[_DATETIME] = stamp
        sub = exif.get_ifd(_EXIF_IFD)
        sub[_DATETIME_ORIGINAL] = stamp
        sub[_DATETIME_DIGITIZED] = stamp
        if taken.microsecond:  # frames a fraction of a second apart
            sub[_SUBSEC_ORIGINAL] = f"{taken.microsecond // 10000:02d}"
        off = taken.strftime("%z")
        if off:
            sub[_OFFSET_ORIGINAL] = f"{off[:3]}:{off[3:]}"
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if len(exif) or taken is not None else {}
    pil.save(buf, "JPEG", quality=int(quality), subsampling=subsampling, optimize=True, **kwargs)
    return buf.getvalue()


def reencode(data: bytes, quality: int) -> bytes:
    """The same picture decoded and saved again at another quality (EXIF kept)."""
    with Image.open(io.BytesIO(data)) as im:
        exif = im.info.get("exif", b"")
        buf = io.BytesIO()
        im.convert("RGB").save(buf, "JPEG", quality=int(quality), exif=exif)
    return buf.getvalue()


def truncate(data: bytes, keep: float) -> bytes:
    """The first ``keep`` fraction of the bytes: what an interrupted upload leaves."""
    return data[: max(2, int(len(data) * keep))]
