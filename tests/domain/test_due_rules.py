"""Due rules and deadlines: the answer-file cases, parsing, errors and properties."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.due_rules import (
    DayOffPolicy,
    DueRule,
    compute_deadline,
    derived_compile_due,
    describe_skipped,
    flash_due_at,
    parse_due_rule,
)
from pcmd_workflow.domain.periods import CutoffWindow, parse_period
from pcmd_workflow.errors import CalendarError

ANSWERS = Path(__file__).parent / "answers"


def _cases() -> list[dict[str, str]]:
    with (ANSWERS / "due_rules.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: f"{c['rule']}|{c['year']}{c['period']}")
def test_answer_file_cases(case: dict[str, str]) -> None:
    deadline = compute_deadline(
        parse_due_rule(case["rule"]),
        year=int(case["year"]) if case["year"] else None,
        period=parse_period(case["period"]) if case["period"] else None,
        policy=DayOffPolicy(case["policy"] or "next_working_day"),
        inclusive=case["inclusive"] == "true",
    )
    assert deadline.rule == case["rule"]
    assert deadline.nominal_due.isoformat() == case["nominal_due"]
    assert deadline.due_date.isoformat() == case["due_date"]
    assert deadline.moved_because == (case["moved_because"] or None)
    assert deadline.verified is (case["verified"] == "true")
    assert deadline.source == "plan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("before 17/6", ("before", 17, 6, None, None, False)),
        ("Before  17/06/2024", ("before", 17, 6, 2024, None, False)),
        ("by 10/1", ("by", 10, 1, None, None, False)),
        ("by 10/01/2026", ("by", 10, 1, 2026, None, False)),
        ("fixed 2024-06-17", ("fixed", 17, 6, 2024, None, False)),
        ("after-cutoff 2 working-days", ("after_cutoff", None, None, None, 2, True)),
        ("after-cutoff 1 working-day", ("after_cutoff", None, None, None, 1, True)),
        ("after-cutoff 10 days", ("after_cutoff", None, None, None, 10, False)),
        ("trước ngày 17/6", ("before", 17, 6, None, None, False)),
        ("(trước ngày 17/12)", ("before", 17, 12, None, None, False)),
        ("Trước ngày 05/7/2020.", ("before", 5, 7, 2020, None, False)),
        ("trước 15/7/2020", ("before", 15, 7, 2020, None, False)),
        ("trước ngày 20 tháng 11 năm 2013", ("before", 20, 11, 2013, None, False)),
        ("trước ngày 20 tháng 11", ("before", 20, 11, None, None, False)),
        ("chậm nhất ngày 10/1", ("by", 10, 1, None, None, False)),
        ("chậm nhất vào ngày 10/1/2025", ("by", 10, 1, 2025, None, False)),
        ("chậm nhất là ngày 5 tháng 7 năm 2020", ("by", 5, 7, 2020, None, False)),
        ("before 29/2", ("before", 29, 2, None, None, False)),
    ],
)
def test_parse_forms(text: str, expected: tuple[object, ...]) -> None:
    rule = parse_due_rule(text)
    assert (rule.kind, rule.day, rule.month, rule.year, rule.offset, rule.working_days) == expected
    assert rule.text == text.strip()


def test_decomposed_vietnamese_is_read_like_composed() -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "trước ngày 17/6")
    assert parse_due_rule(decomposed).kind == "before"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("before 31/2", r"'before 31/2': 31/02 is not a date"),
        ("trước ngày 32/1", "32/01 is not a date"),
        ("before 1/13", "01/13 is not a date"),
        ("before 29/2/2023", r"29/02/2023 is not a date \(2023 is not a leap year\)"),
        ("fixed 2024-02-30", r"30/02/2024 is not a date \(expected a real calendar date\)"),
        ("before 17/6/2100", "year 2100 is outside the calendar's range"),
        ("fixed 1999-12-31", "year 1999 is outside"),
        ("someday", "'someday' not understood; expected one of"),
        ("after-cutoff two days", "not understood"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_bad_rules_name_the_input(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_due_rule(text)


def test_errors_at_compute_time() -> None:
    with pytest.raises(CalendarError, match=r"'before 29/2'.*29/02/2023.*not a leap year"):
        compute_deadline(parse_due_rule("before 29/2"), year=2023)
    with pytest.raises(CalendarError, match="'before 17/6' has no year; give a year"):
        compute_deadline(parse_due_rule("before 17/6"))
    with pytest.raises(CalendarError, match="give a period"):
        compute_deadline(parse_due_rule("after-cutoff 2 working-days"), year=2024)
    with pytest.raises(CalendarError, match="year 2100 is outside"):
        compute_deadline(parse_due_rule("before 17/6"), year=2100)
    with pytest.raises(CalendarError, match="year 2100 is outside"):
        compute_deadline("after-cutoff 30 days", period=parse_period("2099-12"))
    with pytest.raises(CalendarError, match="source 'law'"):
        compute_deadline("by 1/6/2024", source="law")


def test_rule_year_wins_over_period_and_year() -> None:
    deadline = compute_deadline("trước ngày 05/7/2020", year=2024, period=parse_period("2024"))
    assert deadline.nominal_due == date(2020, 7, 4)


def test_lao_cai_with_its_own_cutoff_window() -> None:
    """Data to 30/6/2020 (plan 142/KH-UBND); "before 5/7" falls after it in 2020."""
    summary = parse_period(
        "2016-2020", cutoff=CutoffWindow(start=date(2016, 1, 1), end=date(2020, 6, 30))
    )
    deadline = compute_deadline("before 5/7", period=summary)
    assert (deadline.nominal_due, deadline.due_date) == (date(2020, 7, 4), date(2020, 7, 6))


def test_default_source_and_plain_string_rule() -> None:
    deadline = compute_deadline(
        "after-cutoff 2 working-days", period=parse_period("2024-Q2"), source="default"
    )
    assert deadline.source == "default"
    assert deadline.due_date == date(2024, 6, 18)


def test_deadline_verified_needs_every_year_involved() -> None:
    # Cut-off end 14/12/2026 (reviewed) + 20 working days reaches January 2027 (not reviewed).
    deadline = compute_deadline("after-cutoff 20 working-days", period=parse_period("2026"))
    assert deadline.nominal_due.year == 2027
    assert deadline.verified is False


def test_describe_skipped_empty() -> None:
    assert describe_skipped([]) is None


def test_due_rule_is_a_value() -> None:
    assert parse_due_rule("before 17/6") == DueRule(
        text="before 17/6", kind="before", day=17, month=6, year=None, offset=None,
        working_days=False,
    )  # fmt: skip


def test_derived_compile_due_is_five_working_days_later() -> None:
    # Hà Nội 6-month inputs due Monday 17/06/2024 → compile by Monday 24/06/2024.
    assert derived_compile_due(date(2024, 6, 17)) == date(2024, 6, 24)
    # Inputs due Friday 26/04/2024: 27/4–1/5 off; Thu 02/05, Fri 03/05, Saturday 04/05
    # (make-up day), Mon 06/05, Tue 07/05.
    assert derived_compile_due(date(2024, 4, 26)) == date(2024, 5, 7)


def test_flash_due_at_is_24_hours_later() -> None:
    assert flash_due_at(datetime(2024, 6, 16, 20, 0)) == datetime(2024, 6, 17, 13, 0, tzinfo=UTC)
    assert flash_due_at(datetime(2024, 6, 16, 1, 0, tzinfo=UTC)) == datetime(
        2024, 6, 17, 1, 0, tzinfo=UTC
    )


# -- properties -------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2000, 1, 5), max_value=date(2099, 10, 31))


@settings(max_examples=300, deadline=None)
@given(day=DAYS, inclusive=st.booleans(), kind=st.sampled_from(["before", "by"]))
def test_final_deadline_is_a_working_day_never_before_nominal(
    day: date, inclusive: bool, kind: str
) -> None:
    rule = parse_due_rule(f"{kind} {day.day:02d}/{day.month:02d}/{day.year}")
    deadline = compute_deadline(rule, inclusive=inclusive)
    cal = default_calendar()
    assert cal.is_working_day(deadline.due_date)
    assert deadline.due_date >= deadline.nominal_due
    assert (deadline.moved_because is None) is (deadline.due_date == deadline.nominal_due)
    backward = compute_deadline(rule, inclusive=inclusive, policy=DayOffPolicy.previous_working_day)
    assert cal.is_working_day(backward.due_date) and backward.due_date <= backward.nominal_due
    kept = compute_deadline(rule, inclusive=inclusive, policy=DayOffPolicy.none)
    assert kept.due_date == kept.nominal_due and kept.moved_because is None
