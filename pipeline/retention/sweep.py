"""The retention sweeper: delete what is past its retain-until date and not held.

Works on every store; on MinIO it is the fallback beside object-lock retention and the
lifecycle rule. For each expired inspection attempt, in one database transaction:

1. claim the row: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` (a concurrent sweeper
   skips it, a concurrent hold waits for the commit and then finds it deleted); on SQLite the
   transaction already holds the write lock (``BEGIN IMMEDIATE``). The conditional
   ``UPDATE ... WHERE deleted_at IS NULL AND NOT held`` then decides: one row, or nothing to do;
2. delete every object under the attempt's prefix (evidence, manifest, results, artifacts);
3. delete its results, findings, review items and station-upload record, keep the
   inspection row as a tombstone (``deleted_at``), and append ``retention.deleted`` to the
   audit log.

If anything fails the transaction rolls back and the next run starts again: object deletes
are idempotent, so the sweep is safe to run repeatedly and concurrently. Photo hashes are
kept (they are not evidence, and reuse detection needs them); the audit log is append-only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, delete, false, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from pipeline.db import Database, audit
from pipeline.db.schema import findings, inspections, results, review_items, station_uploads
from pipeline.errors import PermanentError
from pipeline.retention.cycles import add_months
from pipeline.retention.policy import cycle_table, local_date
from pipeline.retention.record import EXPIRED_TAG, set_tags
from pipeline.services import Services

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What one sweep did (or, with ``dry_run``, would do)."""

    today: str
    dry_run: bool
    expired: int = 0  # attempts past retain-until and not held, when looked at
    deleted: int = 0  # attempts this run deleted
    objects: int = 0  # objects deleted
    deferred: int = 0  # objects the store refused (locked): tagged for the lifecycle rule
    skipped: int = 0  # taken by a concurrent sweeper, or held meanwhile
    held: int = 0  # past retain-until but under legal hold
    keys: list[str] = field(default_factory=list)  # dry run: what would go

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def expired_condition(services: Services, today: date) -> ColumnElement[bool]:
    """Rows past retention: retain-until before today, or undated and old (see fallback)."""
    table = cycle_table(services.settings)
    grace = services.settings.retention.grace_days
    # Rows without a date (a manifest that could not be read): the fallback cycle from arrival.
    cutoff_day = add_months(today, -table.fallback_months) - timedelta(days=grace)
    cutoff = datetime.combine(cutoff_day, time(0), tzinfo=ZoneInfo(services.settings.timezone))
    return and_(
        inspections.c.deleted_at.is_(None),
        or_(
            inspections.c.retain_until < today,
            and_(inspections.c.retain_until.is_(None), inspections.c.received_at < cutoff),
        ),
    )


def sweep(
    services: Services, *, dry_run: bool = False, batch: int = 100, actor: str = "sweeper"
) -> SweepReport:
    """Delete every expired, unheld inspection attempt; see the module docstring."""
    now = services.clock()
    today = local_date(services.settings, now)
    report = SweepReport(today=today.isoformat(), dry_run=dry_run)
    db = services.database
    expired = expired_condition(services, today)
    with db.read() as conn:
        held = select(func.count()).where(expired, inspections.c.held.is_(True))
        report.held = int(conn.execute(held).scalar() or 0)
    last = 0
    while True:
        with db.read() as conn:
            ids = list(
                conn.execute(
                    select(inspections.c.id, inspections.c.prefix)
                    .where(expired, inspections.c.held.is_(False), inspections.c.id > last)
                    .order_by(inspections.c.id)
                    .limit(batch)
                ).all()
            )
        if not ids:
            return report
        last = ids[-1][0]
        report.expired += len(ids)
        for pk, prefix in ids:
            if dry_run:
                report.keys.extend(info.key for info in services.store.list(prefix))
            else:
                _sweep_one(services, db, int(pk), expired, now, actor, report)
        log.info("sweep: %d deleted so far, %d skipped", report.deleted, report.skipped)


def _claim(conn: Connection, db: Database, pk: int, expired: Any) -> dict[str, Any] | None:
    """Lock and re-check one row inside the caller's transaction; None: not ours."""
    stmt = select(inspections).where(inspections.c.id == pk, expired, inspections.c.held == false())
    if db.dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row is not None else None


def _sweep_one(
    services: Services,
    db: Database,
    pk: int,
    expired: Any,
    now: datetime,
    actor: str,
    report: SweepReport,
) -> None:
    with db.begin() as conn:
        row = _claim(conn, db, pk, expired)
        if row is None:
            report.skipped += 1
            return
        claimed = conn.execute(
            update(inspections)
            .where(inspections.c.id == pk, inspections.c.deleted_at.is_(None))
            .where(inspections.c.held == false())
            .values(deleted_at=now)
        ).rowcount
        if claimed != 1:
            report.skipped += 1
            return
        deleted, deferred = _delete_objects(services, row["prefix"])
        counts = _delete_rows(conn, pk, row["inspection_id"], int(row["attempt"]))
        audit.append(
            conn,
            actor=actor,
            action="retention.deleted",
            entity="inspection",
            entity_id=f"{row['inspection_id']}/{row['attempt']}",
            from_state="retained",
            to_state="deleted",
            detail={
                "prefix": row["prefix"],
                "retain_until": row["retain_until"].isoformat() if row["retain_until"] else None,
                "objects": deleted,
                "deferred_to_lifecycle": deferred,
                **counts,
            },
            at=now,
        )
    report.deleted += 1
    report.objects += len(deleted)
    report.deferred += len(deferred)
    log.info("%s attempt %d: swept %d objects", row["inspection_id"], row["attempt"], len(deleted))


def _delete_objects(services: Services, prefix: str) -> tuple[list[str], list[str]]:
    """Delete every object under the prefix; locked ones are tagged for the lifecycle rule."""
    store = services.store
    deleted: list[str] = []
    deferred: list[str] = []
    for info in list(store.list(prefix)):
        try:
            store.delete(info.key)  # on an object-lock bucket this removes every version
            deleted.append(info.key)
        except PermanentError as exc:
            # Object lock still active (clock skew, or a store-side legal hold): the bucket's
            # lifecycle rule deletes it once the lock allows.
            log.warning("sweep: %s kept by the store (%s); tagged for expiry", info.key, exc)
            if not set_tags(store, info.key, dict([EXPIRED_TAG])):
                raise
            deferred.append(info.key)
    return deleted, deferred


def _delete_rows(conn: Connection, pk: int, inspection_id: str, attempt: int) -> dict[str, int]:
    """Delete results, findings, review items and the upload record of one attempt."""
    items = select(review_items.c.id).where(review_items.c.inspection_pk == pk)
    # A later attempt's item may point at this one: keep it, drop the link.
    conn.execute(
        update(review_items)
        .where(review_items.c.previous_item_pk.in_(items))
        .values(previous_item_pk=None)
    )
    n_items = conn.execute(delete(review_items).where(review_items.c.inspection_pk == pk)).rowcount
    result_ids = select(results.c.id).where(results.c.inspection_pk == pk)
    n_findings = conn.execute(delete(findings).where(findings.c.result_pk.in_(result_ids))).rowcount
    n_results = conn.execute(delete(results).where(results.c.inspection_pk == pk)).rowcount
    n_uploads = conn.execute(
        delete(station_uploads).where(
            station_uploads.c.inspection_id == inspection_id, station_uploads.c.attempt == attempt
        )
    ).rowcount
    return {
        "results": n_results,
        "findings": n_findings,
        "review_items": n_items,
        "station_uploads": n_uploads,
    }
