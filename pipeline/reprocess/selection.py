"""Which stored inspections a reprocess run re-enqueues.

Filters apply to the inspection row (station, inspection date in office time) and to its
latest stored result (verdict, a finding's reason code or check name): the same "latest
result" the statistics use. Deleted (swept) attempts are never selected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, select

from pipeline.db import Database
from pipeline.db.schema import findings, inspections, results
from pipeline.errors import UsageError

VERDICTS = ("pass", "fail", "review")


@dataclass(frozen=True)
class Selection:
    """A reprocess selection; every field None means "everything stored"."""

    station: str | None = None
    since: date | None = None  # inspection date, inclusive
    until: date | None = None  # inspection date, inclusive
    verdict: str | None = None
    reason: str | None = None
    check: str | None = None

    def __post_init__(self) -> None:
        if self.verdict is not None and self.verdict not in VERDICTS:
            raise UsageError(f"--verdict must be one of {', '.join(VERDICTS)}")
        if self.since and self.until and self.since > self.until:
            raise UsageError("--since is after --until")

    def key(self, version: str) -> str:
        """A short name for this selection and target version (the cursor's file name)."""
        doc = json.dumps({"s": self.to_json(), "v": version}, sort_keys=True)
        return hashlib.sha256(doc.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


def _latest_result_id() -> Any:
    return (
        select(func.max(results.c.id))
        .where(results.c.inspection_pk == inspections.c.id)
        .correlate(inspections)
        .scalar_subquery()
    )


def _conditions(sel: Selection, timezone: str) -> list[ColumnElement[bool]]:
    tz = ZoneInfo(timezone)
    where: list[ColumnElement[bool]] = [inspections.c.deleted_at.is_(None)]
    if sel.station:
        where.append(inspections.c.station_id == sel.station)
    if sel.since:
        where.append(inspections.c.started_at >= datetime.combine(sel.since, time(0), tz))
    if sel.until:
        end = datetime.combine(sel.until + timedelta(days=1), time(0), tz)
        where.append(inspections.c.started_at < end)
    latest = _latest_result_id()
    if sel.verdict:
        where.append(exists().where(results.c.id == latest, results.c.verdict == sel.verdict))
    for column, value in ((findings.c.reason, sel.reason), (findings.c.check, sel.check)):
        if value:
            where.append(exists().where(findings.c.result_pk == latest, column == value))
    return where


def _current(version: str) -> ColumnElement[bool]:
    """The attempt already has a result of ``version`` for its current manifest."""
    return exists().where(
        and_(
            results.c.inspection_pk == inspections.c.id,
            results.c.pipeline_version == version,
            results.c.manifest_sha256 == inspections.c.manifest_sha256,
        )
    )


def count(db: Database, sel: Selection, timezone: str, *, max_id: int | None = None) -> int:
    """How many attempts the selection holds (up to ``max_id``)."""
    stmt: Select[Any] = select(func.count()).select_from(inspections)
    stmt = stmt.where(*_conditions(sel, timezone))
    if max_id is not None:
        stmt = stmt.where(inspections.c.id <= max_id)
    with db.read() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def max_inspection_id(db: Database) -> int:
    """The newest inspection row's id (a run covers what existed when it started)."""
    with db.read() as conn:
        return int(conn.execute(select(func.max(inspections.c.id))).scalar() or 0)


@dataclass(frozen=True)
class Candidate:
    """One selected attempt."""

    pk: int
    prefix: str
    current: bool  # already has a result of the target version


def candidates(
    db: Database,
    sel: Selection,
    timezone: str,
    version: str,
    *,
    after: int,
    max_id: int,
    page: int = 500,
) -> Iterator[Candidate]:
    """Selected attempts with ``after < id <= max_id`` in id order, fetched page by page."""
    where = _conditions(sel, timezone)
    while True:
        stmt = (
            select(inspections.c.id, inspections.c.prefix, _current(version).label("current"))
            .where(*where, inspections.c.id > after, inspections.c.id <= max_id)
            .order_by(inspections.c.id)
            .limit(page)
        )
        with db.read() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return
        for pk, prefix, current in rows:
            yield Candidate(int(pk), str(prefix), bool(current))
        after = int(rows[-1][0])
