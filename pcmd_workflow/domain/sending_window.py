"""The sending window: when notices may go out.

One window for every channel (CONTRACTS "Notices"): working days of the Vietnamese
calendar, from ``send_window_start`` to ``send_window_end`` local time (07:30–21:00 by
default, settings). Public servants are reached during office days; nothing is sent at
night, on weekends or on public holidays (Labour Code 2019 Art. 112), which also keeps
clear of Zalo's night refusal (22:00–06:00).

Pure: instants in, instants out (aware UTC); the calendar is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from pcmd_workflow.clock import LOCAL_TZ, to_utc
from pcmd_workflow.domain.calendar import WorkingCalendar
from pcmd_workflow.errors import ConfigError

__all__ = ["SendingWindow", "parse_clock_time"]


def parse_clock_time(value: str, *, field: str) -> time:
    """``"07:30"`` → ``time(7, 30)``; a ConfigError naming the setting otherwise."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigError(f"{field}: '{value}' is not a time of day; expected HH:MM") from None


@dataclass(frozen=True, kw_only=True)
class SendingWindow:
    start: time = time(7, 30)
    end: time = time(21, 0)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ConfigError(
                f"send window: end {self.end:%H:%M} is not after start {self.start:%H:%M}"
            )

    @classmethod
    def parse(cls, *, start: str, end: str) -> SendingWindow:
        return cls(
            start=parse_clock_time(start, field="send_window_start"),
            end=parse_clock_time(end, field="send_window_end"),
        )

    def is_open(self, instant: datetime, *, calendar: WorkingCalendar) -> bool:
        """True on a working day between ``start`` (included) and ``end`` (excluded), local."""
        local = to_utc(instant).astimezone(LOCAL_TZ)
        return calendar.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, instant: datetime, *, calendar: WorkingCalendar) -> datetime:
        """``instant`` itself when the window is open, else the next opening (UTC)."""
        instant = to_utc(instant)
        if self.is_open(instant, calendar=calendar):
            return instant
        local = instant.astimezone(LOCAL_TZ)
        day = local.date()
        if not (calendar.is_working_day(day) and local.time() < self.start):
            day = calendar.add_working_days(day, 1)
        return datetime.combine(day, self.start, tzinfo=LOCAL_TZ).astimezone(UTC)
