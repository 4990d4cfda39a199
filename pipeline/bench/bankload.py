"""Bulk-load and time the photo-hash bank (used by ``inspectpipe bench checks``).

Loads ``n`` random 64-bit hashes (uniform: the worst case for band selectivity is clustered
real hashes, the best is uniform; we report uniform and say so), with indexes built after
the load: COPY on PostgreSQL, executemany in large transactions on SQLite.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from pipeline.db.schema import photo_hashes
from pipeline.hashbank import HashBank, HashRecord
from pipeline.photo.phash import bands, to_signed

_COLUMNS = [c.name for c in photo_hashes.columns if c.name != "id"]
_CHUNK = 100_000


def _rows(n: int, seed: int) -> tuple[list[int], Any]:
    rng = random.Random(seed)
    hashes = [rng.getrandbits(64) for _ in range(n)]
    now = datetime.now(UTC)

    def gen() -> Any:
        for i, h in enumerate(hashes):
            b = bands(h)
            yield (f"{h:016x}{i:048x}", to_signed(h), *b, f"BENCH{i // 40:010d}", 1, "S1",
                   "LSVAM4187C2184847", f"{i % 40:04d}.jpg", "0111", None, now)  # fmt: skip

    return hashes, gen()


def load(engine: Engine, n: int, *, seed: int = 1) -> tuple[list[int], float]:
    """Create ``photo_hashes`` afresh with ``n`` rows; returns the hashes and seconds taken.

    The schema's indexes are dropped for the bulk load and built afterwards.
    """
    t0 = time.perf_counter()
    photo_hashes.drop(engine, checkfirst=True)
    photo_hashes.create(engine)
    for index in list(photo_hashes.indexes):
        index.drop(engine)
    hashes, rows = _rows(n, seed)
    if engine.dialect.name == "postgresql":
        _copy(engine, rows)
    else:
        _executemany(engine, rows)
    for index in list(photo_hashes.indexes):
        index.create(engine)
    # VACUUM sets the visibility map that index-only scans need (autovacuum does it on a
    # live table); it cannot run inside a transaction.
    auto = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    with auto as conn:
        pg = engine.dialect.name == "postgresql"
        conn.execute(text("VACUUM ANALYZE photo_hashes" if pg else "ANALYZE"))
    return hashes, time.perf_counter() - t0


def _copy(engine: Engine, rows: Any) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY photo_hashes ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _executemany(engine: Engine, rows: Any) -> None:
    marks = ", ".join("?" for _ in _COLUMNS)
    sql = f"INSERT INTO photo_hashes ({', '.join(_COLUMNS)}) VALUES ({marks})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row))
            if len(chunk) >= _CHUNK:
                cur.executemany(sql, chunk)
                chunk.clear()
        if chunk:
            cur.executemany(sql, chunk)
        raw.commit()
    finally:
        raw.close()


def time_lookups(
    bank: HashBank, hashes: list[int], count: int, *, seed: int = 2
) -> dict[str, float]:
    """Lookup latency (ms): half near a stored hash (2 bits flipped), half random."""
    rng = random.Random(seed)
    times: list[float] = []
    hits = 0
    for i in range(count):
        if i % 2 == 0:
            q = rng.choice(hashes) ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64))
        else:
            q = rng.getrandbits(64)
        t0 = time.perf_counter()
        found = bank.lookup("f" * 64, q, exclude_inspection="NONE", max_distance=3)
        times.append((time.perf_counter() - t0) * 1000.0)
        hits += bool(found)
    times.sort()
    server = _server_ms(bank, hashes, min(count, 100), rng)
    return {
        **server,
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "max_ms": times[-1],
        "near_found": hits / max(1, (count + 1) // 2),
    }


def _server_ms(
    bank: HashBank, hashes: list[int], count: int, rng: random.Random
) -> dict[str, float]:
    """PostgreSQL's own execution time of the first-phase query (EXPLAIN ANALYZE): the
    figure that does not include client scheduling on a loaded machine."""
    if bank.engine.dialect.name != "postgresql" or count == 0:
        return {}
    times = []
    with bank.engine.connect() as conn:
        for _ in range(count):
            q = rng.choice(hashes) ^ (1 << rng.randrange(64))
            sql = str(
                bank.probe_query("f" * 64, q).compile(
                    bank.engine, compile_kwargs={"literal_binds": True}
                )
            )
            plan = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
            times.append(float(plan[0]["Execution Time"]))
    times.sort()
    return {
        "server_p50_ms": statistics.median(times),
        "server_p95_ms": times[int(0.95 * (len(times) - 1))],
    }


__all__ = ["HashRecord", "load", "time_lookups"]
