"""Hà Nội 255/KH-UBND end to end: plan load, sweep, dispatch to a loopback SMTP server.

A copy of ``calendars/ha-noi-255-kh-ubnd-2021.yaml`` gets e-mail contacts for a few units,
and its duties are limited to deadlines in June 2024 (``starts``/``ends``; the one-off
summaries are left out), so that the tasks are those of that month (worked out from the plan
by hand): the 6-month report V.2 of 50 units (5 of them «Đề nghị»:
MTTQ, Hội LHPN, Thành đoàn, LĐLĐ, Hội CCB) and the districts' 6-month report IV.24.b-4,
both due Monday 17/06/2024 («trước ngày 17/6»; 16/06 is a Sunday); the June monthly and Q2
quarterly reports of the police and the districts, due Tuesday 18/06/2024.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from fakes.smtp_server import SmtpServer
from notify_support import Store

from pcmd_workflow.cli import main

ROOT = Path(__file__).resolve().parents[2]
HANOI = ROOT / "calendars" / "ha-noi-255-kh-ubnd-2021.yaml"

COORDINATOR = "pctnxh@ldtbxh.hanoi.gov.vn"
PC_OFFICE = "vanphong@hanoi.gov.vn"
SO_Y_TE = "vanthu@soyte.hanoi.gov.vn"
SO_Y_TE_HEAD = "giamdoc@soyte.hanoi.gov.vn"
MTTQ = "vanphong@mttq.hanoi.org.vn"
MTTQ_HEAD = "chutich@mttq.hanoi.org.vn"
POLICE = "pc02@congan.hanoi.gov.vn"
BA_DINH = "vanphong@badinh.hanoi.gov.vn"

CONTACTS = {
    "so-ldtbxh": [{"kind": "email", "value": COORDINATOR, "role": "coordinator"}],
    "ubnd-tp": [{"kind": "email", "value": PC_OFFICE}],
    "so-y-te": [
        {"kind": "email", "value": SO_Y_TE},
        {"kind": "email", "value": SO_Y_TE_HEAD, "role": "head"},
    ],
    "mttq-tinh": [
        {"kind": "email", "value": MTTQ},
        {"kind": "email", "value": MTTQ_HEAD, "role": "head"},
    ],
    "cong-an-tinh": [{"kind": "email", "value": POLICE}],
    "ubnd-quan-ba-dinh": [{"kind": "email", "value": BA_DINH}],
}


@pytest.fixture
def hanoi(empty_store: Store, smtp_server: SmtpServer, tmp_path: Path) -> SmtpServer:
    if not HANOI.exists():  # pragma: no cover - the plan file ships with the repository
        pytest.fail(f"{HANOI} is missing")
    plan = yaml.safe_load(HANOI.read_text(encoding="utf-8"))
    # only the deadlines of June 2024: the one-off summaries go, the others get a window
    plan["obligations"] = [o for o in plan["obligations"] if "periods" not in o]
    for obligation in plan["obligations"]:
        obligation["starts"], obligation["ends"] = "2024-06-01", "2024-06-30"
    for unit in plan["units"]:
        if unit["slug"] in CONTACTS:
            unit["contacts"] = CONTACTS[unit["slug"]]
    copy = tmp_path / "plans" / HANOI.name
    copy.parent.mkdir()
    copy.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    empty_store.configure(email_url=smtp_server.url(sender="nhacviec@hanoi.gov.vn"))
    assert main(["plan", "load", str(copy)]) == 0
    return smtp_server


def _day(server: SmtpServer, day: str) -> dict[str, list[EmailMessage]]:
    assert main(["sweep", "--as-of", day]) == 0
    assert main(["dispatch", "--as-of", day]) == 0
    out: dict[str, list[EmailMessage]] = {}
    for envelope in server.envelopes:
        for rcpt in envelope.rcpt_tos:
            out.setdefault(rcpt, []).append(envelope.message)
    server.envelopes.clear()
    return out


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def test_hanoi_june_2024_reminders_and_escalations(
    hanoi: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Thursday 13/06: T-2 of the reports due 17/06, T-7 of those due 18/06
    mail = _day(hanoi, "2024-06-13")
    assert sorted(mail) == sorted([SO_Y_TE, MTTQ, POLICE, BA_DINH, COORDINATOR])
    assert [m["Subject"] for m in mail[SO_Y_TE]] == ["[PCMD] Nhắc hạn nộp báo cáo - 13/06/2024"]
    html = _html(mail[SO_Y_TE][0])
    assert "Báo cáo 6 tháng kết quả thực hiện Kế hoạch</strong>, kỳ 2024-H1" in html
    assert "Hạn nộp: <strong>Thứ Hai, 17/06/2024</strong> (còn 2 ngày làm việc)" in html
    assert "Kế hoạch số 255/KH-UBND ngày 16/11/2021 của Ủy ban nhân dân Thành phố Hà Nội" in html
    assert re.search(r"/portal/[A-Za-z0-9_.\-]+/tasks/\d+", html)
    assert [m["Subject"] for m in mail[POLICE]] == [
        "[PCMD] Nhắc hạn nộp báo cáo (3 báo cáo) - 13/06/2024"
    ]
    assert [m["Subject"] for m in mail[BA_DINH]] == [
        "[PCMD] Nhắc hạn nộp báo cáo (4 báo cáo) - 13/06/2024"
    ]
    coordinator = _html(mail[COORDINATOR][0])
    assert "ĐƠN VỊ CHƯA CÓ THÔNG TIN LIÊN HỆ" in coordinator
    assert "UBND quận Hoàn Kiếm (ubnd-quan-hoan-kiem): chưa có thông tin liên hệ" in coordinator

    # Thursday 20/06: T+3 of 17/06 (heads and coordinator), T+1 of 18/06
    mail = _day(hanoi, "2024-06-20")
    assert [m["Subject"] for m in mail[SO_Y_TE_HEAD]] == [
        "[PCMD] Báo cáo quá hạn chưa nộp - 20/06/2024"
    ]
    head = _html(mail[SO_Y_TE_HEAD][0])
    assert "Kính gửi: <strong>Lãnh đạo Sở Y tế</strong>" in head
    assert "(đã quá hạn 3 ngày làm việc)" in head
    assert MTTQ_HEAD not in mail  # «Đề nghị»: never its head (Q10)
    assert [m["Subject"] for m in mail[POLICE]] == [
        "[PCMD] Báo cáo đã quá hạn (2 báo cáo) - 20/06/2024"
    ]
    assert [m["Subject"] for m in mail[COORDINATOR]] == [
        "[PCMD] Báo cáo quá hạn chưa nộp (80 báo cáo) - 20/06/2024"  # 50 + 30 due 17/06
    ]
    coordinator = _html(mail[COORDINATOR][0])
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hà Nội" in coordinator
    assert "TỔNG HỢP TÌNH HÌNH NỘP BÁO CÁO NGÀY 20/06/2024 (THỨ NĂM)" in coordinator
    assert PC_OFFICE not in mail

    # Wednesday 26/06: T+7 of 17/06 to the People's Committee office, with the late units
    mail = _day(hanoi, "2024-06-26")
    office = mail[PC_OFFICE]
    assert [m["Subject"] for m in office] == [
        "[PCMD] Danh sách đơn vị chậm nộp báo cáo (75 báo cáo) - 26/06/2024"  # 45 + 30
    ]
    rows = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td><td>([^<]+)</td>", _html(office[0]))
    assert len(rows) == 75
    assert ("Sở Y tế", "Báo cáo 6 tháng kết quả thực hiện Kế hoạch") in rows
    assert sum(1 for unit, _ in rows if unit == "UBND quận Ba Đình") == 2
    assert not any("Mặt trận" in unit for unit, _ in rows)  # requested: coordinator only
    coordinator = _html(mail[COORDINATOR][0])
    assert "được «Đề nghị» phối hợp" in coordinator

    capsys.readouterr()
    assert main(["notices", "list", "--status", "pending", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
