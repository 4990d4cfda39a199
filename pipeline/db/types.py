"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time-zone-aware timestamp: SQLAlchemy stores the wall-clock digits and drops the
offset, so ``09:12+08:00`` and ``09:12Z`` would compare equal. :class:`UtcDateTime` stores every
timestamp as UTC and hands back aware UTC datetimes on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A ``DateTime(timezone=True)`` that is always UTC in, aware UTC out (naive means UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing."""
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive; PostgreSQL returns aware already."""
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
