"""Column types shared by every table: aware UTC instants and portable JSON.

Instants are stored in UTC on both engines. PostgreSQL keeps them in ``timestamptz``; SQLite
has no time zone type, so the value is stored as a naive UTC text that sorts and compares
correctly, and is given back its UTC zone on the way out. A naive instant is refused on the
way in: it is a programming error (user input without a zone is converted by
:func:`pcmd_workflow.clock.to_utc` at the edge, CONTRACTS "Dates, instants, deadlines").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["JSONType", "UTCDateTime", "aware_utc"]


def aware_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC instant; a naive value is taken to be UTC already."""
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: aware UTC in, aware UTC out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"naive instant {value.isoformat()} refused; store aware UTC")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """One plain function per value (status passes read ~10^5 instants at a time)."""
        impl = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if impl is not None:
                value = impl(value)
            elif isinstance(value, str):
                value = datetime.fromisoformat(value)
            tz = value.tzinfo
            if tz is UTC:
                return value  # type: ignore[no-any-return]
            if tz is None:
                return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
            return value.astimezone(UTC)  # type: ignore[no-any-return]

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        return aware_utc(value)


#: JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
