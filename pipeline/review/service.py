"""The review desk: queue reads and transitions in transactions, plus what a decision triggers.

A decision publishes ``review.decided`` on the "verdicts" exchange *inside* the transaction,
after the row and its audit entry are written and before commit: if the broker does not
confirm, the decision rolls back and the reviewer is told to retry, so no decision is ever
stored without its event. (A commit failing after a confirmed publish would leave an event for
a decision that is not stored; consumers must treat ``review.decided`` as idempotent by
``message_id`` and check the item's state when it matters.)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipeline.bus.base import VERDICTS
from pipeline.review import queue, transitions
from pipeline.review.enroll import EnrollHook, enroll_after_clear
from pipeline.review.evidence import ItemDetail, item_detail
from pipeline.review.models import Page, QueueFilter, ReviewItem
from pipeline.review.stations import StationReport, station_report

if TYPE_CHECKING:
    from pipeline.bus.base import MessageBus
    from pipeline.db import Database

log = logging.getLogger(__name__)

DECIDED_ROUTING_KEY = "review.decided"


@dataclass
class ReviewDesk:
    """Queue operations bound to a database, a clock, a lease length and the bus."""

    db: Database
    clock: Callable[[], datetime]
    lease: timedelta = timedelta(minutes=15)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    bus: MessageBus | None = None
    enroll: EnrollHook | None = None
    station_ttl: float = 60.0
    _stations: dict[tuple[date, int], tuple[float, StationReport]] = field(
        default_factory=dict, init=False, repr=False
    )
    _refreshing: set[tuple[date, int]] = field(default_factory=set, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def now(self) -> datetime:
        """The injected clock's time."""
        return self.clock()

    def expire(self) -> int:
        """Return items whose lease ran out to the queue (audited); how many."""
        now = self.now()
        with self.db.read() as conn:
            if not transitions.has_expired(conn, now):
                return 0  # the common case costs one indexed read, no write lock
        with self.db.begin() as conn:
            return transitions.expire_leases(conn, now)

    def page(self, f: QueueFilter, *, mine_of: str | None = None) -> Page:
        """A queue page, plus ``mine_of``'s current claims; expired leases return first.

        One read transaction in the common case (no lease has run out), so a page view
        costs one connection checkout.
        """
        now = self.now()
        with self.db.read() as conn:
            if not transitions.has_expired(conn, now):
                return self._page(conn, f, mine_of, now)
        with self.db.begin() as conn:
            transitions.expire_leases(conn, now)
        with self.db.read() as conn:
            return self._page(conn, f, mine_of, now)

    def _page(self, conn: Any, f: QueueFilter, mine_of: str | None, now: datetime) -> Page:
        page = queue.list_items(conn, f, self.tz)
        if mine_of:
            page = replace(page, mine=queue.claimed_by(conn, mine_of, now))
        return page

    def item(self, item_id: int) -> ReviewItem:
        """One item (ObjectNotFound if absent)."""
        with self.db.read() as conn:
            return queue.get_item(conn, item_id)

    def detail(self, item_id: int, *, with_audit: bool = False) -> ItemDetail:
        """The item with its flagged findings, images, other attempts (and audit trail)."""
        with self.db.read() as conn:
            d = item_detail(conn, item_id)
            if with_audit:
                d = replace(d, audit=tuple(transitions.item_audit(conn, item_id)))
            return d

    def stations(self, weeks: int = 8) -> StationReport:
        """The supervisors' per-station report up to today (office time).

        The report aggregates weeks of data and changes slowly, so it is cached for
        ``station_ttl`` seconds and refreshed in the background once stale (the page shows
        when it was computed); only the first request per (day, weeks) waits for the database.
        """
        today = self.now().astimezone(self.tz).date()
        key = (today, weeks)
        with self._lock:
            hit = self._stations.get(key)
            fresh = hit is not None and time.monotonic() - hit[0] < self.station_ttl
            refresh = hit is not None and not fresh and key not in self._refreshing
            if refresh:
                self._refreshing.add(key)
        if hit is not None and (fresh or self.station_ttl > 0):
            if refresh:
                threading.Thread(target=self._compute_stations, args=key, daemon=True).start()
            return hit[1]
        return self._compute_stations(today, weeks)

    def _compute_stations(self, today: date, weeks: int) -> StationReport:
        try:
            with self.db.read() as conn:
                report = station_report(conn, today, self.tz, weeks, as_of=self.now())
            with self._lock:
                self._stations[(today, weeks)] = (time.monotonic(), report)
            return report
        finally:
            with self._lock:
                self._refreshing.discard((today, weeks))

    def mine(self, username: str) -> tuple[ReviewItem, ...]:
        """The reviewer's current claims."""
        with self.db.read() as conn:
            return queue.claimed_by(conn, username, self.now())

    def audit_trail(self, item_id: int) -> list[dict[str, Any]]:
        """The item's audit entries, oldest first."""
        with self.db.read() as conn:
            queue.get_item(conn, item_id)
            return transitions.item_audit(conn, item_id)

    def claim(self, item_id: int, user: str, *, version: int | None = None) -> ReviewItem:
        """Claim an item for the lease length."""
        with self.db.begin() as conn:
            return transitions.claim(
                conn, item_id, user, self.now(), self.lease, expected_version=version
            )

    def renew(self, item_id: int, user: str, *, version: int | None = None) -> ReviewItem:
        """Extend the caller's lease."""
        with self.db.begin() as conn:
            return transitions.renew(
                conn, item_id, user, self.now(), self.lease, expected_version=version
            )

    def release(
        self, item_id: int, user: str, *, force: bool = False, version: int | None = None
    ) -> ReviewItem:
        """Give a claimed item back to the queue."""
        with self.db.begin() as conn:
            return transitions.release(
                conn, item_id, user, self.now(), force=force, expected_version=version
            )

    def decide(
        self,
        item_id: int,
        user: str,
        decision: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        version: int | None = None,
    ) -> ReviewItem:
        """Decide a claimed item, publish ``review.decided``, and enroll an approved rubbing."""
        now = self.now()
        with self.db.begin() as conn:
            item = transitions.decide(
                conn,
                item_id,
                user,
                now,
                decision,
                reason=reason,
                note=note,
                expected_version=version,
            )
            self._publish(item, note)
        if decision == "clear":
            enroll_after_clear(self.db, item, user, now, self.enroll)
        return item

    def _publish(self, item: ReviewItem, note: str | None) -> None:
        if self.bus is None:
            log.warning("no message bus configured: review.decided for item %s not sent", item.id)
            return
        body = decided_event(item, note)
        self.bus.publish(
            VERDICTS,
            DECIDED_ROUTING_KEY,
            json.dumps(body, ensure_ascii=False).encode(),
            headers={"inspection_id": item.inspection_id},
            message_id=f"review.decided:{item.id}:{item.version}",
        )
        log.info(
            "inspection %s attempt %s: review item %s decided %s by %s",
            item.inspection_id,
            item.attempt,
            item.id,
            item.decision,
            item.decided_by,
        )


def decided_event(item: ReviewItem, note: str | None) -> dict[str, Any]:
    """The body of ``review.decided``: enough for other office systems to act on."""
    reason = item.decision_reason.split(":", 1)[0] if item.decision_reason else None
    return {
        "event": DECIDED_ROUTING_KEY,
        "item_id": item.id,
        "inspection_id": item.inspection_id,
        "attempt": item.attempt,
        "station_id": item.station_id,
        "machine_verdict": item.verdict,
        "reasons": list(item.reasons),
        "decision": item.decision,
        # confirm keeps the machine's reasons: the inspection fails with them.
        "final_verdict": "fail" if item.decision == "confirm" else "pass",
        "decision_reason": reason if item.decision == "clear" else None,
        "note": (note or "").strip() or None,
        "decided_by": item.decided_by,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "previous_item_id": item.previous_item_pk,
    }
