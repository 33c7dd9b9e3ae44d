"""Demonstration: the Lào Cai 2016-2020 summary compiled from the Văn Bàn figures (seed 003,
used as that district's values) and invented figures for the other eight districts.

The plan file and the sample are the repository's own (calendars/); the province totals
and Văn Bàn's cells are literals in tests/compile/answers/lao_cai_totals.yaml.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from compile_support import ANSWERS, HERE, load_yaml
from docx import Document
from openpyxl import load_workbook

from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.domain.plan import FormRow, IndicatorForm
from pcmd_workflow.services.compile import CompilationResult, compile_period
from pcmd_workflow.services.plans import load_plans, stored_plan
from pcmd_workflow.services.submissions import review, submit
from pcmd_workflow.services.tasks import list_tasks
from pcmd_workflow.store import db

REPO = HERE.parent.parent
PLAN_FILE = REPO / "calendars" / "lao-cai-142-kh-ubnd-2020.yaml"
SAMPLE = REPO / "calendars" / "samples" / "van-ban-2023.yaml"
PLAN = "lao-cai-142-kh-ubnd-2020"
OBLIGATION = "iii2-summary"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@pytest.fixture
def demo(database_url: str, tmp_path: Path, artifacts_dir: Path) -> tuple[CompilationResult, Any]:
    districts = load_yaml(HERE / "lao_cai_districts.yaml")
    engine = db.make_engine(database_url)
    clock = FixedClock(local("2020-07-10T10:00:00"))
    with db.session_scope(engine) as session:
        load_plans(session, [PLAN_FILE], clock=FixedClock(local("2020-05-20T08:00:00")))
    with db.session_scope(engine) as session:
        tasks = {
            v.reporter: v.task_id
            for v in list_tasks(session, as_of=date(2020, 6, 1), plan_id=PLAN)
            if v.obligation == OBLIGATION and v.period == "2016-2020"
        }
        assert len(tasks) == 9
        for unit, task_id in tasks.items():
            at = local(
                "2020-07-08T15:00:00" if unit == "ubnd-huyen-bao-yen" else "2020-07-03T09:00:00"
            )
            if unit == "ubnd-huyen-van-ban":
                receipt = submit(session, task_id=task_id, clock=clock, values_file=SAMPLE, at=at)
                assert any("unmapped" in n for n in receipt.notices)
            else:
                submit(session, task_id=task_id, clock=clock, values=districts[unit], at=at)
            review(session, task_id=task_id, accept=True, clock=clock, at=at)
    with db.session_scope(engine) as session:
        result = compile_period(
            session,
            plan_id=PLAN,
            obligation=OBLIGATION,
            period="2016-2020",
            as_of=date(2020, 7, 10),
            out_dir=tmp_path / "out",
            clock=clock,
        )
        form = stored_plan(session, PLAN).form("bieu-tong-hop-05-nam")
    engine.dispose()
    shown = artifacts_dir / "lao-cai-demo"
    shown.mkdir(exist_ok=True)
    for path in result.files.values():
        shutil.copy(path, shown / path.name)
    return result, form


def _label(row: FormRow) -> str:
    return f"{row.number} {row.label}" if row.number else row.label


def _column_c(ws: Any, form: IndicatorForm) -> dict[str, Any]:
    """Column C of the sheet by row id: form rows appear in order, between part headings."""
    rows = iter(form.rows)
    expected = next(rows, None)
    found: dict[str, Any] = {}
    for cells in ws.iter_rows():
        if expected is not None and cells[0].value == _label(expected):
            found[expected.id] = cells[2].value
            expected = next(rows, None)
    assert expected is None, f"row {expected.id if expected else ''} not found in {ws.title}"
    return found


def test_lao_cai_summary_with_van_ban(demo: tuple[CompilationResult, Any]) -> None:
    result, form = demo
    answers = load_yaml(ANSWERS / "lao_cai_totals.yaml")
    summary = result.summary()
    assert {k: summary[k] for k in answers["summary"]} == answers["summary"]
    wb = load_workbook(result.files["xlsx"])
    assert wb.sheetnames == answers["sheets"]
    province = _column_c(wb["Toàn tỉnh"], form)
    for row_id, value in answers["province"].items():
        assert province[row_id] == value, row_id
    van_ban = _column_c(wb["Huyện Văn Bàn"], form)
    for row_id, value in answers["van_ban"].items():
        assert van_ban[row_id] == value, row_id
    # every numeric province figure is the sum of the nine district sheets
    districts = [_column_c(wb[name], form) for name in answers["sheets"][1:]]
    for row in form.rows:
        if row.kind.value in ("count", "amount") and province[row.id] is not None:
            parts = [d[row.id] for d in districts if d[row.id] is not None]
            assert province[row.id] == pytest.approx(sum(parts)), row.id
    # the form's own layout: headings, columns, cut-off note and sign-off
    ws = wb["Toàn tỉnh"]
    column_a = [c.value for c in ws["A"]]
    assert column_a[:2] == ["PHỤ LỤC", "BIỂU TỔNG HỢP SỐ LIỆU 05 NĂM"]
    assert "A. THỰC HIỆN CHỈ TIÊU" in column_a and "B. KẾT QUẢ THỰC HIỆN" in column_a
    assert "Lưu ý: Số liệu thống kê, báo cáo được tính đến hết ngày 30/6/2020" in column_a
    assert column_a[-2:] == ["NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"]
    header = [c.value for c in ws[column_a.index("B. KẾT QUẢ THỰC HIỆN") + 2]]
    assert header == ["Nội dung", "Đơn vị tính", "Số lượng", "Ghi chú"]


def test_lao_cai_report_follows_the_outline(demo: tuple[CompilationResult, Any]) -> None:
    result, _form = demo
    doc = Document(str(result.files["docx"]))
    texts = [p.text for p in doc.paragraphs if p.text]
    headings = [
        "I. KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH",
        "1. Công tác tổ chức điều hành Chương trình",
        "2. Kết quả việc thực hiện các mục tiêu, chỉ tiêu",
        "3.5. Công tác đấu tranh, xử lý nghiêm minh các hành vi vi phạm pháp luật, tội phạm "
        "liên quan đến mại dâm",
        "4. Kinh phí",
        "II. ĐÁNH GIÁ SAU 05 NĂM THỰC HIỆN CHƯƠNG TRÌNH",
        "III. PHƯƠNG HƯỚNG CHO GIAI ĐOẠN 2021 - 2025",
    ]
    positions = [texts.index(h) for h in headings]
    assert positions == sorted(positions)
    assert (
        "- Tổng số cơ sở kinh doanh dịch vụ dễ phát sinh tệ nạn mại dâm hiện có trên địa bàn: "
        "436 cơ sở."
    ) in texts
    assert (
        "- Tổng số kinh phí chi cho công tác PCMD giai đoạn 2016-2020: 640,75 triệu đồng." in texts
    )
    header = doc.tables[0].rows[0].cells
    assert header[0].text.split("\n")[:2] == ["ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI"]
    assert "Lào Cai, ngày … tháng … năm 2020" in header[1].text
    targets = doc.tables[2]
    assert [c.text for c in targets.rows[2].cells][3:] == ["Có: 6/8", "Kế hoạch không đặt mức"]
