"""Sweep and reprocess on the real engines: RabbitMQ, an S3 server (moto) and PostgreSQL.

Concurrent sweepers claim rows with ``SELECT ... FOR UPDATE SKIP LOCKED``; reprocess publishes
with confirms to RabbitMQ and resumes after an interruption; on a bucket with object lock the
retain-until date and legal holds go on the objects too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.auth import add_user
from pipeline.bus.base import Q_VERIFY
from pipeline.db import audit
from pipeline.errors import BusUnavailable
from pipeline.reprocess import Selection, reprocess
from pipeline.retention.hold import set_hold
from pipeline.retention.policy import lock_until
from pipeline.retention.sweep import sweep
from pipeline.services import Services
from tests.reprocess.test_reprocess import BreaksAfter
from tests.retention.conftest import Clock
from tests.retention.seed import seed_bulk, seed_one

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.s3]


@pytest.fixture
def timed(real: Services, clock: Clock) -> Any:
    """The real services' settings with the test clock (same broker, bucket and database)."""
    services = Services(real.settings, clock=clock, overrides={"bus": real.bus})
    yield services
    services.close()


def test_reprocess_and_concurrent_sweeps(timed: Services, real: Services, clock: Clock) -> None:
    addresses = seed_bulk(timed, 30)
    held = seed_one(timed, "HELDPG01", use="B")
    add_user(timed.database, "zhao", "correct horse 3", "supervisor", actor="t", now=clock())
    set_hold(timed.database, timed.store, "HELDPG01", reason="dispute", actor="zhao", now=clock())

    # Reprocess onto RabbitMQ, interrupted after 12 confirmed publishes, then resumed.
    with pytest.raises(BusUnavailable):
        reprocess(timed, Selection(), bus=BreaksAfter(timed.bus, 12), progress=io.StringIO())  # type: ignore[arg-type]
    cursor = reprocess(timed, Selection(), resume=True, progress=io.StringIO())
    assert (cursor.counts.selected, cursor.counts.enqueued) == (31, 31)
    assert real.bus.queue_depth(Q_VERIFY) == 31

    # Three sweepers at once, years later: each expired attempt deleted exactly once.
    clock.travel(datetime(2030, 1, 1, tzinfo=UTC))
    sweepers = [Services(real.settings, clock=clock) for _ in range(3)]
    reports: list[Any] = []
    try:
        threads = [
            threading.Thread(target=lambda s=s: reports.append(sweep(s, batch=4))) for s in sweepers
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in sweepers:
            s.close()
    assert sum(r.deleted for r in reports) == 30
    assert len(audit.entries(timed.database, action="retention.deleted")) == 30
    assert all(not list(timed.store.list(a.prefix)) for a in addresses)
    assert len(list(timed.store.list(held.prefix))) == 3  # held: kept


def test_object_lock_dates_and_holds_on_s3(real: Services, clock: Clock, unique: str) -> None:
    store_cfg = real.settings.store.model_copy(
        update={"object_lock": True, "bucket": f"lock-{unique}"}
    )
    services = Services(real.settings.model_copy(update={"store": store_cfg}), clock=clock)
    store: Any = services.store
    try:
        store.ensure_bucket()
        locked = seed_one(services, "LOCK0001", use="A")  # retain until 2029-07-30
        key = locked.manifest_key
        lock = store.retention(key)
        assert lock.mode == "GOVERNANCE"
        assert lock.until == lock_until(services.settings, date(2029, 7, 30))
        tags = store.client.get_object_tags(store.bucket, key)
        assert dict(tags or {}) == {"retain-until": "2029-07-30"}

        held = seed_one(services, "LOCK0003", use="A")
        add_user(services.database, "qian", "correct horse 4", "supervisor", actor="t", now=clock())
        set_hold(
            services.database,
            services.store,
            "LOCK0003",
            reason="dispute",
            actor="qian",
            now=clock(),
        )
        assert store.retention(held.manifest_key).legal_hold

        # An inspection already past retention gets no lock (S3 refuses past dates).
        old = seed_one(services, "LOCK0002", started=datetime(2020, 1, 2, 1, 0, tzinfo=UTC))
        assert store.retention(old.manifest_key).until is None

        clock.travel(datetime(2030, 1, 1, tzinfo=UTC))
        report = sweep(services)
        # The old one is gone with every version (a versioned bucket keeps data behind a
        # plain delete); the locked one's lock runs in real time (to 2029), so the store keeps
        # it and it is tagged for the lifecycle rule instead; the held one is kept.
        assert (report.deleted, report.deferred, report.held) == (2, 3, 1)
        versions = store.client.list_objects(
            store.bucket, prefix=old.prefix, include_version=True, recursive=True
        )
        assert list(versions) == []
        assert dict(store.client.get_object_tags(store.bucket, key) or {}) == {
            "retention": "expired"
        }
        assert len(list(store.list(held.prefix))) == 3
    finally:
        services.close()


def subprocess_env(settings: Any, home: Path) -> dict[str, str]:
    """The environment that points a child ``inspectpipe`` at the same real services."""
    s = settings
    return {
        **os.environ,
        "INSPECTPIPE_HOME": str(home),
        "INSPECTPIPE_STORE_BACKEND": "minio",
        "INSPECTPIPE_STORE_ENDPOINT": s.store.endpoint,
        "INSPECTPIPE_STORE_ACCESS_KEY": s.store.access_key,
        "INSPECTPIPE_STORE_SECRET_KEY": s.store.secret_key,
        "INSPECTPIPE_STORE_BUCKET": s.store.bucket,
        "INSPECTPIPE_BUS_BACKEND": "rabbitmq",
        "INSPECTPIPE_BUS_URL": s.bus.url,
        "INSPECTPIPE_BUS_NAMESPACE": s.bus.namespace,
        "INSPECTPIPE_DATABASE_URL": s.database.url,
    }


def test_reprocess_killed_and_resumed(timed: Services, real: Services, home: Path) -> None:
    """SIGKILL a reprocess process mid-run; ``--resume`` sends the rest, none lost."""
    seed_bulk(timed, 200)
    child = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "reprocess", "--rate", "40/s", "--json"],
        env=subprocess_env(real.settings, home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cursor_dir = home / "reprocess"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            files = list(cursor_dir.glob("*.json"))
            if files and json.loads(files[0].read_text())["counts"]["enqueued"] >= 20:
                break
            assert child.poll() is None, "the reprocess ended before it could be killed"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
    saved = json.loads(files[0].read_text())
    assert not saved["finished"] and 20 <= saved["counts"]["enqueued"] < 200
    cursor = reprocess(timed, Selection(), resume=True, progress=io.StringIO())
    assert cursor.finished and cursor.counts.enqueued == 200
    # At most the one message confirmed but not yet written to the cursor is sent twice.
    assert 200 <= real.bus.queue_depth(Q_VERIFY) <= 201
