"""Review-queue fixtures: every test runs on SQLite (a temporary file) and PostgreSQL.

PostgreSQL gets a throwaway database per module (dropped afterwards). The clock is a
:class:`FakeClock` the tests move forward to expire leases.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.bus.base import VERDICTS
from pipeline.bus.inproc import InProcBus
from pipeline.config import settings_from_dict
from pipeline.db import Database, open_database
from pipeline.db.schema import metadata
from pipeline.db.scratch import scratch_database
from pipeline.review.service import ReviewDesk
from tests.review.seed import T0


class FakeClock:
    """A clock tests move by hand (thread-safe)."""

    def __init__(self, start: datetime = T0 + timedelta(hours=1)) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **kw: float) -> None:
        """Move time forward."""
        with self._lock:
            self._now += timedelta(**kw)


class RecordingBus(InProcBus):
    """The real in-process bus, keeping a copy of what was published on "verdicts"."""

    def __init__(self) -> None:
        super().__init__(namespace=f"t{uuid.uuid4().hex[:8]}")
        self.declare()
        self.published: list[tuple[str, bytes, str | None]] = []
        self.fail_next = False

    def publish(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        *,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Publish, and record what went to the verdicts exchange."""
        if self.fail_next:
            from pipeline.errors import BusUnavailable

            self.fail_next = False
            raise BusUnavailable("broker did not confirm (test)")
        super().publish(exchange, routing_key, body, headers=headers, message_id=message_id)
        if exchange == VERDICTS:
            self.published.append((routing_key, body, message_id))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database on one backend, for this module."""
    home = tmp_path_factory.mktemp("home")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/central.db"
        db = open_database(settings_from_dict({"home": str(home), "database": {"url": url}}))
        yield db
        db.close()
        return
    with scratch_database(request.getfixturevalue("postgres_url"), "inspectpipe_review") as url:
        db = open_database(settings_from_dict({"home": str(home), "database": {"url": url}}))
        try:
            yield db
        finally:
            db.close()


@pytest.fixture
def db(module_db: Database) -> Database:
    """The module's database, emptied."""
    with module_db.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return module_db


@pytest.fixture
def clock() -> FakeClock:
    """A hand-moved clock."""
    return FakeClock()


@pytest.fixture
def bus() -> RecordingBus:
    """The in-process bus, recording publishes."""
    return RecordingBus()


@pytest.fixture
def desk(db: Database, clock: FakeClock, bus: RecordingBus) -> ReviewDesk:
    """A desk with a 15-minute lease."""
    return ReviewDesk(db=db, clock=clock, lease=timedelta(minutes=15), bus=bus)


@pytest.fixture
def tmp_home(tmp_path: Path) -> Path:
    """A scratch folder."""
    return tmp_path
