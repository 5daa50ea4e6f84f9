"""The tables' shared pieces: the metadata, the day-number column type, UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    MetaData,
    TypeDecorator,
)

EPOCH = date(1970, 1, 1)


class DayNumber(TypeDecorator[date]):
    """A date stored as days since 1970-01-01 (INTEGER) in the high-volume ledger tables.

    Set-based jobs read and compare it as a plain integer on every database; SQLAlchemy code
    still sees `datetime.date`.
    """

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, date):
            return (value - EPOCH).days
        return int(value)

    def process_result_value(self, value: Any, dialect: Any) -> date | None:
        return None if value is None else EPOCH + timedelta(days=int(value))


def aware(value: datetime) -> datetime:
    """SQLite returns naive UTC datetimes for timezone=True columns; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


metadata = MetaData()
