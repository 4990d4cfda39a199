"""Read-only queries on the machine side, used by workers, the console and the CLI.

Statistics count each inspection attempt once, by its latest stored result (the highest
``results.id``), so a reprocessed inspection is not counted twice.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select

from pipeline.db import Database
from pipeline.db.rows import StoredInspection, StoredResult, finding_from_row
from pipeline.db.schema import findings, inspections, results

VERDICTS = ("pass", "fail", "review")


def get_inspection(db: Database, inspection_id: str, attempt: int) -> StoredInspection | None:
    """The stored inspection attempt, or None."""
    stmt = select(inspections).where(
        inspections.c.inspection_id == inspection_id, inspections.c.attempt == attempt
    )
    with db.read() as conn:
        row = conn.execute(stmt).mappings().one_or_none()
    return None if row is None else StoredInspection.from_row(row)


def latest_result(db: Database, inspection_id: str, attempt: int) -> StoredResult | None:
    """The most recently stored result of an attempt, with its findings in stored order."""
    stmt = (
        select(results, inspections.c.station_id)
        .join(inspections, inspections.c.id == results.c.inspection_pk)
        .where(results.c.inspection_id == inspection_id, results.c.attempt == attempt)
        .order_by(results.c.id.desc())
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(stmt).mappings().one_or_none()
        if row is None:
            return None
        rows = conn.execute(
            select(findings).where(findings.c.result_pk == row["id"]).order_by(findings.c.id)
        ).mappings()
        found = tuple(finding_from_row(r) for r in rows)
    return StoredResult(
        pk=row["id"],
        inspection_pk=row["inspection_pk"],
        inspection_id=row["inspection_id"],
        attempt=row["attempt"],
        station_id=row["station_id"],
        manifest_sha256=row["manifest_sha256"],
        pipeline_version=row["pipeline_version"],
        verdict=row["verdict"],
        elapsed_ms=row["elapsed_ms"],
        result_key=row["result_key"],
        created_at=row["created_at"],
        findings=found,
    )


def result_exists(
    db: Database, inspection_id: str, attempt: int, manifest_sha256: str, pipeline_version: str
) -> bool:
    """True when this exact (attempt, manifest, pipeline version) has a stored result."""
    stmt = select(results.c.id).where(
        results.c.inspection_id == inspection_id,
        results.c.attempt == attempt,
        results.c.manifest_sha256 == manifest_sha256,
        results.c.pipeline_version == pipeline_version,
    )
    with db.read() as conn:
        return conn.execute(stmt.limit(1)).first() is not None


def _latest_ids() -> Select[tuple[int]]:
    return select(func.max(results.c.id)).group_by(results.c.inspection_id, results.c.attempt)


def count_by_verdict(db: Database) -> dict[str, int]:
    """How many inspection attempts have each verdict (every verdict present, maybe 0)."""
    stmt = (
        select(results.c.verdict, func.count())
        .where(results.c.id.in_(_latest_ids()))
        .group_by(results.c.verdict)
    )
    with db.read() as conn:
        counts = {str(v): int(n) for v, n in conn.execute(stmt)}
    return {v: counts.pop(v, 0) for v in VERDICTS} | counts


def top_reasons(db: Database, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent reason codes: how many inspection attempts have each, most first."""
    n = func.count(func.distinct(findings.c.result_pk))
    stmt = (
        select(findings.c.reason, n)
        .where(
            findings.c.result_pk.in_(_latest_ids()),
            findings.c.outcome != "pass",
            findings.c.reason.is_not(None),
        )
        .group_by(findings.c.reason)
        .order_by(n.desc(), findings.c.reason)
        .limit(limit)
    )
    with db.read() as conn:
        return [(str(r), int(c)) for r, c in conn.execute(stmt)]
