"""The machine side: inspections, idempotent results, queries (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from pipeline.db import Database
from pipeline.db.results import (
    count_by_verdict,
    get_inspection,
    latest_result,
    record_inspection,
    record_result,
    result_exists,
    top_reasons,
)
from pipeline.db.schema import findings, inspections, results
from pipeline.records import Outcome
from tests.db.conftest import T0, later, make_manifest, make_verdict


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_record_inspection_is_an_upsert(db: Database) -> None:
    m = make_manifest()
    pk = record_inspection(db, m, prefix="p/1", manifest_sha256="a" * 64, received_at=T0)
    again = record_inspection(db, m, prefix="p/1", manifest_sha256="a" * 64, received_at=later(5))
    assert again == pk
    changed = record_inspection(db, m, prefix="p/2", manifest_sha256="b" * 64, received_at=later(9))
    assert changed == pk
    assert _count(db, inspections) == 1
    row = get_inspection(db, m.inspection_id, 1)
    assert row is not None
    assert (row.pk, row.prefix, row.manifest_sha256) == (pk, "p/2", "b" * 64)
    assert row.received_at == T0  # the first arrival is kept
    assert (row.plate, row.vin, row.held) == ("鲁F12345", "LSVAM4187C2184847", False)
    assert get_inspection(db, m.inspection_id, 2) is None


def test_timestamps_come_back_as_the_same_aware_instant(db: Database) -> None:
    m = make_manifest()  # started 09:12+08:00
    record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=later(0))
    row = get_inspection(db, m.inspection_id, 1)
    assert row is not None
    assert row.started_at == datetime(2026, 11, 23, 9, 12, tzinfo=timezone(timedelta(hours=8)))
    assert row.started_at.utcoffset() == timedelta(0)
    assert row.started_at.tzinfo is not None and row.received_at.tzinfo is not None


def test_record_result_twice_stores_one_row(db: Database) -> None:
    m = make_manifest()
    ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
    v = make_verdict(m, [("fail", "plate_mismatch"), ("pass", None), ("review", "blurry")])
    first = record_result(db, v, inspection_pk=ipk, result_key="k/result.json", created_at=T0)
    second = record_result(
        db, v, inspection_pk=ipk, result_key="k/result.json", created_at=later(1)
    )
    assert first[1] is True and second == (first[0], False)
    assert _count(db, results) == 1
    assert _count(db, findings) == 3


def test_record_result_from_many_threads_stores_one_row(db: Database) -> None:
    m = make_manifest()
    ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
    v = make_verdict(m)
    n = 8
    barrier = threading.Barrier(n)
    outcomes: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(record_result(db, v, inspection_pk=ipk, result_key="k", created_at=T0))
        except BaseException as exc:  # asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({pk for pk, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    assert _count(db, results) == 1
    assert _count(db, findings) == 1


def test_new_pipeline_version_or_manifest_is_a_new_result(db: Database) -> None:
    m = make_manifest()
    ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
    a, _ = record_result(db, make_verdict(m), inspection_pk=ipk, result_key="k", created_at=T0)
    b, created = record_result(
        db,
        make_verdict(m, [("pass", None)], version="0.2.0"),
        inspection_pk=ipk,
        result_key="k2",
        created_at=later(1),
    )
    assert created and b != a
    assert result_exists(db, m.inspection_id, 1, "a" * 64, "0.1.0+abc")
    assert result_exists(db, m.inspection_id, 1, "a" * 64, "0.2.0")
    assert not result_exists(db, m.inspection_id, 1, "b" * 64, "0.2.0")
    latest = latest_result(db, m.inspection_id, 1)
    assert latest is not None and (latest.pk, latest.verdict) == (b, "pass")


def test_latest_result_round_trips_findings_and_chinese_detail(db: Database) -> None:
    m = make_manifest()
    ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
    v = make_verdict(m, [("fail", "plate_mismatch"), ("review", "vin_unreadable")])
    pk, _ = record_result(db, v, inspection_pk=ipk, result_key="k", created_at=T0)
    got = latest_result(db, m.inspection_id, 1)
    assert got is not None
    assert (got.pk, got.station_id, got.result_key, got.created_at) == (pk, "3706000123", "k", T0)
    assert got.findings == v.findings
    assert got.findings[0].detail["read"] == "鲁F12845"
    assert got.to_verdict().to_json() == v.to_json()
    assert latest_result(db, m.inspection_id, 2) is None


def test_counts_and_top_reasons_use_each_attempts_latest_result(db: Database) -> None:
    cases: list[tuple[str, list[tuple[Outcome, str | None]]]] = [
        ("370600202611230001", [("fail", "plate_mismatch"), ("fail", "plate_mismatch")]),
        ("370600202611230002", [("fail", "plate_mismatch"), ("review", "blurry")]),
        ("370600202611230003", [("review", "blurry")]),
        ("370600202611230004", [("pass", None)]),
    ]
    for iid, outs in cases:
        m = make_manifest(iid)
        ipk = record_inspection(db, m, prefix=iid, manifest_sha256="a" * 64, received_at=T0)
        record_result(db, make_verdict(m, outs), inspection_pk=ipk, result_key=iid, created_at=T0)
    # Reprocessing 0003 with a newer version passes it: it must count once, as pass.
    m3 = make_manifest("370600202611230003")
    ipk3 = record_inspection(db, m3, prefix="x", manifest_sha256="a" * 64, received_at=T0)
    record_result(
        db,
        make_verdict(m3, [("pass", None)], version="0.2.0"),
        inspection_pk=ipk3,
        result_key="x",
        created_at=later(3),
    )
    assert count_by_verdict(db) == {"pass": 2, "fail": 2, "review": 0}
    assert top_reasons(db, 10) == [("plate_mismatch", 2), ("blurry", 1)]
    assert top_reasons(db, 1) == [("plate_mismatch", 2)]


def test_empty_database_counts_zero(db: Database) -> None:
    assert count_by_verdict(db) == {"pass": 0, "fail": 0, "review": 0}
    assert top_reasons(db) == []
