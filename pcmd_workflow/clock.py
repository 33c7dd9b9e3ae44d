"""Clocks: every time-dependent function takes the current instant from one of these.

Nothing deep inside pcmd calls ``now()``; services receive a :class:`Clock`. This is what
makes ``pcmd replay``, ``--as-of`` and the tests exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "LOCAL_TZ",
    "Clock",
    "FixedClock",
    "SystemClock",
    "as_of_instant",
    "local_date",
    "to_utc",
]

#: The civil timezone of every date pcmd shows or computes.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stays where it is put; ``advance`` moves it."""

    instant: datetime

    def __post_init__(self) -> None:
        self.instant = to_utc(self.instant)

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant = self.instant + delta

    def set(self, instant: datetime) -> None:
        self.instant = to_utc(instant)


def to_utc(instant: datetime) -> datetime:
    """An aware UTC instant; a naive input means Asia/Ho_Chi_Minh local time."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=LOCAL_TZ)
    return instant.astimezone(UTC)


def local_date(instant: datetime) -> date:
    """The civil date in Vietnam of an instant."""
    return to_utc(instant).astimezone(LOCAL_TZ).date()


def as_of_instant(day: date, at: time = time(7, 0)) -> datetime:
    """``--as-of D`` means during day D at 07:00 local (the morning sweep of D)."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(UTC)
