"""Plausible vehicle identities: plates (GA 36), VINs (GB 16735 check digit), types and stations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pipeline.records import Vehicle

# Letters allowed in plates and VINs: never I or O (and never Q in a VIN).
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = dict(zip("ABCDEFGH", range(1, 9), strict=True))
_VIN_VALUES.update(dict(zip("JKLMN", range(1, 6), strict=True)))
_VIN_VALUES.update({"P": 7, "R": 9})
_VIN_VALUES.update(dict(zip("STUVWXYZ", range(2, 10), strict=True)))
_VIN_VALUES.update({str(d): d for d in range(10)})
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 2010 = A, cycle of 30

# Province characters with a prefecture letter range typical of each (Shandong first: the
# sample station is in 烟台, 鲁F).
PROVINCES = "鲁京津冀晋蒙辽吉黑沪苏浙皖闽赣豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"

# Chinese WMIs by vehicle family (cars, trucks, buses).
WMI = {
    "car": ("LSV", "LFV", "LGB", "LVS", "LSG", "LGX", "LHG", "LVH", "LBE", "LJD"),
    "truck": ("LZZ", "LFW", "LGA", "LRD", "LEF", "LJC"),
    "bus": ("LZY", "LKL", "LA9", "LGG", "LCK"),
}


@dataclass(frozen=True)
class VehicleKind:
    """A vehicle type (车辆类型) with its usual uses, plate types and body family."""

    vehicle_type: str
    family: str  # car | truck | bus (the body the renderer draws)
    uses: tuple[str, ...]
    plate_types: tuple[str, ...]


VEHICLE_KINDS = {
    "K33": VehicleKind("K33", "car", ("A",), ("02", "52")),
    "K31": VehicleKind("K31", "car", ("A",), ("02", "52")),
    "H31": VehicleKind("H31", "truck", ("F",), ("02",)),
    "H11": VehicleKind("H11", "truck", ("F",), ("01",)),
    "K11": VehicleKind("K11", "bus", ("B", "C"), ("01", "51")),
}

# 号牌种类 -> plate style drawn by plate.render_plate.
PLATE_STYLES = {"01": "yellow", "02": "blue", "51": "green_large", "52": "green", "23": "white"}


def vin_check_digit(vin: str) -> str:
    """The GB 16735 / ISO 3779 check digit (position 9) of a 17-character VIN."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def with_check_digit(vin: str) -> str:
    """The VIN with position 9 replaced by its correct check digit."""
    return vin[:8] + vin_check_digit(vin) + vin[9:]


def random_vin(rng: np.random.Generator, family: str, year: int) -> str:
    """A 17-character VIN of a Chinese maker with a valid check digit."""
    wmis = WMI[family]
    wmi = wmis[int(rng.integers(len(wmis)))]
    vds = "".join(_choice(rng, VIN_CHARS) for _ in range(5))
    year_code = _YEAR_CODES[(year - 2010) % 30]
    plant = _choice(rng, "ABCDEFGHJKLMNPRSTUVWXYZ0123456789")
    serial = "".join(_choice(rng, "0123456789") for _ in range(6))
    return with_check_digit(wmi + vds + "0" + year_code + plant + serial)


def random_plate(rng: np.random.Generator, plate_type: str, province: str = "鲁") -> str:
    """A plate number: province + letter + 5 alnum, or + D/F + 5 digits for new energy."""
    city = _choice(rng, "ABCDEFGHJKLMNPQRSUVY")
    if plate_type in ("51", "52"):
        return province + city + _choice(rng, "DF") + _digits(rng, 5)
    letters = int(rng.choice([0, 0, 1, 1, 2]))
    body = [_choice(rng, PLATE_LETTERS) for _ in range(letters)] + list(_digits(rng, 5 - letters))
    order = rng.permutation(len(body))
    return province + city + "".join(body[i] for i in order)


# Characters OCR easily mistakes for each other: an altered plate avoids these swaps so that
# the difference is a different vehicle, not a doubtful reading.
CONFUSABLE = {
    "0": "8DQUC6",
    "1": "7IJLT4",
    "2": "Z7",
    "3": "8B9",
    "4": "A1",
    "5": "6S9",
    "6": "508G",
    "7": "12T",
    "8": "0369B",
    "9": "8035",
    "B": "8RE3",
    "D": "0Q",
    "Q": "0D",
    "S": "5",
    "Z": "2",
    "G": "6C",
}


def altered_plate(rng: np.random.Generator, plate: str) -> str:
    """A different plate that keeps the format: one alnum position changed, not confusably."""
    pos = int(rng.integers(3, len(plate)))
    old = plate[pos]
    pool = "0123456789" if old.isdigit() else PLATE_LETTERS
    pool = "".join(c for c in pool if c != old and c not in CONFUSABLE.get(old, ""))
    return plate[:pos] + _choice(rng, pool) + plate[pos + 1 :]


def altered_vin(rng: np.random.Generator, vin: str) -> str:
    """A different VIN with a valid check digit: serial digits changed (a swapped frame)."""
    pos = int(rng.integers(11, 17))
    new = _choice(rng, "0123456789".replace(vin[pos], ""))
    return with_check_digit(vin[:pos] + new + vin[pos + 1 :])


def random_vehicle(rng: np.random.Generator, vehicle_type: str, on: date) -> Vehicle:
    """A registered vehicle of a type, first registered 1 to 12 years before ``on``."""
    kind = VEHICLE_KINDS[vehicle_type]
    age_days = int(rng.integers(365, 12 * 365))
    registered = on - timedelta(days=age_days)
    plate_type = kind.plate_types[int(rng.integers(len(kind.plate_types)))]
    province = "鲁" if rng.random() < 0.8 else _choice(rng, PROVINCES)
    return Vehicle(
        plate=random_plate(rng, plate_type, province),
        plate_type=plate_type,
        vin=random_vin(rng, kind.family, registered.year),
        vehicle_type=vehicle_type,
        use=kind.uses[int(rng.integers(len(kind.uses)))],
        registered_on=registered,
    )


def family_of(vehicle_type: str) -> str:
    """The body family (car, truck, bus) drawn for a vehicle type."""
    kind = VEHICLE_KINDS.get(vehicle_type)
    if kind:
        return kind.family
    if vehicle_type.startswith(("H", "Q", "Z")):
        return "truck"
    return "bus" if vehicle_type.startswith(("K1", "K2")) else "car"


def _choice(rng: np.random.Generator, pool: str) -> str:
    return pool[int(rng.integers(len(pool)))]


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(_choice(rng, "0123456789") for _ in range(n))
