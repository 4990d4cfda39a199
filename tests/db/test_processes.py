"""Several worker processes storing the same result at once: one row, on both backends."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from pipeline.db import Database, open_database
from pipeline.db.results import record_inspection, record_result
from pipeline.db.schema import results
from tests.db.conftest import T0, make_manifest, make_verdict, settings_for


def _worker(url: str, home: str, start: object, out: object) -> None:
    # A fresh engine per process, as a real worker has.
    db = open_database(settings_for(url, Path(home)))
    try:
        m = make_manifest()
        ipk = record_inspection(db, m, prefix="p", manifest_sha256="a" * 64, received_at=T0)
        start.wait()  # type: ignore[attr-defined]
        pk, created = record_result(
            db, make_verdict(m), inspection_pk=ipk, result_key="k", created_at=T0
        )
        out.put((pk, created))  # type: ignore[attr-defined]
    except BaseException as exc:  # reported to the parent as a value
        out.put(repr(exc))  # type: ignore[attr-defined]
    finally:
        db.close()


def test_processes_store_one_result(db: Database, db_url: str, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    n = 4
    start, out = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, str(tmp_path), start, out)) for _ in range(n)
    ]
    for p in procs:
        p.start()
    got = [out.get(timeout=60) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
    assert all(isinstance(g, tuple) for g in got), got
    assert sum(created for _, created in got) == 1
    assert len({pk for pk, _ in got}) == 1
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(results)).scalar_one() == 1
