"""Due rules ("before 17/6", "trước ngày 05/7/2020", "after-cutoff 2 working-days") and deadlines.

Grammar (CONTRACTS "Due-rule grammar")::

    before DD/MM            needs a year or a period; last on-time day is the day before
    before DD/MM/YYYY
    by DD/MM[/YYYY]         inclusive: that day is the last on-time day
    fixed YYYY-MM-DD        that day is the last on-time day
    after-cutoff N days|working-days   needs a period; counted from the cut-off end

Vietnamese phrasings are read too: ``trước ngày 17/6``, ``trước ngày 05/7/2020``,
``trước ngày 20 tháng 11 năm 2013`` (before), ``chậm nhất ngày 10/1``, ``chậm nhất vào
ngày …``, ``chậm nhất là ngày …`` (by).

"Trước ngày X" makes X−1 the last on-time day; ``inclusive=True`` makes it X (design
decision Q1). When that day is not a working day, the default policy moves the deadline to
the end of the next working day: Civil Code 2015 (Bộ luật Dân sự 91/2015/QH13) Art. 148
cl. 5 — a time limit whose last day is a day off ends at the end of the next working day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pcmd_workflow.clock import to_utc
from pcmd_workflow.domain.calendar import (
    DayInfo,
    WorkingCalendar,
    check_year,
    default_calendar,
)
from pcmd_workflow.domain.defaults import national_defaults
from pcmd_workflow.domain.periods import Period
from pcmd_workflow.domain.vn_dates import day_is, format_short
from pcmd_workflow.errors import CalendarError

__all__ = [
    "RULE_FORMS",
    "DayOffPolicy",
    "Deadline",
    "DueRule",
    "compute_deadline",
    "derived_compile_due",
    "describe_skipped",
    "flash_due_at",
    "parse_due_rule",
]

RULE_FORMS = (
    "'before DD/MM[/YYYY]', 'by DD/MM[/YYYY]', 'fixed YYYY-MM-DD', "
    "'after-cutoff N days|working-days', 'trước ngày DD/MM[/YYYY]', "
    "'chậm nhất ngày DD/MM[/YYYY]'"
)


class DayOffPolicy(StrEnum):
    """What happens when the last on-time day is not a working day."""

    next_working_day = "next_working_day"  # Civil Code 2015 Art. 148 cl. 5 (default)
    previous_working_day = "previous_working_day"
    none = "none"


@dataclass(frozen=True, kw_only=True)
class DueRule:
    text: str  # as written ("before 17/6", "trước ngày 05/7/2020", "after-cutoff 2 working-days")
    kind: str  # "before" | "by" | "fixed" | "after_cutoff"
    day: int | None
    month: int | None
    year: int | None
    offset: int | None
    working_days: bool


@dataclass(frozen=True, kw_only=True)
class Deadline:
    rule: str
    nominal_due: date  # last on-time day by the words of the rule
    due_date: date  # after the day-off policy
    moved_because: str | None  # Vietnamese, e.g. "16/06/2024 là Chủ nhật"
    source: str  # "plan" | "default"
    verified: bool  # calendar data reviewed for every year involved


_DM = r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?"
_DM_WORDS = r"(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})(?:\s*(?:,\s*)?năm\s+(?P<y>\d{4}))?"
_DATE = rf"(?:{_DM}|{_DM_WORDS})"
_DAY_MONTH_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(prefix + date_form + r"$"))
    for kind, prefix in (
        ("before", r"^before\s+"),
        ("by", r"^by\s+"),
        ("before", r"^trước\s+(?:ngày\s+)?"),
        ("by", r"^chậm\s+nhất\s+(?:là\s+)?(?:vào\s+)?(?:ngày\s+)?"),
    )
    for date_form in (_DM, _DM_WORDS)
)
_FIXED = re.compile(r"^fixed\s+(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
_AFTER_CUTOFF = re.compile(r"^after-cutoff\s+(?P<n>\d{1,3})\s+(?P<unit>days?|working-days?)$")
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().strip("().;,:").strip()
    return re.sub(r"\s+", " ", text).lower()


def _checked_date(*, text: str, day: int, month: int, year: int) -> date:
    check_year(year, what=f"due rule '{text}': year")
    try:
        return date(year, month, day)
    except ValueError:
        if (day, month) == (29, 2):
            why = f"{year} is not a leap year"
        else:
            why = "expected a real calendar date"
        raise CalendarError(
            f"due rule '{text}': {day:02d}/{month:02d}/{year} is not a date ({why})"
        ) from None


@lru_cache(maxsize=4096)
def parse_due_rule(text: str) -> DueRule:
    """Read one due rule; CalendarError naming the text and the accepted forms on failure."""
    if not isinstance(text, str) or not text.strip():
        raise CalendarError(f"due rule '{text}': empty; expected one of {RULE_FORMS}")
    norm = _normalise(text)
    for kind, pattern in _DAY_MONTH_FORMS:
        if m := pattern.match(norm):
            day, month = int(m["d"]), int(m["m"])
            year = int(m["y"]) if m["y"] else None
            if not 1 <= month <= 12 or not 1 <= day <= _MAX_DAYS[month - 1]:
                raise CalendarError(
                    f"due rule '{text}': {day:02d}/{month:02d} is not a date; expected a real "
                    "day and month (DD/MM)"
                )
            if year is not None:
                _checked_date(text=text, day=day, month=month, year=year)
            return DueRule(
                text=text.strip(),
                kind=kind,
                day=day,
                month=month,
                year=year,
                offset=None,
                working_days=False,
            )
    if m := _FIXED.match(norm):
        fixed = _checked_date(text=text, day=int(m["d"]), month=int(m["m"]), year=int(m["y"]))
        return DueRule(
            text=text.strip(),
            kind="fixed",
            day=fixed.day,
            month=fixed.month,
            year=fixed.year,
            offset=None,
            working_days=False,
        )
    if m := _AFTER_CUTOFF.match(norm):
        return DueRule(
            text=text.strip(),
            kind="after_cutoff",
            day=None,
            month=None,
            year=None,
            offset=int(m["n"]),
            working_days=m["unit"].startswith("working"),
        )
    raise CalendarError(f"due rule '{text}' not understood; expected one of {RULE_FORMS}")


def _rule_year(rule: DueRule, *, period: Period | None, year: int | None) -> int:
    """The year a day-month rule falls in: its own, else the period's, else ``year``.

    Applied to a period, the rule takes the year of the cut-off end, and the next year when
    that day falls before the cut-off end (an annual report "before 15/1" is due the
    following January).
    """
    assert rule.day is not None and rule.month is not None
    if rule.year is not None:
        return rule.year
    if period is not None:
        end = period.cutoff.end
        candidate = end.year
        if (rule.month, rule.day) < (end.month, end.day):
            candidate += 1
        return candidate
    if year is not None:
        return year
    raise CalendarError(
        f"due rule '{rule.text}' has no year; give a year (e.g. --year 2024) or a period"
    )


def _nominal(
    rule: DueRule,
    *,
    period: Period | None,
    year: int | None,
    inclusive: bool,
    calendar: WorkingCalendar,
) -> date:
    if rule.kind == "after_cutoff":
        if period is None:
            raise CalendarError(
                f"due rule '{rule.text}' is counted from a cut-off; give a period "
                "(e.g. --period 2024-Q2)"
            )
        assert rule.offset is not None
        end = period.cutoff.end
        if rule.working_days:
            return calendar.add_working_days(end, rule.offset)
        return end + timedelta(days=rule.offset)
    assert rule.day is not None and rule.month is not None
    named = _checked_date(
        text=rule.text,
        day=rule.day,
        month=rule.month,
        year=_rule_year(rule, period=period, year=year),
    )
    if rule.kind == "before" and not inclusive:
        return named - timedelta(days=1)
    return named


def describe_skipped(days: list[DayInfo]) -> str | None:
    """Short Vietnamese text naming the days off a deadline skipped.

    Up to three days are each named ("04/07/2020 là Thứ Bảy, 05/07/2020 là Chủ nhật");
    a longer run names the first day of each of its first three reasons, then the span
    ("…; 8 ngày nghỉ liên tiếp từ 26/01/2025 đến 02/02/2025").
    """
    if not days:
        return None
    if len(days) <= 3:
        return ", ".join(day_is(d.date, d.reason_vi or "ngày nghỉ") for d in days)
    named: list[DayInfo] = []
    seen: set[str | None] = set()
    for info in days:
        if info.reason_vi not in seen and len(named) < 3:
            seen.add(info.reason_vi)
            named.append(info)
    first, last = min(d.date for d in days), max(d.date for d in days)
    parts = ", ".join(day_is(d.date, d.reason_vi or "ngày nghỉ") for d in named)
    return (
        f"{parts}; {len(days)} ngày nghỉ liên tiếp từ {format_short(first)} "
        f"đến {format_short(last)}"
    )


def compute_deadline(
    rule: DueRule | str,
    *,
    period: Period | None = None,
    year: int | None = None,
    policy: DayOffPolicy = DayOffPolicy.next_working_day,
    inclusive: bool = False,
    source: str = "plan",
    calendar: WorkingCalendar | None = None,
) -> Deadline:
    """The deadline a rule gives for a period (or a year), after the day-off policy."""
    if isinstance(rule, str):
        rule = parse_due_rule(rule)
    if source not in {"plan", "default"}:
        raise CalendarError(f"deadline source '{source}': expected 'plan' or 'default'")
    policy = DayOffPolicy(policy)
    cal = calendar or default_calendar()
    nominal = _nominal(rule, period=period, year=year, inclusive=inclusive, calendar=cal)
    check_year(nominal.year, what=f"due rule '{rule.text}': year")
    if policy is DayOffPolicy.next_working_day:
        due = cal.roll_forward(nominal)
    elif policy is DayOffPolicy.previous_working_day:
        due = cal.roll_backward(nominal)
    else:
        due = nominal
    step = timedelta(days=1 if due >= nominal else -1)
    skipped: list[DayInfo] = []
    day = nominal
    while day != due:
        skipped.append(cal.day_info(day))
        day += step
    years = {nominal.year, due.year}
    if rule.kind == "after_cutoff" and period is not None:
        years.update(range(period.cutoff.end.year, nominal.year + 1))
    return Deadline(
        rule=rule.text,
        nominal_due=nominal,
        due_date=due,
        moved_because=describe_skipped(skipped),
        source=source,
        verified=all(cal.is_verified(y) for y in years),
    )


def derived_compile_due(latest_input_due: date, *, calendar: WorkingCalendar | None = None) -> date:
    """The standing body's compile-and-forward deadline: latest input + N working days.

    N comes from ``calendars/national/defaults.yaml`` (5, design decision Q6); the result is
    shown with ``source: default``.
    """
    cal = calendar or default_calendar()
    return cal.add_working_days(latest_input_due, national_defaults().compile_after_working_days)


def flash_due_at(requested_at: datetime) -> datetime:
    """A flash report's due instant: the request + 24 hours (defaults.yaml, decision Q9).

    A naive ``requested_at`` means Asia/Ho_Chi_Minh; the result is an aware UTC instant.
    """
    return to_utc(requested_at) + timedelta(hours=national_defaults().flash_due_hours)
