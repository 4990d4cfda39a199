"""The vehicle registry: CSV import with row-numbered errors, lookups by VIN and plate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.db import Database
from pipeline.db.registry import (
    import_registry_csv,
    lookup_vehicle,
    upsert_vehicle,
    vehicle_by_plate,
    vehicle_by_vin,
)
from pipeline.errors import PermanentError
from pipeline.records import Vehicle
from tests.db.conftest import T0, later

HEADER = "vin,plate,plate_type,vehicle_type,use,registered_on\n"
GOOD = "LSVAM4187C2184847,鲁F12345,02,k33,a,2019-05-01\n"
SECOND = "LFV2A21K8A3123456,鲁F88888,02,K31,A,\n"


def _csv(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "registry.csv"
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_import_reports_bad_rows_by_line_and_keeps_good_ones(db: Database, tmp_path: Path) -> None:
    body = GOOD + "NOT A VIN,鲁F1,02,K33,A,\n" + SECOND + "LSVAM4187C2184847,鲁F2,02,K33,A,\n"
    body += "LGBH52E09DY123456,鲁F3,02,K33,A,2019-13-01\n"
    report = import_registry_csv(db, _csv(tmp_path, body))
    assert report.imported == 2
    assert [(e.line, e.message.split(" ")[0]) for e in report.errors] == [
        (3, "vin"),
        (5, "VIN"),
        (6, "registered_on"),
    ]
    assert "already on line 2" in str(report.errors[1])
    got = vehicle_by_vin(db, "lsvam4187c2184847")
    assert got == Vehicle("鲁F12345", "02", "LSVAM4187C2184847", "K33", "A", date(2019, 5, 1))
    assert vehicle_by_vin(db, "LFV2A21K8A3123456") is not None
    assert vehicle_by_vin(db, "LGBH52E09DY123456") is None


def test_strict_import_writes_nothing_when_a_row_is_bad(db: Database, tmp_path: Path) -> None:
    report = import_registry_csv(db, _csv(tmp_path, GOOD + "X,,02,K33,A,\n"), strict=True)
    assert report.imported == 0 and [e.line for e in report.errors] == [3]
    assert vehicle_by_vin(db, "LSVAM4187C2184847") is None


def test_gb18030_export_and_reimport_update(db: Database, tmp_path: Path) -> None:
    path = _csv(tmp_path, GOOD, encoding="gb18030")
    assert import_registry_csv(db, path, now=T0).imported == 1
    path.write_text(HEADER + GOOD.replace("鲁F12345", "鲁F54321"), encoding="utf-8-sig")
    assert import_registry_csv(db, path, now=later(1)).imported == 1
    got = vehicle_by_vin(db, "LSVAM4187C2184847")
    assert got is not None and got.plate == "鲁F54321"


def test_missing_column_or_file_is_a_permanent_error(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("vin,plate\nLSVAM4187C2184847,鲁F12345\n", encoding="utf-8")
    with pytest.raises(PermanentError, match="missing column"):
        import_registry_csv(db, bad)
    with pytest.raises(PermanentError, match="cannot read"):
        import_registry_csv(db, tmp_path / "absent.csv")


def test_lookup_by_plate_prefers_the_latest_record(db: Database) -> None:
    old = Vehicle("鲁F12345", "02", "LFV2A21K8A3123456", "K33", "A", None)
    new = Vehicle("鲁F12345", "02", "LSVAM4187C2184847", "K33", "A", date(2019, 5, 1))
    upsert_vehicle(db, old, now=T0)
    upsert_vehicle(db, new, now=later(60))
    assert vehicle_by_plate(db, "鲁F12345") == new
    assert vehicle_by_plate(db, "鲁F12345", "01") is None
    assert lookup_vehicle(db, "LFV2A21K8A3123456", "鲁F12345") == old  # VIN wins
    assert lookup_vehicle(db, "LGBH52E09DY123456", "鲁F12345") == new
    assert lookup_vehicle(db, "LGBH52E09DY123456", "鲁A00000") is None
