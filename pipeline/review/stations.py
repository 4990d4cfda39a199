"""The supervisors' early-warning view: inspections, flag rate and top reasons per station.

Time runs in weekly buckets ending today (office time). A station's flag rate in a bucket is
flagged inspection attempts (those with a review item) over attempts received. A cell is an
outlier when the station's rate is far above that week's rate over all stations: a one-sided
binomial z-score above :data:`Z_OUTLIER` with at least :data:`MIN_N` inspections.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.db.schema import inspections, review_items
from pipeline.review.models import STATES
from pipeline.review.queue import day_bounds

Z_OUTLIER = 3.0
MIN_N = 10


@dataclass(frozen=True)
class Cell:
    """One station in one week."""

    inspections: int
    flagged: int
    outlier: bool = False

    @property
    def rate(self) -> float:
        """Flagged share (0 when there were no inspections)."""
        return self.flagged / self.inspections if self.inspections else 0.0


@dataclass(frozen=True)
class StationRow:
    """One station over the whole window."""

    station_id: str
    cells: tuple[Cell, ...]
    total: Cell
    top_reasons: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class StationReport:
    """The station page: week starts (oldest first), all-station totals, one row per station."""

    weeks: tuple[date, ...]
    overall: tuple[Cell, ...]
    rows: tuple[StationRow, ...]
    as_of: datetime | None = None


def z_score(flagged: int, n: int, p: float) -> float:
    """How many standard errors ``flagged / n`` lies above the base rate ``p``."""
    if n == 0 or p <= 0.0 or p >= 1.0:
        return 0.0
    return (flagged / n - p) / math.sqrt(p * (1 - p) / n)


def _bucket(col: sa.ColumnElement[datetime], starts: list[datetime]) -> sa.ColumnElement[int]:
    """The index of the week ``col`` falls in (starts are newest first; portable CASE)."""
    whens = [(col >= s, i) for i, s in enumerate(starts)]
    return sa.case(*whens, else_=-1)


def _in_window(window: datetime) -> list[sa.ColumnElement[bool]]:
    """Items that arrived since ``window``, in a form the queue index serves directly.

    Listing every (state, priority) pair lets both databases walk the (state, priority,
    created_at) index as a few range scans instead of reading the whole table.
    """
    c = review_items.c
    return [c.state.in_(STATES), c.priority.in_((0, 1)), c.created_at >= window]


def _reason_rows(conn: Connection, window: datetime) -> sa.Select[Any]:
    """(station, reason, items) over the window: the JSON lists unnested by the database."""
    if conn.dialect.name == "postgresql":
        fn = sa.func.json_array_elements_text(review_items.c.reasons)
        each = fn.table_valued("value").lateral("reason")
    else:
        each = sa.func.json_each(review_items.c.reasons).table_valued("value").alias("reason")
    return (
        sa.select(review_items.c.station_id, each.c.value, sa.func.count())
        .select_from(review_items)
        .join(each, sa.true())
        .where(*_in_window(window))
        .group_by(each.c.value, review_items.c.station_id)  # keeps SQLite on the time index
    )


def station_report(
    conn: Connection,
    today: date,
    tz: ZoneInfo,
    weeks: int = 8,
    *,
    as_of: datetime | None = None,
) -> StationReport:
    """Aggregate the last ``weeks`` weeks up to and including ``today``.

    Inspections count by their start; flagged ones by their review item's arrival (minutes
    later), so every aggregate runs on an index and only a few hundred rows come back.
    """
    weeks = max(1, min(weeks, 52))
    first_days = [today - timedelta(days=6 + 7 * i) for i in range(weeks)]  # newest first
    starts = [day_bounds(d, tz)[0] for d in first_days]
    window = starts[-1]
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    bucket = _bucket(inspections.c.started_at, starts).label("b")
    stmt = (
        sa.select(inspections.c.station_id, bucket, sa.func.count())
        .where(inspections.c.started_at >= window)
        .group_by(bucket, inspections.c.station_id)  # this order keeps SQLite on the time index
    )
    for station, b, n in conn.execute(stmt):
        if 0 <= b < weeks:
            counts[station][b] += int(n)
    flagged: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    ibucket = _bucket(review_items.c.created_at, starts).label("b")
    stmt = (
        sa.select(review_items.c.station_id, ibucket, sa.func.count())
        .where(*_in_window(window))
        .group_by(ibucket, review_items.c.station_id)
    )
    for station, b, n in conn.execute(stmt):
        if 0 <= b < weeks:
            flagged[station][b] += int(n)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for station, reason, n in conn.execute(_reason_rows(conn, window)):
        reasons[station][str(reason)] += int(n)
    return replace(_report(first_days, counts, flagged, reasons), as_of=as_of)


def _report(
    first_days: list[date],
    counts: dict[str, list[int]],
    flagged: dict[str, list[int]],
    reasons: dict[str, Counter[str]],
) -> StationReport:
    weeks = len(first_days)
    all_n = [sum(c[i] for c in counts.values()) for i in range(weeks)]
    all_f = [sum(f[i] for f in flagged.values()) for i in range(weeks)]
    base = [all_f[i] / all_n[i] if all_n[i] else 0.0 for i in range(weeks)]
    total_p = sum(all_f) / sum(all_n) if sum(all_n) else 0.0
    rows = []
    for station in sorted(set(counts) | set(flagged)):
        n, f = counts[station], flagged[station]
        cells = tuple(
            Cell(n[i], f[i], n[i] >= MIN_N and z_score(f[i], n[i], base[i]) > Z_OUTLIER)
            for i in reversed(range(weeks))
        )
        tn, tf = sum(n), sum(f)
        total = Cell(tn, tf, tn >= MIN_N and z_score(tf, tn, total_p) > Z_OUTLIER)
        rows.append(StationRow(station, cells, total, tuple(reasons[station].most_common(3))))
    rows.sort(key=lambda r: (not r.total.outlier, -r.total.rate, r.station_id))
    overall = tuple(Cell(all_n[i], all_f[i]) for i in reversed(range(weeks)))
    return StationReport(tuple(reversed(first_days)), overall, tuple(rows))
