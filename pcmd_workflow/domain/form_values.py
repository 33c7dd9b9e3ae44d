"""Submitted figures checked against an indicator form (pure; used by submit, portal, compile).

Rules (ARCHITECTURE "Submissions and compilation"; DOMAIN Q13, Q14):

- every key is a row id of the form; a heading or group row takes no value;
- counts are whole numbers >= 0; amounts are numbers >= 0; percents lie in 0–100; a yes/no
  row takes «có»/«không» (yes/no, true/false, 1/0); NaN and infinities are refused;
- a «Trong đó» (of-which) row may not exceed its parent (a hard error); the parts of a
  partition that do not add up to the parent give a warning only;
- figures that fit no row are kept by the sender under ``unmapped:`` and ignored with a
  notice (CONTRACTS "Tasks, submissions, review", the Văn Bàn sample).

Every problem is reported at once, each naming the row, so the sender fixes all of them in
one go. Messages are Vietnamese: they are shown to the reporting unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pcmd_workflow.domain.plan import IndicatorForm, RowKind

__all__ = [
    "UNMAPPED_KEY",
    "CheckedValues",
    "FigureValue",
    "check_values",
    "values_of_document",
]

UNMAPPED_KEY = "unmapped"
FigureValue = int | float | bool

_YES = frozenset({"có", "co", "yes", "true", "x"})
_NO = frozenset({"không", "khong", "no", "false"})
_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_TOLERANCE = 1e-9


@dataclass(frozen=True, kw_only=True)
class CheckedValues:
    """The figures as numbers and booleans, with every problem, warning and notice found."""

    values: dict[str, FigureValue] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def values_of_document(document: Any) -> tuple[dict[str, Any], list[str], list[str]]:
    """``(values, problems, notices)`` of a submitted document ``{"values": {...}}``.

    A top-level or nested ``unmapped`` mapping is dropped with a notice; other top-level keys
    are not figures and are ignored with a notice.
    """
    problems: list[str] = []
    notices: list[str] = []
    if not isinstance(document, Mapping):
        return {}, ['tệp số liệu phải là một bảng dạng {"values": {"B.1.1": 44, ...}}'], []
    raw = document.get("values")
    if not isinstance(raw, Mapping):
        problems.append(
            'thiếu khóa «values» (bảng mã dòng → số liệu), ví dụ {"values": {"B.1.1": 44}}'
        )
        raw = {}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == UNMAPPED_KEY:
            notices.append(_unmapped_notice(value))
        elif not isinstance(key, str):
            problems.append(f"{key!r}: mã dòng phải là chuỗi ký tự, ví dụ «B.1.1»")
        else:
            values[key] = value
    for key in document:
        if key == UNMAPPED_KEY:
            notices.append(_unmapped_notice(document[key]))
        elif key != "values":
            notices.append(f"bỏ qua khóa «{key}»: không phải số liệu của biểu mẫu")
    return values, problems, notices


def _unmapped_notice(value: Any) -> str:
    count = len(value) if isinstance(value, Mapping | list) else 1
    return (
        f"bỏ qua {count} số liệu trong «{UNMAPPED_KEY}» "
        "(không khớp dòng nào của biểu mẫu, không được tính)"
    )


def _number(raw: Any) -> float | int | None:
    """``raw`` as a number, or None when it is not one (booleans are not numbers)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return raw
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "")
        if not _NUMBER_RE.match(text):
            return None
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        return float(text.replace(",", "."))
    return None


def _boolean(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _YES or text == "1":
            return True
        if text in _NO or text == "0":
            return False
    return None


def _tidy(value: float | int) -> float | int:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _check_one(kind: RowKind, row_id: str, raw: Any, problems: list[str]) -> FigureValue | None:
    if kind is RowKind.boolean:
        flag = _boolean(raw)
        if flag is None:
            problems.append(f"{row_id}: phải là «có» hoặc «không» (yes/no), nhận {raw!r}")
        return flag
    number = _number(raw)
    if number is None:
        problems.append(f"{row_id}: {raw!r} không phải là số")
        return None
    if not math.isfinite(number):
        problems.append(f"{row_id}: giá trị {raw!r} không hữu hạn (NaN hoặc vô cực)")
        return None
    if kind is RowKind.percent:
        if not 0 <= number <= 100:
            problems.append(f"{row_id}: tỷ lệ phần trăm phải trong khoảng 0–100, nhận {raw!r}")
            return None
        return _tidy(number)
    if number < 0:
        problems.append(f"{row_id}: số liệu không được âm, nhận {raw!r}")
        return None
    if kind is RowKind.count:
        if isinstance(number, float) and not number.is_integer():
            problems.append(f"{row_id}: số lượng phải là số nguyên, nhận {raw!r}")
            return None
        return int(number)
    return _tidy(number)


def check_values(form: IndicatorForm | None, raw: Mapping[str, Any]) -> CheckedValues:
    """Check the figures ``raw`` (row id → value) against ``form``; report every problem.

    Without a form (a duty reported in prose) figures are kept as given, provided each is a
    finite number, a boolean or a text.
    """
    problems: list[str] = []
    warnings: list[str] = []
    notices: list[str] = []
    values: dict[str, FigureValue] = {}
    if form is None:
        for row_id, value in raw.items():
            if value is None:
                continue
            if isinstance(value, bool | str):
                values[row_id] = value  # type: ignore[assignment]
            elif isinstance(value, int | float) and math.isfinite(value):
                values[row_id] = value
            else:
                problems.append(f"{row_id}: {value!r} không phải là số, có/không hoặc văn bản")
        return CheckedValues(values=values, problems=problems, notices=notices)
    for row_id, value in raw.items():
        row = form.row(row_id)
        if row is None:
            problems.append(f"{row_id}: không có dòng này trong biểu mẫu «{form.id}»")
            continue
        if not row.has_value:
            problems.append(f"{row_id}: dòng «{row.label}» là tiêu đề, không nhận số liệu")
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # not reported
        checked = _check_one(row.kind, row_id, value, problems)
        if checked is not None:
            values[row_id] = checked
    for row in form.rows:
        if row.of_which is None or row.id not in values:
            continue
        parent = form.row(row.of_which)
        child_value, parent_value = values[row.id], values.get(row.of_which)
        if (
            parent is None
            or parent_value is None
            or isinstance(child_value, bool)
            or isinstance(parent_value, bool)
            or parent.kind is not row.kind
        ):
            continue
        if child_value > parent_value + _TOLERANCE:
            problems.append(
                f"{row.id}: «Trong đó» ({child_value}) lớn hơn dòng {parent.id} ({parent_value})"
            )
    for row in form.rows:
        if not row.partition or row.id not in values:
            continue
        parts = [c for c in form.children(row.id) if c.id in values]
        if not parts or len(parts) != len(form.children(row.id)):
            continue
        total = sum(float(values[c.id]) for c in parts)
        if abs(total - float(values[row.id])) > _TOLERANCE:
            warnings.append(
                f"{row.id}: tổng các dòng «Trong đó» ({_tidy(total)}) khác dòng {row.id} "
                f"({values[row.id]})"
            )
    return CheckedValues(values=values, problems=problems, warnings=warnings, notices=notices)
