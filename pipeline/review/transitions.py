"""State transitions of review items, each with its audit entry in the same transaction.

Two reviewers can never both win: every transition reads the row (``SELECT ... FOR UPDATE`` on
PostgreSQL, so racers queue on the row lock) and writes it back only ``WHERE version = <read>``;
a writer that finds the version moved on raises :class:`Conflict`. On SQLite the database-wide
write lock serialises writers and the version check catches the loser the same way.

Every function takes a connection inside a transaction; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.db import audit
from pipeline.db.schema import audit_log, review_items
from pipeline.errors import Conflict
from pipeline.review.models import ReviewItem, validate_decision
from pipeline.review.queue import get_item, item_from_row

SYSTEM = "system"


def _audit(
    conn: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    item_id: int,
    from_state: str | None,
    to_state: str | None,
    detail: dict[str, Any],
) -> None:
    """Append one ``review_item.<action>`` entry in the caller's transaction."""
    audit.append(
        conn,
        at=at,
        actor=actor,
        action=f"review_item.{action}",
        entity="review_item",
        entity_id=item_id,
        from_state=from_state,
        to_state=to_state,
        detail=detail,
    )


def _lock(conn: Connection, item_id: int) -> ReviewItem:
    """Read an item, row-locked where the database supports it."""
    if conn.dialect.name == "sqlite":
        return get_item(conn, item_id)
    row = conn.execute(
        sa.select(*review_items.c).where(review_items.c.id == item_id).with_for_update()
    ).first()
    if row is None:
        return get_item(conn, item_id)  # raises ObjectNotFound
    return item_from_row(row)


def _write(
    conn: Connection,
    item: ReviewItem,
    values: dict[str, Any],
    *,
    at: datetime,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> ReviewItem:
    """Apply ``values`` if nobody changed the item since it was read, then audit it."""
    new_version = item.version + 1
    result = conn.execute(
        review_items.update()
        .where(review_items.c.id == item.id, review_items.c.version == item.version)
        .values(**values, version=new_version, updated_at=at)
    )
    if result.rowcount != 1:
        raise Conflict(
            f"review item {item.id} was changed by someone else; reload it",
            inspection_id=item.inspection_id,
        )
    _audit(
        conn,
        at=at,
        actor=actor,
        action=action,
        item_id=item.id,
        from_state=item.state,
        to_state=values.get("state", item.state),
        detail={"version": new_version, **(detail or {})},
    )
    return get_item(conn, item.id)


def _check_version(item: ReviewItem, expected: int | None) -> None:
    if expected is not None and expected != item.version:
        raise Conflict(
            f"review item {item.id} changed since you loaded it (version {expected} → "
            f"{item.version}); reload it",
            inspection_id=item.inspection_id,
        )


def _expire(conn: Connection, item: ReviewItem, now: datetime) -> ReviewItem:
    """Return an item whose lease ran out to the queue."""
    return _write(
        conn,
        item,
        {"state": "open", "claimed_by": None, "lease_until": None},
        at=now,
        actor=SYSTEM,
        action="expired",
        detail={"claimed_by": item.claimed_by, "lease_until": _iso(item.lease_until)},
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def claim(
    conn: Connection,
    item_id: int,
    user: str,
    now: datetime,
    lease: timedelta,
    *,
    expected_version: int | None = None,
) -> ReviewItem:
    """open → claimed by ``user`` until ``now + lease``; an expired claim is taken over."""
    item = _lock(conn, item_id)
    _check_version(item, expected_version)
    if item.state == "decided":
        raise Conflict(
            f"review item {item.id} was already decided by {item.decided_by}",
            inspection_id=item.inspection_id,
        )
    if item.state == "claimed" and item.lease_valid(now) and item.claimed_by != user:
        raise Conflict(
            f"review item {item.id} is claimed by {item.claimed_by} until {_iso(item.lease_until)}",
            inspection_id=item.inspection_id,
        )
    if item.state == "claimed" and not item.lease_valid(now):
        item = _expire(conn, item, now)
    until = now + lease
    return _write(
        conn,
        item,
        {"state": "claimed", "claimed_by": user, "lease_until": until},
        at=now,
        actor=user,
        action="claimed",
        detail={"lease_until": until.isoformat()},
    )


def _require_own_lease(item: ReviewItem, user: str, now: datetime, doing: str) -> None:
    if item.state == "decided":
        raise Conflict(
            f"cannot {doing} review item {item.id}: already decided by {item.decided_by}",
            inspection_id=item.inspection_id,
        )
    if item.state != "claimed" or item.claimed_by != user:
        holder = f"claimed by {item.claimed_by}" if item.state == "claimed" else "not claimed"
        raise Conflict(
            f"cannot {doing} review item {item.id}: it is {holder}; claim it first",
            inspection_id=item.inspection_id,
        )
    if not item.lease_valid(now):
        raise Conflict(
            f"cannot {doing} review item {item.id}: your lease expired at "
            f"{_iso(item.lease_until)}; claim it again",
            inspection_id=item.inspection_id,
        )


def renew(
    conn: Connection,
    item_id: int,
    user: str,
    now: datetime,
    lease: timedelta,
    *,
    expected_version: int | None = None,
) -> ReviewItem:
    """Extend the lease of a current claim to ``now + lease``."""
    item = _lock(conn, item_id)
    _check_version(item, expected_version)
    _require_own_lease(item, user, now, "renew")
    until = now + lease
    return _write(
        conn,
        item,
        {"lease_until": until},
        at=now,
        actor=user,
        action="renewed",
        detail={"lease_until": until.isoformat()},
    )


def release(
    conn: Connection,
    item_id: int,
    user: str,
    now: datetime,
    *,
    force: bool = False,
    expected_version: int | None = None,
) -> ReviewItem:
    """claimed → open; only the holder, or a supervisor with ``force``."""
    item = _lock(conn, item_id)
    _check_version(item, expected_version)
    if item.state != "claimed" or (item.claimed_by != user and not force):
        holder = f"claimed by {item.claimed_by}" if item.state == "claimed" else item.state
        raise Conflict(
            f"cannot release review item {item.id}: it is {holder}",
            inspection_id=item.inspection_id,
        )
    return _write(
        conn,
        item,
        {"state": "open", "claimed_by": None, "lease_until": None},
        at=now,
        actor=user,
        action="released",
        detail={"claimed_by": item.claimed_by, "forced": item.claimed_by != user},
    )


def decide(
    conn: Connection,
    item_id: int,
    user: str,
    now: datetime,
    decision: str,
    *,
    reason: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> ReviewItem:
    """claimed (by ``user``, lease current) → decided with ``confirm`` or ``clear``."""
    stored_reason = validate_decision(decision, reason, note)
    item = _lock(conn, item_id)
    _check_version(item, expected_version)
    _require_own_lease(item, user, now, "decide")
    return _write(
        conn,
        item,
        {
            "state": "decided",
            "decision": decision,
            "decision_reason": stored_reason,
            "decided_by": user,
            "decided_at": now,
            "lease_until": None,
        },
        at=now,
        actor=user,
        action="decided",
        detail={"decision": decision, "reason": reason, "note": (note or "").strip() or None},
    )


def expire_leases(conn: Connection, now: datetime, *, limit: int = 500) -> int:
    """Return every item whose lease ran out to the queue; how many were returned."""
    rows = conn.execute(
        sa.select(review_items.c.id)
        .where(review_items.c.state == "claimed", review_items.c.lease_until <= now)
        .limit(limit)
    ).all()
    done = 0
    for (item_id,) in rows:
        item = _lock(conn, item_id)
        if item.state == "claimed" and not item.lease_valid(now):
            _expire(conn, item, now)
            done += 1
    return done


def item_audit(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """The audit trail of one item, oldest first."""
    rows = conn.execute(
        sa.select(audit_log)
        .where(audit_log.c.entity == "review_item", audit_log.c.entity_id == str(item_id))
        .order_by(audit_log.c.id)
    )
    return [dict(r._mapping) for r in rows]


def has_expired(conn: Connection, now: datetime) -> bool:
    """Whether any claim's lease ran out (cheap: claimed rows are few and indexed by state)."""
    row = conn.execute(
        sa.select(review_items.c.id)
        .where(review_items.c.state == "claimed", review_items.c.lease_until <= now)
        .limit(1)
    ).first()
    return row is not None
