"""The plan files of Lào Cai 142/KH-UBND, Tuyên Quang 86/KH-UBND and Quảng Ngãi 1736/QĐ-UBND.

Each file must load without problems, cite its source verbatim (every clause and target
text is a substring of the seed named by ``source:``), keep one cadence per obligation, and
behave as the 2025 reorganisation requires (docs/decisions/0003-units-as-data.md).
Expected values are literals worked out by hand from the seeds and DOMAIN §0.1, §2-§4, §7.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest
from plans_data_support import (
    ANSWERS,
    LAO_CAI,
    PLAN_IDS,
    QUANG_NGAI,
    TUYEN_QUANG,
    load,
    plan_path,
    seed_text,
)

from pcmd_workflow.domain.deadlines import plan_deadlines
from pcmd_workflow.domain.due_rules import parse_due_rule
from pcmd_workflow.domain.periods import Cadence
from pcmd_workflow.domain.plan import Role
from pcmd_workflow.domain.plan_loader import check_plan_file

SOURCES = {
    LAO_CAI: "002_03c2765de3e0d0e5.txt",
    TUYEN_QUANG: "000_23edfdb5fc9a890b.txt",
    QUANG_NGAI: "004_a084155b577a6a74.txt",
}


# ---- validity of the files --------------------------------------------------------------
@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_plan_file_validates_without_problems(plan_id: str) -> None:
    result = check_plan_file(plan_path(plan_id))
    assert result.problems == (), [str(p) for p in result.problems]
    assert result.plan is not None
    assert result.plan.id == plan_id
    assert result.plan.source == SOURCES[plan_id]


@pytest.mark.parametrize(
    ("plan_id", "units", "obligations", "targets"),
    [(LAO_CAI, 22, 6, 4), (TUYEN_QUANG, 21, 8, 1), (QUANG_NGAI, 34, 8, 16)],
)
def test_plan_sizes(plan_id: str, units: int, obligations: int, targets: int) -> None:
    plan = load(plan_id)
    assert (len(plan.units), len(plan.obligations), len(plan.targets)) == (
        units,
        obligations,
        targets,
    )


@pytest.mark.parametrize(
    ("plan_id", "expected"),
    [
        (
            LAO_CAI,
            {
                ("groups[2]", "ubnd-xa"),
                ("groups[3]", "phong-ban-huyen"),
                ("obligations[2]", "iv3-summary"),
                ("obligations[5]", "iv1-summary"),
            },
        ),
        (
            TUYEN_QUANG,
            {
                ("obligations[6].cadence", "iii8-2-unscheduled"),
                ("obligations[7].cadence", "ii8-unscheduled"),
            },
        ),
        (
            QUANG_NGAI,
            {
                ("obligations[6].cadence", "v15-unscheduled"),
                ("obligations[7].cadence", "v1-8-unscheduled"),
            },
        ),
    ],
)
def test_warnings_are_the_known_decisions(plan_id: str, expected: set[tuple[str, str]]) -> None:
    """Empty groups (no communes listed), Q4 overlaps and unscheduled duties, nothing else."""
    warnings = check_plan_file(plan_path(plan_id)).warnings
    found = {(w.field, name) for w in warnings for _, name in expected if f"'{name}'" in w.message}
    assert found == expected, [str(w) for w in warnings]
    assert len(warnings) == len(expected)


# ---- verbatim clauses -------------------------------------------------------------------
@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_every_clause_and_target_text_is_verbatim_in_the_seed(plan_id: str) -> None:
    plan = load(plan_id)
    assert plan.source is not None
    text = seed_text(plan.source)
    missing = [o.id for o in plan.obligations if o.clause not in text]
    missing += [t.id for t in plan.targets if t.text not in text]
    assert missing == []


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_unit_names_are_verbatim_unless_marked_outside_the_seeds(plan_id: str) -> None:
    plan = load(plan_id)
    assert plan.source is not None
    text = seed_text(plan.source)
    assert [u.slug for u in plan.units if not u.outside_seeds and u.name not in text] == []
    assert [g.slug for g in plan.groups if g.name not in text] == []


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_due_rules_parse_and_every_duty_has_one_cadence(plan_id: str) -> None:
    plan = load(plan_id)
    for obligation in plan.obligations:
        assert isinstance(obligation.cadence, Cadence)
        if obligation.due is not None:
            parse_due_rule(obligation.due)
    # a clause naming several cadences gives several duties sharing it, never one duty twice
    pairs = [
        (o.clause, o.cadence, tuple(o.reporters), tuple(o.periods or ())) for o in plan.obligations
    ]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_standing_body_is_so_ldtbxh(plan_id: str) -> None:
    standing = load(plan_id).standing_body()
    assert standing is not None
    assert standing.slug == "so-ldtbxh"
    assert standing.role is Role.standing


# ---- Lào Cai 142/KH-UBND ----------------------------------------------------------------
def test_lao_cai_deadlines_match_the_hand_worked_answers() -> None:
    plan = load(LAO_CAI)
    rows = plan_deadlines(plan, start=date(2020, 1, 1), end=date(2020, 12, 31))
    got = sorted(
        (
            r.obligation,
            r.reporter,
            r.recipient,
            r.via or "",
            r.period,
            r.cutoff_end.isoformat(),
            r.nominal_due.isoformat(),
            r.due_date.isoformat(),
            r.source,
        )
        for r in rows
    )
    with (ANSWERS / "lao_cai_deadlines.csv").open(encoding="utf-8", newline="") as fh:
        expected = sorted(tuple(row.values()) for row in csv.DictReader(fh))
    assert got == expected


def test_lao_cai_districts_and_the_van_ban_slug() -> None:
    plan = load(LAO_CAI)
    districts = plan.expand("ubnd-huyen", on=date(2020, 7, 1))
    assert len(districts) == 9
    assert all(u.outside_seeds for u in districts)
    assert "ubnd-huyen-van-ban" in {u.slug for u in districts}


def test_lao_cai_summaries_cut_off_on_30_june_2020_and_keep_the_2026_typo() -> None:
    plan = load(LAO_CAI)
    summaries = [o for o in plan.obligations if o.cadence is Cadence.summary]
    assert {o.cutoff_end for o in summaries} == {date(2020, 6, 30)}
    assert {o.id: o.due for o in summaries if o.due and o.id != "iv1-summary"} == {
        "iii1-summary": "before 15/07/2020",
        "iii2-summary": "before 05/07/2020",
        "iv3-summary": "before 05/07/2020",
        "iv2-summary": "before 05/07/2020",
    }
    typo = {o.id: o.period_label for o in plan.obligations if o.period_label}
    assert typo == {"iv3-summary": "2021 - 2026", "iv2-summary": "2021 - 2026"}
    assert all(o.periods == ["2016-2020"] for o in summaries)


# ---- Tuyên Quang 86/KH-UBND -------------------------------------------------------------
def test_tuyen_quang_is_open_ended_with_national_default_days() -> None:
    plan = load(TUYEN_QUANG)
    assert plan.validity.end is None  # Q15
    assert {o.id: (o.cadence.value, o.due) for o in plan.obligations} == {
        "iii1-4-semiannual": ("semiannual", None),
        "iii1-4-annual": ("annual", None),
        "iii1-4-adhoc": ("adhoc", None),
        "end-semiannual": ("semiannual", None),
        "end-annual": ("annual", None),
        "end-adhoc": ("adhoc", None),
        "iii8-2-unscheduled": ("unscheduled", None),
        "ii8-unscheduled": ("unscheduled", None),
    }
    # the "related documents" list of the web page (L57-L66) is not legal basis
    assert [(b.number, b.date) for b in plan.legal_basis] == [("22/CT-TTg", date(2013, 10, 15))]


def test_tuyen_quang_2025_reorganisation() -> None:
    plan = load(TUYEN_QUANG)
    assert len(plan.expand("ubnd-huyen", on=date(2025, 6, 30))) == 7
    assert plan.expand("ubnd-huyen", on=date(2025, 7, 1)) == []
    assert [u.slug for u in plan.expand("so-ldtbxh", on=date(2025, 2, 28))] == ["so-ldtbxh"]
    assert [u.slug for u in plan.expand("so-ldtbxh", on=date(2025, 3, 1))] == ["so-yt"]
    before = [u.slug for u in plan.expand("so-ban-nganh", on=date(2025, 2, 28))]
    after = [u.slug for u in plan.expand("so-ban-nganh", on=date(2025, 3, 1))]
    assert before == ["cong-an-tinh", "so-yt", "so-vhttdl", "so-tttt", "so-tp", "so-tc", "so-khdt"]
    assert after == ["cong-an-tinh", "so-yt", "so-vhttdl", "so-khcn", "so-tp", "so-tc"]
    assert {u.slug for u in plan.units if u.requested} == {"mttq-tinh", "doan-the-tinh"}


def test_tuyen_quang_deadlines_around_the_reorganisation() -> None:
    plan = load(TUYEN_QUANG)
    rows = plan_deadlines(plan, start=date(2024, 12, 1), end=date(2025, 12, 31))
    by_key = {(r.obligation, r.reporter, r.period): r for r in rows}
    # annual 2024: cut-off Sat 14/12/2024, +2 working days = Tue 17/12/2024 (default)
    annual_2024 = [r for r in rows if r.obligation == "end-annual" and r.period == "2024"]
    assert len(annual_2024) == 14  # 7 departments + 7 districts
    assert {(r.due_date, r.source) for r in annual_2024} == {(date(2024, 12, 17), "default")}
    # H1 2025: cut-off Sat 14/06/2025 -> Tue 17/06/2025; the standing body is now Sở Y tế
    h1 = by_key[("iii1-4-semiannual", "so-yt", "2025-H1")]
    assert h1.due_date == date(2025, 6, 17)
    # annual 2025: Sun 14/12/2025 -> Tue 16/12/2025; no district level any more
    annual_2025 = sorted(
        r.reporter for r in rows if r.obligation == "end-annual" and r.period == "2025"
    )
    assert annual_2025 == ["cong-an-tinh", "so-khcn", "so-tc", "so-tp", "so-vhttdl", "so-yt"]
    assert {r.due_date for r in rows if r.period == "2025" and r.cadence == "annual"} == {
        date(2025, 12, 16)
    }


# ---- Quảng Ngãi 1736/QĐ-UBND ------------------------------------------------------------
def test_quang_ngai_units_requested_and_districts() -> None:
    plan = load(QUANG_NGAI)
    assert plan.type.value == "Quyết định"
    assert {u.slug for u in plan.units if u.requested} == {
        "mttq-tinh",
        "hoi-lhpn",
        "vks-tinh",
        "toa-an-tinh",
    }
    assert len(plan.expand("ubnd-huyen", on=date(2021, 11, 5))) == 13
    assert plan.expand("ubnd-huyen", on=date(2025, 7, 1)) == []
    assert [u.slug for u in plan.expand("so-ldtbxh", on=date(2025, 3, 1))] == ["so-yt"]


def test_quang_ngai_targets_cover_t004_01_to_12() -> None:
    plan = load(QUANG_NGAI)
    bases = sorted({t.id.rstrip("abc") for t in plan.targets})
    assert bases == [f"t004-{n:02d}" for n in range(1, 13)]
    targets = {t.id: t for t in plan.targets}
    # Q11: «ít nhất 20%» inspections yearly by default
    assert (targets["t004-08"].comparator, targets["t004-08"].value) == (">=", 20)
    assert targets["t004-08"].yearly is True
    assert (targets["t004-07"].comparator, targets["t004-07"].value) == ("range", 3)
    assert targets["t004-07"].value_max == 5
    assert (targets["t004-10"].value, targets["t004-10"].value_max) == (1, 2)
    assert [targets[f"t004-12{s}"].value for s in "ab"] == [70, 50]


def test_quang_ngai_deadlines_hand_worked() -> None:
    plan = load(QUANG_NGAI)
    rows = plan_deadlines(plan, start=date(2021, 11, 5), end=date(2025, 12, 31))
    by_key = {(r.obligation, r.reporter, r.period): r for r in rows}
    # Q17: interim review with the 2023 annual report: cut-off Thu 14/12/2023 + 2 = Mon 18/12
    interim = by_key[("v1-7-interim-review", "so-ldtbxh", "2021-2023")]
    assert (interim.due_date, interim.source) == (date(2023, 12, 18), "default")
    # final review 2025 falls to Sở Y tế: Sun 14/12/2025 + 2 working days = Tue 16/12/2025
    final = by_key[("v1-7-final-review", "so-yt", "2021-2025")]
    assert (final.due_date, final.source) == (date(2025, 12, 16), "default")
    # Q6 compile-and-forward: 14/12/2023 + 7 working days = Mon 25/12/2023
    forward = by_key[("vi-central-annual", "so-ldtbxh", "2023")]
    assert (forward.due_date, forward.source) == (date(2023, 12, 25), "default")
    # quarterly reports: 16 departments and 13 districts in 2025-Q2, departments only in Q3
    q2 = [r for r in rows if r.obligation == "vi-quarterly" and r.period == "2025-Q2"]
    q3 = [r for r in rows if r.obligation == "vi-quarterly" and r.period == "2025-Q3"]
    assert (len(q2), len(q3)) == (29, 16)
    assert {r.due_date for r in q3} == {date(2025, 9, 16)}  # Sun 14/09/2025 + 2 = Tue 16/09
