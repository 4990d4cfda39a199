"""Synthetic review data at scale for the console benchmark: stations, inspections (flagged and
passing), results, findings and review items, bulk-inserted in chunks.

Items spread over a year before ``now`` across ``stations`` stations; half are open, about 20
per 100,000 claimed (a lease is a reviewer looking at an item right now), the rest decided, so
every page reads a realistically mixed table. Reasons follow a skewed distribution (plate and
watermark problems common, looped frames rare), so the reason filter is measured on both a
frequent and a rare code.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pipeline.db import Database
from pipeline.db.schema import findings, inspections, results, review_items

REASONS = [  # (code, weight)
    ("plate_mismatch", 30),
    ("watermark_date_mismatch", 20),
    ("blurry", 15),
    ("photo_missing", 10),
    ("vin_mismatch", 8),
    ("photo_reused", 6),
    ("rubbing_glyph_mismatch", 5),
    ("rubbing_no_reference", 3),
    ("video_too_short", 2),
    ("frames_looped", 1),
]
RARE_REASON = "frames_looped"
CHUNK = 5000
_PROVINCES = "鲁京沪粤苏浙川豫冀晋"
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _plate(rng: random.Random) -> str:
    tail = "".join(rng.choices(string.ascii_uppercase[:8] + string.digits, k=5))
    return rng.choice(_PROVINCES) + rng.choice("ABCDEF") + tail


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _next_id(db: Database, table: sa.Table) -> int:
    with db.read() as conn:
        return (
            int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one())
            + 1
        )


@dataclass
class _Rows:
    """Rows to insert, per table, and a sample of items for the benchmark's lookups."""

    inspections: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)


def _inspection(
    rows: _Rows, rng: random.Random, ipk: int, stations: int, now: datetime
) -> dict[str, Any]:
    """Add one inspection attempt received in the last year; its row."""
    station = f"37060{rng.randrange(stations):05d}"
    iid = f"B{ipk:012d}"
    at = now - timedelta(seconds=rng.randrange(365 * 86400))
    row = {
        "id": ipk,
        "inspection_id": iid,
        "attempt": 1,
        "station_id": station,
        "lane": "1",
        "plate": _plate(rng),
        "vin": "".join(rng.choices(_VIN_CHARS, k=17)),
        "vehicle_type": "K33",
        "use": "A",
        "started_at": at,
        "finished_at": at,
        "prefix": f"{station}/{iid}/1/",
        "manifest_sha256": "0" * 64,
        "received_at": at,
        "held": False,
    }
    rows.inspections.append(row)
    return row


def _flag(
    rows: _Rows, rng: random.Random, ins: dict[str, Any], rpk: int, item_id: int, now: datetime
) -> None:
    """Add the result, findings and review item of a flagged inspection."""
    codes, weights = zip(*REASONS, strict=True)
    reasons = sorted(set(rng.choices(codes, weights, k=rng.choice((1, 1, 2, 3)))))
    verdict = "fail" if rng.random() < 0.6 else "review"
    at, iid = ins["started_at"], ins["inspection_id"]
    rows.results.append(
        {
            "id": rpk,
            "inspection_pk": ins["id"],
            "inspection_id": iid,
            "attempt": 1,
            "manifest_sha256": "0" * 64,
            "pipeline_version": "bench",
            "verdict": verdict,
            "elapsed_ms": 800.0,
            "result_key": ins["prefix"] + "results/bench.json",
            "created_at": at,
        }
    )
    rows.findings.extend(
        {
            "result_pk": rpk,
            "file": "0111.jpg",
            "code": "0111",
            "check": "bench",
            "outcome": verdict,
            "reason": r,
            "detail": {"read": ins["plate"]},
        }
        for r in reasons
    )
    state = rng.choices(("open", "decided", "claimed"), (50, 49.98, 0.02))[0]
    claimed, decided = state == "claimed", state == "decided"
    rows.items.append(
        {
            "id": item_id,
            "inspection_pk": ins["id"],
            "inspection_id": iid,
            "attempt": 1,
            "station_id": ins["station_id"],
            "result_pk": rpk,
            "verdict": verdict,
            "priority": 0 if verdict == "fail" else 1,
            "reasons": reasons,
            "state": state,
            "claimed_by": "bench" if claimed else None,
            "lease_until": now + timedelta(hours=1) if claimed else None,
            "decision": "confirm" if decided else None,
            "decided_by": "bench" if decided else None,
            "decided_at": at + timedelta(hours=2) if decided else None,
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
    )
    if len(rows.sample) < 50 and rng.random() < 0.01:
        rows.sample.append(
            {
                "id": item_id,
                "plate": ins["plate"],
                "vin": ins["vin"],
                "station": ins["station_id"],
                "inspection_id": iid,
                "prefix": ins["prefix"],
                "state": state,
            }
        )


def seed(
    db: Database, count: int, *, now: datetime, stations: int = 100, seed_value: int = 7
) -> list[dict[str, Any]]:
    """Add ``count`` flagged inspections (with items) and ``count // 2`` passing ones.

    Returns a small sample of the added items (ids, plate, vin, station) for lookups.
    """
    rng = random.Random(seed_value + count)
    first = {t.name: _next_id(db, t) for t in (inspections, results, review_items)}
    rows = _Rows()
    for n in range(count + count // 2):
        ins = _inspection(rows, rng, first["inspections"] + n, stations, now)
        if n < count:  # the rest pass: no result rows are needed for the console
            _flag(rows, rng, ins, first["results"] + n, first["review_items"] + n, now)
    with db.begin() as conn:
        for table, batch_rows in (
            (inspections, rows.inspections),
            (results, rows.results),
            (findings, rows.findings),
            (review_items, rows.items),
        ):
            for batch in _chunks(iter(batch_rows)):
                conn.execute(table.insert(), batch)
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in (inspections, results, findings, review_items):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    return rows.sample


def analyze(db: Database) -> None:
    """Refresh planner statistics after a bulk load (what autovacuum / PRAGMA optimize do)."""
    with db.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
