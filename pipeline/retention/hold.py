"""Legal hold: a supervisor keeps an inspection's evidence past its retention, with a reason.

A hold covers every stored attempt of an inspection (or one attempt). Setting and releasing
are audited (``retention.hold_set`` / ``retention.hold_released``) in the same transaction as
the change. The row update is conditional on ``deleted_at IS NULL``, so a hold racing the
sweeper either lands first (the sweeper then skips the row) or finds it already deleted. On
MinIO with object lock the objects get (or lose) an object-lock legal hold as well.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from pipeline.auth import get_user
from pipeline.db import Database, audit
from pipeline.db.schema import inspections
from pipeline.errors import Conflict, UsageError
from pipeline.retention.record import store_locks
from pipeline.storage.base import ObjectStore

log = logging.getLogger(__name__)

MAX_REASON = 2000


@dataclass(frozen=True)
class HoldState:
    """One inspection attempt's hold as stored."""

    inspection_id: str
    attempt: int
    station_id: str
    held: bool
    reason: str | None
    retain_until: date | None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = dict(self.__dict__)
        out["retain_until"] = self.retain_until.isoformat() if self.retain_until else None
        return out


def require_supervisor(db: Database, username: str) -> None:
    """UsageError unless ``username`` is an enabled supervisor (or admin) account."""
    user = get_user(db, username)
    if user is None or user.disabled:
        raise UsageError(f"{username!r} is not an enabled console account")
    if not user.has_role("supervisor"):
        raise UsageError(f"{username!r} is a {user.role}: a legal hold needs a supervisor")


def set_hold(
    db: Database,
    store: ObjectStore | None,
    inspection_id: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
    attempt: int | None = None,
) -> list[HoldState]:
    """Hold an inspection's attempts; the states after the change."""
    return _change(db, store, inspection_id, True, reason, actor, now, attempt)


def release_hold(
    db: Database,
    store: ObjectStore | None,
    inspection_id: str,
    *,
    reason: str,
    actor: str,
    now: datetime,
    attempt: int | None = None,
) -> list[HoldState]:
    """Release a hold; the next sweep deletes what is past retention."""
    return _change(db, store, inspection_id, False, reason, actor, now, attempt)


def holds(db: Database, inspection_id: str | None = None) -> list[HoldState]:
    """Held attempts (or every attempt of one inspection)."""
    stmt = select(inspections).where(inspections.c.deleted_at.is_(None))
    if inspection_id is None:
        stmt = stmt.where(inspections.c.held.is_(True))
    else:
        stmt = stmt.where(inspections.c.inspection_id == inspection_id)
    with db.read() as conn:
        rows = conn.execute(stmt.order_by(inspections.c.id)).mappings().all()
    return [_state(r) for r in rows]


def _change(
    db: Database,
    store: ObjectStore | None,
    inspection_id: str,
    on: bool,
    reason: str,
    actor: str,
    now: datetime,
    attempt: int | None,
) -> list[HoldState]:
    reason = reason.strip()
    if not reason:
        raise UsageError("a legal hold needs a reason")
    if len(reason) > MAX_REASON:
        raise UsageError(f"the reason is longer than {MAX_REASON} characters")
    require_supervisor(db, actor)
    where = [inspections.c.inspection_id == inspection_id, inspections.c.deleted_at.is_(None)]
    if attempt is not None:
        where.append(inspections.c.attempt == attempt)
    with db.begin() as conn:
        rows = conn.execute(select(inspections).where(*where)).mappings().all()
        if not rows:
            raise Conflict(
                f"inspection {inspection_id} has no stored attempt"
                + (f" {attempt}" if attempt is not None else "")
                + " (never received, or already deleted)"
            )
        for row in rows:
            if bool(row["held"]) == on:
                continue
            changed = conn.execute(
                update(inspections)
                .where(inspections.c.id == row["id"], inspections.c.deleted_at.is_(None))
                .values(held=on, hold_reason=reason if on else None)
            ).rowcount
            if changed != 1:  # the sweeper deleted it while we waited for its row lock
                continue
            audit.append(
                conn,
                actor=actor,
                action="retention.hold_set" if on else "retention.hold_released",
                entity="inspection",
                entity_id=f"{row['inspection_id']}/{row['attempt']}",
                from_state="held" if not on else "retained",
                to_state="held" if on else "retained",
                detail={"reason": reason, "previous_reason": row["hold_reason"]},
                at=now,
            )
        prefixes = [str(r["prefix"]) for r in rows]
    if store is not None and store_locks(store):
        for prefix in prefixes:
            for info in list(store.list(prefix)):
                store.set_legal_hold(info.key, on)
    log.info("%s: legal hold %s by %s", inspection_id, "set" if on else "released", actor)
    return holds(db, inspection_id)


def _state(row: Any) -> HoldState:
    return HoldState(
        inspection_id=row["inspection_id"],
        attempt=int(row["attempt"]),
        station_id=row["station_id"],
        held=bool(row["held"]),
        reason=row["hold_reason"],
        retain_until=row["retain_until"],
    )
