"""Alembic, run from code: no ``alembic.ini``; the scripts ship inside the package.

Upgrades run on a connection the caller already locked, so two workers starting at once do not
both try to create the tables: PostgreSQL takes a transaction-scoped advisory lock, SQLite's
``BEGIN IMMEDIATE`` (see :mod:`pipeline.db.engine`) already holds the write lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same in every process of this project.
_PG_LOCK_KEY = 0x1A5EC7


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged scripts, optionally bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def lock(connection: Connection) -> None:
    """Serialise migrations across processes (PostgreSQL; SQLite is locked by its BEGIN)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` inside the connection's transaction."""
    lock(connection)
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    """Downgrade the schema to ``revision`` (``"base"`` drops every table)."""
    lock(connection)
    command.downgrade(alembic_config(connection), revision)


def current(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    return MigrationContext.configure(connection).get_current_revision()
