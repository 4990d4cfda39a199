"""Fixtures for retention and reprocess tests: a clock tests can move, embedded services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.services import Services
from tests.flow.conftest import pg_database, real

__all__ = ["Clock", "clock", "local", "pg_database", "real"]


class Clock:
    """An injectable clock: ``services.clock()`` returns ``now`` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def travel(self, when: datetime) -> None:
        """Jump to another moment."""
        self.now = when


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def local(home: Path, clock: Clock, unique: str) -> Iterator[Services]:
    """Embedded services (local store, in-process bus of its own, SQLite) on the test clock."""
    env = {"INSPECTPIPE_HOME": str(home), "INSPECTPIPE_BUS_NAMESPACE": f"t{unique}"}
    services = Services(load_settings(env=env), clock=clock)
    yield services
    services.close()
