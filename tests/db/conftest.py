"""Contract-test fixtures: every test here runs on SQLite (a temporary file) and PostgreSQL.

PostgreSQL gets a throwaway database per test module, created through an AUTOCOMMIT connection
to the ``postgres`` maintenance database and dropped afterwards.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings, settings_from_dict
from pipeline.db import Database, open_database
from pipeline.db.schema import metadata
from pipeline.db.scratch import scratch_database
from pipeline.manifest import manifest_from_json
from pipeline.records import Finding, Manifest, Outcome, Verdict, verdict_of
from tests.packages import BASE_MANIFEST

T0 = datetime(2026, 11, 23, 1, 12, tzinfo=UTC)


def settings_for(url: str, home: Path) -> Settings:
    """Settings that point the database at ``url``."""
    return settings_from_dict({"home": str(home), "database": {"url": url}})


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL of an empty database on one backend, for this module."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/central.db"
        return
    with scratch_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture(scope="module")
def module_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The module's database, migrated to head."""
    db = open_database(settings_for(db_url, tmp_path_factory.mktemp("home")))
    yield db
    db.close()


@pytest.fixture
def db(module_db: Database) -> Database:
    """The module's database with every table emptied (tests only: the app never deletes)."""
    with module_db.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    return module_db


def make_manifest(
    inspection_id: str = "370600202611230001", attempt: int = 1, **over: Any
) -> Manifest:
    """A valid manifest (the DESIGN.md example) with fields overridden."""
    doc: dict[str, Any] = {
        **copy.deepcopy(BASE_MANIFEST),
        "inspection_id": inspection_id,
        "attempt": attempt,
        "evidence": [{"code": "0111", "file": "0111.jpg"}],
    }
    doc.update(over)
    return manifest_from_json(doc)


def make_verdict(
    manifest: Manifest,
    outcomes: list[tuple[Outcome, str | None]] | None = None,
    *,
    version: str = "0.1.0+abc",
    sha: str = "a" * 64,
) -> Verdict:
    """A verdict with one finding per (outcome, reason); its verdict follows the policy."""
    outcomes = outcomes if outcomes is not None else [("fail", "plate_mismatch")]
    detail = {"expected": "鲁F12345", "read": "鲁F12845", "score": 0.5}
    found = tuple(
        Finding(file="0111.jpg", code="0111", check=f"check{i}", outcome=o, reason=r, detail=detail)
        for i, (o, r) in enumerate(outcomes)
    )
    return Verdict(
        inspection_id=manifest.inspection_id,
        station_id=manifest.station_id,
        attempt=manifest.attempt,
        verdict=verdict_of([o for o, _ in outcomes]),
        findings=found,
        pipeline_version=version,
        elapsed_ms=812.0,
        manifest_sha256=sha,
    )


def later(minutes: int) -> datetime:
    """A fixed time ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)
