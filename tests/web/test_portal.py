"""The agency portal: a token sees its own unit's tasks only, the form is the obligation's,
values are checked by the domain validator, and a receipt is shown and queued by e-mail."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from web_support import (
    BAC_HA,
    LAO_CAI_PLAN,
    VAN_BAN,
    count,
    csrf_in,
    csrf_of,
    lao_cai_task,
    new_client,
    portal_token,
)

ROOT = Path(__file__).resolve().parents[2]
VAN_BAN_VALUES = yaml.safe_load((ROOT / "calendars/samples/van-ban-2023.yaml").read_text("utf-8"))[
    "values"
]


def _submissions(engine: Engine) -> int:
    return count(engine, "SELECT count(*) FROM submissions")


def test_token_lists_only_its_units_tasks(app: FastAPI, now: datetime) -> None:
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    listed = client.get(f"/api/portal/{token}/tasks").json()
    assert listed["unit"] == VAN_BAN
    assert sorted(t["obligation"] for t in listed["tasks"]) == ["iii2-summary", "iv3-summary"]
    page = client.get(f"/portal/{token}")
    assert page.status_code == 200
    assert "UBND huyện Văn Bàn" in page.text
    assert page.text.count("/tasks/") == 2
    assert "Bắc Hà" not in page.text


def test_token_of_unit_a_cannot_read_or_submit_unit_b(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    a = portal_token(VAN_BAN, now=now)
    b_task = lao_cai_task(engine, "iii2-summary", BAC_HA)
    assert client.get(f"/portal/{a}/tasks/{b_task}").status_code == 404
    assert client.get(f"/api/portal/{a}/tasks/{b_task}").status_code == 404
    headers = {"x-csrf-token": csrf_of(client)}
    values = {"values": {"B.1.1.a": 1}}
    assert (
        client.post(
            f"/api/portal/{a}/tasks/{b_task}/submit", json=values, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/portal/{a}/tasks/{b_task}/check", json=values, headers=headers
        ).status_code
        == 404
    )
    form = {"csrf_token": csrf_of(client), "v:B.1.1.a": "1"}
    assert client.post(f"/portal/{a}/tasks/{b_task}/values", data=form).status_code == 404
    answer = client.post(
        f"/portal/{a}/tasks/{b_task}/upload",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("b.xlsx", b"PK\x03\x04x")},
    )
    assert answer.status_code == 404
    assert "Không tìm thấy nhiệm vụ này trong danh sách báo cáo của đơn vị" in answer.text
    assert _submissions(engine) == 0


def test_token_of_another_plan_sees_nothing_here(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    other = portal_token(VAN_BAN, now=now, plan="ha-noi-255-kh-ubnd-2021")
    assert client.get(f"/portal/{other}/tasks/{task}").status_code == 404


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda now: portal_token(VAN_BAN, now=now - timedelta(days=31)), "liên kết đã hết hạn"),
        (
            lambda now: portal_token(VAN_BAN, now=now)[:-4] + "abcd",
            "liên kết không hợp lệ (chữ ký sai hoặc đã bị sửa)",
        ),
        (lambda now: "khong-phai-ma", "liên kết không hợp lệ"),
    ],
)
def test_expired_or_tampered_token_is_refused(
    app: FastAPI, engine: Engine, now: datetime, make: object, message: str
) -> None:
    client = new_client(app)
    token = make(now)  # type: ignore[operator]
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    page = client.get(f"/portal/{token}/tasks/{task}")
    assert page.status_code == 403
    assert message[0].upper() + message[1:] in page.text
    assert '<html lang="vi">' in page.text
    api = client.get(f"/api/portal/{token}/tasks")
    assert api.status_code == 403
    assert message in api.json()["detail"]


def test_form_shows_labels_units_and_indented_of_which_rows(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    html = client.get(f"/portal/{token}/tasks/{task}").text
    assert "BIỂU TỔNG HỢP SỐ LIỆU 05 NĂM" in html
    assert "Lưu ý: Số liệu thống kê, báo cáo được tính đến hết ngày 30/6/2020" in html
    # B.1.1.a (a total) then «Trong đó:» and its parts, one level in
    row = re.search(
        r'<td class="label depth-0"><label for="r-B-1-1-a">Tổng số cơ sở kinh doanh dịch vụ dễ '
        r"phát sinh tệ nạn mại dâm hiện có trên địa bàn</label>",
        html,
    )
    assert row is not None
    intro = html.index("<em>Trong đó:</em>", row.end())
    part = html.index(
        '<td class="label depth-1"><label for="r-B-1-1-a-1">Cơ sở lưu trú (nhà nghỉ, khách sạn, '
        "nhà trọ, nhà cho thuê,…)</label>",
        row.end(),
    )
    assert row.end() < intro < part
    assert 'data-kind="count" data-row="B.1.1.a.1" data-of-which="B.1.1.a"' in html
    assert 'data-kind="percent" data-row="A.1"' in html
    assert '<select id="r-A-2" name="v:A.2" data-kind="boolean"' in html
    assert '<td class="unit"><span class="unit-label">Đơn vị tính: </span>Cơ sở</td>' in html
    assert '<td class="unit"><span class="unit-label">Đơn vị tính: </span>Người</td>' in html
    assert '<script src="/static/portal.js" defer></script>' in html


def test_invalid_values_are_refused_with_vietnamese_errors(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    page = client.get(f"/portal/{token}/tasks/{task}")
    form = {
        "csrf_token": csrf_in(page.text),
        "v:B.1.1.a": "44",
        "v:B.1.1.a.1": "50",  # of-which larger than its total
        "v:B.1.1.b": "bốn",
        "v:B.1.1.c": "-3",
        "v:A.1": "120",
    }
    answer = client.post(f"/portal/{token}/tasks/{task}/values", data=form)
    assert answer.status_code == 422
    html = answer.text
    assert "Báo cáo chưa được nhận." in html
    assert "B.1.1.b: &#39;bốn&#39; không phải là số" in html
    assert "B.1.1.c: số liệu không được âm, nhận &#39;-3&#39;" in html
    assert "A.1: tỷ lệ phần trăm phải trong khoảng 0–100, nhận &#39;120&#39;" in html
    assert "B.1.1.a.1: «Trong đó» (50) lớn hơn dòng B.1.1.a (44)" in html
    # the typed values are kept in the form, the row is marked
    assert 'name="v:B.1.1.b" value="bốn"' in html
    assert 'aria-invalid="true"' in html
    assert _submissions(engine) == 0


def test_valid_values_give_a_receipt_shown_and_queued(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    page = client.get(f"/portal/{token}/tasks/{task}")
    form = {"csrf_token": csrf_in(page.text)}
    form.update({f"v:{k}": str(v) for k, v in VAN_BAN_VALUES.items()})
    answer = client.post(f"/portal/{token}/tasks/{task}/values", data=form, follow_redirects=False)
    assert answer.status_code == 303
    receipt_no = f"PCMD-20200708-{task}-1"
    assert answer.headers["location"] == f"/portal/{token}/receipts/{receipt_no}"
    receipt = client.get(answer.headers["location"])
    assert receipt.status_code == 200
    assert f'<strong class="receipt-no">{receipt_no}</strong>' in receipt.text
    assert "Đã nhận báo cáo." in receipt.text
    assert "09:00 08/07/2020" in receipt.text
    assert "Đã nộp muộn" in receipt.text  # due Monday 06/07/2020
    with engine.connect() as conn:
        row = conn.execute(
            text('SELECT "values", channel, submitted_by FROM submissions WHERE task_id = :t'),
            {"t": task},
        ).one()
        notice = conn.execute(
            text("SELECT kind, channel, recipient, task_id, payload, reason_vi FROM notices")
        ).one()
    assert json.loads(row[0]) == VAN_BAN_VALUES
    assert row[1] == "portal"
    assert row[2] == "UBND huyện Văn Bàn (cổng nộp báo cáo)"
    assert notice[:4] == ("receipt", "sink", f"sink:{VAN_BAN}", None)
    payload = json.loads(notice[4])
    assert payload["receipt_no"] == receipt_no
    assert payload["task_id"] == task
    assert notice[5].startswith("Xác nhận đã nhận báo cáo: Báo cáo tổng kết cấp huyện")
    # another unit cannot open this receipt
    other = portal_token(BAC_HA, now=now)
    assert client.get(f"/portal/{other}/receipts/{receipt_no}").status_code == 404


def test_api_check_writes_nothing_and_submit_gives_the_receipt(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iv3-summary", VAN_BAN)
    headers = {"x-csrf-token": csrf_of(client)}
    checked = client.post(
        f"/api/portal/{token}/tasks/{task}/check",
        json={"values": {"B.1.1.a": 5, "B.1.1.a.2": 6, "B.9": 1}},
        headers=headers,
    ).json()
    assert checked == {
        "ok": False,
        "problems": [
            "B.9: không có dòng này trong biểu mẫu «bieu-tong-hop-05-nam»",
            "B.1.1.a.2: «Trong đó» (6) lớn hơn dòng B.1.1.a (5)",
        ],
        "warnings": [],
        "notices": [],
    }
    assert _submissions(engine) == 0
    refused = client.post(
        f"/api/portal/{token}/tasks/{task}/submit",
        json={"values": {"B.1.1.a": -1}},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == ["B.1.1.a: số liệu không được âm, nhận -1"]
    done = client.post(
        f"/api/portal/{token}/tasks/{task}/submit",
        json={"values": {"B.1.1.a": 44}},
        headers=headers,
    )
    assert done.status_code == 200
    body = done.json()
    assert body["receipt_no"] == f"PCMD-20200708-{task}-1"
    assert body["status"] == "submitted_late"
    assert body["received_at"] == "2020-07-08T09:00:00+07:00"


def test_excused_task_takes_no_submission(app: FastAPI, engine: Engine, now: datetime) -> None:
    from pcmd_workflow.clock import FixedClock
    from pcmd_workflow.services.submissions import excuse
    from pcmd_workflow.store.db import session_scope

    task = lao_cai_task(engine, "iv3-summary", VAN_BAN)
    with session_scope(engine) as session:
        excuse(session, task_id=task, reason="Gộp với báo cáo III.2", clock=FixedClock(now), by="t")
    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    page = client.get(f"/portal/{token}/tasks/{task}")
    assert "đã được miễn" in page.text
    assert 'action="/portal/' not in page.text.split("Thông tin báo cáo")[1]
    answer = client.post(
        f"/api/portal/{token}/tasks/{task}/submit",
        json={"values": {"B.1.1.a": 1}},
        headers={"x-csrf-token": csrf_of(client)},
    )
    assert answer.status_code == 409
    assert answer.json()["detail"] == f"nhiệm vụ số {task} đã được miễn; không cần nộp báo cáo"


def test_portal_link_of_a_notice_opens_the_task(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    from pcmd_workflow.services.tokens import portal_link

    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    link = portal_link(plan_id=LAO_CAI_PLAN, unit=VAN_BAN, task_id=task, now=now)
    path = link.removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/portal/")
    client: TestClient = new_client(app)
    page = client.get(path)
    assert page.status_code == 200
    assert "Báo cáo tổng kết cấp huyện gửi thành viên Ban Chỉ đạo cấp tỉnh" in page.text


def test_receipt_is_delivered_by_the_dispatcher(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    from pcmd_workflow.clock import FixedClock
    from pcmd_workflow.services.dispatch import dispatch
    from pcmd_workflow.settings import get_settings
    from pcmd_workflow.store.db import session_scope

    client = new_client(app)
    token = portal_token(VAN_BAN, now=now)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    answer = client.post(
        f"/api/portal/{token}/tasks/{task}/submit",
        json={"values": {"B.1.1.a": 44, "B.1.1.a.1": 24}},
        headers={"x-csrf-token": csrf_of(client)},
    )
    assert answer.status_code == 200
    with session_scope(engine) as session:
        report = dispatch(session, clock=FixedClock(now))
    assert report.sent == 1
    lines = get_settings().effective_sink_path.read_text(encoding="utf-8").splitlines()
    message = json.loads(lines[-1])
    assert message["recipient"] == f"sink:{VAN_BAN}"
    assert message["subject"] == "[PCMD] Biên nhận báo cáo đã gửi - 08/07/2020"
    assert f"Số biên nhận: PCMD-20200708-{task}-1 (phiên bản 1)" in message["body"]
    assert "Nhận lúc: 09:00 08/07/2020 (giờ Việt Nam); tình trạng: Đã nộp muộn" in message["body"]
    assert f"<strong>PCMD-20200708-{task}-1</strong>" in message["html"]
    assert count(engine, "SELECT count(*) FROM notices WHERE status = 'sent'") == 1
