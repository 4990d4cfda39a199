"""The central database: SQLite embedded by default, PostgreSQL in production.

``open_database(settings)`` gives a :class:`Database`; the table definitions are in
:mod:`pipeline.db.schema`, the machine side in :mod:`pipeline.db.results`, the vehicle registry
in :mod:`pipeline.db.registry` and the append-only audit trail in :mod:`pipeline.db.audit`.
No ``sqlalchemy.exc`` exception leaves this package: connection trouble is
:class:`~pipeline.errors.DatabaseUnavailable`, see :mod:`pipeline.db.engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from pipeline.config import Settings
from pipeline.db import migrate
from pipeline.db.engine import READ_ONLY, build_engine, safe_url, translated

log = logging.getLogger(__name__)

__all__ = ["Database", "open_database"]


class Database:
    """An engine plus transactions whose errors are mapped to the pipeline's error tree."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = safe_url(engine.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A read-write transaction: committed when the block ends, rolled back on error."""
        with translated(f"database {self.url}"), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite it does not take the write lock)."""
        with (
            translated(f"database {self.url}"),
            self.engine.connect() as conn,
        ):
            conn = conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision`` (Alembic); safe when several processes race."""
        with self.begin() as conn:
            before = migrate.current(conn)
            migrate.upgrade(conn, revision)
            after = migrate.current(conn)
        if before != after:
            log.info("database %s upgraded from %s to %s", self.url, before, after)

    def downgrade(self, revision: str) -> None:
        """Revert migrations down to ``revision`` (``"base"`` removes every table)."""
        with self.begin() as conn:
            migrate.downgrade(conn, revision)

    def current_revision(self) -> str | None:
        """The Alembic revision the database is at (None: never migrated)."""
        with self.read() as conn:
            return migrate.current(conn)

    def head_revision(self) -> str | None:
        """The newest revision this code ships."""
        return migrate.head_revision()

    def optimize(self) -> None:
        """Refresh planner statistics where nothing else does: SQLite's ``PRAGMA optimize``
        (PostgreSQL's autovacuum analyses on its own)."""
        if self.dialect != "sqlite":
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA optimize")
        except Exception:  # statistics are an optimisation; never fail a shutdown for them
            log.debug("PRAGMA optimize failed on %s", self.url, exc_info=True)

    def close(self) -> None:
        """Refresh SQLite statistics, then close every pooled connection."""
        self.optimize()
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.url})"


def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    """Open the database named by ``settings.database.url``; migrate to head unless told not to.

    Raises :class:`~pipeline.errors.DatabaseUnavailable` when it cannot be reached and
    :class:`~pipeline.errors.ConfigError` when the URL is unusable.
    """
    engine = build_engine(settings.expand(settings.database.url), echo=settings.database.echo)
    db = Database(engine)
    try:
        if upgrade:
            db.upgrade()
        else:
            with db.read():
                pass  # connect once, so an unreachable server fails here, not later
    except BaseException:
        db.close()
        raise
    return db
