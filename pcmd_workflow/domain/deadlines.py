"""Concrete deadlines of a plan: one row per obligation × reporter × period.

A plan states duties ("định kỳ 6 tháng (trước ngày 17/6)"); this module turns them into
dated rows on the working-day calendar:

- recurring cadences (monthly, quarterly, semiannual, nine-month, annual) give every
  period whose due date falls within the obligation's ``[starts, ends]`` (default: the
  plan's validity; an open-ended plan runs to ``until_year`` or to the end of the asked
  range — DOMAIN Q15). Semiannual duties are the first half (H1) unless the obligation
  lists ``halves``: a Vietnamese "báo cáo 6 tháng" covers the first half and the annual
  report the whole year (DOMAIN Q3: Hà Nội's "6 tháng" report due before 17/6 covers
  15/12 → 14/6);
- summaries use their explicit ``periods`` (e.g. ``["2016-2020"]``) and cut-off override
  ("số liệu tính đến hết ngày 30/6/2020");
- ad-hoc, flash and unscheduled duties give no row (DOMAIN Q9: a request creates them);
- a duty without a due rule takes the national default of its cadence
  (``calendars/national/defaults.yaml``, Decree 09/2019/NĐ-CP Art. 12 windows and design
  decision Q2), marked ``source: default``.

Groups of reporters expand on the row's nominal due date — the day the duty is owed —
so a unit succeeded on 1/3/2025 hands later duties to its successor and the district
level disappears after 30/6/2025 (docs/decisions/0003-units-as-data.md).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pcmd_workflow.domain.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar, default_calendar
from pcmd_workflow.domain.defaults import national_defaults
from pcmd_workflow.domain.due_rules import (
    DayOffPolicy,
    Deadline,
    DueRule,
    compute_deadline,
    parse_due_rule,
)
from pcmd_workflow.domain.periods import (
    RECURRING_CADENCES,
    Cadence,
    CutoffWindow,
    Period,
    parse_period,
    periods_between,
)
from pcmd_workflow.domain.plan import Obligation, Plan
from pcmd_workflow.errors import CalendarError

__all__ = [
    "DEADLINE_COLUMNS",
    "NO_DEADLINE_CADENCES",
    "DeadlineRow",
    "PeriodDeadline",
    "obligation_deadlines",
    "plan_deadlines",
]

#: Cadences that never create a dated row by themselves (DOMAIN Q9; CONTRACTS "unscheduled").
NO_DEADLINE_CADENCES = frozenset({Cadence.adhoc, Cadence.flash, Cadence.unscheduled})

#: The fields of ``pcmd plan deadlines`` in their order (JSON keys, CSV and table columns).
DEADLINE_COLUMNS: tuple[str, ...] = (
    "plan",
    "plan_id",
    "obligation",
    "reporter",
    "recipient",
    "via",
    "cadence",
    "period",
    "cutoff_start",
    "cutoff_end",
    "nominal_due",
    "due_date",
    "moved_because",
    "source",
    "clause",
)

# A due date lies between one day before the cut-off end ("before" rules) and a year after
# it; a previous-working-day policy may pull it back over a Tết break. Periods whose
# cut-off end lies this far around a window are the only candidates for it.
_BEFORE_WINDOW = timedelta(days=400)
_AFTER_WINDOW = timedelta(days=20)
_CALENDAR_FIRST = date(FIRST_YEAR, 1, 1)
_CALENDAR_LAST = date(LAST_YEAR, 12, 31)


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineRow:
    """One obligation × reporter × period with its final due date."""

    plan: str  # document number as written, "255/KH-UBND"
    plan_id: str
    obligation: str
    reporter: str  # unit slug after group expansion and succession
    recipient: str  # unit slug (its successor on the due date) or group slug
    via: str | None
    cadence: str
    period: str  # "2024-H1"
    cutoff_start: date
    cutoff_end: date
    nominal_due: date
    due_date: date
    moved_because: str | None
    source: str  # "plan" | "default"
    clause: str
    period_start: date
    period_end: date
    rule: str  # the due rule applied, as written
    verified: bool  # calendar data reviewed for the years involved

    def as_dict(self) -> dict[str, Any]:
        """The fields of ``pcmd plan deadlines`` (DEADLINE_COLUMNS), dates as ``date``."""
        return {name: getattr(self, name) for name in DEADLINE_COLUMNS}

    @property
    def key(self) -> str:
        """Natural task key ``plan_id/obligation/reporter/period`` (CONTRACTS "Identifiers")."""
        return f"{self.plan_id}/{self.obligation}/{self.reporter}/{self.period}"


@dataclass(frozen=True, kw_only=True, slots=True)
class PeriodDeadline:
    """One obligation × period, before its reporters are expanded."""

    obligation: Obligation
    period: Period
    deadline: Deadline


def _rule_of(obligation: Obligation) -> tuple[DueRule | None, str]:
    """The obligation's due rule and its source; ``None`` for cadences without a default."""
    if obligation.due is not None:
        return parse_due_rule(obligation.due), obligation.due_source
    text = national_defaults().for_cadence(obligation.cadence).due_rule
    return (parse_due_rule(text) if text is not None else None), "default"


def _cutoff_override(obligation: Obligation, period: Period) -> CutoffWindow | None:
    if obligation.cutoff_start is None and obligation.cutoff_end is None:
        return None
    return CutoffWindow(
        start=obligation.cutoff_start or period.cutoff.start,
        end=obligation.cutoff_end or period.cutoff.end,
    )


def _explicit_periods(obligation: Obligation) -> list[Period]:
    periods: list[Period] = []
    for label in obligation.periods or []:
        period = parse_period(label)
        override = _cutoff_override(obligation, period)
        if override is not None:
            period = parse_period(label, cutoff=override)
        periods.append(period)
    return periods


def _recurring_periods(obligation: Obligation, *, first: date, last: date) -> list[Period]:
    low = max(first - _BEFORE_WINDOW, _CALENDAR_FIRST)
    high = min(last + _AFTER_WINDOW, _CALENDAR_LAST)
    if high < low:
        return []
    periods = periods_between(cadence=obligation.cadence, first=low, last=high)
    if obligation.cadence is Cadence.semiannual:
        halves = tuple(obligation.halves or ("H1",))
        periods = [p for p in periods if p.label.endswith(halves)]
    return periods


def obligation_deadlines(
    plan: Plan,
    obligation: Obligation,
    *,
    first: date | None = None,
    last: date | None = None,
    until_year: int | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[PeriodDeadline]:
    """Every period of ``obligation`` with its deadline, due dates within ``[first, last]``.

    ``first``/``last`` narrow the obligation's own window (``starts``/``ends``, else the
    plan's validity; an open-ended plan ends with ``until_year``, else with ``last``).
    Explicit ``periods`` are kept whatever the validity says, narrowed only by the
    obligation's own ``starts``/``ends`` and by ``first``/``last``.
    """
    if obligation.cadence in NO_DEADLINE_CADENCES:
        return []
    rule, source = _rule_of(obligation)
    if rule is None:
        return []
    cal = calendar or default_calendar()
    explicit = obligation.periods is not None
    if explicit:
        low = obligation.starts or date.min
        high = obligation.ends or date.max
    else:
        low = obligation.starts or plan.validity.start
        open_end = date(until_year, 12, 31) if until_year is not None else last
        high = obligation.ends or plan.validity.end or open_end or _CALENDAR_LAST
    if first is not None:
        low = max(low, first)
    if last is not None:
        high = min(high, last)
    if high < low:
        return []
    if explicit:
        periods = _explicit_periods(obligation)
    elif obligation.cadence in RECURRING_CADENCES:
        periods = _recurring_periods(obligation, first=low, last=high)
    else:  # a summary without periods has nothing to date (plan check warns)
        return []
    policy = DayOffPolicy(obligation.policy or plan.defaults.policy)
    inclusive = obligation.inclusive or plan.defaults.inclusive
    out: list[PeriodDeadline] = []
    for period in periods:
        deadline = compute_deadline(
            rule,
            period=period,
            policy=policy,
            inclusive=inclusive,
            source=source,
            calendar=cal,
        )
        if low <= deadline.due_date <= high:
            out.append(PeriodDeadline(obligation=obligation, period=period, deadline=deadline))
    return out


class _Expander:
    """Group expansion and succession, cached per (entries, hierarchy epoch, obligation).

    The units in force only change on the days a unit starts, ends or is succeeded; between
    two such days every expansion is the same, so it is computed once per epoch.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        changes: set[date] = set()
        for unit in plan.units:
            if unit.active_from is not None:
                changes.add(unit.active_from)
            if unit.active_until is not None and unit.active_until < date.max:
                changes.add(unit.active_until + timedelta(days=1))
            changes.update(step.from_ for step in unit.succeeded)
        self._changes = sorted(changes)
        self._reporters: dict[tuple[tuple[str, ...], int, str], list[str]] = {}
        self._parties: dict[tuple[str, int, str], str] = {}

    def _epoch(self, on: date) -> int:
        return bisect_right(self._changes, on)

    def reporters(self, obligation: Obligation, on: date) -> list[str]:
        key = (tuple(obligation.reporters), self._epoch(on), obligation.id)
        found = self._reporters.get(key)
        if found is None:
            seen: dict[str, None] = {}
            for entry in obligation.reporters:
                for unit in self.plan.expand(entry, on=on, obligation=obligation.id):
                    seen.setdefault(unit.slug, None)
            found = self._reporters[key] = list(seen)
        return found

    def party(self, slug: str, on: date, obligation: str) -> str:
        """A recipient or via unit as it stands on ``on`` (its successors); groups as named."""
        key = (slug, self._epoch(on), obligation)
        found = self._parties.get(key)
        if found is None:
            found = slug
            if self.plan.unit(slug) is not None:
                units = self.plan.expand(slug, on=on, obligation=obligation)
                if units:
                    found = ",".join(u.slug for u in units)
            self._parties[key] = found
        return found


def _rows_for(plan: Plan, item: PeriodDeadline, expander: _Expander) -> Iterable[DeadlineRow]:
    obligation, period, deadline = item.obligation, item.period, item.deadline
    on = deadline.nominal_due
    recipient = expander.party(obligation.recipient, on, obligation.id)
    via = None if obligation.via is None else expander.party(obligation.via, on, obligation.id)
    for reporter in expander.reporters(obligation, on):
        yield DeadlineRow(
            plan=plan.number,
            plan_id=plan.id,
            obligation=obligation.id,
            reporter=reporter,
            recipient=recipient,
            via=via,
            cadence=str(obligation.cadence),
            period=period.label,
            cutoff_start=period.cutoff.start,
            cutoff_end=period.cutoff.end,
            nominal_due=deadline.nominal_due,
            due_date=deadline.due_date,
            moved_because=deadline.moved_because,
            source=deadline.source,
            clause=obligation.clause,
            period_start=period.start,
            period_end=period.end,
            rule=deadline.rule,
            verified=deadline.verified,
        )


def plan_deadlines(
    plan: Plan,
    *,
    start: date,
    end: date,
    until_year: int | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[DeadlineRow]:
    """Rows whose final due date falls in ``[start, end]``, by due date then reporter.

    ``until_year`` ends the duties of an open-ended plan (DOMAIN Q15); without it they run
    to ``end``. Raises CalendarError when a date leaves the calendar's 2000–2099 range.
    """
    if end < start:
        raise CalendarError(f"range {start} – {end}: the end is before the start")
    expander = _Expander(plan)
    rows: list[DeadlineRow] = []
    for obligation in plan.obligations:
        for item in obligation_deadlines(
            plan,
            obligation,
            first=start,
            last=end,
            until_year=until_year,
            calendar=calendar,
        ):
            rows.extend(_rows_for(plan, item, expander))
    rows.sort(key=lambda r: (r.due_date, r.reporter, r.obligation, r.period_start))
    return rows
