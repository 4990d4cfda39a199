"""The append-only audit trail: every review transition, deletion and account change.

There is deliberately no update or delete function here. :func:`append` takes either a
:class:`~pipeline.db.Database` (it opens its own transaction) or a connection already inside a
transaction, so an entry commits or rolls back together with the change it records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from pipeline.db.engine import translated
from pipeline.db.schema import audit_log
from pipeline.db.types import as_utc

if TYPE_CHECKING:
    from pipeline.db import Database


@dataclass(frozen=True)
class AuditEntry:
    """One audit row."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    from_state: str | None
    to_state: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)


def append(
    db_or_conn: Database | Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime,
) -> int:
    """Write one entry (e.g. ``action="review_item.opened"``) and return its id."""
    values = {
        "at": as_utc(at),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "from_state": from_state,
        "to_state": to_state,
        "detail": dict(detail or {}),
    }
    stmt = audit_log.insert().values(**values).returning(audit_log.c.id)
    if isinstance(db_or_conn, Connection):
        with translated("audit log"):
            return int(db_or_conn.execute(stmt).scalar_one())
    with db_or_conn.begin() as conn:
        return int(conn.execute(stmt).scalar_one())


def entries(
    db: Database,
    entity: str | None = None,
    entity_id: str | int | None = None,
    *,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Entries in the order they were written, optionally for one entity (type and id)."""
    stmt = select(audit_log).order_by(audit_log.c.id)
    if entity is not None:
        stmt = stmt.where(audit_log.c.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(audit_log.c.entity_id == str(entity_id))
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if limit is not None:
        stmt = stmt.limit(limit)
    with db.read() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [
        AuditEntry(
            id=r["id"],
            at=r["at"],
            actor=r["actor"],
            action=r["action"],
            entity=r["entity"],
            entity_id=r["entity_id"],
            from_state=r["from_state"],
            to_state=r["to_state"],
            detail=r["detail"],
        )
        for r in rows
    ]
