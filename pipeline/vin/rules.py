"""VIN rules: the alphabet, the GB 16735 Annex A check digit, WMI and model year.

A VIN is 17 characters of ``0-9 A-Z`` without ``I``, ``O`` and ``Q``. Position 9 (index 8) is
a check digit: the weighted sum of the transliterated characters mod 11, where 10 is written
``X``. Imported vehicles may legally lack a valid one, so a failed check digit is a reason to
look, never a rejection on its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

LENGTH = 17
CHECK_INDEX = 8
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
# Model-year code (position 10) cycles every 30 years; we report the most recent cycle.
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"

# Letters the alphabet forbids always mean a digit; OCR often reads them for these.
FORBIDDEN_MAP = {"O": "0", "Q": "0", "I": "1"}
# Pairs OCR confuses inside the alphabet; only the check digit may choose between them.
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "0": ("D",),
    "D": ("0",),
    "1": ("L", "7", "T"),
    "L": ("1",),
    "7": ("1", "T"),
    "T": ("7", "1"),
    "2": ("Z",),
    "Z": ("2",),
    "5": ("S",),
    "S": ("5",),
    "8": ("B", "3"),
    "B": ("8",),
    "3": ("8",),
    "6": ("G",),
    "G": ("6", "C"),
    "C": ("G",),
    "U": ("V",),
    "V": ("U",),
    "4": ("A",),
    "A": ("4",),
}


# ISO 3779 / GB 16735: the last four characters (the serial's end) are always digits.
SERIAL_DIGITS = range(13, 17)
_TO_DIGIT = {"B": "8", "S": "5", "Z": "2", "G": "6", "D": "0", "T": "7", "L": "1", "A": "4"}


def fix_serial(vin: str) -> str | None:
    """The VIN with letters OCR confuses for digits mapped back in the last four positions.

    None when a position there holds a letter that looks like no digit: the text is then
    not a VIN (a line of words, a part number).
    """
    chars = list(vin)
    for i in SERIAL_DIGITS:
        if not chars[i].isdigit():
            digit = _TO_DIGIT.get(chars[i])
            if digit is None:
                return None
            chars[i] = digit
    return "".join(chars)


def transliterate(ch: str) -> int:
    """The numeric value of a VIN character for the check digit (KeyError if not allowed)."""
    return _VALUES[ch]


def is_wellformed(vin: str) -> bool:
    """Whether ``vin`` is 17 characters of the VIN alphabet."""
    return len(vin) == LENGTH and all(c in ALPHABET for c in vin)


def check_digit(vin: str) -> str:
    """The check digit GB 16735 prescribes for a well-formed VIN (``0``-``9`` or ``X``)."""
    if not is_wellformed(vin):
        raise ValueError(f"not a well-formed VIN: {vin!r}")
    total = sum(_VALUES[c] * w for c, w in zip(vin, WEIGHTS, strict=True))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def check_digit_ok(vin: str) -> bool:
    """Whether a well-formed VIN carries the right check digit at position 9."""
    return is_wellformed(vin) and vin[CHECK_INDEX] == check_digit(vin)


def with_check_digit(vin: str) -> str:
    """The VIN with position 9 replaced by its correct check digit."""
    body = vin[:CHECK_INDEX] + "0" + vin[CHECK_INDEX + 1 :]
    return vin[:CHECK_INDEX] + check_digit(body) + vin[CHECK_INDEX + 1 :]


def wmi(vin: str) -> str:
    """The World Manufacturer Identifier (first three characters)."""
    return vin[:3]


def model_year(vin: str, latest: int | None = None) -> int | None:
    """The model year coded at position 10, in the 30-year cycle ending at ``latest``.

    ``latest`` defaults to next year (a model year may run ahead of the calendar).
    """
    if len(vin) != LENGTH or vin[9] not in _YEAR_CODES:
        return None
    latest = latest if latest is not None else date.today().year + 1
    base = 1980 + _YEAR_CODES.index(vin[9])
    while base + 30 <= latest:
        base += 30
    return base


def clean(text: str) -> str:
    """Upper-case, drop everything but letters and digits, map I/O/Q to 1/0/0."""
    out = []
    for ch in text.upper():
        ch = FORBIDDEN_MAP.get(ch, ch)
        if ch in ALPHABET:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Correction:
    """A read after confusion-aware correction: the text and what was changed."""

    text: str
    check_ok: bool
    changed: tuple[int, ...] = ()


def arbitrate(read: str, max_changes: int = 1) -> Correction:
    """Let the check digit choose among OCR confusions of ``read`` (never a target VIN).

    A read whose check digit already holds is kept. Otherwise every way of swapping up to
    ``max_changes`` confusable characters is tried; only a *unique* valid alternative is
    accepted, because two valid alternatives mean the check digit cannot tell.
    """
    if not is_wellformed(read):
        return Correction(read, False)
    if check_digit_ok(read):
        return Correction(read, True)
    for n in range(1, max_changes + 1):
        found: list[Correction] = []
        for idxs in itertools.combinations(range(LENGTH), n):
            options = [CONFUSABLE.get(read[i], ()) for i in idxs]
            for repl in itertools.product(*options):
                chars = list(read)
                for i, c in zip(idxs, repl, strict=True):
                    chars[i] = c
                alt = "".join(chars)
                if check_digit_ok(alt):
                    found.append(Correction(alt, True, idxs))
        if len(found) == 1:
            return found[0]
        if found:
            break
    return Correction(read, False)
