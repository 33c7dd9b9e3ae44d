"""Task statuses, derived from facts and the clock, never stored (docs/state-diagram.md).

Facts are the task's due date, the extensions, submissions, returns and excusal recorded
*at or before* the instant asked about, so that an as-of replay of a past day sees what was
known that day. Rules (CONTRACTS "Tasks, submissions, review" and "Dates, instants,
deadlines"; DOMAIN Q1):

- a deadline is a date: a report is on time when received before 24:00 Asia/Ho_Chi_Minh at
  the end of the due date (23:59:59 local is on time, 00:00:00 the next day is late); a
  flash report is on time when received by its ``due_at`` instant;
- timeliness is decided by the FIRST submission's receipt time; a review never changes it;
- an extension moves the due date; a return restarts the clock with its own due date (by
  default three working days after the return) and the task shows ``returned`` until a new
  version arrives;
- ``due_soon`` is the first reminder window, seven working days before the due date by
  default (the T-7 rung of ``calendars/national/ladders.yaml``);
- ``days_late`` counts working days from the due date to the submission (or to the as-of
  day when nothing came): ``working_days_between(due, day)``; 0 when not late.

The main entry point, :func:`derive_statuses`, works on columns (one sequence per fact) so
that the status of every task of the country is one pass over the rows of one query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Protocol

from pcmd_workflow.clock import LOCAL_TZ, local_date, to_utc

__all__ = [
    "DEFAULT_DUE_SOON_DAYS",
    "OPEN_STATUSES",
    "SUBMITTED_STATUSES",
    "FactColumns",
    "ReviewState",
    "StatusColumns",
    "TaskFacts",
    "TaskStatus",
    "TaskStatusResult",
    "WorkingDays",
    "derive_status",
    "derive_statuses",
    "is_on_time",
]

#: Asia/Ho_Chi_Minh has been UTC+07:00 without daylight saving since 13 June 1975; a fixed
#: offset converts the many receipt instants faster than the zone database (same result).
_VIETNAM_SINCE_1976 = timezone(timedelta(hours=7))
_FIXED_FROM = datetime(1976, 1, 1, tzinfo=UTC)

#: The first reminder rung is T-7 working days (calendars/national/ladders.yaml).
DEFAULT_DUE_SOON_DAYS = 7


class TaskStatus(StrEnum):
    upcoming = "upcoming"
    due_soon = "due_soon"
    due_today = "due_today"
    overdue = "overdue"
    submitted_on_time = "submitted_on_time"
    submitted_late = "submitted_late"
    returned = "returned"
    excused = "excused"


class ReviewState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    returned = "returned"


#: Statuses of a task still waiting for a (new) report: reminders apply.
OPEN_STATUSES = frozenset(
    {
        TaskStatus.upcoming,
        TaskStatus.due_soon,
        TaskStatus.due_today,
        TaskStatus.overdue,
        TaskStatus.returned,
    }
)
SUBMITTED_STATUSES = frozenset({TaskStatus.submitted_on_time, TaskStatus.submitted_late})


class WorkingDays(Protocol):
    """The part of :class:`~pcmd_workflow.domain.calendar.WorkingCalendar` statuses use."""

    def add_working_days(self, day: date, n: int) -> date: ...

    def working_days_between(self, start: date, end: date) -> int: ...


def is_on_time(received_at: datetime, *, due_date: date, due_at: datetime | None = None) -> bool:
    """Received before 24:00 local at the end of ``due_date`` (or by ``due_at`` for flash)."""
    if due_at is not None:
        return to_utc(received_at) <= to_utc(due_at)
    return local_date(received_at) <= due_date


@dataclass(frozen=True, kw_only=True)
class TaskFacts:
    """What is known about one task at the instant asked about.

    ``due_date`` is the plan's due date; ``extension_due`` the latest extension of the first
    cycle; ``return_at``/``return_due`` the latest return and the due date of the corrected
    version (after extensions granted since the return).
    """

    due_date: date | None
    due_at: datetime | None = None
    extension_due: date | None = None
    first_received_at: datetime | None = None
    last_received_at: datetime | None = None
    return_at: datetime | None = None
    return_due: date | None = None
    excused: bool = False


@dataclass(frozen=True, kw_only=True)
class TaskStatusResult:
    status: TaskStatus
    due_date: date | None  # the due date in force for the current cycle
    days_late: int


@dataclass(frozen=True, kw_only=True)
class FactColumns:
    """:class:`TaskFacts` of many tasks as parallel columns (all of the same length)."""

    due_date: Sequence[date | None]
    due_at: Sequence[datetime | None]
    extension_due: Sequence[date | None]
    first_received_at: Sequence[datetime | None]
    last_received_at: Sequence[datetime | None]
    return_at: Sequence[datetime | None]
    return_due: Sequence[date | None]
    excused: Sequence[bool]

    @classmethod
    def of(cls, facts: Sequence[TaskFacts]) -> FactColumns:
        return cls(
            due_date=[f.due_date for f in facts],
            due_at=[f.due_at for f in facts],
            extension_due=[f.extension_due for f in facts],
            first_received_at=[f.first_received_at for f in facts],
            last_received_at=[f.last_received_at for f in facts],
            return_at=[f.return_at for f in facts],
            return_due=[f.return_due for f in facts],
            excused=[f.excused for f in facts],
        )


@dataclass(frozen=True, kw_only=True)
class StatusColumns:
    status: list[TaskStatus]
    due_date: list[date | None]
    days_late: list[int]


def _memo_days_between(calendar: WorkingDays) -> Callable[[date, date], int]:
    cache: dict[tuple[date, date], int] = {}

    def between(start: date, end: date) -> int:
        key = (start, end)
        found = cache.get(key)
        if found is None:
            found = cache[key] = calendar.working_days_between(start, end)
        return found

    return between


def derive_statuses(
    facts: FactColumns,
    *,
    now: datetime,
    calendar: WorkingDays,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> StatusColumns:
    """The status, due date in force and days late of every task, at the instant ``now``.

    Facts must already be limited to what was recorded at or before ``now``.
    """
    now = to_utc(now)
    today = now.astimezone(LOCAL_TZ).date()
    # due_soon: 1..due_soon_days working days in (today, due]; the (n+1)-th working day
    # after today is the first that is too far.
    soon_limit = calendar.add_working_days(today, due_soon_days + 1) - timedelta(days=1)
    between = _memo_days_between(calendar)
    local_days: dict[datetime, date] = {}

    def day_of(instant: datetime) -> date:
        found = local_days.get(instant)
        if found is None:
            zone = _VIETNAM_SINCE_1976 if instant >= _FIXED_FROM else LOCAL_TZ
            found = local_days[instant] = instant.astimezone(zone).date()
        return found

    statuses: list[TaskStatus] = []
    dues: list[date | None] = []
    lates: list[int] = []
    s_append, d_append, l_append = statuses.append, dues.append, lates.append
    for due, due_at, ext_due, first_at, last_at, ret_at, ret_due, excused in zip(
        facts.due_date,
        facts.due_at,
        facts.extension_due,
        facts.first_received_at,
        facts.last_received_at,
        facts.return_at,
        facts.return_due,
        facts.excused,
        strict=True,
    ):
        current = ext_due if ext_due is not None else due
        if ext_due is not None:
            due_at = None  # an extension gives a date; the flash instant no longer applies
        if excused:
            s_append(TaskStatus.excused)
            d_append(current)
            l_append(0)
            continue
        if ret_at is not None and (last_at is None or last_at <= ret_at):
            # returned: waiting for the corrected version, clock restarted from the return
            s_append(TaskStatus.returned)
            d_append(ret_due)
            l_append(between(ret_due, today) if ret_due is not None and today > ret_due else 0)
            continue
        d_append(current)
        if first_at is not None:
            if due_at is not None:
                late = first_at > due_at
            else:
                late = current is not None and day_of(first_at) > current
            if late:
                s_append(TaskStatus.submitted_late)
                l_append(between(current, day_of(first_at)) if current is not None else 0)
            else:
                s_append(TaskStatus.submitted_on_time)
                l_append(0)
            continue
        if current is None:
            s_append(TaskStatus.upcoming)
            l_append(0)
            continue
        if due_at is not None and now > due_at:
            s_append(TaskStatus.overdue)
            l_append(between(current, today) if today > current else 0)
        elif today > current:
            s_append(TaskStatus.overdue)
            l_append(between(current, today))
        elif today == current:
            s_append(TaskStatus.due_today)
            l_append(0)
        elif current <= soon_limit:
            s_append(TaskStatus.due_soon)
            l_append(0)
        else:
            s_append(TaskStatus.upcoming)
            l_append(0)
    return StatusColumns(status=statuses, due_date=dues, days_late=lates)


def derive_status(
    facts: TaskFacts,
    *,
    now: datetime,
    calendar: WorkingDays,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> TaskStatusResult:
    """The status of one task at the instant ``now`` (see :func:`derive_statuses`)."""
    cols = derive_statuses(
        FactColumns.of([facts]), now=now, calendar=calendar, due_soon_days=due_soon_days
    )
    return TaskStatusResult(
        status=cols.status[0], due_date=cols.due_date[0], days_late=cols.days_late[0]
    )
