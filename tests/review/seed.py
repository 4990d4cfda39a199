"""Seeding review items for tests: inspections, results, findings and items, inserted directly."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pipeline.db import Database
from pipeline.db.schema import findings, inspections, results, review_items

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def insert_item(
    db: Database,
    inspection_id: str,
    *,
    attempt: int = 1,
    station_id: str = "3706000123",
    verdict: str = "fail",
    reasons: Sequence[str] = ("plate_mismatch",),
    created_at: datetime = T0,
    plate: str = "鲁F12345",
    vin: str = "LSVAM4187C2184847",
    finding_rows: Sequence[dict[str, Any]] | None = None,
    previous_item_pk: int | None = None,
) -> int:
    """One flagged inspection attempt with its result, findings and open review item; its id."""
    prefix = f"{station_id}/{inspection_id}/{attempt}/"
    if finding_rows is None:
        finding_rows = [
            {
                "file": "0111.jpg",
                "code": "0111",
                "check": "plate_match",
                "outcome": verdict,
                "reason": r,
                "detail": {"expected": plate, "read": "鲁F12845"},
            }
            for r in reasons
        ]
    with db.begin() as conn:
        ipk = conn.execute(
            inspections.insert()
            .values(
                inspection_id=inspection_id,
                attempt=attempt,
                station_id=station_id,
                lane="1",
                plate=plate,
                vin=vin,
                vehicle_type="K33",
                use="A",
                started_at=created_at,
                finished_at=created_at,
                prefix=prefix,
                manifest_sha256="0" * 64,
                received_at=created_at,
                held=False,
            )
            .returning(inspections.c.id)
        ).scalar_one()
        rpk = conn.execute(
            results.insert()
            .values(
                inspection_pk=ipk,
                inspection_id=inspection_id,
                attempt=attempt,
                manifest_sha256="0" * 64,
                pipeline_version="test",
                verdict=verdict,
                elapsed_ms=1.0,
                result_key=prefix + "results/test.json",
                created_at=created_at,
            )
            .returning(results.c.id)
        ).scalar_one()
        if finding_rows:
            conn.execute(findings.insert(), [{"result_pk": rpk, **f} for f in finding_rows])
        return int(
            conn.execute(
                review_items.insert()
                .values(
                    inspection_pk=ipk,
                    inspection_id=inspection_id,
                    attempt=attempt,
                    station_id=station_id,
                    result_pk=rpk,
                    verdict=verdict,
                    priority=0 if verdict == "fail" else 1,
                    reasons=list(reasons),
                    state="open",
                    previous_item_pk=previous_item_pk,
                    version=1,
                    created_at=created_at,
                    updated_at=created_at,
                )
                .returning(review_items.c.id)
            ).scalar_one()
        )


def insert_passing(db: Database, inspection_id: str, station_id: str, at: datetime) -> None:
    """An inspection attempt that passed (no review item), for flag rates."""
    with db.begin() as conn:
        conn.execute(
            inspections.insert().values(
                inspection_id=inspection_id,
                attempt=1,
                station_id=station_id,
                lane="1",
                plate="鲁A00000",
                vin="LSVAM4187C2184847",
                vehicle_type="K33",
                use="A",
                started_at=at,
                finished_at=at,
                prefix=f"{station_id}/{inspection_id}/1/",
                manifest_sha256="0" * 64,
                received_at=at,
                held=False,
            )
        )
