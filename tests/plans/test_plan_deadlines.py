"""Deadline rows of plans: answer files worked out by hand, group expansion on the due day.

``answers/ha-noi-deadlines.csv``: the V.2 reports of Sở Y tế 2021–2025 (see
``answers/README.md`` for how each date was worked out). ``answers/ha-noi-police-monthly-
2024.csv``: the police's monthly reports of 2024 (national default rule).
"""

from __future__ import annotations

import csv
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pcmd_workflow.domain.deadlines import (
    DEADLINE_COLUMNS,
    DeadlineRow,
    obligation_deadlines,
    plan_deadlines,
)
from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.domain.plan_loader import load_plan_file
from pcmd_workflow.errors import CalendarError

HERE = Path(__file__).parent
ANSWERS = HERE / "answers"
HA_NOI = HERE.parents[1] / "calendars" / "ha-noi-255-kh-ubnd-2021.yaml"


@pytest.fixture(scope="module")
def ha_noi() -> Plan:
    return load_plan_file(HA_NOI)


@pytest.fixture(scope="module")
def ha_noi_rows(ha_noi: Plan) -> list[DeadlineRow]:
    return plan_deadlines(ha_noi, start=date(2021, 1, 1), end=date(2025, 12, 31))


def as_text(row: DeadlineRow) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in row.as_dict().items()}


def answer(name: str) -> list[dict[str, str]]:
    with (ANSWERS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_v2_reports_of_so_y_te_match_the_answer_file(ha_noi_rows: list[DeadlineRow]) -> None:
    got = [
        as_text(r)
        for r in ha_noi_rows
        if r.reporter == "so-y-te" and r.obligation.startswith("v2-")
    ]
    assert got == answer("ha-noi-deadlines.csv")


def test_police_monthly_2024_matches_the_answer_file(ha_noi: Plan) -> None:
    rows = plan_deadlines(ha_noi, start=date(2024, 1, 1), end=date(2024, 12, 31))
    got = [as_text(r) for r in rows if r.obligation == "iv2-4-monthly"]
    assert got == answer("ha-noi-police-monthly-2024.csv")


def test_columns_are_exactly_the_contract() -> None:
    assert DEADLINE_COLUMNS == (
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


def test_first_cycle_is_the_annual_report_2021(ha_noi_rows: list[DeadlineRow]) -> None:
    """Decision Q16: V.2 starts with the annual report due 16/12/2021 (no 6-month 2021).

    Recurring duties start with the plan's validity (16/11/2021): the November 2021 monthly
    reports (cut-off end Sunday 14/11, due two working days later, 16/11) are the first rows.
    """
    v2 = [
        (r.obligation, r.period, r.due_date) for r in ha_noi_rows if r.obligation.startswith("v2-")
    ]
    assert v2[0] == ("v2-annual", "2021", date(2021, 12, 16))
    assert {(o, p) for o, p, d in v2 if d.year == 2021} == {("v2-annual", "2021")}
    first = {
        (r.obligation, r.period, r.due_date)
        for r in ha_noi_rows
        if r.due_date == ha_noi_rows[0].due_date
    }
    assert first == {
        ("iv2-4-monthly", "2021-11", date(2021, 11, 16)),
        ("iv24b-4-monthly", "2021-11", date(2021, 11, 16)),
    }


def test_rows_are_sorted_by_due_date_then_reporter(ha_noi_rows: list[DeadlineRow]) -> None:
    keys = [(r.due_date, r.reporter) for r in ha_noi_rows]
    assert keys == sorted(keys)
    assert len({r.key for r in ha_noi_rows}) == len(ha_noi_rows)


def test_districts_vanish_after_30_june_2025(ha_noi_rows: list[DeadlineRow]) -> None:
    def reporters(obligation: str, period: str) -> set[str]:
        return {r.reporter for r in ha_noi_rows if (r.obligation, r.period) == (obligation, period)}

    districts = {r for r in reporters("v2-semiannual", "2025-H1") if r.startswith("ubnd-")}
    assert len(districts) == 30
    assert len(reporters("v2-annual", "2024")) == 50
    assert len(reporters("v2-annual", "2025")) == 20
    assert not any(r.startswith("ubnd-") for r in reporters("v2-annual", "2025"))
    assert len(reporters("iv24b-4-monthly", "2025-06")) == 30  # due 17/06/2025
    assert reporters("iv24b-4-monthly", "2025-07") == set()  # due 16/07/2025


def test_successor_from_1_march_2025(ha_noi_rows: list[DeadlineRow]) -> None:
    """Sở Y tế carries Sở LĐTBXH's PCMD duties from 01/03/2025 (reporter, recipient, via)."""

    def one(obligation: str, period: str, reporter: str | None = None) -> DeadlineRow:
        found = [
            r
            for r in ha_noi_rows
            if (r.obligation, r.period) == (obligation, period)
            and (reporter is None or r.reporter == reporter)
        ]
        assert len(found) == 1, found
        return found[0]

    assert one("iv2-4-monthly", "2025-02").recipient == "so-ldtbxh"  # due 18/02/2025
    assert one("iv2-4-monthly", "2025-03").recipient == "so-y-te"  # due 18/03/2025
    assert one("iv1a-6-interim", "2021-2023").reporter == "so-ldtbxh"
    assert one("iv1a-6-summary", "2021-2025").reporter == "so-y-te"
    assert one("v2-annual", "2024", "so-tp").via == "so-ldtbxh"
    assert one("v2-semiannual", "2025-H1", "so-tp").via == "so-y-te"
    assert not [r for r in ha_noi_rows if r.reporter == "so-ldtbxh" and r.due_date.year == 2025]


def test_no_rows_for_adhoc_flash_unscheduled(ha_noi_rows: list[DeadlineRow]) -> None:
    assert {r.cadence for r in ha_noi_rows} == {
        "monthly",
        "quarterly",
        "semiannual",
        "annual",
        "summary",
    }


def test_range_is_inclusive_and_by_final_due_date(ha_noi: Plan) -> None:
    # Annual 2023: nominal Saturday 16/12, due Monday 18/12.
    on_nominal = plan_deadlines(ha_noi, start=date(2023, 12, 16), end=date(2023, 12, 16))
    assert on_nominal == []
    on_due = plan_deadlines(ha_noi, start=date(2023, 12, 18), end=date(2023, 12, 18))
    assert {r.obligation for r in on_due} == {
        "v2-annual",
        "iv2-4-annual",
        "iv24b-4-annual",
        "iv1a-6-interim",
        "iv2-4-monthly",
        "iv24b-4-monthly",
        "iv2-4-quarterly",
        "iv24b-4-quarterly",
    }
    with pytest.raises(CalendarError):
        plan_deadlines(ha_noi, start=date(2024, 2, 1), end=date(2024, 1, 1))


# ---- small plans for each rule ---------------------------------------------------------------


def plan(obligations: list[dict[str, Any]], **fields: Any) -> Plan:
    data: dict[str, Any] = {
        "id": "thu",
        "number": "1/KH-UBND",
        "type": "Kế hoạch",
        "title": "Thử",
        "issuer": "UBND tỉnh Thử",
        "issued": "2020-05-14",
        "jurisdiction": "thu",
        "validity": {"start": "2020-05-14", "end": "2021-12-31"},
        "units": [
            {"slug": "ubnd-tinh", "name": "UBND tỉnh", "level": "province", "role": "recipient"},
            {"slug": "so-a", "name": "Sở A", "level": "province"},
        ],
        "obligations": obligations,
    }
    data.update(fields)
    return Plan.model_validate(data)


def duty(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "bc",
        "reporters": ["so-a"],
        "recipient": "ubnd-tinh",
        "clause": "x",
        "where": "V",
    }
    return {**base, **fields}


def summary(rows: list[DeadlineRow]) -> list[tuple[str, str, str, str | None, str]]:
    return [
        (r.period, r.nominal_due.isoformat(), r.due_date.isoformat(), r.moved_because, r.source)
        for r in rows
    ]


def test_summary_with_cutoff_override_and_dated_rule() -> None:
    """Lào Cai style: «số liệu tính đến hết ngày 30/6/2020», «trước ngày 05/7/2020»."""
    p = plan(
        [
            duty(
                cadence="summary",
                periods=["2016-2020"],
                cutoff_end="2020-06-30",
                due="trước ngày 05/7/2020",
            )
        ]
    )
    rows = plan_deadlines(p, start=date(2020, 1, 1), end=date(2020, 12, 31))
    assert summary(rows) == [
        (
            "2016-2020",
            "2020-07-04",
            "2020-07-06",
            "04/07/2020 là Thứ Bảy, 05/07/2020 là Chủ nhật",
            "plan",
        )
    ]
    assert (rows[0].cutoff_start.isoformat(), rows[0].cutoff_end.isoformat()) == (
        "2015-12-15",
        "2020-06-30",
    )


def test_semiannual_halves_and_previous_working_day_policy() -> None:
    p = plan(
        [
            duty(
                cadence="semiannual",
                due="after-cutoff 13 days",
                halves=["H1", "H2"],
                policy="previous_working_day",
            )
        ]
    )
    rows = plan_deadlines(p, start=date(2020, 1, 1), end=date(2021, 12, 31))
    # Cut-off ends 14/6 and 14/12, + 13 days: 27/06/2020 Sat → Fri 26/06; 27/12/2020 Sun →
    # Fri 25/12; 27/06/2021 Sun → Fri 25/06; 27/12/2021 is a Monday.
    assert summary(rows) == [
        ("2020-H1", "2020-06-27", "2020-06-26", "27/06/2020 là Thứ Bảy", "plan"),
        (
            "2020-H2",
            "2020-12-27",
            "2020-12-25",
            "27/12/2020 là Chủ nhật, 26/12/2020 là Thứ Bảy",
            "plan",
        ),
        (
            "2021-H1",
            "2021-06-27",
            "2021-06-25",
            "27/06/2021 là Chủ nhật, 26/06/2021 là Thứ Bảy",
            "plan",
        ),
        ("2021-H2", "2021-12-27", "2021-12-27", None, "plan"),
    ]
    only_h1 = plan([duty(cadence="semiannual", due="after-cutoff 13 days")])
    periods = [
        r.period for r in plan_deadlines(only_h1, start=date(2020, 1, 1), end=date(2021, 12, 31))
    ]
    assert periods == ["2020-H1", "2021-H1"]


def test_default_rule_and_obligation_window() -> None:
    """No due rule: 2 working days after the 14th (national default); starts/ends narrow."""
    p = plan([duty(cadence="quarterly", starts="2021-01-01", ends="2021-09-30")])
    rows = plan_deadlines(p, start=date(2020, 1, 1), end=date(2021, 12, 31))
    # Q1: 14/03/2021 Sun → 15, 16; Q2: 14/06/2021 Mon → 15, 16; Q3: 14/09/2021 Tue → 15, 16.
    assert summary(rows) == [
        ("2021-Q1", "2021-03-16", "2021-03-16", None, "default"),
        ("2021-Q2", "2021-06-16", "2021-06-16", None, "default"),
        ("2021-Q3", "2021-09-16", "2021-09-16", None, "default"),
    ]


def test_open_ended_plan_runs_to_until_year_or_to_the_range() -> None:
    p = plan(
        [duty(cadence="annual", due="before 20/12")],
        validity={"start": "2013-12-10"},
    )
    capped = plan_deadlines(p, start=date(2013, 1, 1), end=date(2030, 12, 31), until_year=2015)
    assert [r.period for r in capped] == ["2013", "2014", "2015"]
    ranged = plan_deadlines(p, start=date(2024, 1, 1), end=date(2025, 12, 31))
    assert [r.period for r in ranged] == ["2024", "2025"]


def test_obligation_deadlines_without_reporters() -> None:
    p = plan([duty(cadence="annual", due="before 17/12")])
    items = obligation_deadlines(p, p.obligations[0])
    assert [(i.period.label, i.deadline.due_date.isoformat()) for i in items] == [
        ("2020", "2020-12-16"),
        ("2021", "2021-12-16"),
    ]


def test_75000_rows_are_fast() -> None:
    """The store materialises ~75,000 rows; the expansion must stay well under a second each
    10,000 rows once the calendar is built."""
    units = [
        {"slug": f"xa-{i}", "name": f"UBND xã {i}", "level": "commune", "tags": ["xa"]}
        for i in range(1250)
    ]
    p = plan(
        [duty(reporters=["cac-xa"], cadence="monthly")],
        validity={"start": "2021-01-01", "end": "2025-12-31"},
        units=[{"slug": "ubnd-tinh", "name": "UBND tỉnh", "level": "province"}, *units],
        groups=[{"slug": "cac-xa", "name": "UBND các xã", "select": {"tags": ["xa"]}}],
    )
    plan_deadlines(p, start=date(2021, 1, 1), end=date(2021, 2, 28))  # warm the calendar
    started = time.perf_counter()
    rows = plan_deadlines(p, start=date(2021, 1, 1), end=date(2025, 12, 31))
    elapsed = time.perf_counter() - started
    assert len(rows) == 1250 * 60
    # About 1 s on an idle laptop; the bound leaves room for coverage tracing and a busy CI
    # machine while still catching work that grows with units × periods squared.
    assert elapsed < 30.0, f"{len(rows)} rows took {elapsed:.2f} s"
