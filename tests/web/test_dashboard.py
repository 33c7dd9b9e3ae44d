"""The coordinator's dashboard: overview counts and timeliness, the matrix and its filters,
the overdue list with its rungs, exports, charts, and the province scope."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from web_support import (
    ADMIN,
    BAC_HA,
    HA_NOI_PLAN,
    HN_USER,
    LAO_CAI_PLAN,
    LC_USER,
    VAN_BAN,
    count,
    lao_cai_task,
    local,
    new_client,
)

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.submissions import submit
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.web.exports import Column, csv_bytes, xlsx_bytes

ANSWERS = Path(__file__).resolve().parent / "answers"


@pytest.fixture
def lc(app: FastAPI) -> TestClient:
    return new_client(app, user=LC_USER)


def test_overview_counts_and_rate(lc: TestClient) -> None:
    expected = json.loads((ANSWERS / "lao-cai-overview-2020-07-08.json").read_text("utf-8"))
    found = lc.get("/api/overview").json()
    assert found["as_of"] == "2020-07-08T09:00:00+07:00"
    assert found["totals"] == expected["totals"]
    assert [{k: v for k, v in r.items()} for r in found["by_period"]] == expected["by_period"]
    assert found["by_plan"] == [{"plan": LAO_CAI_PLAN, **expected["totals"]}]


def test_rate_counts_first_receipts_on_time_and_late(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    with session_scope(engine) as session:
        submit(
            session,
            task_id=lao_cai_task(engine, "iii2-summary", BAC_HA),
            clock=FixedClock(now),
            values={"B.1.1.a": 3},
            at=local("2020-07-03T16:30:00"),
            by="t",
        )
        submit(
            session,
            task_id=lao_cai_task(engine, "iii2-summary", VAN_BAN),
            clock=FixedClock(now),
            values={"B.1.1.a": 44},
            at=local("2020-07-07T00:00:00"),
            by="t",
        )
    client = new_client(app, user=LC_USER)
    totals = client.get("/api/overview").json()["totals"]
    assert totals["overdue"] == 24
    assert totals["submitted_on_time"] == 1
    assert totals["submitted_late"] == 1
    assert totals["rate"] == 0.0385  # 1 on time of 26 due
    page = client.get("/dashboard").text
    assert '<span class="n">3,8%</span> <span class="what">Tỷ lệ nộp đúng hạn</span>' in page


def test_dashboard_page_shows_plan_periods_and_charts(lc: TestClient) -> None:
    page = lc.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert "<title>Tổng quan — pcmd</title>" in html
    assert "<strong>Kế hoạch số 142/KH-UBND</strong>" in html  # the plan shown
    assert 'href="/matrix?plan=lao-cai-142-kh-ubnd-2020&amp;period=2016-2020&amp;year=2020"' in html
    assert 'href="/compilations/lao-cai-142-kh-ubnd-2020/iii2-summary/2016-2020"' in html
    assert html.count('<svg class="chart"') == 2
    assert '<title id="c-unit-t">Tỷ lệ nộp đúng hạn theo đơn vị (thấp nhất trước)</title>' in html
    assert "<title>UBND huyện Bắc Hà: 0,0% đúng hạn (0/2; muộn 0, quá hạn 2)</title>" in html
    assert "<title>07/2020: 0,0% đúng hạn (0/26)</title>" in html


def test_matrix_cells_take_the_most_urgent_status(lc: TestClient) -> None:
    data = lc.get("/api/matrix").json()
    assert data["plan"] == LAO_CAI_PLAN
    assert data["periods"] == ["2016-2020"]
    rows = {r["unit"]: r for r in data["rows"]}
    assert len(rows) == 18  # the standing body, 8 members, 9 districts
    assert rows["so-ldtbxh"]["cells"] == [{"status": "due_soon", "count": 2, "task_id": None}]
    assert rows[VAN_BAN]["cells"][0]["status"] == "overdue"
    assert rows[VAN_BAN]["cells"][0]["count"] == 2
    member = rows["cong-an-tinh"]["cells"][0]
    assert member["count"] == 1 and member["task_id"] is not None
    # provincial units first, then the districts, by name
    assert [r["level"] for r in data["rows"]] == ["province"] * 9 + ["district"] * 9


@pytest.mark.parametrize(
    ("query", "units"),
    [
        ("status=due_soon", ["so-ldtbxh"]),
        ("q=van ban", [VAN_BAN]),  # without accents
        ("q=Văn Bàn", [VAN_BAN]),
        ("level=district&q=bao", ["ubnd-huyen-bao-thang", "ubnd-huyen-bao-yen"]),
        ("status=submitted_on_time", []),
    ],
)
def test_matrix_filters(lc: TestClient, query: str, units: list[str]) -> None:
    data = lc.get(f"/api/matrix?{query}").json()
    assert [r["unit"] for r in data["rows"]] == units
    page = lc.get(f"/matrix?{query}")
    assert page.status_code == 200
    assert page.text.count('<th scope="row" class="unit-col">') == len(units)


def test_matrix_page_has_legend_symbols_and_links(lc: TestClient, engine: Engine) -> None:
    html = lc.get("/matrix").text
    for label in ("Quá hạn chưa nộp", "Sắp đến hạn", "Đã nộp đúng hạn", "Được miễn"):
        assert label in html
    member = lao_cai_task(engine, "iv2-summary", "cong-an-tinh")
    assert (
        f'<td class="c st-overdue"><a href="/tasks/{member}" '
        'aria-label="2016-2020: Quá hạn chưa nộp">✕</a></td>'
    ) in html
    # a district has two reports in the period: the cell lists both and links to the list
    assert (
        '<td class="c st-overdue"><a href="/tasks?plan=lao-cai-142-kh-ubnd-2020'
        '&amp;period=2016-2020&amp;year=2020&amp;unit=ubnd-huyen-van-ban" '
        'aria-label="2016-2020: Quá hạn chưa nộp (2 báo cáo)" title="Báo cáo tổng kết cấp '
        "huyện gửi thành viên Ban Chỉ đạo cấp tỉnh "
        "và cơ quan thường trực: Quá hạn chưa nộp; Báo cáo kết quả giai đoạn 2016-2020 và phương "
        'hướng giai đoạn 2021-2025 của UBND cấp huyện: Quá hạn chưa nộp">✕'
        '<span class="multi">2</span></a></td>'
    ) in html
    assert 'role="region" aria-label="Ma trận đơn vị theo kỳ báo cáo (cuộn ngang)"' in html


def test_unknown_filter_value_is_a_vietnamese_400(lc: TestClient) -> None:
    answer = lc.get("/matrix?status=late")
    assert answer.status_code == 400
    assert "Bộ lọc «status»: giá trị «late» không hợp lệ" in answer.text
    assert lc.get("/api/tasks?year=1999").status_code == 400


def test_overdue_list_matches_the_answer_file(lc: TestClient) -> None:
    with (ANSWERS / "lao-cai-overdue-2020-07-08.csv").open(encoding="utf-8") as fh:
        expected = list(csv.DictReader(fh))
    data = lc.get("/api/overdue").json()
    assert data["total"] == 26
    found = [
        {
            "reporter": r["reporter"],
            "obligation": r["obligation"],
            "period": r["period"],
            "due_date": r["due_date"],
            "days_late": str(r["days_late"]),
            "rung": r["rung"],
            "rung_day": r["rung_day"],
            "next_at": r["next_at"],
        }
        for r in data["overdue"]
    ]
    assert found == expected
    first = data["overdue"][0]
    assert first["rung_text"] == "T+1 — Thông báo quá hạn"
    assert (
        first["next"]
        == "T+3 — Báo cáo chậm nộp (lãnh đạo, cơ quan thường trực), Thứ Năm, 09/07/2020"
    )
    html = lc.get("/overdue").text
    assert "26 báo cáo quá hạn, xếp theo số ngày làm việc chậm." in html


def test_overdue_next_notice_prefers_what_waits_in_the_outbox(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    from pcmd_workflow.services.sweep import run_sweep

    with session_scope(engine) as session:
        run_sweep(session, as_of=now.date(), clock=FixedClock(now), plan_id=LAO_CAI_PLAN)
    client = new_client(app, user=LC_USER)
    row = client.get("/api/overdue").json()["overdue"][0]
    assert row["next"] == "T+1 — Thông báo quá hạn: chờ gửi qua Sổ lưu hệ thống từ 07:30 08/07/2020"


def test_exports_csv_and_xlsx(lc: TestClient) -> None:
    answer = lc.get("/tasks?format=csv&status=due_soon")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="pcmd-nhiem-vu-2020-07-08.csv"' in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8")
    assert text.startswith("\ufeffMã nhiệm vụ,Kế hoạch,Đơn vị,Cấp,Báo cáo,Định kỳ,Kỳ,Hạn nộp,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert rows[1][1:10] == [
        "Kế hoạch số 142/KH-UBND",
        "Sở Lao động - Thương binh và Xã hội",
        "Cấp tỉnh",
        "Dự thảo Báo cáo tổng kết cấp tỉnh trình UBND tỉnh phê duyệt",
        "Sơ kết, tổng kết",
        "2016-2020",
        "2020-07-14",
        "Sắp đến hạn",
        "",
    ]
    book = lc.get("/overdue?format=xlsx")
    ws = load_workbook(io.BytesIO(book.content)).active
    assert ws is not None
    assert ws["A1"].value == "Danh sách báo cáo quá hạn"
    assert [c.value for c in ws[3]][:3] == ["Mã nhiệm vụ", "Đơn vị", "Báo cáo"]
    assert ws.max_row == 3 + 26
    assert ws.cell(row=4, column=8).value == "T+1 — Thông báo quá hạn"
    overview = lc.get("/dashboard?format=csv").content.decode("utf-8").lstrip("\ufeff")
    assert list(csv.reader(io.StringIO(overview))) == [
        ["Kế hoạch", "Địa bàn", "Kỳ", "Định kỳ", "Hạn nộp", "Quá hạn chưa nộp",
         "Bị trả lại, chờ nộp lại", "Đến hạn hôm nay", "Sắp đến hạn", "Chưa đến hạn",
         "Đã nộp muộn", "Đã nộp đúng hạn", "Được miễn", "Tổng số", "Tỷ lệ đúng hạn (%)"],
        ["Kế hoạch số 142/KH-UBND", "lao-cai", "2016-2020", "Sơ kết, tổng kết", "2020-07-21",
         "26", "0", "0", "1", "1", "0", "0", "0", "28", "0.0"],
    ]  # fmt: skip


def test_export_text_never_becomes_a_formula() -> None:
    columns = [Column(key="a", title="Lý do"), Column(key="n", title="Số")]
    rows = [{"a": '=HYPERLINK("http://x","y")', "n": 5}, {"a": "@SUM(A1)", "n": -1}]
    text = csv_bytes(columns, rows).decode("utf-8")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and ",-1" in text
    ws = load_workbook(io.BytesIO(xlsx_bytes(columns, rows, sheet_title="x", heading="h"))).active
    assert ws is not None
    assert ws["A4"].data_type == "s" and ws["A4"].value == '=HYPERLINK("http://x","y")'
    assert ws["B5"].value == -1


def test_coordinator_sees_only_their_province(app: FastAPI, engine: Engine) -> None:
    hn = new_client(app, user=HN_USER)
    assert [p["plan"] for p in hn.get("/api/plans").json()] == [HA_NOI_PLAN]
    tasks = hn.get("/api/tasks?year=all&limit=10000").json()
    assert tasks["total"] == count(engine, "SELECT count(*) FROM tasks WHERE province = 'ha-noi'")
    assert {t["plan"] for t in tasks["tasks"]} == {HA_NOI_PLAN}
    van_ban = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    assert hn.get(f"/tasks/{van_ban}").status_code == 404
    assert hn.get(f"/api/tasks/{van_ban}").status_code == 404
    assert hn.get(f"/dashboard?plan={LAO_CAI_PLAN}").status_code == 404
    assert hn.get(f"/api/tasks?plan={LAO_CAI_PLAN}").status_code == 404
    assert hn.get(f"/compilations/{LAO_CAI_PLAN}/iii2-summary/2016-2020").status_code == 404
    assert (
        hn.post(
            f"/tasks/{van_ban}/remind",
            data={"csrf_token": hn.get("/api/csrf").json()["csrf_token"]},
        ).status_code
        == 404
    )
    assert count(engine, "SELECT count(*) FROM notices") == 0
    admin = new_client(app, user=ADMIN)
    assert {p["plan"] for p in admin.get("/api/plans").json()} == {HA_NOI_PLAN, LAO_CAI_PLAN}
    assert admin.get(f"/api/tasks/{van_ban}").status_code == 200
    overview = admin.get("/api/overview?year=all").json()
    assert overview["totals"]["total"] == count(engine, "SELECT count(*) FROM tasks")


def test_year_defaults_to_the_closest_year_with_tasks(app: FastAPI) -> None:
    hn = new_client(app, user=HN_USER)  # Hà Nội's tasks start in 2021; today is 2020
    html = hn.get("/tasks").text
    assert '<option value="2021" selected>2021</option>' in html
    answer = hn.get("/api/tasks?year=2021").json()
    assert {t["due_date"][:4] for t in answer["tasks"]} == {"2021"}
