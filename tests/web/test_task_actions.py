"""The task page (deadline provenance, versions, notices, audit) and the coordinator's
actions: accept, return with a reason, extend, excuse, remind now."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, text
from web_support import LC_USER, VAN_BAN, count, csrf_in, lao_cai_task, local, new_client

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.submissions import submit
from pcmd_workflow.store.db import session_scope


@pytest.fixture
def lc(app: FastAPI) -> TestClient:
    return new_client(app, user=LC_USER)


def _submitted(engine: Engine, now: datetime, values: dict[str, object] | None = None) -> int:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    with session_scope(engine) as session:
        submit(
            session,
            task_id=task,
            clock=FixedClock(now),
            values=values or {"B.1.1.a": 44},
            at=local("2020-07-03T10:15:00"),
            by="UBND huyện Văn Bàn",
            channel="portal",
        )
    return task  # fmt: skip


def _post(client: TestClient, path: str, **form: str) -> object:
    page = client.get(path.rsplit("/", 1)[0])
    return client.post(
        path, data={"csrf_token": csrf_in(page.text), **form}, follow_redirects=False
    )


def test_task_page_shows_the_deadline_and_its_clause(lc: TestClient, engine: Engine) -> None:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    html = lc.get(f"/tasks/{task}").text
    assert "<strong>Thứ Hai, 06/07/2020</strong>" in html
    assert "Kế hoạch số 142/KH-UBND, mục III.2 — quy tắc «before 05/07/2020»" in html
    assert (
        "Hạn theo văn bản</dt><dd>Thứ Bảy, 04/07/2020; dời sang Thứ Hai, 06/07/2020 vì "
        "04/07/2020 là Thứ Bảy, 05/07/2020 là Chủ nhật"
    ) in html
    assert "hoàn thành báo cáo trước ngày 05/7/2020 (không tổ chức Hội nghị riêng)" in html
    assert re.search(r"Quá hạn chưa nộp</span>\s+— chậm 2 ngày làm việc", html)
    # the ladder with the rungs passed in bold
    assert '<span class="rung passed">T+1 (07/07/2020)</span>' in html
    assert '<span class="rung ">T+3 (09/07/2020)</span>' in html


def test_default_deadline_is_labelled_national_default(lc: TestClient, engine: Engine) -> None:
    task = lao_cai_task(engine, "iv1-summary", "so-ldtbxh")
    html = lc.get(f"/tasks/{task}").text
    assert "<dt>Căn cứ hạn nộp</dt><dd>mặc định quốc gia — quy tắc «by 21/07/2020»</dd>" in html
    data = lc.get(f"/api/tasks/{task}").json()
    assert data["due_source"]["source"] == "default"
    assert data["due_source"]["label"] == "mặc định quốc gia"


def test_accept_then_nothing_left_to_review(lc: TestClient, engine: Engine, now: datetime) -> None:
    task = _submitted(engine, now)
    answer = _post(lc, f"/tasks/{task}/accept", reason="Đủ số liệu")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == f"/tasks/{task}?done=accept"  # type: ignore[attr-defined]
    html = lc.get(f"/tasks/{task}?done=accept").text
    assert "Đã chấp nhận báo cáo." in html
    assert "Đã chấp nhận: Đủ số liệu" in html
    assert "Đã nộp đúng hạn" in html
    assert f"/tasks/{task}/accept" not in html
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT actor, action FROM audit_log WHERE task_id = :t ORDER BY id DESC"),
            {"t": task},
        ).first()
    assert tuple(row) == (LC_USER, "accept")  # type: ignore[arg-type]
    again = _post(lc, f"/tasks/{task}/accept")
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_return_needs_a_reason_and_restarts_the_clock(
    lc: TestClient, engine: Engine, now: datetime
) -> None:
    task = _submitted(engine, now)
    refused = _post(lc, f"/tasks/{task}/return", reason="  ")
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "trả lại báo cáo cần nêu lý do" in refused.text  # type: ignore[attr-defined]
    reason = "Thiếu số liệu mục B.2 <script>alert(1)</script>"
    done = _post(lc, f"/tasks/{task}/return", reason=reason)
    assert done.status_code == 303  # type: ignore[attr-defined]
    html = lc.get(f"/tasks/{task}").text
    assert "<script>alert(1)</script>" not in html
    assert "Thiếu số liệu mục B.2 &lt;script&gt;alert(1)&lt;/script&gt;" in html
    # three working days after Wednesday 08/07/2020
    assert "nộp lại trước hết ngày Thứ Hai, 13/07/2020" in html
    data = lc.get(f"/api/tasks/{task}").json()
    assert data["status"] == "returned"
    assert data["due_date"] == "2020-07-13"


def test_extend_moves_the_due_date(lc: TestClient, engine: Engine) -> None:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    bad = _post(lc, f"/tasks/{task}/extend", to="31/02/2020", reason="x")
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "hạn mới: «31/02/2020» không phải là ngày (dd/mm/yyyy)" in bad.text  # type: ignore[attr-defined]
    done = _post(lc, f"/tasks/{task}/extend", to="2020-07-15", reason="Huyện xin lùi do mưa lũ")
    assert done.status_code == 303  # type: ignore[attr-defined]
    data = lc.get(f"/api/tasks/{task}").json()
    assert data["status"] == "due_soon"
    assert data["due_date"] == "2020-07-15"
    assert data["extensions"][0]["previous_due"] == "2020-07-06"
    assert data["extensions"][0]["by"] == LC_USER
    html = lc.get(f"/tasks/{task}").text
    assert "<strong>gia hạn</strong> đến Thứ Tư, 15/07/2020 (trước đó 06/07/2020)" in html


def test_excuse_stops_everything(lc: TestClient, engine: Engine) -> None:
    task = lao_cai_task(engine, "iv3-summary", VAN_BAN)
    done = _post(lc, f"/tasks/{task}/excuse", reason="Trùng với báo cáo III.2")
    assert done.status_code == 303  # type: ignore[attr-defined]
    html = lc.get(f"/tasks/{task}").text
    assert "Được miễn" in html
    assert "Không có thao tác nào cho nhiệm vụ ở tình trạng này." in html
    assert lc.get("/api/overview").json()["totals"]["excused"] == 1


def test_remind_now_queues_one_notice_per_address_once(lc: TestClient, engine: Engine) -> None:
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    assert _post(lc, f"/tasks/{task}/remind").status_code == 303  # type: ignore[attr-defined]
    assert _post(lc, f"/tasks/{task}/remind").status_code == 303  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, channel, recipient, status, due_date, reason_vi FROM notices")
        ).all()
    assert len(rows) == 1  # the second click in the same minute plans nothing new
    kind, channel, recipient, status, due, reason = rows[0]
    assert (kind, channel, recipient, status, str(due)) == (
        "overdue", "sink", f"sink:{VAN_BAN}", "pending", "2020-07-06",
    )  # fmt: skip
    assert reason == (
        f"Nhắc ngay theo yêu cầu của cán bộ theo dõi «{LC_USER}»: Báo cáo tổng kết cấp huyện "
        "gửi thành viên Ban Chỉ đạo cấp tỉnh và cơ quan thường trực, kỳ 2016-2020, của UBND "
        "huyện Văn Bàn, hạn nộp Thứ Hai, 06/07/2020"
    )
    assert count(engine, "SELECT count(*) FROM audit_log WHERE action = 'remind'") == 2
    html = lc.get(f"/tasks/{task}").text
    assert "nhắc thủ công" in html and "Chờ gửi" in html


def test_remind_a_submitted_task_is_refused(lc: TestClient, engine: Engine, now: datetime) -> None:
    task = _submitted(engine, now)
    answer = _post(lc, f"/tasks/{task}/remind")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "Đã nộp đúng hạn" in answer.text  # type: ignore[attr-defined]
    assert count(engine, "SELECT count(*) FROM notices") == 0


def test_versions_download_as_the_filled_template(
    lc: TestClient, engine: Engine, now: datetime
) -> None:
    task = _submitted(engine, now, {"B.1.1.a": 44, "B.1.1.a.1": 24, "A.2": True})
    answer = lc.get(f"/tasks/{task}/versions/1")
    assert answer.status_code == 200
    ws = load_workbook(io.BytesIO(answer.content))["Biểu mẫu"]
    got = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=5).value
        for r in range(7, ws.max_row + 1)
        if ws.cell(row=r, column=5).value is not None
    }
    assert got == {"B.1.1.a": 44, "B.1.1.a.1": 24, "A.2": "có"}
    assert lc.get(f"/tasks/{task}/versions/2").status_code == 404


def test_api_actions_use_json_and_the_csrf_header(
    lc: TestClient, engine: Engine, now: datetime
) -> None:
    task = _submitted(engine, now)
    token = lc.get("/api/csrf").json()["csrf_token"]
    bad = lc.post(
        f"/api/tasks/{task}/extend", json={"to": "hôm nay"}, headers={"x-csrf-token": token}
    )
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        "to: phải là ngày dạng YYYY-MM-DD",
        "reason: thiếu giá trị bắt buộc",
    ]
    ok = lc.post(f"/api/tasks/{task}/return", json={"reason": "Sai mẫu", "to": "2020-07-20"},
                 headers={"x-csrf-token": token})  # fmt: skip
    assert ok.status_code == 200
    assert ok.json()["status"] == "returned"
    assert ok.json()["due_date"] == "2020-07-20"
    detail = lc.get(f"/api/tasks/{task}").json()
    assert [a["action"] for a in detail["audit"]] == ["create", "submit", "return"]
    assert json.dumps(detail, ensure_ascii=False).count("Sai mẫu") >= 2


def test_compilation_view_and_save(lc: TestClient, engine: Engine, now: datetime) -> None:
    task = _submitted(engine, now, {"B.1.1.a": 44, "B.1.1.a.1": 24})
    token = lc.get("/api/csrf").json()["csrf_token"]
    lc.post(f"/api/tasks/{task}/accept", json={}, headers={"x-csrf-token": token})
    base = "/compilations/lao-cai-142-kh-ubnd-2020/iii2-summary/2016-2020"
    html = lc.get(base).text
    assert '<section class="pcmd-compilation" lang="vi">' in html
    assert "BIỂU TỔNG HỢP SỐ LIỆU 05 NĂM — 142/KH-UBND, kỳ 2016-2020" in html
    assert count(engine, "SELECT count(*) FROM compilations") == 0
    saved = lc.post(f"{base}/save", data={"csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    assert count(engine, "SELECT count(*) FROM compilations") == 1
    page = lc.get(f"{base}?done=saved").text
    assert "Đã tổng hợp và lưu các tệp báo cáo." in page
    xlsx = lc.get(f"{base}/files/1/xlsx")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0]
    assert lc.get(f"{base}/files/1/exe").status_code == 404
