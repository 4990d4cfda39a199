"""The hash bank on SQLite and PostgreSQL: idempotent add, band lookup, self-exclusion."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import bindparam, create_engine, false, select, text

from pipeline.db.schema import metadata
from pipeline.hashbank import HashBank, HashRecord, PhotoKey, Probe


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
    _exercise_many(bank, rng)


def _exercise_many(bank: HashBank, rng: random.Random) -> None:
    """Batched lookups equal single ones; reprocess ordering and batched adds."""
    stored = [rng.getrandbits(64) for _ in range(6)]
    assert bank.add([_rec("C", f"{i}.jpg", v) for i, v in enumerate(stored)]) == 6
    probes = [
        Probe("0" * 64, stored[0] ^ 0b101, 3),  # 2 bits from C/0.jpg
        Probe(f"{stored[1]:064x}", rng.getrandbits(64), 3),  # C/1.jpg's bytes
        Probe("", stored[2] ^ (1 << 63), 0),  # 1 bit: beyond this probe's distance
        Probe("", stored[3], 0),  # no sha256 (a mirror image): pHash only
        Probe("1" * 64, rng.getrandbits(64), 5),  # nothing near
    ]
    many = bank.lookup_many(probes, exclude_inspection="D")
    single = [
        bank.lookup(p.sha256 or "-", p.phash, exclude_inspection="D", max_distance=p.max_distance)
        for p in probes
    ]
    assert many == single
    assert [[(m.file, m.distance, m.exact) for m in ms] for ms in many] == [
        [("0.jpg", 2, False)],
        [("1.jpg", 0, True)],
        [],
        [("3.jpg", 0, False)],
        [],
    ]
    assert bank.lookup_many([], exclude_inspection="D") == []
    # Looked up and added in one transaction: the same matches, then the record is stored.
    extra = _rec("D", "new.jpg", stored[0] ^ 0b101)
    assert bank.lookup_and_add(probes, [extra], exclude_inspection="D") == many
    assert bank.lookup_and_add(probes, [extra], exclude_inspection="D") == many  # idempotent
    assert [m.inspection_id for m in bank.lookup("", extra.phash, exclude_inspection="Z")] == [
        "D",
        "C",
    ]  # D's at 0 bits, C's 0.jpg at 2
    # A reprocess of C compares only with photos stored before C's own: E copies C/4.jpg
    # later, so C/4.jpg's lookup ignores it, while a photo C never sent sees it.
    assert bank.add([_rec("E", "x.jpg", stored[4])]) == 1
    copy = [Probe(f"{stored[4]:064x}", stored[4], 3)]
    assert bank.lookup_many(
        copy, exclude_inspection="C", before_first_of=PhotoKey("C", 1, "4.jpg")
    ) == [[]]
    seen = bank.lookup_many(
        copy, exclude_inspection="C", before_first_of=PhotoKey("C", 1, "new.jpg")
    )
    assert [(m.inspection_id, m.exact) for m in seen[0]] == [("E", True)]
    # Frames and photos in one add: stored keys are skipped, duplicates in a batch once.
    frames = [
        HashRecord(f"{i:064x}", stored[5] ^ i, "F", 1, "S1", "VIN", "v.mp4", "0322", frame=i)
        for i in (0, 10, 10, 20)
    ]
    assert bank.add(frames[:2]) == 2
    assert bank.add([*frames, _rec("C", "5.jpg", stored[5])]) == 1


def test_add_survives_a_racing_writer(sqlite_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows stored by another worker between the bank's read and its insert: the batch insert
    fails on the unique key, and the records are added one at a time instead."""
    import pipeline.hashbank as hb

    bank = HashBank(sqlite_engine)
    frames = [
        HashRecord(f"{i:064x}", i, "R", 1, "S1", "VIN", "v.mp4", "0322", frame=i) for i in (0, 5, 9)
    ]
    assert bank.add([*frames[:2], _rec("R", "0111.jpg", 1)]) == 3
    t = hb.photo_hashes.c
    blind = select(t.inspection_id, t.attempt, t.file, t.frame).where(
        false(), t.inspection_id == bindparam("i"), t.attempt == bindparam("a"),
        t.file == bindparam("f"),
    )  # fmt: skip
    monkeypatch.setattr(hb, "_stored_keys", lambda: blind)
    assert bank.add([*frames, _rec("R", "0111.jpg", 1)]) == 1
    assert bank.count() == 4
    # The same inside lookup_and_add: the lookups stand, the records go in one at a time.
    late = HashRecord("f" * 64, 77, "R", 1, "S1", "VIN", "v.mp4", "0322", frame=12)
    found = bank.lookup_and_add([Probe("", 9, 0)], [*frames, late], exclude_inspection="X")
    assert [[(m.file, m.frame) for m in ms] for ms in found] == [[("v.mp4", 9)]]
    assert bank.count() == 5


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
