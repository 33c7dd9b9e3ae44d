"""The pure status function: boundaries worked out by hand on the 2024 calendar.

June 2024 has no holiday; 2/9 and 3/9/2024 are days off (Quốc khánh and its adjacent day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from store_helpers import local

from pcmd_workflow.clock import as_of_instant
from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.statuses import (
    FactColumns,
    TaskFacts,
    TaskStatus,
    derive_status,
    derive_statuses,
    is_on_time,
)

CAL = default_calendar()
DUE = date(2024, 6, 18)  # Tuesday


def status_at(day: str, facts: TaskFacts, **kw: object) -> tuple[str, date | None, int]:
    result = derive_status(facts, now=as_of_instant(date.fromisoformat(day)), calendar=CAL, **kw)  # type: ignore[arg-type]
    return str(result.status), result.due_date, result.days_late


@pytest.mark.parametrize(
    ("received", "on_time"),
    [
        ("2024-06-18T23:59:59", True),
        ("2024-06-18T23:59:59.999999", True),
        ("2024-06-19T00:00:00", False),
        ("2024-06-17T08:00:00", True),
    ],
)
def test_on_time_means_before_midnight_local(received: str, on_time: bool) -> None:
    assert is_on_time(local(received), due_date=DUE) is on_time


def test_on_time_is_judged_in_vietnam_whatever_the_zone_given() -> None:
    # 2024-06-18T17:00:00Z is 2024-06-19T00:00:00+07:00: late.
    assert not is_on_time(datetime(2024, 6, 18, 17, 0, tzinfo=UTC), due_date=DUE)
    assert is_on_time(datetime(2024, 6, 18, 16, 59, 59, tzinfo=UTC), due_date=DUE)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-06-06", ("upcoming", DUE, 0)),  # 8 working days in (6/6, 18/6]
        ("2024-06-07", ("due_soon", DUE, 0)),  # 7: the T-7 rung
        ("2024-06-08", ("due_soon", DUE, 0)),  # Saturday inside the window
        ("2024-06-17", ("due_soon", DUE, 0)),
        ("2024-06-18", ("due_today", DUE, 0)),
        ("2024-06-19", ("overdue", DUE, 1)),
        ("2024-06-22", ("overdue", DUE, 3)),  # Saturday: 19, 20, 21
        ("2024-06-24", ("overdue", DUE, 4)),
    ],
)
def test_open_task_through_time(day: str, expected: tuple[str, date, int]) -> None:
    assert status_at(day, TaskFacts(due_date=DUE)) == expected


def test_holidays_widen_the_due_soon_window() -> None:
    due = date(2024, 9, 17)
    # (5/9, 17/9] holds 6, 9, 10, 11, 12, 13, 16, 17: eight working days.
    assert status_at("2024-09-05", TaskFacts(due_date=due))[0] == "upcoming"
    assert status_at("2024-09-06", TaskFacts(due_date=due))[0] == "due_soon"
    # 2/9 and 3/9 are days off: from 30/8 there are 12 working days to 17/9.
    assert status_at("2024-08-30", TaskFacts(due_date=due))[0] == "upcoming"


def test_window_length_is_a_setting() -> None:
    facts = TaskFacts(due_date=DUE)
    assert status_at("2024-06-13", facts, due_soon_days=2)[0] == "upcoming"  # 14, 17, 18
    assert status_at("2024-06-14", facts, due_soon_days=2)[0] == "due_soon"  # 17, 18


def test_first_submission_decides_timeliness() -> None:
    on_time = TaskFacts(
        due_date=DUE,
        first_received_at=local("2024-06-18T23:59:59"),
        last_received_at=local("2024-06-25T10:00:00"),
    )
    assert status_at("2024-06-26", on_time) == ("submitted_on_time", DUE, 0)
    late = TaskFacts(
        due_date=DUE,
        first_received_at=local("2024-06-19T00:00:00"),
        last_received_at=local("2024-06-19T00:00:00"),
    )
    assert status_at("2024-06-26", late) == ("submitted_late", DUE, 1)


def test_late_submission_counts_working_days() -> None:
    facts = TaskFacts(
        due_date=DUE,
        first_received_at=local("2024-06-24T09:00:00"),
        last_received_at=local("2024-06-24T09:00:00"),
    )
    assert status_at("2024-07-01", facts) == ("submitted_late", DUE, 4)


def test_extension_moves_the_due_date() -> None:
    facts = TaskFacts(due_date=DUE, extension_due=date(2024, 6, 25))
    assert status_at("2024-06-21", facts) == ("due_soon", date(2024, 6, 25), 0)
    assert status_at("2024-06-25", facts) == ("due_today", date(2024, 6, 25), 0)
    assert status_at("2024-06-26", facts) == ("overdue", date(2024, 6, 25), 1)
    submitted = TaskFacts(
        due_date=DUE,
        extension_due=date(2024, 6, 25),
        first_received_at=local("2024-06-24T15:00:00"),
        last_received_at=local("2024-06-24T15:00:00"),
    )
    assert status_at("2024-06-26", submitted) == ("submitted_on_time", date(2024, 6, 25), 0)


def test_return_restarts_the_clock() -> None:
    returned = TaskFacts(
        due_date=DUE,
        first_received_at=local("2024-06-14T10:00:00"),
        last_received_at=local("2024-06-14T10:00:00"),
        return_at=local("2024-06-18T09:00:00"),
        return_due=date(2024, 6, 21),
    )
    assert status_at("2024-06-19", returned) == ("returned", date(2024, 6, 21), 0)
    assert status_at("2024-06-24", returned) == ("returned", date(2024, 6, 21), 1)
    resubmitted = TaskFacts(
        due_date=DUE,
        first_received_at=local("2024-06-14T10:00:00"),
        last_received_at=local("2024-06-25T08:00:00"),
        return_at=local("2024-06-18T09:00:00"),
        return_due=date(2024, 6, 21),
    )
    assert status_at("2024-06-26", resubmitted) == ("submitted_on_time", DUE, 0)


def test_excused_wins() -> None:
    facts = TaskFacts(due_date=DUE, excused=True)
    assert status_at("2024-07-30", facts) == ("excused", DUE, 0)


def test_flash_task_is_due_at_an_instant() -> None:
    due_at = local("2024-06-19T10:00:00")
    facts = TaskFacts(due_date=date(2024, 6, 19), due_at=due_at)
    assert derive_status(facts, now=local("2024-06-19T09:59:00"), calendar=CAL).status is (
        TaskStatus.due_today
    )
    late = derive_status(facts, now=local("2024-06-19T10:01:00"), calendar=CAL)
    assert (late.status, late.days_late) == (TaskStatus.overdue, 0)
    assert derive_status(facts, now=local("2024-06-20T08:00:00"), calendar=CAL).days_late == 1
    sent = TaskFacts(
        due_date=date(2024, 6, 19),
        due_at=due_at,
        first_received_at=local("2024-06-19T10:00:01"),
        last_received_at=local("2024-06-19T10:00:01"),
    )
    result = derive_status(sent, now=local("2024-06-19T12:00:00"), calendar=CAL)
    assert (result.status, result.days_late) == (TaskStatus.submitted_late, 0)
    assert is_on_time(local("2024-06-19T10:00:00"), due_date=date(2024, 6, 19), due_at=due_at)


def test_task_without_a_due_date_is_upcoming() -> None:
    assert status_at("2024-06-19", TaskFacts(due_date=None)) == ("upcoming", None, 0)


def test_columns_give_the_same_answers_as_single_tasks() -> None:
    facts = [
        TaskFacts(due_date=DUE),
        TaskFacts(due_date=DUE, excused=True),
        TaskFacts(
            due_date=DUE,
            first_received_at=local("2024-06-19T00:00:00"),
            last_received_at=local("2024-06-19T00:00:00"),
        ),
    ]
    now = as_of_instant(date(2024, 6, 21))
    cols = derive_statuses(FactColumns.of(facts), now=now, calendar=CAL)
    assert [str(s) for s in cols.status] == ["overdue", "excused", "submitted_late"]
    assert cols.days_late == [3, 0, 1]
