"""Reading the review queue: pages in priority order, filters, search, one item.

Priority is the machine's verdict (``fail`` before ``review``), then the oldest first; the
``ix_review_items_queue`` index (state, priority, created_at) serves that order directly, and
pages continue by keyset (a cursor), so page 200 costs what page 1 costs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from pipeline.db.schema import findings, inspections, review_items
from pipeline.errors import ObjectNotFound
from pipeline.review.models import STATES, Page, QueueFilter, ReviewItem, as_utc

_REASON = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_LIMIT = 200
COUNT_CAP = 1_000

_COLUMNS = (
    *review_items.c,
    inspections.c.plate,
    inspections.c.vin,
    inspections.c.prefix,
)
_FROM = review_items.join(inspections, inspections.c.id == review_items.c.inspection_pk)


def item_from_row(row: Row[Any]) -> ReviewItem:
    """Build a :class:`ReviewItem` from a row of ``_COLUMNS``."""
    m = row._mapping
    return ReviewItem(
        id=m["id"],
        inspection_pk=m["inspection_pk"],
        inspection_id=m["inspection_id"],
        attempt=m["attempt"],
        station_id=m["station_id"],
        verdict=m["verdict"],
        priority=m["priority"],
        reasons=tuple(m["reasons"] or ()),
        state=m["state"],
        claimed_by=m["claimed_by"],
        lease_until=as_utc(m["lease_until"]),
        decision=m["decision"],
        decision_reason=m["decision_reason"],
        decided_by=m["decided_by"],
        decided_at=as_utc(m["decided_at"]),
        previous_item_pk=m["previous_item_pk"],
        version=m["version"],
        created_at=as_utc(m["created_at"]) or datetime.now(UTC),
        updated_at=as_utc(m["updated_at"]) or datetime.now(UTC),
        result_pk=m["result_pk"],
        plate=m.get("plate") or "",
        vin=m.get("vin") or "",
        prefix=m.get("prefix") or "",
    )


def get_item(conn: Connection, item_id: int) -> ReviewItem:
    """One item with its vehicle fields; ObjectNotFound if there is none."""
    row = conn.execute(sa.select(*_COLUMNS).select_from(_FROM).where(review_items.c.id == item_id))
    found = row.first()
    if found is None:
        raise ObjectNotFound(f"review item {item_id} does not exist", key=str(item_id))
    return item_from_row(found)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where an office-local day starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _conditions(f: QueueFilter, tz: ZoneInfo, dialect: str) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for everything but the cursor."""
    where: list[sa.ColumnElement[bool]] = []
    if f.state in STATES:
        where.append(review_items.c.state == f.state)
    if f.station:
        where.append(review_items.c.station_id == f.station.strip())
    if f.reason and _REASON.match(f.reason):
        where.append(_with_reason(f.reason, dialect))
    if f.date_from:
        where.append(review_items.c.created_at >= day_bounds(f.date_from, tz)[0])
    if f.date_to:
        where.append(review_items.c.created_at < day_bounds(f.date_to, tz)[1])
    if f.q.strip():
        where.append(_search(f.q.strip()))
    return where


def _with_reason(reason: str, dialect: str) -> sa.ColumnElement[bool]:
    """Items flagged with this reason code.

    PostgreSQL semi-joins the findings table through its reason index; SQLite does better
    matching the item's JSON list as text, which it stores inline in the row (both measured
    at 100,000 items with ``inspectpipe bench console``).
    """
    if dialect == "sqlite":
        # reasons is a JSON list; its text holds each code in quotes on both dialects.
        pattern = '%"' + reason.replace("_", "\\_") + '"%'
        return sa.cast(review_items.c.reasons, sa.Text).like(pattern, escape="\\")
    flagged = sa.select(findings.c.result_pk).where(
        findings.c.reason == reason, findings.c.outcome != "pass"
    )
    return review_items.c.result_pk.in_(flagged)


def _search(q: str) -> sa.ColumnElement[bool]:
    """Plate, VIN or inspection id, exact (plates and VINs compared upper-case).

    Matched through the inspections' indexes, then the items' unique (inspection_id, attempt).
    """
    up = q.upper()
    attempts = sa.select(inspections.c.inspection_id, inspections.c.attempt).where(
        sa.or_(
            inspections.c.inspection_id == q,
            inspections.c.plate == up,
            inspections.c.plate == q,
            inspections.c.vin == up,
        )
    )
    return sa.tuple_(review_items.c.inspection_id, review_items.c.attempt).in_(attempts)


def _order(f: QueueFilter) -> list[sa.ColumnElement[Any]]:
    if f.state == "decided":
        # Newest items first, by primary key: no index serves decided_at at 100,000 rows.
        return [review_items.c.id.desc()]
    c = review_items.c
    if f.station:
        # One station's items are few: read them through the station index and sort them,
        # rather than walk the whole queue index in order checking the station of each
        # (``+ 0`` keeps both planners from choosing the queue index for its order).
        return [c.priority + 0, c.created_at, c.id]
    return [c.priority, c.created_at, c.id]


def encode_cursor(item: ReviewItem, f: QueueFilter) -> str:
    """The keyset position after ``item`` in the order ``f`` lists."""
    if f.state == "decided":
        return f"d~{item.id}"
    return f"p~{item.priority}~{item.created_at.isoformat()}~{item.id}"


def _after(cursor: str) -> sa.ColumnElement[bool] | None:
    """The keyset condition for a cursor; a malformed cursor starts from the top."""
    parts = cursor.split("~")
    try:
        if parts[0] == "d" and len(parts) == 2:
            return review_items.c.id < int(parts[1])
        if parts[0] == "p" and len(parts) == 4:
            prio = int(parts[1])
            at = datetime.fromisoformat(parts[2])
            iid = int(parts[3])
            c = review_items.c
            return sa.or_(
                c.priority > prio,
                sa.and_(
                    c.priority == prio,
                    sa.or_(c.created_at > at, sa.and_(c.created_at == at, c.id > iid)),
                ),
            )
    except ValueError:
        return None
    return None


def list_items(conn: Connection, f: QueueFilter, tz: ZoneInfo) -> Page:
    """A page of items matching ``f`` in priority order, and totals per machine verdict."""
    limit = max(1, min(f.limit, MAX_LIMIT))
    where = _conditions(f, tz, conn.dialect.name)
    page_where = list(where)
    if f.after and (cond := _after(f.after)) is not None:
        page_where.append(cond)
    stmt = (
        sa.select(*_COLUMNS)
        .select_from(_FROM)
        .where(*page_where)
        .order_by(*_order(f))
        .limit(limit + 1)
    )
    rows = conn.execute(stmt).all()
    items = tuple(item_from_row(r) for r in rows[:limit])
    cursor = encode_cursor(items[-1], f) if len(rows) > limit and items else None
    backlog = [review_items.c.state == f.state] if f.state in STATES else []
    return Page(items=items, next_cursor=cursor, counts=_counts(conn, backlog))


def _counts(conn: Connection, where: list[sa.ColumnElement[bool]]) -> dict[str, int]:
    """Items per machine verdict in the state's backlog, counted up to :data:`COUNT_CAP`.

    Only the state filters the counts: the queue index then serves them, and a capped count
    walks at most that many entries. Counting every filtered view exactly would scan the
    table on each page view at 100,000 items.
    """
    out: dict[str, int] = {}
    for verdict, priority in (("fail", 0), ("review", 1)):
        capped = (
            sa.select(sa.literal(1))
            .select_from(review_items)
            .where(*where, review_items.c.priority == priority)
            .limit(COUNT_CAP + 1)
            .subquery()
        )
        n = int(conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
        if n:
            out[verdict] = n
    return out


def claimed_by(conn: Connection, username: str, now: datetime) -> tuple[ReviewItem, ...]:
    """Items a reviewer holds with a current lease, oldest claim first."""
    stmt = (
        sa.select(*_COLUMNS)
        .select_from(_FROM)
        .where(
            review_items.c.state == "claimed",
            review_items.c.claimed_by == username,
            review_items.c.lease_until > now,
        )
        .order_by(review_items.c.priority, review_items.c.created_at, review_items.c.id)
        .limit(MAX_LIMIT)
    )
    return tuple(item_from_row(r) for r in conn.execute(stmt))


def history(conn: Connection, inspection_id: str) -> tuple[ReviewItem, ...]:
    """Every item of one inspection (all attempts), oldest attempt first."""
    stmt = (
        sa.select(*_COLUMNS)
        .select_from(_FROM)
        .where(review_items.c.inspection_id == inspection_id)
        .order_by(review_items.c.attempt)
    )
    return tuple(item_from_row(r) for r in conn.execute(stmt))
