"""The ``station_uploads`` rows: one per inspection attempt registered through the station API.

State moves ``open`` → ``completing`` → ``complete``; the middle state is taken with a
conditional update, so two ``complete`` calls racing cannot both write the manifest. Each
file entry keeps what the last completeness check found (``etag`` and ``ok``), so a file
already verified is not read again unless its object changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from pipeline.db.schema import inspections, station_uploads
from pipeline.errors import Conflict

if TYPE_CHECKING:
    from pipeline.db import Database

OPEN, COMPLETING, COMPLETE = "open", "completing", "complete"


@dataclass
class UploadRow:
    """One registered upload."""

    id: int
    station_id: str
    inspection_id: str
    attempt: int
    state: str
    manifest: dict[str, Any]
    files: list[dict[str, Any]]
    updated_at: datetime


def _row(m: sa.RowMapping) -> UploadRow:
    return UploadRow(
        m["id"],
        m["station_id"],
        m["inspection_id"],
        m["attempt"],
        m["state"],
        dict(m["manifest"]),
        [dict(f) for f in m["files"]],
        m["updated_at"],
    )


def find(db: Database, inspection_id: str, attempt: int) -> UploadRow | None:
    """The upload registered for this attempt, by whichever station."""
    with db.read() as conn:
        m = (
            conn.execute(
                sa.select(station_uploads).where(
                    station_uploads.c.inspection_id == inspection_id,
                    station_uploads.c.attempt == attempt,
                )
            )
            .mappings()
            .first()
        )
    return None if m is None else _row(m)


def register(
    db: Database,
    station_id: str,
    inspection_id: str,
    attempt: int,
    manifest: dict[str, Any],
    files: list[dict[str, Any]],
    now: datetime,
) -> UploadRow:
    """Create the row, or replace an open row's declaration (keeping checks of unchanged files).

    Conflict when another station owns the attempt (here or among received inspections) or
    when the upload is no longer open.
    """
    key = (station_uploads.c.inspection_id == inspection_id, station_uploads.c.attempt == attempt)
    with db.begin() as conn:
        m = conn.execute(sa.select(station_uploads).where(*key)).mappings().first()
        if m is None:
            _check_received(conn, station_id, inspection_id, attempt)
            conn.execute(
                station_uploads.insert().values(
                    station_id=station_id,
                    inspection_id=inspection_id,
                    attempt=attempt,
                    state=OPEN,
                    manifest=manifest,
                    files=files,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            row = _row(m)
            _check_owner(row, station_id)
            if row.state != OPEN:
                raise Conflict(
                    f"inspection {inspection_id} attempt {attempt} is already {row.state}",
                    inspection_id=inspection_id,
                )
            files = merge_checks(row.files, files)
            conn.execute(
                station_uploads.update()
                .where(station_uploads.c.id == row.id)
                .values(manifest=manifest, files=files, updated_at=now)
            )
        m = conn.execute(sa.select(station_uploads).where(*key)).mappings().one()
    return _row(m)


def _check_owner(row: UploadRow, station_id: str) -> None:
    if row.station_id != station_id:
        raise Conflict(
            f"inspection {row.inspection_id} attempt {row.attempt} is registered by another "
            "station",
            inspection_id=row.inspection_id,
        )


def _check_received(conn: sa.Connection, station_id: str, inspection_id: str, attempt: int) -> None:
    owner = conn.execute(
        sa.select(inspections.c.station_id).where(
            inspections.c.inspection_id == inspection_id, inspections.c.attempt == attempt
        )
    ).scalar()
    if owner is not None and owner != station_id:
        raise Conflict(
            f"inspection {inspection_id} attempt {attempt} was received from another station",
            inspection_id=inspection_id,
        )


def merge_checks(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New declarations, keeping an earlier check's result where the file is unchanged."""
    before = {f["name"]: f for f in old}
    out = []
    for f in new:
        prev = before.get(f["name"])
        same = prev is not None and (prev["size"], prev["sha256"]) == (f["size"], f["sha256"])
        if same and prev is not None and "etag" in prev:
            f = {**f, "etag": prev["etag"], "ok": prev["ok"]}
        out.append(f)
    return out


def save_checks(db: Database, row_id: int, files: list[dict[str, Any]], now: datetime) -> None:
    """Remember what a completeness check found."""
    with db.begin() as conn:
        conn.execute(
            station_uploads.update()
            .where(station_uploads.c.id == row_id, station_uploads.c.state == OPEN)
            .values(files=files, updated_at=now)
        )


def transition(db: Database, row_id: int, before: str, after: str, now: datetime) -> None:
    """Move the state, or Conflict if another request moved it first."""
    values: dict[str, Any] = {"state": after, "updated_at": now}
    if after == COMPLETE:
        values["completed_at"] = now
    with db.begin() as conn:
        done = conn.execute(
            station_uploads.update()
            .where(station_uploads.c.id == row_id, station_uploads.c.state == before)
            .values(**values)
        ).rowcount
    if done != 1:
        raise Conflict(f"the upload is no longer {before} (another request changed it)")
