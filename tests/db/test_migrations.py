"""Migrations: head creates exactly schema.py's tables, downgrade to base works, racing opens."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from pipeline.db import Database, open_database
from pipeline.db.migrate import head_revision
from pipeline.db.schema import metadata
from tests.db.conftest import settings_for

HEAD = head_revision()


def _diffs(db: Database) -> list[object]:
    with db.read() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, metadata))


def _tables(db: Database) -> set[str]:
    with db.read() as conn:
        return set(inspect(conn).get_table_names())


def test_head_matches_schema_exactly(db: Database) -> None:
    assert HEAD is not None and sorted(_revision_files())[-1] == HEAD
    assert db.current_revision() == HEAD
    assert _diffs(db) == []
    assert _tables(db) == set(metadata.tables) | {"alembic_version"}


def test_downgrade_base_then_upgrade_again(db: Database) -> None:
    db.downgrade("base")
    assert db.current_revision() is None
    assert _tables(db) <= {"alembic_version"}
    db.upgrade()
    assert db.current_revision() == HEAD
    assert _diffs(db) == []


def test_many_processes_opening_at_once_migrate_once(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    db.downgrade("base")
    settings = settings_for(db_url, tmp_path)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def opener() -> None:
        try:
            barrier.wait()
            open_database(settings).close()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.current_revision() == HEAD
    assert _diffs(db) == []


def test_open_without_upgrade_leaves_an_empty_database(tmp_path: Path) -> None:
    # A fresh SQLite file is enough to show that upgrade=False does not migrate.
    url = f"sqlite:///{tmp_path}/sub/dir/fresh.db"
    with open_database(settings_for(url, tmp_path), upgrade=False) as fresh:
        assert fresh.current_revision() is None
        assert fresh.head_revision() == HEAD
    assert (tmp_path / "sub" / "dir" / "fresh.db").exists()


def _revision_files() -> list[str]:
    """Revision ids from the migration file names (one linear chain: 0001, 0002, ...)."""
    from pipeline.db import migrate

    folder = Path(migrate.__file__).parent / "migrations" / "versions"
    return [p.name.split("_", 1)[0] for p in folder.glob("[0-9]*_*.py")]
