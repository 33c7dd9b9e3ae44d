"""Fuzzing the reader of uploaded XLSX templates (pcmd_workflow.web.xlsx_template) with
Hypothesis, bounded for CI: any workbook (value cells holding any type, formulas, dates,
NaN, huge numbers; a damaged sheet XML; flipped bytes of the whole file) gives figures or
SubmissionRejected — never another exception — and the figures it gives never crash the
form validator."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.form_values import check_values
from pcmd_workflow.domain.plan_loader import load_plan_file
from pcmd_workflow.errors import SubmissionRejected
from pcmd_workflow.web.xlsx_template import SHEET, read_filled_template, template_bytes

ROOT = Path(__file__).resolve().parents[2]
FORM = load_plan_file(ROOT / "calendars" / "lao-cai-142-kh-ubnd-2020.yaml").form(
    "bieu-tong-hop-05-nam"
)
assert FORM is not None
TEMPLATE = template_bytes(
    FORM,
    plan_ref="142/KH-UBND",
    unit_name="UBND huyện Văn Bàn",
    period="2016-2020",
    task_key="lao-cai-142-kh-ubnd-2020/iii2-summary/ubnd-huyen-van-ban/2016-2020",
    due_text="04/07/2020",
    generated_at=datetime(2020, 6, 1, 8, 0, tzinfo=LOCAL_TZ),
)
VALUE_ROWS = [
    r for r in range(1, load_workbook(io.BytesIO(TEMPLATE))[SHEET].max_row + 1)
]  # every row: headings, value rows and the lines around them
LIMIT = 10 * 1024 * 1024
FUZZ = settings(
    max_examples=60,
    deadline=3000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "=SUM(E1:E9)", "'=1", "1e309", "NaN", "-0", "44,5", "1.234.567"]),
)


def _read(data: bytes, name: str = "bieu-mau.xlsx") -> None:
    try:
        figures = read_filled_template(data, form=FORM, name=name, max_bytes=LIMIT)
    except SubmissionRejected as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
        return
    assert isinstance(figures, dict)
    checked = check_values(FORM, figures)
    assert all(isinstance(p, str) for p in checked.problems)


def _workbook(edits: list[tuple[int, int, Any]]) -> bytes:
    book = load_workbook(io.BytesIO(TEMPLATE))
    sheet = book[SHEET]
    for row, column, value in edits:
        sheet.cell(row=row, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(VALUE_ROWS), st.integers(min_value=1, max_value=7), _cells),
        min_size=1,
        max_size=12,
    )
)
def test_any_cell_values(edits: list[tuple[int, int, Any]]) -> None:
    _read(_workbook(edits))


def _rezip(data: bytes, *, member: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == member else src.read(info))
    return out.getvalue()


SHEET_XML = next(
    n for n in zipfile.ZipFile(io.BytesIO(TEMPLATE)).namelist() if n.startswith("xl/worksheets/")
)
ORIGINAL_XML = zipfile.ZipFile(io.BytesIO(TEMPLATE)).read(SHEET_XML)


@FUZZ
@given(
    position=st.integers(min_value=0, max_value=len(ORIGINAL_XML) - 1),
    cut=st.integers(min_value=0, max_value=64),
    insert=st.binary(max_size=16) | st.sampled_from([b"<", b"&", b"<f>1+1</f>", b"\x00"]),
)
def test_damaged_sheet_xml(position: int, cut: int, insert: bytes) -> None:
    xml = ORIGINAL_XML[:position] + insert + ORIGINAL_XML[position + cut :]
    _read(_rezip(TEMPLATE, member=SHEET_XML, content=xml))


@FUZZ
@given(
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(TEMPLATE) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    ),
    name=st.sampled_from(["bieu-mau.xlsx", "BIEU.XLSX", "../bieu.xlsx", "bieu.xlsx.exe"]),
)
def test_flipped_bytes_and_names(flips: list[tuple[int, int]], name: str) -> None:
    data = bytearray(TEMPLATE)
    for position, value in flips:
        data[position] = value
    _read(bytes(data), name)
