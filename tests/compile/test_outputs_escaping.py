"""Outputs never turn submitted or plan text into formulas, markup or broken XML."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from pcmd_workflow.domain.indicators import TaskEntry, UnitValues
from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.errors import CompilationError
from pcmd_workflow.services.compile import build_report, load_layout, render_html, write_outputs

HOSTILE = '=HYPERLINK("http://x.invalid","bấm")'


def _plan() -> Plan:
    return Plan.model_validate(
        {
            "id": "thu-1-kh-ubnd-2024",
            "number": "1/KH-UBND",
            "type": "Kế hoạch",
            "title": "T",
            "issuer": "Sở <b>Thử</b>",
            "issued": "2024-01-02",
            "place": "Hà Nội",
            "jurisdiction": "thu",
            "validity": {"start": "2024-01-01"},
            "units": [
                {"slug": "tinh", "name": "Tỉnh", "level": "province"},
                {"slug": "huyen-x", "name": "@huyện X\x07", "level": "district", "parent": "tinh"},
                {
                    "slug": "huyen-y",
                    "name": "<img src=x onerror=alert(1)>",
                    "level": "district",
                    "parent": "tinh",
                },
            ],
            "obligations": [
                {
                    "id": "bc",
                    "title": "+Báo cáo",
                    "reporters": ["huyen-x", "huyen-y"],
                    "recipient": "tinh",
                    "cadence": "annual",
                    "form": "f",
                    "clause": "c",
                    "where": "I",
                }
            ],
            "forms": [
                {
                    "id": "f",
                    "title": "-BIỂU",
                    "rows": [
                        {"id": "B.1", "number": "=1+1", "label": HOSTILE, "unit": "@SUM(A1)"},
                        {"id": "B.2", "label": "+cmd|' /C calc'!A0", "unit": "-Người"},
                    ],
                }
            ],
        }
    )


def test_text_stays_text(tmp_path: Path) -> None:
    plan = _plan()
    report = build_report(
        plan=plan,
        obligation="bc",
        period="2024",
        entries=[
            TaskEntry(unit="huyen-x", name="@huyện X", status="submitted_on_time"),
            TaskEntry(unit="huyen-y", name="<img src=x onerror=alert(1)>", status="overdue"),
        ],
        submissions=[UnitValues(unit="huyen-x", values={"B.1": 3, "B.2": 1})],
        as_of=datetime(2024, 12, 20, tzinfo=UTC),
    )
    files = write_outputs(report, out_dir=tmp_path)
    wb = load_workbook(files["xlsx"])
    assert wb.sheetnames == ["Toàn tỉnh", "@huyện X", "<img src=x onerror=alert(1)>"]
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert f"=1+1 {HOSTILE}" in texts and "@SUM(A1)" in texts and "-Người" in texts
    for c in cells:
        if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")):
            assert c.quotePrefix, c.coordinate
    assert "Đơn vị: @huyện X (số liệu của đơn vị) — kỳ báo cáo 2024" in texts  # \x07 removed
    doc = Document(str(files["docx"]))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert f"- {HOSTILE}: 3 @sum(a1)." in body
    assert "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN" in body  # the generic outline
    names = [r.cells[1].text for r in doc.tables[1].rows]
    assert names == ["Đơn vị", "@huyện X", "<img src=x onerror=alert(1)>"]
    html = render_html(report)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>" not in html


def test_bad_layout_is_named(tmp_path: Path) -> None:
    (tmp_path / "thu-1-kh-ubnd-2024.yaml").write_text(
        "report:\n  outline:\n    - {heading: I, level: 7}\n", encoding="utf-8"
    )
    with pytest.raises(CompilationError, match=r"thu-1-kh-ubnd-2024.yaml: bố cục báo cáo"):
        load_layout("thu-1-kh-ubnd-2024", directory=tmp_path)
    (tmp_path / "thu-1-kh-ubnd-2024.yaml").write_text("sheet: [1, 2\n", encoding="utf-8")
    with pytest.raises(CompilationError, match="không hợp lệ"):
        load_layout("thu-1-kh-ubnd-2024", directory=tmp_path)
    assert load_layout("khong-co", directory=tmp_path).outline == ()


def test_unknown_obligation_or_formless_duty() -> None:
    plan = _plan()
    kwargs = {"period": "2024", "entries": [], "submissions": [], "as_of": datetime.now(UTC)}
    with pytest.raises(CompilationError, match="không có nhiệm vụ báo cáo 'x' \\(có: bc\\)"):
        build_report(plan=plan, obligation="x", **kwargs)  # type: ignore[arg-type]
    body = plan.model_dump(mode="json", by_alias=True, exclude_none=True)
    body["obligations"][0].pop("form")
    with pytest.raises(CompilationError, match="không có biểu số liệu"):
        build_report(plan=Plan.model_validate(body), obligation="bc", **kwargs)  # type: ignore[arg-type]
