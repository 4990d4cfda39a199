"""Stored inspections for retention and reprocess tests, without running the checks.

:func:`seed_one` goes through the same recording functions the verify handler uses
(inspection row, result row, review item, retain-until); :func:`seed_bulk` writes many rows in
one transaction plus a tiny manifest per attempt, for the thousand-inspection runs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pipeline.db.results import open_review_item, record_inspection, record_result
from pipeline.db.schema import findings, inspections, results
from pipeline.layout import PackageAddress, address_for
from pipeline.manifest import parse_manifest
from pipeline.records import Finding, Outcome, Verdict
from pipeline.retention.policy import retain_until_for
from pipeline.retention.record import record_retention
from pipeline.services import Services
from tests.packages import BASE_MANIFEST

CST = timezone(timedelta(hours=8))
STATION = "3706000123"
OLD_VERSION = "0.0.1+old"


def manifest_bytes(
    inspection_id: str,
    *,
    station: str = STATION,
    attempt: int = 1,
    started: datetime = datetime(2026, 11, 23, 9, 12, tzinfo=CST),
    vehicle_type: str = "K33",
    use: str = "A",
    registered: date | None = date(2019, 5, 1),
) -> bytes:
    """A valid manifest naming one document photo."""
    doc: dict[str, Any] = json.loads(json.dumps(BASE_MANIFEST))
    doc.update(
        inspection_id=inspection_id,
        station_id=station,
        attempt=attempt,
        started_at=started.isoformat(),
        finished_at=(started + timedelta(minutes=29)).isoformat(),
    )
    doc["vehicle"].update(
        vehicle_type=vehicle_type,
        use=use,
        registered_on=registered.isoformat() if registered else None,
    )
    doc["evidence"] = [{"code": "0201", "file": "0201.jpg"}]
    return json.dumps(doc, ensure_ascii=False).encode()


def seed_one(
    services: Services,
    inspection_id: str,
    *,
    verdict: Outcome = "fail",
    version: str = OLD_VERSION,
    **manifest_kw: Any,
) -> PackageAddress:
    """Store manifest, one evidence file and a result; record rows as the verify handler does."""
    raw = manifest_bytes(inspection_id, **manifest_kw)
    manifest = parse_manifest(raw)
    address = address_for(manifest.station_id, manifest.inspection_id, manifest.attempt)
    store = services.store
    store.put(address.prefix + "0201.jpg", b"\xff\xd8tiny\xff\xd9", content_type="image/jpeg")
    store.put(address.manifest_key, raw, content_type="application/json")
    result = _verdict(
        manifest.inspection_id, manifest.station_id, manifest.attempt, verdict, version
    )
    store.put(address.result_key(version), json.dumps(result.to_json()).encode())
    now = services.clock()
    sha = hashlib.sha256(raw).hexdigest()
    pk = record_inspection(
        services.database, manifest, prefix=address.prefix, manifest_sha256=sha, received_at=now
    )
    record_retention(services, pk, address, manifest, version)
    rpk, _ = record_result(
        services.database,
        result,
        inspection_pk=pk,
        result_key=address.result_key(version),
        created_at=now,
    )
    if result.flagged:
        open_review_item(services.database, result, inspection_pk=pk, result_pk=rpk, now=now)
    return address


def _verdict(
    inspection_id: str, station: str, attempt: int, verdict: Outcome, version: str
) -> Verdict:
    found: tuple[Finding, ...] = ()
    if verdict != "pass":
        reason = "plate_mismatch" if verdict == "fail" else "blurry"
        check = "plate_match" if verdict == "fail" else "quality"
        found = (Finding("0111.jpg", "0111", check, verdict, reason, {}),)
    return Verdict(
        inspection_id=inspection_id,
        station_id=station,
        attempt=attempt,
        verdict=verdict,
        findings=found,
        pipeline_version=version,
        elapsed_ms=1.0,
    )


def seed_bulk(
    services: Services,
    n: int,
    *,
    prefix: str = "BULK",
    station_of: Any = None,
    verdict_of: Any = None,
    day_of: Any = None,
    version: str = OLD_VERSION,
) -> list[PackageAddress]:
    """``n`` attempts: manifests in the store, inspection + result + finding rows in one go."""
    station_of = station_of or (lambda i: STATION)
    verdict_of = verdict_of or (lambda i: ("pass", "fail", "review")[i % 3])
    day_of = day_of or (lambda i: date(2026, 11, 1) + timedelta(days=i % 28))
    rows, addresses = [], []
    now = services.clock()
    for i in range(n):
        started = datetime.combine(day_of(i), datetime.min.time(), CST) + timedelta(hours=9)
        raw = manifest_bytes(f"{prefix}{i:06d}", station=station_of(i), started=started)
        address = address_for(station_of(i), f"{prefix}{i:06d}", 1)
        services.store.put(address.manifest_key, raw, content_type="application/json")
        manifest = parse_manifest(raw)
        v = manifest.vehicle
        rows.append(
            {
                "inspection_id": manifest.inspection_id,
                "attempt": 1,
                "station_id": manifest.station_id,
                "lane": "1",
                "plate": v.plate,
                "vin": v.vin,
                "vehicle_type": v.vehicle_type,
                "use": v.use,
                "registered_on": v.registered_on,
                "started_at": manifest.started_at,
                "finished_at": manifest.finished_at,
                "prefix": address.prefix,
                "manifest_sha256": hashlib.sha256(raw).hexdigest(),
                "received_at": now,
                "retain_until": retain_until_for(services.settings, manifest),
                "held": False,
            }
        )
        addresses.append(address)
    with services.database.begin() as conn:
        conn.execute(inspections.insert(), rows)
        ids = dict(
            conn.execute(
                inspections.select().with_only_columns(
                    inspections.c.inspection_id, inspections.c.id
                )
            ).all()
        )
        res_rows = [
            {
                "inspection_pk": ids[r["inspection_id"]],
                "inspection_id": r["inspection_id"],
                "attempt": 1,
                "manifest_sha256": r["manifest_sha256"],
                "pipeline_version": version,
                "verdict": verdict_of(i),
                "elapsed_ms": 1.0,
                "result_key": addresses[i].result_key(version),
                "created_at": now,
            }
            for i, r in enumerate(rows)
        ]
        conn.execute(results.insert(), res_rows)
        rids = dict(
            conn.execute(
                results.select().with_only_columns(results.c.inspection_id, results.c.id)
            ).all()
        )
        found = [
            {
                "result_pk": rids[r["inspection_id"]],
                "file": "0111.jpg",
                "code": "0111",
                "check": "plate_match",
                "outcome": "fail",
                "reason": "plate_mismatch",
                "detail": {},
            }
            for i, r in enumerate(res_rows)
            if r["verdict"] == "fail"
        ]
        if found:
            conn.execute(findings.insert(), found)
    return addresses
