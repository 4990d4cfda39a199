"""The sweeper on embedded defaults: expired deleted, held kept, not yet expired kept, audited,
repeatable, and concurrent sweeps delete each attempt once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Table, func, select

from pipeline.auth import add_user
from pipeline.db import audit
from pipeline.db.schema import inspections, results, review_items
from pipeline.errors import Conflict, UsageError
from pipeline.layout import PackageAddress
from pipeline.retention.hold import holds, release_hold, set_hold
from pipeline.retention.sweep import sweep
from pipeline.services import Services
from tests.retention.conftest import Clock
from tests.retention.seed import seed_bulk, seed_one


def keys(services: Services, address: PackageAddress) -> list[str]:
    return [i.key for i in services.store.list(address.prefix)]


def row(services: Services, inspection_id: str) -> dict[str, object]:
    with services.database.read() as conn:
        r = conn.execute(
            select(inspections).where(inspections.c.inspection_id == inspection_id)
        ).mappings()
        return dict(r.one())


def count(services: Services, table: Table, **where: object) -> int:
    stmt = select(func.count()).select_from(table)
    for k, v in where.items():
        stmt = stmt.where(table.c[k] == v)
    with services.database.read() as conn:
        return int(conn.execute(stmt).scalar() or 0)


@pytest.fixture
def supervisor(local: Services) -> str:
    add_user(
        local.database, "wang", "correct horse 1", "supervisor", actor="admin", now=local.clock()
    )
    add_user(local.database, "li", "correct horse 2", "reviewer", actor="admin", now=local.clock())
    return "wang"


def test_sweep_deletes_expired_keeps_held_and_unexpired(
    local: Services, clock: Clock, supervisor: str
) -> None:
    # Retain-until: K33/A registered 2019-05-01 inspected 2026-11-23 → 2029-07-30 (grace 90);
    # K33/B (营运, turning 7.5) → next due 2027-05-01 → 2027-07-30.
    old = seed_one(local, "OLD001", use="B")
    held = seed_one(local, "HELD01", use="B")
    young = seed_one(local, "YOUNG1", use="A")
    assert row(local, "OLD001")["retain_until"] == date(2027, 7, 30)
    assert row(local, "YOUNG1")["retain_until"] == date(2029, 7, 30)
    with pytest.raises(UsageError, match="supervisor"):
        set_hold(local.database, local.store, "HELD01", reason="dispute", actor="li", now=clock())
    set_hold(
        local.database,
        local.store,
        "HELD01",
        reason="车主申诉 case 2027-17",
        actor=supervisor,
        now=clock(),
    )
    before = {a.inspection_id: keys(local, a) for a in (old, held, young)}
    assert all(len(k) == 3 for k in before.values())  # evidence, manifest, result

    # The day retain-until ends nothing goes; the day after, the expired attempt goes.
    clock.travel(datetime(2027, 7, 30, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    assert sweep(local).deleted == 0
    clock.travel(datetime(2027, 7, 30, 16, 0, tzinfo=UTC))  # 2027-07-31 00:00 in Shanghai
    dry = sweep(local, dry_run=True)
    assert (dry.expired, sorted(dry.keys), dry.held) == (1, sorted(before["OLD001"]), 1)
    assert keys(local, old) == before["OLD001"]  # the dry run deleted nothing

    report = sweep(local)
    assert (report.deleted, report.objects, report.held) == (1, 3, 1)
    assert keys(local, old) == []
    assert keys(local, held) == before["HELD01"] and keys(local, young) == before["YOUNG1"]
    tomb = row(local, "OLD001")
    assert tomb["deleted_at"] is not None
    pk = tomb["id"]
    assert count(local, results, inspection_pk=pk) == 0
    assert count(local, review_items, inspection_pk=pk) == 0
    assert count(local, review_items) == 2  # the others' review data is untouched

    entries = audit.entries(local.database, action="retention.deleted")
    assert [e.entity_id for e in entries] == ["OLD001/1"]
    assert set(entries[0].detail["objects"]) == set(before["OLD001"])
    assert entries[0].detail["review_items"] == 1 and entries[0].detail["results"] == 1

    # Repeatable: a second run finds nothing to do.
    assert sweep(local).deleted == 0
    with pytest.raises(Conflict):
        set_hold(
            local.database, local.store, "OLD001", reason="too late", actor=supervisor, now=clock()
        )

    # Released, the held attempt goes on the next sweep; the young one stays until its date.
    release_hold(
        local.database, local.store, "HELD01", reason="申诉已结案", actor=supervisor, now=clock()
    )
    assert holds(local.database) == []
    assert sweep(local).deleted == 1 and keys(local, held) == []
    clock.travel(datetime(2029, 7, 31, 16, 0, tzinfo=UTC))
    assert sweep(local).deleted == 1 and keys(local, young) == []
    actions = [e.action for e in audit.entries(local.database, entity="inspection")]
    assert actions == [
        "retention.hold_set",
        "retention.deleted",
        "retention.hold_released",
        "retention.deleted",
        "retention.deleted",
    ]
    hold_entry = audit.entries(local.database, action="retention.hold_set")[0]
    assert hold_entry.actor == "wang" and hold_entry.detail["reason"] == "车主申诉 case 2027-17"


def test_concurrent_sweeps_delete_each_attempt_once(local: Services, clock: Clock) -> None:
    addresses = seed_bulk(local, 40)
    clock.travel(datetime(2030, 1, 1, tzinfo=UTC))
    reports = []
    others = [Services(local.settings, clock=clock) for _ in range(3)]
    try:

        def run(services: Services) -> None:
            reports.append(sweep(services, batch=7))

        threads = [threading.Thread(target=run, args=(s,)) for s in others]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in others:
            s.close()
    assert sum(r.deleted for r in reports) == 40
    assert len(audit.entries(local.database, action="retention.deleted")) == 40
    assert all(keys(local, a) == [] for a in addresses)
    assert count(local, results) == 0
