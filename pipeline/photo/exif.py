"""EXIF fields the checks need: capture time (DateTimeOriginal) and the writing software."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import Image

_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_DATETIME = 0x0132
_SOFTWARE = 0x0131
_EXIF_IFD = 0x8769
_XMP_TOOL = re.compile(rb"(?:CreatorTool|softwareAgent)[=>\"']+([^<\"']{1,120})")


@dataclass(frozen=True)
class ExifInfo:
    """What we read from a photo's EXIF/XMP (absent fields are None)."""

    taken: datetime | None  # DateTimeOriginal, naive: EXIF has no zone
    taken_raw: str | None
    software: str | None
    xmp_tool: str | None


def parse_exif_datetime(raw: str) -> datetime | None:
    """Parse ``YYYY:MM:DD HH:MM:SS`` (the EXIF form); None for blanks and garbage."""
    raw = raw.strip().strip("\x00")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


def _utf8(text: str) -> str:
    """EXIF ASCII fields often hold UTF-8 (e.g. 美图秀秀) that Pillow decoded as Latin-1."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def read_exif(data: bytes) -> ExifInfo:
    """Read the fields; an image without EXIF gives an all-None record."""
    taken_raw: str | None = None
    software: str | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                exif = img.getexif()
                sub = exif.get_ifd(_EXIF_IFD)
                value = sub.get(_DATETIME_ORIGINAL) or sub.get(_DATETIME_DIGITIZED)
                taken_raw = str(value) if value else None
                sw = exif.get(_SOFTWARE)
                software = _utf8(str(sw)).strip("\x00 ") if sw else None
    except Exception:  # malformed EXIF is common in the wild; the pixels were already decoded
        pass
    taken = parse_exif_datetime(taken_raw) if taken_raw else None
    head = data[:262144]
    # A cheap find first: most photos carry no XMP at all.
    match = _XMP_TOOL.search(head) if b"CreatorTool" in head or b"softwareAgent" in head else None
    tool = match.group(1).decode("utf-8", "replace").strip() if match else None
    return ExifInfo(taken, taken_raw, software or None, tool)
