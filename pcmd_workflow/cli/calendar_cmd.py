"""``pcmd calendar days|check`` and ``pcmd due``: the working-day calendar and due rules.

Nothing here reads the clock: every answer depends only on its arguments, so the output is
the same whatever the machine's timezone.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from pcmd_workflow.cli.app import OutputFormat, app, calendar_app, emit, parse_day
from pcmd_workflow.domain.calendar import DayInfo, default_calendar
from pcmd_workflow.domain.due_rules import DayOffPolicy, compute_deadline, parse_due_rule
from pcmd_workflow.domain.periods import parse_period
from pcmd_workflow.domain.vn_dates import format_short, weekday_en, weekday_vi

__all__ = ["calendar_check", "calendar_days", "due"]


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


class DueFormat(StrEnum):
    json = "json"
    table = "table"


def _warn_unverified(years: set[int]) -> None:
    """One stderr line per year whose calendar data nobody has reviewed (CONTRACTS)."""
    calendar = default_calendar()
    for year in sorted(years):
        if not calendar.is_verified(year):
            print(
                f"pcmd: cảnh báo: lịch ngày làm việc năm {year} chưa được rà soát "
                f"(calendars/national/working-days.yaml); warning: calendar data for {year} "
                "not reviewed, announced swaps may be missing",
                file=sys.stderr,
            )


def _day_row(info: DayInfo, *, verified: bool) -> dict[str, Any]:
    return {
        "date": info.date.isoformat(),
        "weekday": weekday_vi(info.date),
        "working": info.working,
        "kind": info.kind,
        "reason": info.reason_vi,
        "reason_en": info.reason_en,
        "source": info.source,
        "verified": verified,
    }


@calendar_app.command("days")
def calendar_days(
    year: Annotated[int, typer.Option("--year", help="Year, 2000–2099.")],
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Every non-working weekday of a year, with its reason, plus make-up working Saturdays."""
    calendar = default_calendar()
    days = calendar.non_working_weekdays(year)
    verified = calendar.is_verified(year)
    _warn_unverified({year})
    rows = [_day_row(info, verified=verified) for info in days]
    emit(
        rows,
        fmt,
        columns=["date", "weekday", "working", "kind", "reason", "reason_en", "source", "verified"],
    )


@calendar_app.command("check")
def calendar_check(
    day: Annotated[str, typer.Argument(help="Date, YYYY-MM-DD.")],
    fmt: Annotated[CheckFormat, typer.Option("--format")] = CheckFormat.text,
) -> None:
    """Whether a date is a working day and why (Vietnamese and English)."""
    when = parse_day(day, option="date")
    calendar = default_calendar()
    info = calendar.day_info(when)
    verified = calendar.is_verified(when.year)
    _warn_unverified({when.year})
    if fmt is CheckFormat.json:
        emit(_day_row(info, verified=verified), OutputFormat.json)
        return
    short = format_short(when)
    if info.working:
        vi = f"{short} ({weekday_vi(when)}) là ngày làm việc"
        en = f"{when.isoformat()} ({weekday_en(when)}) is a working day"
        if info.kind == "make_up_working":
            vi += f": {info.reason_vi}"
            en += f": {info.reason_en}"
    else:
        vi = f"{short} ({weekday_vi(when)}) không phải ngày làm việc: {info.reason_vi}"
        en = f"{when.isoformat()} ({weekday_en(when)}) is not a working day: {info.reason_en}"
    lines = [vi, en]
    if info.source:
        lines.append(f"Căn cứ / source: {info.source}")
    sys.stdout.write("\n".join(lines) + "\n")


@app.command("due")
def due(
    rule: Annotated[
        str, typer.Option("--rule", help="e.g. 'before 17/6', 'trước ngày 05/7/2020'.")
    ],
    year: Annotated[int | None, typer.Option("--year", help="Year for a DD/MM rule.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Period label, e.g. 2024-Q2, 2024-H1.")
    ] = None,
    requested_on: Annotated[
        str | None, typer.Option("--requested-on", help="Request date of an adhoc-<id> period.")
    ] = None,
    policy: Annotated[DayOffPolicy, typer.Option("--policy")] = DayOffPolicy.next_working_day,
    inclusive: Annotated[
        bool, typer.Option("--inclusive", help="'trước ngày X' includes X itself.")
    ] = False,
    source: Annotated[str, typer.Option("--source", help="plan or default.")] = "plan",
    fmt: Annotated[DueFormat, typer.Option("--format")] = DueFormat.table,
) -> None:
    """The deadline a due rule gives: nominal day, due date after the day-off policy, why moved."""
    parsed = parse_due_rule(rule)
    the_period = None
    if period is not None:
        requested = parse_day(requested_on, option="--requested-on") if requested_on else None
        the_period = parse_period(period, requested_on=requested)
    deadline = compute_deadline(
        parsed,
        period=the_period,
        year=year,
        policy=policy,
        inclusive=inclusive,
        source=source,
    )
    _warn_unverified({deadline.nominal_due.year, deadline.due_date.year})
    row = {
        "rule": deadline.rule,
        "nominal_due": deadline.nominal_due.isoformat(),
        "due_date": deadline.due_date.isoformat(),
        "moved_because": deadline.moved_because,
        "source": deadline.source,
        "verified": deadline.verified,
    }
    emit(row, OutputFormat(fmt.value))
