"""Figures checked against a form: every problem at once, with the row it concerns."""

from __future__ import annotations

from pcmd_workflow.domain.form_values import check_values, values_of_document
from pcmd_workflow.domain.plan import IndicatorForm

FORM = IndicatorForm.model_validate(
    {
        "id": "bieu-quy",
        "title": "Biểu số liệu quý",
        "rows": [
            {"id": "A", "label": "Kết quả", "kind": "heading"},
            {"id": "A.1", "label": "Số cơ sở được kiểm tra", "partition": True},
            {"id": "A.1.1", "label": "Trong đó cơ sở lưu trú", "of_which": "A.1"},
            {"id": "A.1.2", "label": "Trong đó cơ sở karaoke", "of_which": "A.1"},
            {"id": "A.2", "label": "Tỷ lệ xã lành mạnh", "kind": "percent"},
            {"id": "A.3", "label": "Có kế hoạch riêng", "kind": "boolean"},
            {"id": "A.4", "label": "Kinh phí", "kind": "amount"},
        ],
    }
)


def test_good_figures_are_normalised() -> None:
    checked = check_values(
        FORM,
        {"A.1": "10", "A.1.1": 4, "A.1.2": 6.0, "A.2": "37,5", "A.3": "Có", "A.4": 12.5},
    )
    assert checked.ok
    assert checked.values == {
        "A.1": 10,
        "A.1.1": 4,
        "A.1.2": 6,
        "A.2": 37.5,
        "A.3": True,
        "A.4": 12.5,
    }
    assert checked.warnings == []


def test_every_problem_is_listed() -> None:
    checked = check_values(
        FORM,
        {
            "A": 1,
            "A.1": 5,
            "A.1.1": 9,
            "A.1.2": -1,
            "A.2": 120,
            "A.3": "maybe",
            "A.4": float("nan"),
            "Z.9": 3,
        },
    )
    assert checked.problems == [
        "A: dòng «Kết quả» là tiêu đề, không nhận số liệu",
        "A.1.2: số liệu không được âm, nhận -1",
        "A.2: tỷ lệ phần trăm phải trong khoảng 0–100, nhận 120",
        "A.3: phải là «có» hoặc «không» (yes/no), nhận 'maybe'",
        "A.4: giá trị nan không hữu hạn (NaN hoặc vô cực)",
        "Z.9: không có dòng này trong biểu mẫu «bieu-quy»",
        "A.1.1: «Trong đó» (9) lớn hơn dòng A.1 (5)",
    ]


def test_counts_must_be_whole_numbers_and_numbers() -> None:
    checked = check_values(FORM, {"A.1": "mười", "A.1.1": 2.5, "A.1.2": True, "A.4": "1e400"})
    assert checked.problems == [
        "A.1: 'mười' không phải là số",
        "A.1.1: số lượng phải là số nguyên, nhận 2.5",
        "A.1.2: True không phải là số",
        "A.4: giá trị '1e400' không hữu hạn (NaN hoặc vô cực)",
    ]


def test_booleans_accept_yes_no_forms() -> None:
    for raw, expected in [("không", False), ("yes", True), (0, False), (True, True), ("1", True)]:
        assert check_values(FORM, {"A.3": raw}).values == {"A.3": expected}


def test_partition_mismatch_is_a_warning_only() -> None:
    checked = check_values(FORM, {"A.1": 10, "A.1.1": 3, "A.1.2": 4})
    assert checked.ok
    assert checked.warnings == ["A.1: tổng các dòng «Trong đó» (7) khác dòng A.1 (10)"]


def test_empty_values_are_not_reported() -> None:
    checked = check_values(FORM, {"A.1": None, "A.2": "  "})
    assert checked.ok
    assert checked.values == {}


def test_without_a_form_values_are_kept_when_sensible() -> None:
    checked = check_values(None, {"ghi_chu": "đã họp", "so_vu": 3, "x": None, "y": float("inf")})
    assert checked.values == {"ghi_chu": "đã họp", "so_vu": 3}
    assert checked.problems == ["y: inf không phải là số, có/không hoặc văn bản"]


def test_document_unmapped_figures_are_ignored_with_a_notice() -> None:
    values, problems, notices = values_of_document(
        {"values": {"A.1": 3, "unmapped": {"x": 1, "y": 2}}, "unmapped": {"z": 3}, "note": "n"}
    )
    assert values == {"A.1": 3}
    assert problems == []
    assert notices == [
        "bỏ qua 2 số liệu trong «unmapped» (không khớp dòng nào của biểu mẫu, không được tính)",
        "bỏ qua 1 số liệu trong «unmapped» (không khớp dòng nào của biểu mẫu, không được tính)",
        "bỏ qua khóa «note»: không phải số liệu của biểu mẫu",
    ]


def test_document_shape_problems() -> None:
    assert values_of_document([1, 2])[1] == [
        'tệp số liệu phải là một bảng dạng {"values": {"B.1.1": 44, ...}}'
    ]
    assert values_of_document({"figures": {}})[1] == [
        'thiếu khóa «values» (bảng mã dòng → số liệu), ví dụ {"values": {"B.1.1": 44}}'
    ]
    assert values_of_document({"values": {1: 2}})[1] == [
        "1: mã dòng phải là chuỗi ký tự, ví dụ «B.1.1»"
    ]
