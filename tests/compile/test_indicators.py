"""The pure roll-up (domain/indicators.py), without a database.

Expected figures are literals in tests/compile/answers/province_totals.yaml, worked out by
hand from tests/compile/province.yaml.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pcmd_workflow.domain.indicators import (
    Completeness,
    Rollup,
    RollupUnit,
    TaskEntry,
    UnitValues,
    compare_totals,
    evaluate_targets,
    format_number,
    rollup,
    rollup_tree,
    row_display,
    summarize_completeness,
)
from pcmd_workflow.domain.plan import IndicatorForm, Plan, RowKind, Target, TargetIndicator
from pcmd_workflow.domain.plan_loader import load_plan_file
from pcmd_workflow.errors import CompilationError

REPORTERS = [
    "so-ldtbxh",
    "cong-an-tinh",
    "huyen-a",
    "xa-a1",
    "xa-a2",
    "xa-b1",
    "xa-b2",
    "xa-b3",
    "huyen-c",
]


@pytest.fixture
def form(province_plan: Plan) -> IndicatorForm:
    f = province_plan.form("bieu-mau")
    assert f is not None
    return f


@pytest.fixture
def compiled(province_plan: Plan, form: IndicatorForm, province_submissions: Any) -> Rollup:
    tree = rollup_tree(province_plan, reporters=REPORTERS, on=date(2024, 12, 14))
    return rollup(form=form, tree=tree, submissions=province_submissions, reporters=REPORTERS)


def _comparable(compiled: Rollup, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row, total in compiled.nodes[unit].rows.items():
        if total.kind is RowKind.boolean:
            if total.answered:
                out[row] = f"{total.yes}/{total.answered}"
        elif total.shown:
            out[row] = total.value
    return out


def test_totals_per_level(compiled: Rollup, province_answers: dict[str, Any]) -> None:
    for unit, expected in province_answers["nodes"].items():
        assert _comparable(compiled, unit) == expected, unit


def test_tree_order_missing_and_rejected(
    compiled: Rollup, province_answers: dict[str, Any]
) -> None:
    assert list(compiled.nodes) == province_answers["order"]
    assert compiled.root == "ubnd-tinh"
    root = compiled.root_totals
    assert list(root.missing) == province_answers["missing"]
    assert list(root.rejected) == province_answers["rejected"]
    assert compiled.nodes["huyen-b"].rejected == ("xa-b3",)
    assert compiled.nodes["huyen-a"].missing == ()
    assert compiled.nodes["huyen-c"].missing == ("huyen-c",)
    assert len(root.reporters) == 9
    assert len(root.reported) == 7


def test_of_which_violation_rejects_the_unit(compiled: Rollup) -> None:
    errors = compiled.errors()
    assert [(e.unit, e.row) for e in errors] == [("xa-b3", "B.1.1.a.1")]
    message = errors[0].message
    assert "UBND xã B3" in message and "= 9 lớn hơn dòng B.1.1.a = 6" in message
    assert "không được đưa vào tổng hợp" in message
    # none of xa-b3's figures count: B.2.2.a of huyen-b is 6 + 1, not 6 + 1 + 2
    assert compiled.nodes["huyen-b"].rows["B.2.2.a"].value == 7
    assert not any(t.shown for t in compiled.nodes["xa-b3"].rows.values())


def test_issues(compiled: Rollup, province_answers: dict[str, Any]) -> None:
    got = [[i.severity, i.code, i.unit, i.row] for i in compiled.issues]
    assert got == province_answers["issues"]
    partition = compiled.issues[0].message
    assert partition == (
        "UBND xã A2: tổng các dòng chi tiết của B.1.1.a «Tổng số cơ sở kinh doanh dịch vụ "
        "dễ phát sinh tệ nạn mại dâm» là 7, khác 8"
    )


def test_percent_recomputed_from_parts_never_averaged(compiled: Rollup) -> None:
    total = compiled.root_totals.rows["B.1.1.p"]
    assert total.recomputed is True
    assert total.value == 84.44  # 38 / 45, not the mean of 90 and 80
    assert row_display(total) == "84,44"


def test_percent_without_parts_shown_per_unit(
    compiled: Rollup, province_answers: dict[str, Any]
) -> None:
    for unit, rows in province_answers["per_unit"].items():
        for row, expected in rows.items():
            total = compiled.nodes[unit].rows[row]
            assert total.value is None
            assert [[c.unit, c.value] for c in total.per_unit] == expected
            assert row_display(total) == ""
    own = compiled.nodes["xa-b1"].rows["A.1"]
    assert own.value == 50 and row_display(own) == "50"


def test_yes_no_as_n_of_m(compiled: Rollup) -> None:
    root = compiled.root_totals.rows["A.2"]
    assert (root.yes, root.answered, root.value) == (3, 4, None)
    assert row_display(root) == "Có: 3/4"
    assert row_display(compiled.nodes["xa-a2"].rows["A.2"]) == "Không"
    assert row_display(compiled.nodes["so-ldtbxh"].rows["A.2"]) == "Có"
    assert row_display(compiled.nodes["xa-a1"].rows.get("A.2")) == ""


def test_provenance(compiled: Rollup, province_answers: dict[str, Any]) -> None:
    for unit, rows in province_answers["sources"].items():
        for row, expected in rows.items():
            got = []
            for c in compiled.nodes[unit].rows[row].sources:
                got.append([c.unit, c.value, "own"] if c.own else [c.unit, c.value])
            assert got == expected
    total = compiled.root_totals.rows["B.2.2.a"]
    assert sum(c.value for c in total.sources) == total.value  # type: ignore[misc]


def test_targets(
    compiled: Rollup, province_plan: Plan, form: IndicatorForm, province_answers: Any
) -> None:
    results = evaluate_targets(
        targets=province_plan.targets, form=form, totals=compiled.root_totals
    )
    got = {r.target: [r.status, r.actual, r.goal] for r in results}
    assert got == province_answers["targets"]
    by_id = {r.target: r for r in results}
    assert by_id["t-mo-hinh"].reason == "dòng B.2.5.a «Số lượng mô hình» chưa có số liệu"
    assert by_id["t-mo-hinh"].missing_row == "B.2.5.a"
    assert by_id["t-kiem-tra"].status_vi == "Đạt"
    assert by_id["t-kiem-tra"].actual_text == "68,89%"
    assert by_id["t-cam-ket"].status_vi == "Chưa đạt"
    assert by_id["t-mo-hinh"].status_vi == "Chưa có số liệu"
    assert by_id["t-ke-hoach"].actual_text == "75% (Có: 3/4)"


def test_completeness(province_tasks: list[TaskEntry], province_answers: Any) -> None:
    c = summarize_completeness(province_tasks)
    expected = province_answers["completeness"]
    assert {k: getattr(c, k) for k in expected} == expected
    assert c.missing_units == ("huyen-c",)
    assert c.to_dict()["tasks"][8]["status"] == "overdue"
    assert Completeness.status_vi("submitted_late") == "Đã nộp muộn"


def test_completeness_excused_and_returned() -> None:
    entries = [
        TaskEntry(unit="a", name="A", status="excused"),
        TaskEntry(unit="b", name="B", status="returned", review="returned"),
        TaskEntry(unit="c", name="C", status="submitted_late", review="pending", days_late=3),
        TaskEntry(unit="d", name="D", status="due_soon"),
    ]
    c = summarize_completeness(entries)
    assert (c.expected, c.submitted, c.late, c.missing, c.excused, c.returned) == (3, 1, 1, 2, 1, 1)
    assert (c.accepted, c.pending_review, c.missing_units) == (0, 1, ("b", "d"))


def test_json_export_is_plain_data(compiled: Rollup) -> None:
    data = json.loads(json.dumps(compiled.to_dict(), ensure_ascii=False))
    root = data["nodes"][0]
    assert root["unit"] == "ubnd-tinh" and root["rejected"] == ["xa-b3"]
    rows = {r["row"]: r for r in root["rows"]}
    assert rows["B.1.1.p"] == {
        "row": "B.1.1.p",
        "kind": "percent",
        "value": 84.44,
        "recomputed": True,
        "sources": [
            {"unit": "huyen-a", "value": 90.0, "own": False},
            {"unit": "huyen-b", "value": 80.0, "own": False},
        ],
    }
    assert rows["A.2"]["yes"] == 3 and rows["A.2"]["answered"] == 4
    assert "B.2.5.a" not in rows  # no figure anywhere
    per_unit = {r["row"]: r for r in data["nodes"][6]["rows"]}["A.1"]["per_unit"]  # huyen-b
    assert per_unit == [{"unit": "xa-b1", "value": 50, "own": True}]


def test_changes_since_previous(compiled: Rollup) -> None:
    before = compiled.values_by_node()
    assert compare_totals(before, before) == []
    previous = {u: dict(rows) for u, rows in before.items()}
    previous["ubnd-tinh"]["B.2.2.a"] = 30
    previous["ubnd-tinh"]["B.2.5.a"] = 1
    del previous["huyen-a"]["B.3.2.a"]
    changes = compare_totals(previous, before)
    got = [(c.unit, c.row, c.before, c.after) for c in changes]
    assert got == [
        ("ubnd-tinh", "B.2.2.a", 30, 31),
        ("ubnd-tinh", "B.2.5.a", 1, None),
        ("huyen-a", "B.3.2.a", None, 30.5),
    ]


# ---- values, trees and errors ------------------------------------------------------------
def _mini_form() -> IndicatorForm:
    return IndicatorForm.model_validate(
        {
            "id": "f",
            "title": "T",
            "rows": [
                {"id": "B.1", "label": "Tổng", "unit": "Người"},
                {"id": "B.1.1", "label": "Trong đó", "unit": "Người", "of_which": "B.1"},
                {"id": "B.2", "label": "Tỷ lệ", "kind": "percent", "unit": "%"},
                {"id": "B.3", "label": "Có/không", "kind": "boolean"},
                {"id": "B.4", "label": "Tiền", "kind": "amount", "unit": "Triệu đồng"},
                {"id": "B.5", "label": "Nhóm", "kind": "group"},
            ],
        }
    )


def _flat(values: dict[str, Any]) -> Rollup:
    tree = [
        RollupUnit(slug="p", name="Tỉnh", level="province", parent=None),
        RollupUnit(slug="u", name="Đơn vị", level="district", parent="p"),
    ]
    return rollup(
        form=_mini_form(),
        tree=tree,
        submissions=[UnitValues(unit="u", values=values)],
        reporters=["u"],
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"B.1": "12", "B.1.1": " 3 ", "B.4": "1,5", "B.3": "Có", "B.2": 40}, (12, 3, 1.5, 1, 40)),
        ({"B.1": 2.0, "B.4": "0.25", "B.3": "không", "B.2": "12.5"}, (2, None, 0.25, 0, 12.5)),
        ({"B.1": None, "B.3": 1, "B.4": "", "B.2": None}, (None, None, None, 1, None)),
        ({"B.3": "", "B.1": 0}, (0, None, None, None, None)),
    ],
)
def test_values_parsed(values: dict[str, Any], expected: tuple[Any, ...]) -> None:
    compiled = _flat(values)
    root, unit = compiled.root_totals, compiled.nodes["u"]
    got = (root.value("B.1"), root.value("B.1.1"), root.value("B.4"), None, unit.value("B.2"))
    b3 = root.rows.get("B.3")
    got = (*got[:3], None if b3 is None else b3.yes, got[4])
    assert got == expected
    assert _flat(values).errors() == []


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"B.1": -1}, "giá trị -1 âm"),
        ({"B.1": True}, "giá trị 'True' không phải là số"),
        ({"B.1": "mười"}, "giá trị 'mười' không phải là số"),
        ({"B.1": float("nan")}, "giá trị 'nan' không phải là số"),
        ({"B.1": [1]}, "giá trị '[1]' không phải là số"),
        ({"B.2": 120}, "tỷ lệ 120% lớn hơn 100%"),
        ({"B.3": "có lẽ"}, "giá trị 'có lẽ' không phải Có/Không"),
        ({"B.3": 2}, "giá trị '2' không phải Có/Không"),
    ],
)
def test_invalid_values_reject_the_unit(values: dict[str, Any], reason: str) -> None:
    compiled = _flat({**values, "B.4": 5})
    (error,) = compiled.errors()
    assert error.code == "invalid_value"
    assert reason in error.message
    assert compiled.root_totals.value("B.4") is None and "B.4" not in compiled.root_totals.rows
    assert compiled.root_totals.rejected == ("u",)
    assert compiled.root_totals.missing == ()


def test_unknown_and_heading_rows_are_ignored_with_a_warning() -> None:
    compiled = _flat({"B.9": 1, "B.5": 2, "B.1": 4})
    assert [(i.code, i.row) for i in compiled.issues] == [
        ("unknown_row", "B.9"),
        ("unknown_row", "B.5"),
    ]
    assert compiled.root_totals.rows["B.1"].value == 4


def test_structural_errors() -> None:
    form = _mini_form()
    one = [RollupUnit(slug="p", name="P", level="province", parent=None)]
    with pytest.raises(CompilationError, match="không có trong cây"):
        rollup(form=form, tree=one, submissions=[UnitValues(unit="x", values={})], reporters=[])
    with pytest.raises(CompilationError, match="hơn một bộ số liệu"):
        rollup(
            form=form,
            tree=one,
            submissions=[UnitValues(unit="p", values={}), UnitValues(unit="p", values={})],
            reporters=["p"],
        )
    two_roots = [*one, RollupUnit(slug="q", name="Q", level="province", parent=None)]
    with pytest.raises(CompilationError, match="đúng một gốc"):
        rollup(form=form, tree=two_roots, submissions=[], reporters=[])
    orphan = [*one, RollupUnit(slug="q", name="Q", level="district", parent="zz")]
    with pytest.raises(CompilationError, match="cấp trên 'zz'"):
        rollup(form=form, tree=orphan, submissions=[], reporters=[])


def _plan(units: list[dict[str, Any]]) -> Plan:
    return Plan.model_validate(
        {
            "id": "p-1-kh-ubnd-2025",
            "number": "1/KH-UBND",
            "type": "Kế hoạch",
            "title": "T",
            "issuer": "UBND tỉnh P",
            "issued": "2025-01-01",
            "jurisdiction": "p",
            "validity": {"start": "2025-01-01"},
            "units": units,
        }
    )


def test_tree_without_common_ancestor_gets_a_synthetic_root() -> None:
    plan = _plan(
        [
            {"slug": "so-a", "name": "Sở A", "level": "province"},
            {"slug": "so-b", "name": "Sở B", "level": "province"},
        ]
    )
    tree = rollup_tree(plan, reporters=["so-b", "so-a"], on=date(2025, 6, 1))
    assert [(u.slug, u.parent) for u in tree] == [
        ("toan-dia-ban", None),
        ("so-a", "toan-dia-ban"),
        ("so-b", "toan-dia-ban"),
    ]
    assert tree[0].name == "Toàn địa bàn (UBND tỉnh P)"
    with pytest.raises(CompilationError, match="'so-x' không có trong kế hoạch"):
        rollup_tree(plan, reporters=["so-x"], on=date(2025, 6, 1))


def test_tree_follows_the_hierarchy_in_force() -> None:
    """From 1/7/2025 the district level is gone: communes roll up to the province directly;
    a merged district hands its communes to its single successor."""
    plan = _plan(
        [
            {"slug": "tinh", "name": "Tỉnh", "level": "province"},
            {
                "slug": "huyen-x",
                "name": "Huyện X",
                "level": "district",
                "parent": "tinh",
                "active_until": "2025-06-30",
            },
            {
                "slug": "huyen-y",
                "name": "Huyện Y",
                "level": "district",
                "parent": "tinh",
                "succeeded": [{"from": "2025-03-01", "to": ["huyen-z"]}],
            },
            {"slug": "huyen-z", "name": "Huyện Z", "level": "district", "parent": "tinh"},
            {
                "slug": "huyen-w",
                "name": "Huyện W",
                "level": "district",
                "parent": "tinh",
                "succeeded": [{"from": "2025-03-01", "to": ["huyen-z", "huyen-x"]}],
            },
            {"slug": "xa-1", "name": "Xã 1", "level": "commune", "parent": "huyen-x"},
            {"slug": "xa-2", "name": "Xã 2", "level": "commune", "parent": "huyen-y"},
            {"slug": "xa-3", "name": "Xã 3", "level": "commune", "parent": "huyen-w"},
        ]
    )
    early = rollup_tree(plan, reporters=["xa-1", "xa-2", "xa-3"], on=date(2025, 1, 31))
    assert {u.slug: u.parent for u in early} == {
        "tinh": None,
        "huyen-x": "tinh",
        "huyen-y": "tinh",
        "huyen-w": "tinh",
        "xa-1": "huyen-x",
        "xa-2": "huyen-y",
        "xa-3": "huyen-w",
    }
    late = rollup_tree(plan, reporters=["xa-1", "xa-2", "xa-3"], on=date(2025, 9, 30))
    assert {u.slug: u.parent for u in late} == {
        "tinh": None,
        "huyen-z": "tinh",
        "xa-1": "tinh",
        "xa-2": "huyen-z",
        "xa-3": "tinh",
    }


def _target(**kw: Any) -> Target:
    base = {"id": "t", "text": "x", "where": "I", "metric": "percent", "value": 50}
    base.update(kw)
    return Target.model_validate(base)


@pytest.mark.parametrize(
    ("target", "status", "actual"),
    [
        (
            {
                "comparator": "=",
                "value": 50,
                "indicator": {"form": "f", "numerator": "B.1.1", "denominator": "B.1"},
            },
            "met",
            50.0,
        ),
        (
            {
                "comparator": "<=",
                "value": 40,
                "indicator": {"form": "f", "numerator": "B.1.1", "denominator": "B.1"},
            },
            "not_met",
            50.0,
        ),
        (
            {
                "comparator": ">",
                "value": 50,
                "indicator": {"form": "f", "numerator": "B.1.1", "denominator": "B.1"},
            },
            "not_met",
            50.0,
        ),
        (
            {
                "comparator": ">=",
                "value": 50,
                "indicator": {"form": "f", "numerator": "B.1.1", "denominator": "B.1"},
            },
            "met",
            50.0,
        ),
        (
            {
                "comparator": "range",
                "value": 3,
                "value_max": 5,
                "metric": "count",
                "indicator": {"form": "f", "numerator": "B.1"},
            },
            "met",
            4.0,
        ),
        (
            {
                "comparator": "range",
                "value": 5,
                "metric": "count",
                "indicator": {"form": "f", "numerator": "B.1"},
            },
            "not_met",
            4.0,
        ),
        (
            {
                "metric": "count",
                "value": 0.4,
                "indicator": {"form": "f", "numerator": "B.1.1", "denominator": "B.1"},
            },
            "met",
            0.5,
        ),
        (
            {"metric": "yes_no", "value": 1, "indicator": {"form": "f", "numerator": "B.3"}},
            "met",
            1.0,
        ),
        (
            {"metric": "count", "value": 2, "indicator": {"form": "f", "numerator": "B.3"}},
            "not_met",
            1.0,
        ),
        ({"value": 30, "indicator": {"form": "f", "numerator": "B.2"}}, "met", 35.0),
        ({"indicator": {"form": "f", "numerator": "B.1", "denominator": "B.4"}}, "no_data", None),
    ],
)
def test_target_comparators(target: dict[str, Any], status: str, actual: float | None) -> None:
    compiled = _flat({"B.1": 4, "B.1.1": 2, "B.3": True, "B.2": 35})
    (result,) = evaluate_targets(
        targets=[_target(**target)], form=_mini_form(), totals=compiled.nodes["u"]
    )
    assert (result.status, result.actual) == (status, actual)


def test_target_edge_cases() -> None:
    form = _mini_form()
    compiled = _flat({"B.1": 0, "B.1.1": 0, "B.4": 0})
    zero = _target(indicator={"form": "f", "numerator": "B.1.1", "denominator": "B.4"})
    elsewhere = _target(indicator={"form": "other", "numerator": "B.1"})
    no_value = _target(value=None, metric="count", indicator={"form": "f", "numerator": "B.1"})
    results = evaluate_targets(
        targets=[zero, elsewhere, no_value, _target()], form=form, totals=compiled.root_totals
    )
    assert [(r.status, r.reason, r.goal) for r in results] == [
        ("no_data", "dòng B.4 «Tiền» bằng 0", "≥ 50%"),
        ("not_set", None, ""),
    ]
    assert results[1].actual_text == "0"
    assert results[1].status_vi == "Kế hoạch không đặt mức"
    tree = [
        RollupUnit(slug="p", name="P", level="province", parent=None),
        RollupUnit(slug="a", name="A", level="district", parent="p"),
        RollupUnit(slug="b", name="B", level="district", parent="p"),
    ]
    two = rollup(
        form=form,
        tree=tree,
        submissions=[
            UnitValues(unit="a", values={"B.2": 10}),
            UnitValues(unit="b", values={"B.2": 30}),
        ],
        reporters=["a", "b"],
    )
    (result,) = evaluate_targets(
        targets=[_target(indicator={"form": "f", "numerator": "B.2"})],
        form=form,
        totals=two.root_totals,
    )
    assert result.status == "no_data"
    assert result.reason == "dòng B.2 «Tỷ lệ» không tổng hợp được (thiếu tử số, mẫu số)"
    assert result.actual_text == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "Có"),
        (False, "Không"),
        (0, "0"),
        (1234567, "1.234.567"),
        (1234.5, "1.234,5"),
        (24.75, "24,75"),
        (2.0, "2"),
        (0.126, "0,13"),
    ],
)
def test_format_number(value: Any, text: str) -> None:
    assert format_number(value) == text


def test_long_labels_are_shortened_in_messages() -> None:
    form = IndicatorForm.model_validate(
        {
            "id": "f",
            "title": "T",
            "rows": [{"id": "B.1", "label": "x" * 100, "unit": "Người"}],
        }
    )
    tree = [RollupUnit(slug="p", name="P", level="province", parent=None)]
    out = rollup(
        form=form,
        tree=tree,
        submissions=[UnitValues(unit="p", values={"B.1": "?"})],
        reporters=["p"],
    )
    assert ("x" * 80 + "…") in out.issues[0].message


def test_tree_with_an_unknown_parent_stops_there() -> None:
    plan = _plan([{"slug": "so-a", "name": "Sở A", "level": "province", "parent": "khong-co"}])
    assert [
        (u.slug, u.parent) for u in rollup_tree(plan, reporters=["so-a"], on=date(2025, 1, 1))
    ] == [("so-a", None)]


CALENDARS = Path(__file__).resolve().parents[2] / "calendars"


@pytest.mark.parametrize(
    ("plan_file", "target_id", "inspected", "status"),
    [
        ("ha-noi-255-kh-ubnd-2021.yaml", "t001-10", 61, "met"),  # «trên 60%»: strict
        ("ha-noi-255-kh-ubnd-2021.yaml", "t001-10", 60, "not_met"),
        ("quang-ngai-1736-qd-ubnd-2021.yaml", "t004-08", 20, "met"),  # «ít nhất 20%»
        ("quang-ngai-1736-qd-ubnd-2021.yaml", "t004-08", 19, "not_met"),
    ],
)
def test_stored_comparators_of_real_targets(
    plan_file: str, target_id: str, inspected: int, status: str
) -> None:
    """The share of vulnerable establishments inspected, judged with each plan's own
    comparator; the rows are those of a form measuring it (inspected / establishments)."""
    plan = load_plan_file(CALENDARS / plan_file)
    (target,) = [t for t in plan.targets if t.id == target_id]
    measured = target.model_copy(
        update={"indicator": TargetIndicator(form="f", numerator="B.1.1", denominator="B.1")}
    )
    compiled = _flat({"B.1": 100, "B.1.1": inspected})
    (result,) = evaluate_targets(targets=[measured], form=_mini_form(), totals=compiled.root_totals)
    assert (result.status, result.actual) == (status, float(inspected))
