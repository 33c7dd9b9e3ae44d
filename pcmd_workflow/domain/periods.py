"""Reporting periods and their data cut-off windows.

Labels (CONTRACTS "Identifiers"): monthly ``2024-06``, quarterly ``2024-Q2``, six-month
``2024-H1``/``2024-H2``, nine-month ``2024-9M``, annual ``2024``, multi-year summary
``2016-2020``, ad-hoc and flash ``adhoc-<request id>``.

Each period carries a cut-off window (thời gian chốt số liệu). By default it is the window
of Decree 09/2019/NĐ-CP Art. 12 as stated in ``calendars/national/defaults.yaml``:
monthly 15th of the previous month → 14th; quarterly 15th of the month before the quarter
→ 14th of its last month; H1 15/12 (previous year) → 14/6; H2 15/6 → 14/12; 9M 15/12 →
14/9; annual 15/12 → 14/12; a multi-year summary 15/12 before its first year → 14/12 of
its last year. A plan's own window (``cutoff=``) replaces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from pcmd_workflow.domain.calendar import FIRST_YEAR, LAST_YEAR, check_year
from pcmd_workflow.domain.defaults import national_defaults
from pcmd_workflow.errors import CalendarError

__all__ = [
    "RECURRING_CADENCES",
    "Cadence",
    "CutoffWindow",
    "Period",
    "default_cutoff",
    "parse_period",
    "periods_between",
]


class Cadence(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    semiannual = "semiannual"
    ninemonth = "ninemonth"
    annual = "annual"
    summary = "summary"
    adhoc = "adhoc"
    flash = "flash"
    unscheduled = "unscheduled"


#: Cadences whose periods follow one another (``periods_between`` lists them).
RECURRING_CADENCES = frozenset(
    {Cadence.monthly, Cadence.quarterly, Cadence.semiannual, Cadence.ninemonth, Cadence.annual}
)


@dataclass(frozen=True, kw_only=True)
class CutoffWindow:
    """The days whose data a report covers, both ends included."""

    start: date
    end: date


@dataclass(frozen=True, kw_only=True)
class Period:
    label: str  # "2024-06", "2024-Q2", "2024-H1", "2024-9M", "2024", "2016-2020", "adhoc-<id>"
    cadence: Cadence
    start: date  # calendar period
    end: date
    cutoff: CutoffWindow  # data window (Decree 09/2019/NĐ-CP Art. 12 by default)


def _month_shift(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    ny, nm = _month_shift(year, month, 1)
    return date(ny, nm, 1) - timedelta(days=1)


def default_cutoff(*, cadence: Cadence, start: date, end: date) -> CutoffWindow:
    """The national default window for a period (Decree 09/2019/NĐ-CP Art. 12).

    Cadences without a national window (ad-hoc, flash, unscheduled) get the period itself.
    """
    rule = national_defaults().for_cadence(Cadence(cadence)).cutoff
    if rule is None:
        return CutoffWindow(start=start, end=end)
    sy, sm = _month_shift(start.year, start.month, rule.start_month_offset)
    ey, em = _month_shift(end.year, end.month, rule.end_month_offset)
    return CutoffWindow(start=date(sy, sm, rule.start_day), end=date(ey, em, rule.end_day))


def _period(*, label: str, cadence: Cadence, start: date, end: date) -> Period:
    return Period(
        label=label,
        cadence=cadence,
        start=start,
        end=end,
        cutoff=default_cutoff(cadence=cadence, start=start, end=end),
    )


_LABEL_FORMS = "YYYY-MM, YYYY-Qn, YYYY-H1, YYYY-H2, YYYY-9M, YYYY, YYYY-YYYY or adhoc-<id>"
_MONTHLY = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTERLY = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-H([12])$", re.IGNORECASE)
_NINE = re.compile(r"^(\d{4})-9M$", re.IGNORECASE)
_ANNUAL = re.compile(r"^(\d{4})$")
_SUMMARY = re.compile(r"^(\d{4})-(\d{4})$")
_ADHOC = re.compile(r"^adhoc-([A-Za-z0-9][A-Za-z0-9._-]*)$", re.IGNORECASE)


def _year_of(text: str, *, label: str) -> int:
    year = int(text)
    check_year(year, what=f"period '{label}': year")
    return year


def parse_period(
    label: str,
    *,
    cutoff: CutoffWindow | None = None,
    requested_on: date | None = None,
    cadence: Cadence | None = None,
) -> Period:
    """The period a label names, with its default cut-off window (or ``cutoff``).

    ``adhoc-<id>`` periods need ``requested_on`` (the request's date, which is also their
    default window) and take ``cadence=Cadence.flash`` for flash requests.
    """
    text = label.strip()
    period = _parse_label(text, requested_on=requested_on, cadence=cadence)
    if cutoff is not None:
        if cutoff.end < cutoff.start:
            raise CalendarError(
                f"period '{label}': cut-off window {cutoff.start} – {cutoff.end} ends "
                "before it starts"
            )
        period = Period(
            label=period.label,
            cadence=period.cadence,
            start=period.start,
            end=period.end,
            cutoff=cutoff,
        )
    return period


@lru_cache(maxsize=8192)
def _parse_label(text: str, *, requested_on: date | None, cadence: Cadence | None) -> Period:
    if m := _MONTHLY.match(text):
        year, month = _year_of(m[1], label=text), int(m[2])
        if not 1 <= month <= 12:
            raise CalendarError(f"period '{text}': month {m[2]} is not 01–12")
        return _period(
            label=f"{year}-{month:02d}",
            cadence=Cadence.monthly,
            start=date(year, month, 1),
            end=_month_end(year, month),
        )
    if m := _QUARTERLY.match(text):
        year, quarter = _year_of(m[1], label=text), int(m[2])
        first = 3 * quarter - 2
        return _period(
            label=f"{year}-Q{quarter}",
            cadence=Cadence.quarterly,
            start=date(year, first, 1),
            end=_month_end(year, first + 2),
        )
    if m := _HALF.match(text):
        year, half = _year_of(m[1], label=text), int(m[2])
        return _period(
            label=f"{year}-H{half}",
            cadence=Cadence.semiannual,
            start=date(year, 1 if half == 1 else 7, 1),
            end=date(year, 6, 30) if half == 1 else date(year, 12, 31),
        )
    if m := _NINE.match(text):
        year = _year_of(m[1], label=text)
        return _period(
            label=f"{year}-9M",
            cadence=Cadence.ninemonth,
            start=date(year, 1, 1),
            end=date(year, 9, 30),
        )
    if m := _ANNUAL.match(text):
        year = _year_of(m[1], label=text)
        return _period(
            label=str(year), cadence=Cadence.annual, start=date(year, 1, 1), end=date(year, 12, 31)
        )
    if m := _SUMMARY.match(text):
        first, last = _year_of(m[1], label=text), _year_of(m[2], label=text)
        if last <= first:
            raise CalendarError(
                f"period '{text}': a multi-year period needs its last year after its first"
            )
        return _period(
            label=f"{first}-{last}",
            cadence=Cadence.summary,
            start=date(first, 1, 1),
            end=date(last, 12, 31),
        )
    if m := _ADHOC.match(text):
        kind = Cadence(cadence) if cadence is not None else Cadence.adhoc
        if kind not in {Cadence.adhoc, Cadence.flash}:
            raise CalendarError(f"period '{text}': an adhoc-<id> period is adhoc or flash")
        if requested_on is None:
            raise CalendarError(f"period '{text}': an ad-hoc period needs the request date")
        check_year(requested_on.year, what=f"period '{text}': year")
        return _period(label=f"adhoc-{m[1]}", cadence=kind, start=requested_on, end=requested_on)
    raise CalendarError(f"period '{text}' not understood; expected {_LABEL_FORMS}")


def _labels_of_year(cadence: Cadence, year: int) -> list[str]:
    if cadence is Cadence.monthly:
        return [f"{year}-{m:02d}" for m in range(1, 13)]
    if cadence is Cadence.quarterly:
        return [f"{year}-Q{q}" for q in range(1, 5)]
    if cadence is Cadence.semiannual:
        return [f"{year}-H1", f"{year}-H2"]
    if cadence is Cadence.ninemonth:
        return [f"{year}-9M"]
    return [str(year)]


def periods_between(*, cadence: Cadence, first: date, last: date) -> list[Period]:
    """Every recurring period whose default cut-off END falls in ``[first, last]``, in order.

    Semiannual gives both halves (H1 ends 14/6, H2 ends 14/12).
    """
    cadence = Cadence(cadence)
    if cadence not in RECURRING_CADENCES:
        raise CalendarError(
            f"cadence '{cadence}' has no recurring periods; expected one of "
            f"{', '.join(sorted(RECURRING_CADENCES))}"
        )
    check_year(first.year, what="first date's year")
    check_year(last.year, what="last date's year")
    result: list[Period] = []
    # Default windows end inside their period's year; one year of slack either side
    # keeps this right for a defaults file with other offsets.
    for year in range(max(first.year - 1, FIRST_YEAR), min(last.year + 1, LAST_YEAR) + 1):
        for label in _labels_of_year(cadence, year):
            period = parse_period(label)
            if first <= period.cutoff.end <= last:
                result.append(period)
    return result
