"""The XLSX template of a form and uploads: a filled template is read back exactly; bad files
(formulas, merged value cells, text in number cells, missing sheet, zip bombs, path names,
oversize) are refused with a Vietnamese reason and nothing is written."""

from __future__ import annotations

import io
import json
import secrets
import time
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, text
from web_support import VAN_BAN, count, csrf_of, lao_cai_task, new_client, portal_token

from pcmd_workflow.settings import reset_settings
from pcmd_workflow.web import create_app
from pcmd_workflow.web.xlsx_template import SHEET

ROOT = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((ROOT / "calendars/samples/van-ban-2023.yaml").read_text("utf-8"))["values"]


@pytest.fixture
def portal(app: FastAPI, engine: Engine, now: datetime) -> tuple[TestClient, str, int]:
    return (
        new_client(app),
        portal_token(VAN_BAN, now=now),
        lao_cai_task(engine, "iii2-summary", VAN_BAN),
    )


def _template(portal: tuple[TestClient, str, int]) -> bytes:
    client, token, task = portal
    answer = client.get(f"/portal/{token}/tasks/{task}/template.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    return answer.content


def _fill(data: bytes, values: dict[str, object], edit: Callable[..., None] | None = None) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    for row in range(1, ws.max_row + 1):
        row_id = ws.cell(row=row, column=1).value
        if row_id in values:
            ws.cell(row=row, column=5, value=values[row_id])
    if edit is not None:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(
    portal: tuple[TestClient, str, int], data: bytes, name: str = "bieu-mau.xlsx"
) -> object:
    client, token, task = portal
    return client.post(
        f"/portal/{token}/tasks/{task}/upload",
        data={"csrf_token": csrf_of(client)},
        files={"file": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_template_has_the_forms_rows_and_checks(portal: tuple[TestClient, str, int]) -> None:
    wb = load_workbook(io.BytesIO(_template(portal)))
    assert wb.sheetnames == [SHEET, "pcmd"]
    assert wb["pcmd"].sheet_state == "hidden"
    ws = wb[SHEET]
    assert ws["A1"].value == "BIỂU TỔNG HỢP SỐ LIỆU 05 NĂM"
    assert [ws.cell(row=6, column=c).value for c in range(1, 6)] == [
        "Mã dòng", "STT", "Nội dung", "Đơn vị tính", "Số liệu",
    ]  # fmt: skip
    rows = {ws.cell(row=r, column=1).value: r for r in range(7, ws.max_row + 1)}
    assert ws.cell(row=rows["B.1.1.a"], column=3).value.startswith("Tổng số cơ sở kinh doanh")
    assert ws.cell(row=rows["B.1.1.a"], column=4).value == "Cơ sở"
    # «Trong đó:» above the first part, the parts indented
    assert ws.cell(row=rows["B.1.1.a.1"] - 1, column=3).value == "Trong đó:"
    assert ws.cell(row=rows["B.1.1.a.1"], column=3).alignment.indent == 2
    assert ws.cell(row=rows["B.1.1.a"], column=3).alignment.indent == 0
    # every value cell of the template is empty and validated
    assert all(ws.cell(row=r, column=5).value is None for r in rows.values())
    kinds = sorted(dv.type for dv in ws.data_validations.dataValidation)
    assert kinds == ["decimal", "decimal", "list", "whole"]
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_filled_template_is_read_back_exactly(
    portal: tuple[TestClient, str, int], engine: Engine
) -> None:
    answer = _upload(portal, _fill(_template(portal), VALUES), name="Văn Bàn 2020.xlsx")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored, name, path = conn.execute(
            text('SELECT "values", file_name, file_path FROM submissions')
        ).one()
    assert json.loads(stored) == VALUES
    assert name == "Văn Bàn 2020.xlsx"
    assert path.startswith("submissions/") and path.endswith(".xlsx")
    assert count(engine, "SELECT count(*) FROM notices WHERE kind = 'receipt'") == 1


def _set(ref: str, value: object) -> Callable[..., None]:
    def edit(wb: Workbook) -> None:
        wb[SHEET][ref] = value

    return edit


def _find(wb: Workbook, row_id: str) -> int:
    ws = wb[SHEET]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == row_id)


def _formula(wb: Workbook) -> None:
    wb[SHEET].cell(row=_find(wb, "B.1.1.a"), column=5, value="=24+20")


def _merged(wb: Workbook) -> None:
    r = _find(wb, "B.1.1.a.1")
    wb[SHEET].merge_cells(start_row=r, start_column=5, end_row=r + 1, end_column=5)


def _text(wb: Workbook) -> None:
    wb[SHEET].cell(row=_find(wb, "B.1.1.a.2"), column=5, value="hai mươi")


def _renamed(wb: Workbook) -> None:
    wb[SHEET].title = "Sheet1"


def _unknown_row(wb: Workbook) -> None:
    wb[SHEET].cell(row=_find(wb, "B.1.1.a.2"), column=1, value="Z.9")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_formula, r"^ô E\d+: có công thức; chỉ nhận số liệu đã tính$"),
        (_merged, r"^vùng ô gộp E\d+:E\d+ chứa cột E «Số liệu»: không được gộp ô$"),
        (_text, r"^ô E\d+ \(dòng B\.1\.1\.a\.2\): «hai mươi» là chữ, cần nhập số$"),
        (_renamed, r"^bieu-mau\.xlsx: không có trang tính «Biểu mẫu»; hãy dùng tệp mẫu"),
        (_unknown_row, r"^ô A\d+: mã dòng «Z\.9» không có trong biểu mẫu «bieu-tong-hop-05-nam»$"),
    ],
)
def test_bad_workbooks_are_refused(
    portal: tuple[TestClient, str, int], engine: Engine, edit: Callable[..., None], expected: str
) -> None:
    import re

    answer = _upload(portal, _fill(_template(portal), {"B.1.1.a": 44}, edit))
    assert answer.status_code == 422  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert "Báo cáo chưa được nhận." in html
    items = re.findall(r"<li>([^<]+)</li>", html.split('id="server-errors"')[1])
    from html import unescape

    assert any(re.search(expected, unescape(i)) for i in items), items
    assert count(engine, "SELECT count(*) FROM submissions") == 0


def test_values_from_a_template_still_pass_the_domain_validator(
    portal: tuple[TestClient, str, int], engine: Engine
) -> None:
    answer = _upload(portal, _fill(_template(portal), {"B.1.1.a": 10, "B.1.1.a.1": 12}))
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "B.1.1.a.1: «Trong đó» (12) lớn hơn dòng B.1.1.a (10)" in answer.text  # type: ignore[attr-defined]
    assert count(engine, "SELECT count(*) FROM submissions") == 0


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return buf.getvalue()


def test_zip_bomb_is_refused_before_it_is_opened(
    portal: tuple[TestClient, str, int], engine: Engine
) -> None:
    data = _bomb()
    assert len(data) < 200_000
    started = time.perf_counter()
    answer = _upload(portal, data)
    assert time.perf_counter() - started < 5
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "nghi là bom nén" in answer.text  # type: ignore[attr-defined]
    assert count(engine, "SELECT count(*) FROM submissions") == 0


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.xlsx", "..\\..\\x.xlsx", "thu-muc/bieu.xlsx", "/tmp/x.xlsx", ".an.xlsx"],
)
def test_path_names_are_refused(
    portal: tuple[TestClient, str, int], engine: Engine, name: str
) -> None:
    answer = _upload(portal, _fill(_template(portal), {"B.1.1.a": 1}), name=name)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "tên tệp" in answer.text  # type: ignore[attr-defined]
    assert count(engine, "SELECT count(*) FROM submissions") == 0


def test_not_an_xlsx_is_refused(portal: tuple[TestClient, str, int], engine: Engine) -> None:
    answer = _upload(portal, b"%PDF-1.4 not a workbook", name="bao-cao.pdf")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "chỉ nhận tệp .xlsx" in answer.text  # type: ignore[attr-defined]
    answer = _upload(portal, b"PK\x03\x04 broken", name="bao-cao.xlsx")
    assert "không phải tệp Office hợp lệ" in answer.text  # type: ignore[attr-defined]
    assert count(engine, "SELECT count(*) FROM submissions") == 0


def test_oversize_upload_is_refused(
    engine: Engine, clock: object, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCMD_MAX_UPLOAD_BYTES", "20000")
    reset_settings()
    app = create_app(engine=engine, clock=clock)  # type: ignore[arg-type]
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    template = client.get(f"/portal/{token}/tasks/{task}/template.xlsx").content
    padded = _fill(template, {"B.1.1.a": 1}, _set("Z1", secrets.token_hex(20_000)))
    answer = client.post(
        f"/portal/{token}/tasks/{task}/upload",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("bieu.xlsx", padded)},
    )
    assert answer.status_code == 422
    assert "vượt giới hạn 20000 byte" in answer.text
    huge = client.post(
        f"/portal/{token}/tasks/{task}/upload",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("bieu.xlsx", b"PK\x03\x04" + b"0" * 700_000)},
    )
    assert huge.status_code == 413
    assert "vượt giới hạn" in huge.text
    assert count(engine, "SELECT count(*) FROM submissions") == 0


def test_task_without_a_form_takes_a_report_file(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    token = portal_token("so-ldtbxh", now=now)
    task = lao_cai_task(engine, "iv1-summary", "so-ldtbxh")
    page = client.get(f"/portal/{token}/tasks/{task}")
    assert "Báo cáo này không có biểu số liệu" in page.text
    assert 'accept=".xlsx,.docx,.pdf"' in page.text
    assert client.get(f"/portal/{token}/tasks/{task}/template.xlsx").status_code == 404

    def send(name: str, data: bytes) -> object:
        return client.post(
            f"/portal/{token}/tasks/{task}/upload",
            data={"csrf_token": csrf_of(client)},
            files={"file": (name, data)},
            follow_redirects=False,
        )

    refused = send("bao-cao.exe", b"MZ\x90\x00")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "chỉ nhận tệp .docx, .pdf, .xlsx" in refused.text  # type: ignore[attr-defined]
    fake = send("bao-cao.pdf", b"<html>not a pdf</html>")
    assert fake.status_code == 422  # type: ignore[attr-defined]
    assert "nội dung không phải tệp .pdf hợp lệ" in fake.text  # type: ignore[attr-defined]
    done = send("Báo cáo UBND tỉnh.pdf", b"%PDF-1.4\n%%EOF\n")
    assert done.status_code == 303  # type: ignore[attr-defined]
    with engine.connect() as conn:
        values, name, size = conn.execute(
            text('SELECT "values", file_name, file_size FROM submissions')
        ).one()
    assert (json.loads(values), name, size) == (None, "Báo cáo UBND tỉnh.pdf", 15)
