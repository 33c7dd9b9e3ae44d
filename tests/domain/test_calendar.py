"""The working-day calendar against hand-worked answers, corrections and properties."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcmd_workflow.domain.calendar import DayInfo, WorkingCalendar, default_calendar
from pcmd_workflow.errors import CalendarError

ANSWERS = Path(__file__).parent / "answers"
REVIEWED_YEARS = range(2020, 2027)


def _answer_rows() -> list[dict[str, str]]:
    with (ANSWERS / "non_working_days.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _rows_of(year: int) -> list[dict[str, str]]:
    return [row for row in _answer_rows() if row["date"].startswith(str(year))]


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return default_calendar()


@pytest.mark.parametrize("year", REVIEWED_YEARS)
def test_non_working_weekdays_match_the_answer_file(cal: WorkingCalendar, year: int) -> None:
    expected = [
        (row["date"], row["working"] == "true", row["kind"], row["reason"])
        for row in _rows_of(year)
    ]
    got = [
        (info.date.isoformat(), info.working, info.kind, info.reason_vi)
        for info in cal.non_working_weekdays(year)
    ]
    assert got == expected


@pytest.mark.parametrize("year", [2024, 2025])
def test_answer_years_have_every_weekday_right(cal: WorkingCalendar, year: int) -> None:
    """Every day of 2024 and 2025: off exactly on weekends and the listed weekdays."""
    listed = {row["date"]: row["working"] == "true" for row in _rows_of(year)}
    day = date(year, 1, 1)
    while day.year == year:
        expected = listed.get(day.isoformat(), day.weekday() < 5)
        assert cal.is_working_day(day) is expected, day
        day += timedelta(days=1)


def test_answer_file_weekday_names_are_right() -> None:
    names = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
    for row in _answer_rows():
        assert names[date.fromisoformat(row["date"]).weekday()] == row["weekday"], row


def test_counts_per_year(cal: WorkingCalendar) -> None:
    # Labour Code 2012 gives 10 holiday weekdays in 2020; from 2021 eleven holidays a year.
    counts = {y: sum(1 for i in cal.non_working_weekdays(y) if not i.working) for y in (2020, 2024)}
    assert counts == {2020: 10, 2024: 12}
    # 2024 has 366 days, 104 weekend days, 12 weekdays off, 1 make-up Saturday.
    assert cal.working_days_between(date(2023, 12, 31), date(2024, 12, 31)) == 366 - 104 - 12 + 1


# -- corrections of the holidays package, each a cited entry of working-days.yaml ----------


def _package(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language="vi")


def test_2026_new_year_swap_corrects_the_package(cal: WorkingCalendar) -> None:
    package = _package(2026)
    assert date(2026, 1, 2) not in package  # the package misses the swap
    assert date(2026, 1, 10) not in getattr(package, "weekend_workdays", set())
    friday = cal.day_info(date(2026, 1, 2))
    assert (friday.working, friday.kind) == (False, "swap_off")
    assert friday.source is not None and "12729/VPCP-KGVX" in friday.source
    saturday = cal.day_info(date(2026, 1, 10))
    assert (saturday.working, saturday.kind) == (True, "make_up_working")


def test_vietnam_culture_day_is_not_a_day_off_until_the_law_says_so(
    cal: WorkingCalendar,
) -> None:
    assert date(2026, 11, 24) in _package(2026)  # the package (0.109) makes it a holiday
    for year in (2026, 2027, 2030):
        day = date(year, 11, 24)
        if day.weekday() < 5:
            assert cal.is_working_day(day), day
    # 2029-11-24 is a Saturday: the package's Monday nghỉ bù must not appear either.
    assert cal.is_working_day(date(2029, 11, 26))


def test_culture_day_follows_the_override_when_in_force(tmp_path: Path) -> None:
    path = tmp_path / "wd.yaml"
    path.write_text(
        "years: {}\n"
        "base_holidays:\n"
        "  - {label: 'Ngày Văn hóa Việt Nam', in_force_from: 2027, source: 'test law'}\n",
        encoding="utf-8",
    )
    cal = WorkingCalendar(overrides_path=path)
    assert cal.is_working_day(date(2026, 11, 24))
    assert not cal.is_working_day(date(2027, 11, 24))
    assert cal.day_info(date(2027, 11, 24)).reason_vi == "Ngày Văn hóa Việt Nam (24/11)"


def test_labour_code_2012_has_national_day_alone(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2020, 9, 2))
    assert cal.is_working_day(date(2020, 9, 3))
    assert cal.is_working_day(date(2020, 9, 1))
    assert cal.day_info(date(2020, 9, 2)).source == "Bộ luật Lao động 2012 (10/2012/QH13), Điều 115"


# -- day_info, verification, range ------------------------------------------------------------


def test_day_info_for_ordinary_days(cal: WorkingCalendar) -> None:
    assert cal.day_info(date(2024, 6, 16)) == DayInfo(
        date=date(2024, 6, 16),
        working=False,
        kind="weekend",
        reason_vi="Chủ nhật",
        reason_en="Sunday",
        source=None,
    )
    monday = cal.day_info(date(2024, 6, 17))
    assert (monday.working, monday.kind, monday.reason_vi) == (True, "weekday", None)
    tet_saturday = cal.day_info(date(2024, 2, 10))
    assert (tet_saturday.kind, tet_saturday.reason_vi) == (
        "weekend",
        "Thứ Bảy trùng Tết Nguyên đán",
    )
    assert tet_saturday.reason_en == "Saturday, also Lunar New Year (Tết)"


def test_compensatory_days_cite_the_article(cal: WorkingCalendar) -> None:
    info = cal.day_info(date(2023, 9, 4))
    assert info.kind == "compensatory"
    assert info.reason_en == "Compensatory day off for National Day (2 September)"
    assert info.source == "Bộ luật Lao động 2019 (45/2019/QH14), Điều 111 khoản 3"


def test_unreviewed_years_still_answer_from_the_package(cal: WorkingCalendar) -> None:
    assert [cal.is_verified(y) for y in (2019, 2020, 2026, 2027)] == [False, True, True, False]
    swap = cal.day_info(date(2019, 4, 29))  # package-known swap of 2019
    assert (swap.kind, swap.working) == ("swap_off", False)
    assert swap.reason_vi == "Ngày nghỉ hoán đổi (làm bù Thứ Bảy 04/05/2019)"
    assert swap.source is not None and "chưa rà soát" in swap.source
    assert cal.day_info(date(2019, 5, 4)).kind == "make_up_working"
    # Before 2007 Giỗ Tổ Hùng Vương was not a public holiday (Labour Code 1994 as amended 2007).
    assert cal.is_working_day(date(2005, 4, 18))  # 10/3 lunar, a Monday
    assert not cal.is_working_day(date(2007, 4, 26))  # 10/3 lunar 2007, a Thursday


@pytest.mark.parametrize("year", [1999, 2100, 1900])
def test_years_outside_the_range_raise(cal: WorkingCalendar, year: int) -> None:
    with pytest.raises(CalendarError, match=f"{year}.*2000 to 2099"):
        cal.is_working_day(date(year, 3, 3))
    with pytest.raises(CalendarError, match=str(year)):
        cal.is_verified(year)
    with pytest.raises(CalendarError, match=str(year)):
        cal.non_working_weekdays(year)


def test_stepping_past_2099_raises(cal: WorkingCalendar) -> None:
    with pytest.raises(CalendarError, match="2100"):
        cal.add_working_days(date(2099, 12, 30), 5)


# -- arithmetic with literal answers ----------------------------------------------------------


def test_roll_and_add(cal: WorkingCalendar) -> None:
    assert cal.roll_forward(date(2025, 1, 25)) == date(2025, 2, 3)  # over Tết Ất Tỵ
    assert cal.roll_backward(date(2025, 2, 2)) == date(2025, 1, 24)
    assert cal.roll_forward(date(2024, 6, 17)) == date(2024, 6, 17)
    assert cal.add_working_days(date(2024, 4, 26), 1) == date(2024, 5, 2)  # 27/4–1/5 off
    assert cal.add_working_days(date(2024, 5, 2), 2) == date(2024, 5, 4)  # make-up Saturday
    assert cal.add_working_days(date(2024, 5, 2), -1) == date(2024, 4, 26)
    assert cal.add_working_days(date(2024, 6, 15), 0) == date(2024, 6, 17)
    assert cal.add_working_days(date(2023, 12, 29), 1) == date(2024, 1, 2)


def test_working_days_between(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2024, 6, 14), date(2024, 6, 18)) == 2
    assert cal.working_days_between(date(2024, 6, 18), date(2024, 6, 14)) == -2
    assert cal.working_days_between(date(2024, 6, 18), date(2024, 6, 18)) == 0
    # Tết 2025: Friday 24/01 to Monday 03/02 is one working day (the Monday).
    assert cal.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    # Across years: 2023 (11 weekdays off, no make-up day) and 2024 (12 off, 1 make-up).
    assert cal.working_days_between(date(2022, 12, 31), date(2024, 12, 31)) == (
        (365 - 105 - 11) + (366 - 104 - 12 + 1)
    )


# -- override file validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping with a 'years:' mapping"),
        ("years: {x: 1}", "years.x: expected a year as a number"),
        ("years: {1990: {reviewed: true}}", "outside the calendar's range"),
        ("years: {2024: {days: []}}", "years.2024: expected 'reviewed: true|false'"),
        ("years: {2024: {reviewed: true, days: [1]}}", r"days\[0\]: expected a mapping"),
        (
            "years: {2024: {reviewed: true, days: [{date: 2023-01-02}]}}",
            r"days\[0\]: date: expected an unquoted date YYYY-MM-DD in 2024",
        ),
        (
            "years: {2024: {reviewed: true, days: [{date: 2024-01-02, working: maybe}]}}",
            "working: expected true or false",
        ),
        (
            "years: {2024: {reviewed: true, days: [{date: 2024-01-02, working: false, "
            "kind: party}]}}",
            "kind: expected one of",
        ),
        (
            "years: {2024: {reviewed: true, days: [{date: 2024-01-02, working: true, "
            "kind: holiday}]}}",
            "kind holiday does not fit working: True",
        ),
        (
            "years: {2024: {reviewed: true, days: [{date: 2024-01-02, working: false, "
            "kind: holiday, reason_vi: x, reason_en: y}]}}",
            "source: expected a non-empty text",
        ),
        (
            "years: {2024: {reviewed: true, days: ["
            "{date: 2024-01-02, working: false, kind: holiday, reason_vi: x, reason_en: y, "
            "source: z}, {date: 2024-01-02, working: false, kind: holiday, reason_vi: x, "
            "reason_en: y, source: z}]}}",
            "listed twice",
        ),
        ("years: {}\nbase_holidays: {a: 1}", "base_holidays: expected a list"),
        ("years: {}\nbase_holidays: [{label: 3}]", r"base_holidays\[0\]: expected label"),
        (
            "years: {}\nbase_holidays: [{label: a, in_force_from: soon, source: s}]",
            "in_force_from: expected a year or null",
        ),
        ("years: {}\nbase_holidays: [{label: a, source: ''}]", "source: expected a non-empty"),
        ("years: [unclosed", "not valid YAML"),
    ],
)
def test_bad_override_files_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "working-days.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message) as caught:
        WorkingCalendar(overrides_path=path)
    assert str(path) in str(caught.value)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="not found"):
        WorkingCalendar(overrides_path=tmp_path / "none.yaml")


# -- properties -------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 10, 31))
# Stepping back from early January 2000 would leave the calendar's range.
LATER_DAYS = st.dates(min_value=date(2000, 2, 1), max_value=date(2099, 10, 31))


@settings(max_examples=300, deadline=None)
@given(day=DAYS)
def test_rolled_days_are_working_days(day: date) -> None:
    cal = default_calendar()
    forward = cal.roll_forward(day)
    assert cal.is_working_day(forward) and forward >= day
    if day >= date(2000, 1, 4):  # 1–3 January 2000 are off; nothing working before them
        backward = cal.roll_backward(day)
        assert cal.is_working_day(backward) and backward <= day
    assert (forward == day) is cal.is_working_day(day)


@settings(max_examples=300, deadline=None)
@given(day=LATER_DAYS, n=st.integers(min_value=1, max_value=40))
def test_add_then_subtract_returns_a_working_day_not_after_the_start(day: date, n: int) -> None:
    cal = default_calendar()
    later = cal.add_working_days(day, n)
    back = cal.add_working_days(later, -n)
    assert cal.is_working_day(later) and cal.is_working_day(back)
    assert back <= day
    assert (back == day) is cal.is_working_day(day)
    assert cal.working_days_between(day, later) == n
    assert cal.working_days_between(later, day) == -n


def _days(first: date, last: date) -> Iterator[date]:
    while first <= last:
        yield first
        first += timedelta(days=1)


@settings(max_examples=100, deadline=None)
@given(start=DAYS, length=st.integers(min_value=0, max_value=800))
def test_between_counts_working_days_one_by_one(start: date, length: int) -> None:
    cal = default_calendar()
    end = min(start + timedelta(days=length), date(2099, 12, 31))
    counted = sum(1 for d in _days(start + timedelta(days=1), end) if cal.is_working_day(d))
    assert cal.working_days_between(start, end) == counted
