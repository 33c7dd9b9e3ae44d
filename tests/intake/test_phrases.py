"""The phrase grammar on literal phrases: dates, due phrases, cut-offs, cadences, targets."""

from __future__ import annotations

from datetime import date

import pytest

from pcmd_workflow.domain.due_rules import parse_due_rule
from pcmd_workflow.intake import (
    find_cadences,
    find_cutoffs,
    find_dates,
    find_dues,
    find_periods,
    find_targets,
    fold,
)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("ngày 20 tháng 11 năm 2013", [(20, 11, 2013)]),
        ("ngày 05 tháng 7", [(5, 7, None)]),
        ("ngày 20 tháng mười một năm 2013", [(20, 11, 2013)]),
        ("trước ngày 05/7", [(5, 7, None)]),
        ("ngày 05/7/2020", [(5, 7, 2020)]),
        ("ngày 17-6-2024", [(17, 6, 2024)]),
        ("ngày 31/2", []),  # not a date
        ("có 44/44 cơ sở", []),  # 44 is not a month
        ("giai đoạn 2021-2025", []),
        ("tăng từ 3-5%", []),
    ],
)
def test_dates(phrase: str, expected: list[tuple[int, int, int | None]]) -> None:
    found = [(d.day, d.month, d.year) for d in find_dates(fold(phrase))]
    assert found == expected


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("trước ngày 17/6", "before 17/06"),
        ("trước ngày 05/7/2020", "before 05/07/2020"),
        (
            "hoàn thành báo cáo trước ngày 05/7/2020 (không tổ chức Hội nghị riêng)",
            "before 05/07/2020",
        ),
        ("trước ngày 20 tháng 11 năm 2013", "before 20/11/2013"),
        ("chậm nhất ngày 10/01", "by 10/01"),
        ("chậm nhất là vào ngày 15 tháng 12", "by 15/12"),
        ("trong vòng 02 ngày làm việc", "after-cutoff 2 working-days"),
        ("trong thời hạn 5 ngày", "after-cutoff 5 days"),
    ],
)
def test_due_phrases_become_rules(phrase: str, rule: str) -> None:
    dues = find_dues(fold(phrase))
    assert [d.rule for d in dues] == [rule]
    parse_due_rule(rule)  # the rule is in the grammar plan files use


@pytest.mark.parametrize(
    "phrase",
    [
        "Thực hiện Quyết định số 1629/QĐ-TTg ngày 28/9/2021 của Thủ tướng Chính phủ",
        "Hà Nội, ngày 16 tháng 11 năm 2021",
        "giai đoạn 2021-2025",
        "Nghị định số 178/2004/NĐ-CP ngày 15/10/2004",
        "Trong năm, có 44/44 cơ sở đã thực hiện cam kết",
    ],
)
def test_phrases_that_are_not_deadlines(phrase: str) -> None:
    assert find_dues(fold(phrase)) == []


def test_day_without_month_is_flagged_not_guessed() -> None:
    (due,) = find_dues(fold("báo cáo trước ngày 15 hằng tháng"))
    assert due.rule is None and due.kind == "day_only"


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        (
            "Lưu ý: Số liệu thống kê, báo cáo được tính đến hết ngày 30/6/2020",
            None,
            date(2020, 6, 30),
        ),
        (
            "số liệu tính từ ngày 15/12/2019 đến ngày 14/6/2020",
            date(2019, 12, 15),
            date(2020, 6, 14),
        ),
    ],
)
def test_cutoffs(phrase: str, start: date | None, end: date) -> None:
    (cut,) = find_cutoffs(fold(phrase))
    assert (cut.start_date, cut.end_date) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "cadences"),
    [
        (
            "Tổng hợp báo cáo đột xuất, định kỳ tháng, quý, 6 tháng, năm về công tác",
            ["adhoc", "monthly", "quarterly", "semiannual", "annual"],
        ),
        (
            "Thực hiện chế độ báo cáo nhanh, báo cáo định kỳ tháng, quý, năm về kết quả",
            ["flash", "monthly", "quarterly", "annual"],
        ),
        ("Định kỳ quý, năm các sở, ngành", ["quarterly", "annual"]),
        ("Định kỳ 6 tháng, 01 năm, đột xuất, tổng hợp báo cáo", ["semiannual", "annual", "adhoc"]),
        ("báo cáo hằng tháng", ["monthly"]),
        ("báo cáo hàng năm", ["annual"]),
        ("báo cáo định kỳ 9 tháng", ["ninemonth"]),
        ("tổng kết 05 năm thực hiện", ["summary"]),  # five years is not a year
        ("báo cáo năm 2020; ngày 20 tháng 11", []),  # dates are not cadences
        ("ít nhất một năm hai lần", []),  # a frequency target, not a cadence
    ],
)
def test_cadences(phrase: str, cadences: list[str]) -> None:
    assert [c.cadence.value for c in find_cadences(fold(phrase))] == cadences


def test_due_in_brackets_belongs_to_its_cadence() -> None:
    text = fold(
        "định kỳ 6 tháng (trước ngày 17/6), 01 năm (trước ngày 17/12) và tổng kết có báo cáo"
    )
    found = [
        (c.cadence.value, c.attached_due.rule if c.attached_due else None)
        for c in find_cadences(text)
    ]
    assert found == [
        ("semiannual", "before 17/06"),
        ("annual", "before 17/12"),
        ("summary", None),
    ]


def test_interim_review_is_a_summary_marked_review() -> None:
    (review, final) = find_cadences(fold("tổ chức sơ kết, tổng kết việc thực hiện"))
    assert (review.cadence.value, review.review) == ("summary", True)
    assert (final.cadence.value, final.review) == ("summary", False)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Ít nhất 70% số xã", [("percent", ">=", 70, None)]),
        ("100% các huyện", [("percent", ">=", 100, None)]),
        ("tổ chức kiểm tra trên 60% số cơ sở", [("percent", ">", 60, None)]),
        ("Hàng năm, tăng từ 3-5% số tội phạm", [("increase_rate", "range", 3, 5)]),
        ("Hàng năm, tăng 3 - 5% số tội phạm", [("increase_rate", "range", 3, 5)]),
        ("Có từ 01 đến 02 huyện, thị xã", [("count", "range", 1, 2)]),
        ("đến năm 2025,100% các cơ sở", [("percent", ">=", 100, None)]),  # not «2025,100»
        ("ít nhất một tháng một lần", [("frequency", ">=", 1, None)]),
        ("không để phát sinh điểm mới", [("zero_count", "=", 0, None)]),
        ("(đơn vị tính %)", []),
        ("giai đoạn 2021-2025", []),
    ],
)
def test_targets(phrase: str, expected: list[tuple[str, str, float, float | None]]) -> None:
    found = [(t.metric, t.comparator, t.value, t.value_max) for t in find_targets(fold(phrase))]
    assert found == expected


def test_periods_are_ranges_of_years() -> None:
    assert find_periods(fold("giai đoạn 2016 - 2020 và giai đoạn 2021 - 2026")) == [
        (2016, 2020, "giai đoạn 2016 - 2020"),
        (2021, 2026, "giai đoạn 2021 - 2026"),
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("văn hoá", "văn hóa"),
        ("UBND tỉnh", "Ủy ban nhân dân tỉnh"),
        ("Sở LĐTBXH", "Sở Lao động - Thương binh và Xã hội"),
        ("phòng, chng", "phòng, chống"),
        ("tổng hp", "tổng hợp"),
        ("thu nhập n định", "thu nhập ổn định"),
        ("theo qui định", "theo quy định"),
        ("a\u00a0\tb", "a b"),
    ],
)
def test_fold_makes_variants_equal(a: str, b: str) -> None:
    from pcmd_workflow.intake.matching import fold_name

    assert fold_name(a) == fold_name(b)
