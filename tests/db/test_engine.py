"""Engines and error mapping: no sqlalchemy.exc escapes, unreachable means DatabaseUnavailable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.db import Database, open_database
from pipeline.db.migrate import head_revision
from pipeline.db.schema import review_items
from pipeline.errors import ConfigError, Conflict, DatabaseUnavailable, PermanentError
from tests.conftest import free_port
from tests.db.conftest import settings_for


def test_closed_port_is_database_unavailable(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{free_port()}/nothing"
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(settings_for(url, tmp_path))
    assert "s3cret" not in str(info.value)  # never print credentials
    assert "refused" in str(info.value).lower() or "failed" in str(info.value).lower()


def test_unopenable_sqlite_file_is_database_unavailable(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()  # a directory where the database file should be
    with pytest.raises(DatabaseUnavailable):
        open_database(settings_for(f"sqlite:///{folder}", tmp_path))


def test_bad_urls_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not supported"):
        open_database(settings_for("mysql://u@localhost/x", tmp_path))
    with pytest.raises(ConfigError, match="not a valid"):
        open_database(settings_for("::not a url::", tmp_path))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot create folder"):
        open_database(settings_for(f"sqlite:///{blocker}/sub/x.db", tmp_path))


def test_home_placeholder_is_expanded(tmp_path: Path) -> None:
    with open_database(settings_for("sqlite:///{home}/state/x.db", tmp_path)) as db:
        assert db.current_revision() == head_revision()
    assert (tmp_path / "state" / "x.db").exists()


def test_in_memory_sqlite_is_one_database(tmp_path: Path) -> None:
    with open_database(settings_for("sqlite://", tmp_path)) as db:
        assert db.current_revision() == head_revision()  # the same connection that was migrated


def test_sqlite_pragmas(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000


def test_sqlalchemy_errors_are_mapped(db: Database) -> None:
    with pytest.raises(PermanentError) as info, db.begin() as conn:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert "sqlalchemy" not in type(info.value).__module__
    # A foreign key that points nowhere: SQLite enforces it too (foreign_keys=ON).
    with pytest.raises(Conflict), db.begin() as conn:
        conn.execute(
            review_items.insert().values(
                inspection_pk=999_999,
                inspection_id="x",
                attempt=1,
                station_id="s",
                verdict="fail",
                priority=0,
                reasons=[],
                state="open",
                version=1,
                created_at=text("CURRENT_TIMESTAMP"),
                updated_at=text("CURRENT_TIMESTAMP"),
            )
        )


def test_postgres_url_without_driver_uses_psycopg(postgres_url: str, tmp_path: Path) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with open_database(settings_for(plain, tmp_path), upgrade=False) as db:
        assert db.engine.dialect.driver == "psycopg"
        assert db.dialect == "postgresql"
