"""Engines for the central database, and the one place SQLAlchemy errors become ours.

SQLite (embedded default) runs in WAL mode with foreign keys on and a busy timeout, and every
transaction begins ``IMMEDIATE``: several threads or processes then queue for the write lock
instead of failing when a read turns into a write. PostgreSQL goes through psycopg 3 with
``pool_pre_ping`` so connections dropped by a restart are replaced, not handed out.

    sqlalchemy.exc.OperationalError, InterfaceError  -> DatabaseUnavailable (retry later),
        except SQLite's OperationalError for a mistake ("no such table")  -> PermanentError
    sqlalchemy.exc.IntegrityError                    -> Conflict
    any other sqlalchemy.exc.SQLAlchemyError         -> PermanentError
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

from pipeline.errors import ConfigError, Conflict, DatabaseUnavailable, PermanentError

log = logging.getLogger(__name__)

SQLITE_BUSY_SECONDS = 30.0
PG_CONNECT_TIMEOUT = 5
# Execution option: begin a plain (deferred) SQLite transaction, for read-only work.
READ_ONLY = "inspectpipe_read_only"


def safe_url(url: URL | str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def build_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for a ``sqlite:`` or ``postgresql:`` URL, configured for this project."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise ConfigError("database.url is not a valid SQLAlchemy URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, echo)
    if backend == "postgresql":
        return _postgres_engine(parsed, echo)
    raise ConfigError(f"database.url: backend {backend!r} is not supported (sqlite, postgresql)")


def _postgres_engine(url: URL, echo: bool) -> Engine:
    if url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    try:
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT},
            json_serializer=dumps,
        )
    except ImportError as e:
        raise ConfigError(f"PostgreSQL driver missing ({e}); pip install 'psycopg[binary]'") from e


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory:
        folder = Path(str(url.database)).expanduser().resolve().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"database.url: cannot create folder {folder}: {e}") from None
    kwargs: dict[str, Any] = {
        "echo": echo,
        "json_serializer": dumps,
        "connect_args": {"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False},
    }
    if memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, or each would be a new db
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy (not the sqlite3 module) emit BEGIN, so it can be IMMEDIATE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; fsync at checkpoints
    finally:
        cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``INSERT`` that has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise ConfigError(f"database dialect {conn.dialect.name!r} is not supported")


def dumps(value: Any) -> str:
    """JSON for JSON columns: UTF-8 text kept readable (中文 stays 中文), numpy scalars allowed."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@contextmanager
def translated(what: str = "database") -> Iterator[None]:
    """Map SQLAlchemy exceptions raised inside the block to the pipeline's error tree."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError) as e:
        if _sqlite_mistake(e):
            raise PermanentError(f"{what} error: {_short(e)}") from e
        raise DatabaseUnavailable(f"{what} unavailable: {_short(e)}") from e
    except exc.IntegrityError as e:
        raise Conflict(f"{what}: integrity error: {_short(e)}") from e
    except exc.SQLAlchemyError as e:
        raise PermanentError(f"{what} error: {_short(e)}") from e


# sqlite3 raises OperationalError for mistakes too ("no such table", syntax); only these
# mean the file is busy or unreachable and may work later.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o", "readonly", "full")


def _sqlite_mistake(e: exc.DBAPIError) -> bool:
    if type(e.orig).__module__ != "sqlite3":
        return False
    message = str(e.orig).lower()
    return not any(word in message for word in _SQLITE_TRANSIENT)


def _short(e: exc.SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip().splitlines()
    return text[0] if text else type(e).__name__
