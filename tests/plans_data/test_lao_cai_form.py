"""The five-year data form of Lào Cai 142/KH-UBND («BIỂU TỔNG HỢP SỐ LIỆU 05 NĂM»).

The answer file ``answers/lao_cai_form_rows.csv`` is DOMAIN §5.2 (row id, seed line, unit as
printed, «Trong đó» mark, verbatim label with its printed number) taken as is; the form in
the plan file must agree with it and with the seed lines themselves.
"""

from __future__ import annotations

import csv

import pytest
from plans_data_support import ANSWERS, FORM_ID, LAO_CAI, load, seed_text

from pcmd_workflow.domain.plan import FormRow, IndicatorForm, RowKind


@pytest.fixture(scope="module")
def form() -> IndicatorForm:
    found = load(LAO_CAI).form(FORM_ID)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def answers() -> list[dict[str, str]]:
    with (ANSWERS / "lao_cai_form_rows.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _printed(row: FormRow) -> str:
    return f"{row.number} {row.label}"


def test_row_counts(form: IndicatorForm) -> None:
    kinds = [r.kind for r in form.rows]
    assert len(form.rows) == 95
    assert sum(r.has_value for r in form.rows) == 78
    assert kinds.count(RowKind.heading) == 14
    assert kinds.count(RowKind.group) == 3
    assert sum(r.of_which is not None for r in form.rows) == 39
    assert sum(r.id.startswith("A.") for r in form.rows if r.has_value) == 3


def test_rows_follow_domain_5_2(form: IndicatorForm, answers: list[dict[str, str]]) -> None:
    assert [r.id for r in form.rows] == [a["id"] for a in answers]
    for row, answer in zip(form.rows, answers, strict=True):
        assert _printed(row) == answer["label"], row.id
        assert (row.of_which is not None) == (answer["of_which"] == "yes"), row.id
        if answer["unit_note"] in ("heading", "group"):
            assert row.kind.value == answer["unit_note"], row.id
        elif answer["unit_note"] == "":
            assert row.unit == answer["unit"], row.id


def test_labels_and_units_are_the_seed_lines(
    form: IndicatorForm, answers: list[dict[str, str]]
) -> None:
    lines = seed_text("002_03c2765de3e0d0e5.txt").split("\n")
    for row, answer in zip(form.rows, answers, strict=True):
        line = int(answer["line"])
        assert lines[line - 1] == _printed(row), row.id
        if row.id.startswith("B.") and row.has_value:
            unit_line = lines[line + 1].strip("\u00a0 ")
            assert row.unit == (unit_line or None), row.id


def test_of_which_rows_name_their_parent_by_id(form: IndicatorForm) -> None:
    for row in form.rows:
        if row.of_which is not None:
            assert row.of_which == row.id.rsplit(".", 1)[0], row.id
            parent = form.row(row.of_which)
            assert parent is not None and parent.has_value
            assert row.number == "+"


def test_partitions_stocks_and_kinds(form: IndicatorForm) -> None:
    assert {r.id for r in form.rows if r.partition} == {"B.1.1.a", "B.2.5.a", "B.3.2.a"}
    stock = {r.id for r in form.rows if r.stock}
    b1_values = {r.id for r in form.rows if r.id.startswith("B.1.") and r.has_value}
    assert stock == b1_values | {"B.2.6", "B.3.1.a"}
    assert len(b1_values) == 17
    amounts = {r.id for r in form.rows if r.kind is RowKind.amount}
    assert amounts == {
        "B.2.2.b.4.i",
        "B.2.5.d.3.i",
        "B.3.2.a",
        "B.3.2.a.1",
        "B.3.2.a.2",
        "B.3.2.a.3",
    }
    assert form.row("A.1").kind is RowKind.percent  # type: ignore[union-attr]
    assert {r.id for r in form.rows if r.kind is RowKind.boolean} == {"A.2", "A.3"}


def test_known_defects_are_encoded(form: IndicatorForm) -> None:
    no_unit = form.row("B.1.3.b.1")
    assert no_unit is not None and no_unit.unit is None and no_unit.note
    # «* Số tiền phạt», «* Số tiền được vay»: amounts describing a row, not subsets of it
    for row_id in ("B.2.2.b.4.i", "B.2.5.d.3.i"):
        row = form.row(row_id)
        assert row is not None and row.of_which is None and row.number == "*" and row.note
    duplicate = form.row("B.2.1bis")
    assert duplicate is not None and duplicate.number == "2.1."
    assert form.cutoff_note == "Lưu ý: Số liệu thống kê, báo cáo được tính đến hết ngày 30/6/2020"
