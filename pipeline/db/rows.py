"""Frozen records read back from the central database (the machine side)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipeline.records import Finding, Verdict, VerdictValue


@dataclass(frozen=True)
class StoredInspection:
    """A row of ``inspections``: one inspection attempt as received."""

    pk: int
    inspection_id: str
    attempt: int
    station_id: str
    lane: str
    plate: str
    vin: str
    vehicle_type: str
    use: str
    registered_on: date | None
    started_at: datetime
    finished_at: datetime
    prefix: str
    manifest_sha256: str
    received_at: datetime
    retain_until: date | None
    held: bool
    hold_reason: str | None
    deleted_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> StoredInspection:
        """Build from a row mapping of the ``inspections`` table."""
        values = dict(row)
        values["pk"] = values.pop("id")
        return cls(**values)


@dataclass(frozen=True)
class StoredResult:
    """A row of ``results`` with its findings: one verification of one manifest."""

    pk: int
    inspection_pk: int
    inspection_id: str
    attempt: int
    station_id: str
    manifest_sha256: str
    pipeline_version: str
    verdict: VerdictValue
    elapsed_ms: float
    result_key: str
    created_at: datetime
    findings: tuple[Finding, ...]

    def to_verdict(self) -> Verdict:
        """The :class:`Verdict` this result stores (without per-finding timings)."""
        return Verdict(
            inspection_id=self.inspection_id,
            station_id=self.station_id,
            attempt=self.attempt,
            verdict=self.verdict,
            findings=self.findings,
            pipeline_version=self.pipeline_version,
            elapsed_ms=self.elapsed_ms,
            manifest_sha256=self.manifest_sha256,
        )


def finding_from_row(row: Mapping[Any, Any]) -> Finding:
    """A :class:`Finding` from a row of ``findings``."""
    return Finding(
        file=row["file"],
        code=row["code"],
        check=row["check"],
        outcome=row["outcome"],
        reason=row["reason"],
        detail=row["detail"] or {},
    )
