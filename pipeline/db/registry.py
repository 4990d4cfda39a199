"""The office's vehicle registry: the truth that checks compare a station's manifest against.

Records are keyed by VIN; a plate can move between vehicles over the years, so a plate lookup
returns the most recently updated record. ``import_registry_csv`` reads the office's export
(``vin,plate,plate_type,vehicle_type,use,registered_on``; UTF-8 or GB18030) and reports bad rows
by their line number instead of stopping at the first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from pipeline.db import Database
from pipeline.db.engine import upsert_insert
from pipeline.db.schema import vehicles
from pipeline.errors import PermanentError
from pipeline.records import Vehicle

COLUMNS = ("vin", "plate", "plate_type", "vehicle_type", "use", "registered_on")
_VIN = re.compile(r"^[0-9A-Z]{8,17}$")  # as the manifest parser accepts (old frame numbers)
_LIMITS = {"plate": 16, "plate_type": 4, "vehicle_type": 8, "use": 4}


@dataclass(frozen=True)
class RowError:
    """One rejected CSV row: its line number in the file (the header is line 1) and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """What ``import_registry_csv`` did."""

    imported: int
    errors: tuple[RowError, ...] = field(default_factory=tuple)


def upsert_vehicles(
    db_or_conn: Database | Connection, records: Iterable[Vehicle], *, now: datetime
) -> int:
    """Insert or replace vehicle records by VIN; return how many were written."""
    rows = [_values(v, now) for v in records]
    if not rows:
        return 0
    if isinstance(db_or_conn, Connection):
        _upsert(db_or_conn, rows)
    else:
        with db_or_conn.begin() as conn:
            _upsert(conn, rows)
    return len(rows)


def upsert_vehicle(db: Database, vehicle: Vehicle, *, now: datetime) -> None:
    """Insert or replace one vehicle record by VIN."""
    upsert_vehicles(db, [vehicle], now=now)


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    ins = upsert_insert(conn, vehicles)
    stmt = ins.on_conflict_do_update(
        index_elements=["vin"], set_={k: ins.excluded[k] for k in rows[0] if k != "vin"}
    )
    conn.execute(stmt, rows)


def _values(v: Vehicle, now: datetime) -> dict[str, Any]:
    return {
        "vin": v.vin,
        "plate": v.plate,
        "plate_type": v.plate_type,
        "vehicle_type": v.vehicle_type,
        "use": v.use,
        "registered_on": v.registered_on,
        "updated_at": now,
    }


def vehicle_by_vin(db: Database, vin: str) -> Vehicle | None:
    """The registry record of a VIN, or None."""
    with db.read() as conn:
        row = conn.execute(select(vehicles).where(vehicles.c.vin == vin.strip().upper()))
        found = row.mappings().one_or_none()
    return None if found is None else _vehicle(found)


def vehicle_by_plate(db: Database, plate: str, plate_type: str | None = None) -> Vehicle | None:
    """The most recently updated record with this plate (and plate type, when given)."""
    stmt = select(vehicles).where(vehicles.c.plate == plate.strip())
    if plate_type:
        stmt = stmt.where(vehicles.c.plate_type == plate_type)
    stmt = stmt.order_by(vehicles.c.updated_at.desc(), vehicles.c.vin).limit(1)
    with db.read() as conn:
        found = conn.execute(stmt).mappings().one_or_none()
    return None if found is None else _vehicle(found)


def lookup_vehicle(db: Database, vin: str, plate: str) -> Vehicle | None:
    """The registry record for a manifest's vehicle: by VIN first, else by plate."""
    return vehicle_by_vin(db, vin) or (vehicle_by_plate(db, plate) if plate else None)


def _vehicle(row: Any) -> Vehicle:
    return Vehicle(
        plate=row["plate"],
        plate_type=row["plate_type"],
        vin=row["vin"],
        vehicle_type=row["vehicle_type"],
        use=row["use"],
        registered_on=row["registered_on"],
    )


def import_registry_csv(
    db: Database, path: str | Path, *, strict: bool = False, now: datetime | None = None
) -> ImportReport:
    """Import a registry CSV: good rows are upserted in one transaction, bad rows reported.

    With ``strict`` nothing is written when any row is bad. A missing file or missing column
    raises :class:`~pipeline.errors.PermanentError`.
    """
    good, errors = parse_registry_csv(path)
    if errors and strict:
        return ImportReport(0, tuple(errors))
    count = upsert_vehicles(db, good, now=now or datetime.now(UTC))
    return ImportReport(count, tuple(errors))


def parse_registry_csv(path: str | Path) -> tuple[list[Vehicle], list[RowError]]:
    """Parse and validate every row; a VIN seen twice is an error on its second line."""
    reader = csv.DictReader(io.StringIO(_read_text(Path(path))))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PermanentError(f"{path}: missing column(s) {', '.join(missing)}", key=str(path))
    good: list[Vehicle] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            vehicle = _parse_row(row)
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        if vehicle.vin in seen:
            errors.append(RowError(line, f"VIN {vehicle.vin} already on line {seen[vehicle.vin]}"))
            continue
        seen[vehicle.vin] = line
        good.append(vehicle)
    return good, errors


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PermanentError(f"cannot read {path}: {exc.strerror}", key=str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")  # spreadsheet exports in China are often GBK


def _parse_row(row: dict[str | Any, str | Any]) -> Vehicle:
    if None in row:
        raise ValueError("more fields than columns")
    vals = {c: (row.get(c) or "").strip() for c in COLUMNS}
    vin = vals["vin"].upper()
    if not _VIN.match(vin):
        raise ValueError(f"vin {vals['vin']!r} is not 8-17 letters and digits")
    for col, limit in _LIMITS.items():
        if not vals[col]:
            raise ValueError(f"{col} is empty")
        if len(vals[col]) > limit:
            raise ValueError(f"{col} {vals[col]!r} is longer than {limit} characters")
    registered: date | None = None
    if vals["registered_on"]:
        try:
            registered = date.fromisoformat(vals["registered_on"])
        except ValueError:
            raise ValueError(
                f"registered_on {vals['registered_on']!r} is not a date (YYYY-MM-DD)"
            ) from None
    return Vehicle(
        plate=vals["plate"],
        plate_type=vals["plate_type"],
        vin=vin,
        vehicle_type=vals["vehicle_type"].upper(),
        use=vals["use"].upper(),
        registered_on=registered,
    )
