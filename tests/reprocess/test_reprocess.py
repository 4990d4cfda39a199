"""Reprocessing: a thousand stored inspections re-enqueued with progress, counts and a cursor
that survives a real interruption; a newer pipeline version's result lands beside the old."""

from __future__ import annotations

import io
import json
import os
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.bus.base import Q_VERIFY, MessageBus
from pipeline.bus.events import parse_object_events
from pipeline.db import audit
from pipeline.db.schema import results, review_items
from pipeline.errors import BusUnavailable
from pipeline.layout import address_for
from pipeline.reprocess import RateLimiter, Selection, reprocess
from pipeline.reprocess.cursor import CursorFile
from pipeline.reprocess.run import cursor_folder
from pipeline.runner import pipeline_version
from pipeline.services import Services
from pipeline.upload import upload_package
from tests.packages import make_package
from tests.retention.seed import seed_bulk
from workers import review_intake, verify


class BreaksAfter:
    """A bus whose connection dies after ``n`` confirmed publishes (a real interruption)."""

    def __init__(self, bus: MessageBus, n: int) -> None:
        self.bus, self.left = bus, n

    def publish(self, *args: Any, **kwargs: Any) -> None:
        if self.left == 0:
            raise BusUnavailable("connection lost (test)")
        self.bus.publish(*args, **kwargs)
        self.left -= 1


def drain(services: Services) -> list[str]:
    """Take every message off the verify queue; the manifest keys they name."""
    seen: list[str] = []

    def take(delivery: Any) -> None:
        seen.extend(e.key for e in parse_object_events(delivery.body))

    services.bus.consume(Q_VERIFY, take, stop=threading.Event(), idle_timeout=0.05)
    return seen


@pytest.fixture
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeding a thousand manifests need not wait for the disk (durability is not tested)."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.mark.usefixtures("no_fsync")
def test_thousand_inspections_resumable(local: Services) -> None:
    def station(i: int) -> str:
        return "3706000123" if i % 2 else "3706000456"

    def day(i: int) -> date:
        return date(2026, 11, 1) + timedelta(days=i % 28)

    addresses = seed_bulk(local, 1000, station_of=station, day_of=day)
    for gone in addresses[10:15]:  # swept from the store behind the database's back
        local.store.delete(gone.manifest_key)
    services = local
    everything = Selection()
    progress = io.StringIO()

    with pytest.raises(BusUnavailable):
        reprocess(services, everything, bus=BreaksAfter(services.bus, 400), progress=progress)  # type: ignore[arg-type]
    saved = CursorFile(cursor_folder(services), everything.key(pipeline_version(services))).load()
    assert saved is not None and not saved.finished
    assert (saved.counts.selected, saved.counts.enqueued, saved.counts.missing) == (1000, 400, 5)
    assert services.bus.queue_depth(Q_VERIFY) == 400
    assert "reprocess" in progress.getvalue() and "/1000" in progress.getvalue()

    progress = io.StringIO()
    cursor = reprocess(services, everything, resume=True, progress=progress)
    assert cursor.finished
    c = cursor.counts
    assert (c.selected, c.enqueued, c.current, c.missing) == (1000, 995, 0, 5)
    assert "1000/1000" in progress.getvalue()
    keys = drain(services)
    expected = {a.manifest_key for a in addresses} - {a.manifest_key for a in addresses[10:15]}
    assert len(keys) == 995 and set(keys) == expected  # every one once, none twice

    # Resuming a finished run does nothing more.
    assert reprocess(services, everything, resume=True).counts.enqueued == 995
    assert services.bus.queue_depth(Q_VERIFY) == 0


def test_selection_filters(local: Services) -> None:
    def station(i: int) -> str:
        return "3706000123" if i % 2 else "3706000456"

    def day(i: int) -> date:
        return date(2026, 11, 1) + timedelta(days=i % 28)

    seed_bulk(local, 120, station_of=station, day_of=day)
    verdicts = [("pass", "fail", "review")[i % 3] for i in range(120)]

    def run(**kw: Any) -> int:
        return reprocess(local, Selection(**kw), progress=io.StringIO()).counts.enqueued

    assert run(verdict="fail") == verdicts.count("fail")
    assert run(reason="plate_mismatch") == verdicts.count("fail")
    assert run(check="plate_match", station="3706000123") == sum(
        1 for i in range(120) if verdicts[i] == "fail" and i % 2
    )
    since, until = date(2026, 11, 3), date(2026, 11, 9)
    assert run(since=since, until=until) == sum(1 for i in range(120) if since <= day(i) <= until)
    drain(local)


def test_rate_limit_spaces_publishes() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(5.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(15):
        limiter.acquire()
    # A one-second burst of 5, then one every 0.2 s: 10 more take 2 s.
    assert sum(slept) == pytest.approx(2.0)
    assert RateLimiter(None).rate is None


def run_workers(services: Services) -> None:
    stop = threading.Event()
    verify.run(services, stop=stop, idle_timeout=0.5)
    review_intake.run(services, stop=stop, idle_timeout=0.5)


def test_newer_version_beside_old_and_review_shows_change(local: Services, tmp_path: Path) -> None:
    # A cheap real package (document photos only): completeness fails it.
    folder = make_package(tmp_path, codes=["0201", "0203"], seed=3)
    upload_package(folder, local.store, local.bus, local.settings)
    run_workers(local)
    old = pipeline_version(local)
    addr = address_for("3706000123", "370600202611230001", 1)
    first = json.loads(local.store.get(addr.result_key(old)))

    changed = local.settings.model_copy(update={"checks": {"time_window": {"slack_minutes": 7}}})
    newer = Services(changed, clock=local.clock)
    try:
        new = pipeline_version(newer)
        assert new != old
        cursor = reprocess(newer, Selection(verdict=first["verdict"]), progress=io.StringIO())
        assert cursor.counts.enqueued == 1
        run_workers(newer)
        # Beside, not over: both result documents and both result rows exist.
        assert json.loads(local.store.get(addr.result_key(old))) == first
        second = json.loads(local.store.get(addr.result_key(new)))
        assert second["pipeline_version"] == new
        with local.database.read() as conn:
            versions = conn.execute(select(results.c.pipeline_version)).scalars().all()
            item = conn.execute(select(review_items)).mappings().one()
        assert sorted(versions) == sorted([old, new])
        # The review item follows the newer result; the audit says what it was before.
        updates = audit.entries(local.database, action="review_item.updated")
        assert len(updates) == 1 and updates[0].entity_id == str(item["id"])
        assert updates[0].detail["from"]["verdict"] == first["verdict"]
        assert updates[0].detail["to"]["result_pk"] == item["result_pk"]
        # Run again: the attempt already has the newer result, nothing is sent.
        again = reprocess(newer, Selection(), progress=io.StringIO())
        assert (again.counts.enqueued, again.counts.current) == (0, 1)
    finally:
        newer.close()
