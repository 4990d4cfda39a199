"""The hash bank on SQLite and PostgreSQL: idempotent add, band lookup, self-exclusion."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from pipeline.db.schema import metadata
from pipeline.hashbank import HashBank, HashRecord


def _rec(inspection: str, file: str, value: int, sha: str | None = None) -> HashRecord:
    return HashRecord(sha or f"{value:064x}", value, inspection, 1, "S1", "VIN", file, "0111")


def _exercise(bank: HashBank) -> None:
    rng = random.Random(7)
    base = rng.getrandbits(64)
    near = base ^ (1 << 3) ^ (1 << 40) ^ (1 << 63)  # 3 bits, one of them the sign bit
    far = base ^ sum(1 << i for i in rng.sample(range(64), 20))
    assert bank.add([_rec("A", "0111.jpg", base), _rec("A", "0112.jpg", far)]) == 2
    assert bank.add([_rec("A", "0111.jpg", base)]) == 0  # redelivery adds nothing
    found = bank.lookup("0" * 64, near, exclude_inspection="B", max_distance=3)
    assert [(m.inspection_id, m.file, m.distance) for m in found] == [("A", "0111.jpg", 3)]
    assert bank.lookup("0" * 64, near, exclude_inspection="A", max_distance=3) == []
    exact = bank.lookup(f"{far:064x}", rng.getrandbits(64), exclude_inspection="B")
    assert len(exact) == 1 and exact[0].exact and exact[0].file == "0112.jpg"
    assert bank.count() == 2


def test_sqlite(sqlite_engine: Any) -> None:
    _exercise(HashBank(sqlite_engine))


@pytest.fixture
def pg_engine(postgres_url: str, unique: str) -> Iterator[Any]:
    """A throwaway schema on the real PostgreSQL server."""
    schema = f"hb_{unique}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(postgres_url, connect_args={"options": f"-csearch_path={schema}"})
    metadata.create_all(engine, tables=[metadata.tables["photo_hashes"]])
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_postgres(pg_engine: Any) -> None:
    _exercise(HashBank(pg_engine))
