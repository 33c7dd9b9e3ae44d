"""Reporting periods and cut-off windows against hand-worked answers."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from pcmd_workflow.domain.periods import (
    Cadence,
    CutoffWindow,
    default_cutoff,
    parse_period,
    periods_between,
)
from pcmd_workflow.errors import CalendarError

ANSWERS = Path(__file__).parent / "answers"


def _rows() -> list[dict[str, str]]:
    with (ANSWERS / "periods.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r["canonical"])
def test_labels_give_the_answer_file_periods(row: dict[str, str]) -> None:
    period = parse_period(row["label"])
    assert period.label == row["canonical"]
    assert period.cadence is Cadence(row["cadence"])
    assert (period.start.isoformat(), period.end.isoformat()) == (row["start"], row["end"])
    assert (period.cutoff.start.isoformat(), period.cutoff.end.isoformat()) == (
        row["cutoff_start"],
        row["cutoff_end"],
    )


def test_explicit_cutoff_wins() -> None:
    window = CutoffWindow(start=date(2016, 1, 1), end=date(2020, 6, 30))
    period = parse_period("2016-2020", cutoff=window)
    assert period.cutoff == window
    assert (period.start, period.end) == (date(2016, 1, 1), date(2020, 12, 31))


def test_adhoc_and_flash_periods_take_the_request_day() -> None:
    adhoc = parse_period("adhoc-42", requested_on=date(2024, 3, 5))
    assert (adhoc.label, adhoc.cadence, adhoc.start, adhoc.end) == (
        "adhoc-42",
        Cadence.adhoc,
        date(2024, 3, 5),
        date(2024, 3, 5),
    )
    assert adhoc.cutoff == CutoffWindow(start=date(2024, 3, 5), end=date(2024, 3, 5))
    flash = parse_period("adhoc-r7.b", requested_on=date(2024, 3, 5), cadence=Cadence.flash)
    assert flash.cadence is Cadence.flash


def test_default_cutoff_for_cadences_without_a_window() -> None:
    window = default_cutoff(
        cadence=Cadence.unscheduled, start=date(2024, 1, 1), end=date(2024, 1, 31)
    )
    assert window == CutoffWindow(start=date(2024, 1, 1), end=date(2024, 1, 31))


@pytest.mark.parametrize(
    ("label", "kwargs", "message"),
    [
        ("2024-13", {}, "month 13 is not 01–12"),
        ("2024-00", {}, "month 00 is not 01–12"),
        ("2024-Q5", {}, "not understood; expected YYYY-MM"),
        ("1999", {}, "year 1999 is outside"),
        ("2100-Q1", {}, "year 2100 is outside"),
        ("2020-2016", {}, "last year after its first"),
        ("2020-2020", {}, "last year after its first"),
        ("adhoc-7", {}, "needs the request date"),
        ("adhoc-7", {"requested_on": date(2024, 1, 1), "cadence": Cadence.monthly}, "adhoc or"),
        ("adhoc-7", {"requested_on": date(2100, 1, 1)}, "2100 is outside"),
        ("H1-2024", {}, "not understood"),
        ("", {}, "not understood"),
        (
            "2024",
            {"cutoff": CutoffWindow(start=date(2024, 12, 14), end=date(2024, 1, 1))},
            "ends before it starts",
        ),
    ],
)
def test_bad_labels_raise(label: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_period(label, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cadence", "first", "last", "labels"),
    [
        (Cadence.monthly, date(2024, 1, 1), date(2024, 3, 31), ["2024-01", "2024-02", "2024-03"]),
        (Cadence.monthly, date(2024, 1, 15), date(2024, 2, 14), ["2024-02"]),
        (
            Cadence.semiannual,
            date(2023, 1, 1),
            date(2024, 12, 31),
            ["2023-H1", "2023-H2", "2024-H1", "2024-H2"],
        ),
        (
            Cadence.quarterly,
            date(2024, 6, 15),
            date(2025, 3, 14),
            ["2024-Q3", "2024-Q4", "2025-Q1"],
        ),
        (
            Cadence.annual,
            date(2021, 12, 15),
            date(2025, 12, 14),
            ["2022", "2023", "2024", "2025"],
        ),
        (
            Cadence.ninemonth,
            date(2020, 1, 1),
            date(2022, 12, 31),
            ["2020-9M", "2021-9M", "2022-9M"],
        ),
        (Cadence.annual, date(2000, 1, 1), date(2000, 12, 31), ["2000"]),
        (Cadence.annual, date(2099, 1, 1), date(2099, 12, 31), ["2099"]),
        (Cadence.monthly, date(2024, 3, 1), date(2024, 1, 1), []),
    ],
)
def test_periods_between(cadence: Cadence, first: date, last: date, labels: list[str]) -> None:
    assert [p.label for p in periods_between(cadence=cadence, first=first, last=last)] == labels


def test_periods_between_counts_a_whole_plan() -> None:
    # Hà Nội 2021–2025: 60 monthly reports whose cut-off ends fall in 2021–2025.
    periods = periods_between(
        cadence=Cadence.monthly, first=date(2021, 1, 1), last=date(2025, 12, 31)
    )
    assert len(periods) == 60
    assert (periods[0].label, periods[-1].label) == ("2021-01", "2025-12")


@pytest.mark.parametrize("cadence", [Cadence.summary, Cadence.adhoc, Cadence.flash])
def test_periods_between_refuses_non_recurring_cadences(cadence: Cadence) -> None:
    with pytest.raises(CalendarError, match="no recurring periods"):
        periods_between(cadence=cadence, first=date(2024, 1, 1), last=date(2024, 12, 31))


def test_periods_between_range() -> None:
    with pytest.raises(CalendarError, match="1999"):
        periods_between(cadence=Cadence.annual, first=date(1999, 1, 1), last=date(2001, 1, 1))
