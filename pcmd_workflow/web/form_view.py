"""An indicator form as the portal shows it: one input per row that takes a value, labels and
units of measure as printed, «Trong đó» (of-which) rows indented under their parent, and the
attributes the browser-side check reads (the same rules as
:func:`pcmd_workflow.domain.form_values.check_values`, which decides on the server)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pcmd_workflow.domain.plan import IndicatorForm, RowKind

__all__ = [
    "FIELD_PREFIX",
    "FormRowView",
    "field_name",
    "form_rows",
    "problems_by_row",
    "values_from_form",
]

#: Form field names are ``v:<row id>`` (row ids are like ``B.1.1.a``).
FIELD_PREFIX = "v:"
_ROW_PROBLEM = re.compile(r"^([A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*): ")

_KIND_HINT = {
    RowKind.count: "Số nguyên không âm",
    RowKind.amount: "Số không âm",
    RowKind.percent: "Tỷ lệ % từ 0 đến 100",
    RowKind.boolean: "Có hoặc không",
}


@dataclass(frozen=True, kw_only=True)
class FormRowView:
    id: str
    number: str
    label: str
    unit: str
    kind: str
    has_value: bool
    depth: int  # «Trong đó» nesting: 0 for a row that is part of nothing
    of_which: str | None
    of_which_intro: bool  # first «Trong đó» row under its parent: print «Trong đó:» above
    hint: str
    field: str
    dom_id: str
    value: str


def field_name(row_id: str) -> str:
    return FIELD_PREFIX + row_id


def _dom_id(row_id: str) -> str:
    return "r-" + row_id.replace(".", "-")


def _depth(form: IndicatorForm, row_id: str) -> int:
    depth, seen = 0, {row_id}
    row = form.row(row_id)
    while row is not None and row.of_which is not None and row.of_which not in seen:
        seen.add(row.of_which)
        depth += 1
        row = form.row(row.of_which)
    return depth


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_rows(form: IndicatorForm, values: Mapping[str, Any] | None = None) -> list[FormRowView]:
    """The rows of ``form`` ready for the template, prefilled with ``values``."""
    values = values or {}
    introduced: set[str] = set()
    out = []
    for row in form.rows:
        intro = row.of_which is not None and row.of_which not in introduced
        if row.of_which is not None:
            introduced.add(row.of_which)
        out.append(
            FormRowView(
                id=row.id,
                number=row.number or "",
                label=row.label,
                unit=row.unit or "",
                kind=row.kind.value,
                has_value=row.has_value,
                depth=min(_depth(form, row.id), 4),
                of_which=row.of_which,
                of_which_intro=intro,
                hint=_KIND_HINT.get(row.kind, ""),
                field=field_name(row.id),
                dom_id=_dom_id(row.id),
                value=_shown(values.get(row.id)),
            )
        )
    return out


def values_from_form(form_data: Mapping[str, Any]) -> dict[str, str]:
    """The figures of a posted form (``v:<row>`` fields; blanks are "not reported")."""
    out: dict[str, str] = {}
    for key, value in form_data.items():
        if (
            not isinstance(key, str)
            or not key.startswith(FIELD_PREFIX)
            or not isinstance(value, str)
        ):
            continue
        if value.strip():
            out[key[len(FIELD_PREFIX) :]] = value.strip()
    return out


def problems_by_row(problems: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Split validator messages (``"B.1.1: ..."``) into per-row lists and the others."""
    rows: dict[str, list[str]] = {}
    other: list[str] = []
    for text in problems:
        match = _ROW_PROBLEM.match(text)
        if match:
            rows.setdefault(match.group(1), []).append(text[match.end() :])
        else:
            other.append(text)
    return rows, other
