"""Read the date and time that stations burn into photos, from OCR text of proposed lines.

OCR of digits in small burned-in fonts confuses a few shapes (O/0, I/l/1, S/5, B/8, Z/2), and
drops or doubles separators; parsing maps those letters to digits in date-like runs and
accepts any separators, then validates the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from pipeline.photo.textlines import LineBox, propose_lines

_TO_DIGIT = str.maketrans("OoDQIl|iZzSsBg", "00001111225589")
# Not inside a longer digit run: serial numbers (流水号 370600202611230004) embed dates.
_STAMP = re.compile(
    r"(?<!\d)(20\d\d)\D{0,2}?(\d{1,2})\D{1,2}(\d{1,2})\D{0,3}?(\d{1,2})\D{0,2}(\d\d)(?:\D{0,2}(\d\d))?"
)
# A fragment of a stamp (part of the date or time): worth one wider read of the same row.
_FRAGMENT = re.compile(r"\d{1,4}\s?[-/:年月.]\s?\d{1,2}")
_COMPACT = re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)\D{1,3}(\d\d)(\d\d)(\d\d)?(?!\d)")


class LineReader(Protocol):
    """The part of the OCR engine used here."""

    def read_line(self, image: np.ndarray) -> tuple[str, float]:
        """Read one cropped line."""


@dataclass(frozen=True)
class Stamp:
    """A date/time read from a watermark line."""

    moment: datetime  # naive: watermarks show local time
    text: str
    score: float
    box: LineBox
    has_seconds: bool
    padded: bool  # month, day and hour read as two digits (stations print them padded)


def parse_stamp(text: str) -> tuple[datetime, bool, bool] | None:
    """The first valid date-time in OCR text, whether seconds were shown, and whether month,
    day and hour had two digits each (a dropped digit, "2026-1-2" for "2026-11-23", makes
    a wrong date that must not be trusted), or None."""
    norm = text.translate(_TO_DIGIT).replace(" ", " ")
    for pattern in (_STAMP, _COMPACT):
        for m in pattern.finditer(norm):
            y, mo, d, hh, mi = (int(m.group(i)) for i in range(1, 6))
            ss = int(m.group(6)) if m.group(6) else 0
            try:
                moment = datetime(y, mo, d, hh, mi, ss)
            except ValueError:
                continue
            padded = all(len(m.group(i)) == 2 for i in (2, 3, 4))
            return moment, m.group(6) is not None, padded
    return None


def find_stamp(
    image: np.ndarray, gray: np.ndarray, reader: LineReader, *, max_reads: int = 6
) -> tuple[Stamp | None, list[tuple[str, float]]]:
    """Propose lines, read them best-first, and return the first date-time found.

    Also returns every (text, score) read, for the finding's detail and for other checks.
    """
    reads: list[tuple[str, float]] = []
    for box in propose_lines(gray, limit=max_reads):
        text, score = reader.read_line(box.crop(image))
        reads.append((text, score))
        parsed = parse_stamp(text)
        unpadded = parsed is not None and not parsed[2]
        if (parsed is None or unpadded) and _FRAGMENT.search(text.translate(_TO_DIGIT)):
            # Part of the stamp was proposed as a separate fragment (or the line was cut short,
            # so "2026/11/2309" parses only as an unpadded 11-02 03:09): read the row again,
            # wider, and keep that read unless it parses worse.
            wide = LineBox(max(0, box.x0 - box.width), box.y0, box.x1 + box.width, box.y1, 0.0)
            wide_text, wide_score = reader.read_line(wide.crop(image))
            reads.append((wide_text, wide_score))
            wide_parsed = parse_stamp(wide_text)
            if wide_parsed is not None and (parsed is None or wide_parsed[2]):
                text, score, parsed = wide_text, wide_score, wide_parsed
        if parsed is not None:
            return Stamp(parsed[0], text, score, box, parsed[1], parsed[2]), reads
    return None, reads
