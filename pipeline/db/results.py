"""The machine side of the central database: inspections received, results, review intake.

Every write is idempotent, keyed as DESIGN.md says: a redelivered or reprocessed message
produces the same rows and never a duplicate review item. Concurrent workers are safe because
inserts use ``INSERT ... ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite alike) and then read
back the row that won.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pipeline.db import Database, audit
from pipeline.db.engine import upsert_insert
from pipeline.db.queries import (
    count_by_verdict,
    get_inspection,
    latest_result,
    result_exists,
    top_reasons,
)
from pipeline.db.schema import audit_log, findings, inspections, results, review_items
from pipeline.records import Manifest, Verdict

__all__ = [
    "count_by_verdict",
    "get_inspection",
    "latest_result",
    "open_review_item",
    "record_inspection",
    "record_result",
    "record_stub_inspection",
    "result_exists",
    "top_reasons",
]
_RESULT_KEY = ("inspection_id", "attempt", "manifest_sha256", "pipeline_version")


def record_inspection(
    db: Database, manifest: Manifest, *, prefix: str, manifest_sha256: str, received_at: datetime
) -> int:
    """Upsert the inspection attempt and return ``inspections.id``.

    A re-upload of the same attempt updates the manifest-derived fields, prefix and sha256;
    ``received_at`` keeps the first arrival; retention and holds are never touched here.
    """
    v = manifest.vehicle
    values: dict[str, Any] = {
        "inspection_id": manifest.inspection_id,
        "attempt": manifest.attempt,
        "station_id": manifest.station_id,
        "lane": manifest.lane,
        "plate": v.plate,
        "vin": v.vin,
        "vehicle_type": v.vehicle_type,
        "use": v.use,
        "registered_on": v.registered_on,
        "started_at": manifest.started_at,
        "finished_at": manifest.finished_at,
        "prefix": prefix,
        "manifest_sha256": manifest_sha256,
        "received_at": received_at,
        "held": False,
    }
    fixed = {"inspection_id", "attempt", "received_at", "held"}
    with db.begin() as conn:
        ins = upsert_insert(conn, inspections).values(**values)
        stmt = ins.on_conflict_do_update(
            index_elements=["inspection_id", "attempt"],
            set_={k: ins.excluded[k] for k in values if k not in fixed},
        ).returning(inspections.c.id)
        return int(conn.execute(stmt).scalar_one())


def record_stub_inspection(
    db: Database,
    *,
    station_id: str,
    inspection_id: str,
    attempt: int,
    prefix: str,
    received_at: datetime,
) -> int:
    """The ``inspections.id`` of an attempt whose manifest could not be read (dead-lettered).

    Inserts a placeholder row (empty vehicle fields and sha256, times = ``received_at``) only
    when the attempt is unknown; a real row is never overwritten, and a later readable
    manifest replaces the placeholder through :func:`record_inspection`.
    """
    values: dict[str, Any] = {
        "inspection_id": inspection_id,
        "attempt": attempt,
        "station_id": station_id,
        "lane": "",
        "plate": "",
        "vin": "",
        "vehicle_type": "",
        "use": "",
        "started_at": received_at,
        "finished_at": received_at,
        "prefix": prefix,
        "manifest_sha256": "",
        "received_at": received_at,
        "held": False,
    }
    with db.begin() as conn:
        stmt = upsert_insert(conn, inspections).values(**values)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["inspection_id", "attempt"]))
        return int(
            conn.execute(
                select(inspections.c.id).where(
                    inspections.c.inspection_id == inspection_id, inspections.c.attempt == attempt
                )
            ).scalar_one()
        )


def record_result(
    db: Database, verdict: Verdict, *, inspection_pk: int, result_key: str, created_at: datetime
) -> tuple[int, bool]:
    """Store a verdict and its findings once per key; return ``(results.id, created)``.

    The key is (inspection_id, attempt, manifest_sha256, pipeline_version); when the verdict
    carries no manifest sha256 the inspection row's is used.
    """
    with db.begin() as conn:
        sha = (
            verdict.manifest_sha256
            or conn.execute(
                select(inspections.c.manifest_sha256).where(inspections.c.id == inspection_pk)
            ).scalar_one()
        )
        key = {
            "inspection_id": verdict.inspection_id,
            "attempt": verdict.attempt,
            "manifest_sha256": sha,
            "pipeline_version": verdict.pipeline_version,
        }
        stmt = (
            upsert_insert(conn, results)
            .values(
                inspection_pk=inspection_pk,
                verdict=verdict.verdict,
                elapsed_ms=float(verdict.elapsed_ms),
                result_key=result_key,
                created_at=created_at,
                **key,
            )
            .on_conflict_do_nothing(index_elements=list(_RESULT_KEY))
            .returning(results.c.id)
        )
        pk = conn.execute(stmt).scalar_one_or_none()
        if pk is None:  # another delivery stored it first
            where = [results.c[k] == val for k, val in key.items()]
            return int(conn.execute(select(results.c.id).where(*where)).scalar_one()), False
        if verdict.findings:
            conn.execute(findings.insert(), [_finding_values(pk, f) for f in verdict.findings])
        return int(pk), True


def _finding_values(result_pk: int, f: Any) -> dict[str, Any]:
    return {
        "result_pk": result_pk,
        "file": f.file,
        "code": f.code,
        "check": f.check,
        "outcome": f.outcome,
        "reason": f.reason,
        "detail": dict(f.detail),
    }


def open_review_item(
    db: Database,
    verdict: Verdict,
    *,
    inspection_pk: int,
    result_pk: int | None,
    now: datetime,
    actor: str = "worker",
) -> tuple[int, bool]:
    """Open the one review item of a flagged attempt; return ``(review_items.id, created)``.

    An existing item is never duplicated: while it is still ``open`` it follows a changed
    result (``review_item.updated`` in the audit trail); claimed or decided items stay as they
    are. A new item links ``previous_item_pk`` to the latest item of an earlier attempt.
    ``result_pk`` is None when no result could be stored (a dead-lettered package).
    """
    if not verdict.flagged:
        raise ValueError(f"verdict {verdict.verdict!r} of {verdict.inspection_id} is not flagged")
    reasons = verdict.reasons()
    with db.begin() as conn:
        previous = conn.execute(
            select(review_items.c.id)
            .where(
                review_items.c.inspection_id == verdict.inspection_id,
                review_items.c.attempt < verdict.attempt,
            )
            .order_by(review_items.c.attempt.desc(), review_items.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        stmt = (
            upsert_insert(conn, review_items)
            .values(
                inspection_pk=inspection_pk,
                inspection_id=verdict.inspection_id,
                attempt=verdict.attempt,
                station_id=verdict.station_id,
                result_pk=result_pk,
                verdict=verdict.verdict,
                priority=_priority(verdict.verdict),
                reasons=reasons,
                state="open",
                previous_item_pk=previous,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["inspection_id", "attempt"])
            .returning(review_items.c.id)
        )
        pk = conn.execute(stmt).scalar_one_or_none()
        if pk is not None:
            detail = {"verdict": verdict.verdict, "reasons": reasons, "result_pk": result_pk}
            audit.append(
                conn,
                actor=actor,
                action="review_item.opened",
                entity="review_item",
                entity_id=pk,
                to_state="open",
                detail=detail,
                at=now,
            )
            return int(pk), True
        return _follow_result(conn, verdict, reasons, result_pk, now, actor), False


def follow_result(
    db: Database, verdict: Verdict, *, result_pk: int | None, now: datetime, actor: str = "worker"
) -> int | None:
    """Let an existing review item follow a newer result of its attempt, whatever its verdict
    (a reprocess may turn a flag into a pass); the item's id, or None when it has none."""
    with db.begin() as conn:
        exists = conn.execute(
            select(review_items.c.id).where(
                review_items.c.inspection_id == verdict.inspection_id,
                review_items.c.attempt == verdict.attempt,
            )
        ).scalar_one_or_none()
        if exists is None:
            return None
        return _follow_result(conn, verdict, verdict.reasons(), result_pk, now, actor)


def _priority(verdict: str) -> int:
    """Queue order: fail first, then review, then items whose newest result passes."""
    return {"fail": 0, "review": 1}.get(verdict, 2)


def _follow_result(
    conn: Connection,
    verdict: Verdict,
    reasons: list[str],
    result_pk: int | None,
    now: datetime,
    actor: str,
) -> int:
    """Point an existing, still open item at a changed result; return the item's id.

    A claimed or decided item keeps what the reviewer saw, but the change is recorded once
    in its audit trail (``review_item.result_changed``) so the queue can show it.
    """
    item = (
        conn.execute(
            select(review_items).where(
                review_items.c.inspection_id == verdict.inspection_id,
                review_items.c.attempt == verdict.attempt,
            )
        )
        .mappings()
        .one()
    )
    same = (item["result_pk"], item["verdict"], list(item["reasons"])) == (
        result_pk,
        verdict.verdict,
        reasons,
    )
    if same:
        return int(item["id"])
    detail = {
        "from": {
            "result_pk": item["result_pk"],
            "verdict": item["verdict"],
            "reasons": list(item["reasons"]),
        },
        "to": {"result_pk": result_pk, "verdict": verdict.verdict, "reasons": reasons},
    }
    if item["state"] != "open":
        if not _change_recorded(conn, int(item["id"]), result_pk):
            audit.append(
                conn,
                actor=actor,
                action="review_item.result_changed",
                entity="review_item",
                entity_id=item["id"],
                from_state=item["state"],
                to_state=item["state"],
                detail=detail,
                at=now,
            )
        return int(item["id"])
    updated = conn.execute(
        review_items.update()
        .where(
            review_items.c.id == item["id"],
            review_items.c.state == "open",
            review_items.c.version == item["version"],
        )
        .values(
            result_pk=result_pk,
            verdict=verdict.verdict,
            priority=_priority(verdict.verdict),
            reasons=reasons,
            version=item["version"] + 1,
            updated_at=now,
        )
    )
    if updated.rowcount == 1:
        audit.append(
            conn,
            actor=actor,
            action="review_item.updated",
            entity="review_item",
            entity_id=item["id"],
            from_state="open",
            to_state="open",
            detail=detail,
            at=now,
        )
    return int(item["id"])


def _change_recorded(conn: Connection, item_pk: int, result_pk: int | None) -> bool:
    """Whether a result change to ``result_pk`` is already in the item's audit trail."""
    rows = conn.execute(
        select(audit_log.c.detail).where(
            audit_log.c.entity == "review_item",
            audit_log.c.entity_id == str(item_pk),
            audit_log.c.action == "review_item.result_changed",
        )
    ).scalars()
    return any((d or {}).get("to", {}).get("result_pk") == result_pk for d in rows)
