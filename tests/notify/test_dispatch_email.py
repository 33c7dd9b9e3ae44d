"""The dispatcher against a real SMTP server on loopback (aiosmtpd).

What the units receive is read back from the server: recipients, subject, UTF-8 body, the
portal link. Dates: bc-6-thang due Monday 17/06/2024, bc-chuyen-de due Tuesday 18/06/2024.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from email.message import EmailMessage

from fakes.smtp_server import SmtpServer
from notify_support import CONG_AN, COORDINATOR, MTTQ, PLAN_ID, SO_Y_TE, VP_UBND, Store, local

from pcmd_workflow.services.dispatch import DispatchPolicy
from pcmd_workflow.services.tokens import read_unit_token
from pcmd_workflow.settings import get_settings

LINK = re.compile(r"https://baocao\.mau\.gov\.vn/portal/([A-Za-z0-9_.\-]+)/tasks/(\d+)")


def _by_recipient(server: SmtpServer) -> dict[str, list[EmailMessage]]:
    out: dict[str, list[EmailMessage]] = {}
    for envelope in server.envelopes:
        for rcpt in envelope.rcpt_tos:
            out.setdefault(rcpt, []).append(envelope.message)
    return out


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def test_one_digest_per_unit_with_every_task_and_its_link(
    store: Store, smtp_server: SmtpServer
) -> None:
    store.configure(email_url=smtp_server.url(sender="nhacviec@mau.gov.vn"))
    store.sweep(date(2024, 6, 13))
    report = store.dispatch(local("2024-06-13 08:00"))
    assert (report.sent, report.messages, report.failed, report.pending) == (7, 6, 0, 0)
    mail = _by_recipient(smtp_server)
    assert sorted(mail) == sorted([SO_Y_TE, CONG_AN, MTTQ, COORDINATOR])
    assert all(len(messages) == 1 for messages in mail.values())

    message = mail[SO_Y_TE][0]
    assert message["Subject"] == "[PCMD] Nhắc hạn nộp báo cáo (2 báo cáo) - 13/06/2024"
    assert message["From"].addresses[0].addr_spec == "nhacviec@mau.gov.vn"
    html = _html(message)
    assert 'charset="utf-8"' in html or "charset=utf-8" in html
    assert "Kính gửi: <strong>Sở Y tế</strong>" in html
    assert "Báo cáo 6 tháng đầu năm 2024</strong>, kỳ 2024-H1" in html
    assert "Hạn nộp: <strong>Thứ Hai, 17/06/2024</strong> (còn 2 ngày làm việc)" in html
    assert (
        "Báo cáo chuyên đề công tác kiểm tra cơ sở kinh doanh dịch vụ</strong>, kỳ 2024-H1" in html
    )
    assert "Hạn nộp: <strong>Thứ Ba, 18/06/2024</strong> (còn 3 ngày làm việc)" in html
    assert "mốc T-2, trước hạn 2 ngày làm việc, thang nhắc «national-default»" in html
    text = _text(message)  # the plain part readers without HTML see
    assert "Báo cáo 6 tháng đầu năm 2024" in text and "Thứ Hai, 17/06/2024" in text
    assert set(LINK.findall(text)) == set(LINK.findall(html))
    links = LINK.findall(html)
    assert sorted({int(task) for _token, task in links}) == sorted(
        [store.task_id("bc-6-thang", "so-y-te"), store.task_id("bc-chuyen-de", "so-y-te")]
    )
    for token, _task in links:
        assert read_unit_token(token, now=local("2024-06-13 08:00")) == (PLAN_ID, "so-y-te")

    coordinator = _html(mail[COORDINATOR][0])
    assert "ĐƠN VỊ CHƯA CÓ THÔNG TIN LIÊN HỆ" in coordinator
    assert "UBND huyện A (ubnd-huyen-a): chưa có thông tin liên hệ" in coordinator

    sink = get_settings().effective_sink_path.read_text(encoding="utf-8").splitlines()
    by_unit = {json.loads(line)["recipient"]: json.loads(line) for line in sink}
    assert sorted(by_unit) == ["sink:tinh-doan", "sink:ubnd-huyen-a"]
    assert "Kính gửi: UBND huyện A" in by_unit["sink:ubnd-huyen-a"]["body"]

    notices = store.notices(unit="so-y-te")
    assert {n.status for n in notices} == {"sent"}
    attempts = [store.attempts(n.id or 0) for n in notices]
    assert [len(a) for a in attempts] == [1, 1]
    assert attempts[0][0].message_id == attempts[1][0].message_id  # one message
    assert attempts[0][0].outcome == "ok" and attempts[0][0].action == "sent"

    again = store.dispatch(local("2024-06-13 09:00"))
    assert (again.sent, again.messages) == (0, 0)
    assert len(smtp_server.envelopes) == 4


def test_the_pc_office_gets_the_list_of_late_units(store: Store, smtp_server: SmtpServer) -> None:
    store.configure(email_url=smtp_server.url())
    store.sweep(date(2024, 6, 26))
    store.dispatch(local("2024-06-26 07:45"))
    mail = _by_recipient(smtp_server)
    office = mail[VP_UBND]
    assert len(office) == 1
    assert (
        office[0]["Subject"] == "[PCMD] Danh sách đơn vị chậm nộp báo cáo (3 báo cáo) - 26/06/2024"
    )
    html = _html(office[0])
    assert "Kính gửi: <strong>Văn phòng UBND tỉnh Mẫu</strong>" in html
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    assert sorted(r[1] for r in rows) == ["Công an tỉnh", "Sở Y tế", "UBND huyện A"]
    assert "đã quá hạn 7 ngày làm việc" in html
    assert "/portal/" not in html  # no unit token for the office
    coordinator = _html(mail[COORDINATOR][0])
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Mẫu" in coordinator  # requested unit (Q10)
    assert "TỔNG HỢP TÌNH HÌNH NỘP BÁO CÁO NGÀY 26/06/2024 (THỨ TƯ)" in coordinator


def test_nothing_leaves_outside_the_window(store: Store, smtp_server: SmtpServer) -> None:
    store.configure(email_url=smtp_server.url())
    store.sweep(date(2024, 6, 13))
    night = store.dispatch(local("2024-06-13 21:05"))
    assert (night.sent, night.rescheduled, night.window_open) == (0, 7, False)
    assert {n.send_after for n in store.notices()} == {local("2024-06-14 07:30")}
    early = store.dispatch(local("2024-06-14 07:29"))  # closed, and nothing due before 07:30
    assert (early.sent, early.rescheduled) == (0, 0)
    saturday = store.dispatch(local("2024-06-15 10:00"))  # due, but not on a Saturday
    assert (saturday.sent, saturday.rescheduled) == (0, 7)
    assert {n.send_after for n in store.notices()} == {local("2024-06-17 07:30")}
    assert smtp_server.envelopes == []
    monday = store.dispatch(local("2024-06-17 07:30"))
    assert (monday.sent, monday.messages) == (7, 6)


def test_smtp_down_backs_off_then_delivers_everything(
    store: Store, smtp_server: SmtpServer
) -> None:
    store.configure(email_url=smtp_server.url())
    store.sweep(date(2024, 6, 13))
    smtp_server.stop()
    first = store.dispatch(local("2024-06-13 08:00"))
    assert (first.sent, first.failed) == (2, 5)  # the sink still works
    failed = store.notices(status="failed")
    assert {n.send_after for n in failed} == {local("2024-06-13 08:02")}  # 2 minutes
    second = store.dispatch(local("2024-06-13 08:03"))
    assert second.failed == 5
    assert {n.send_after for n in store.notices(status="failed")} == {local("2024-06-13 08:11")}
    back = SmtpServer().start()  # the mail server returns (an aiosmtpd loop cannot restart)
    try:
        store.configure(email_url=back.url())
        early = store.dispatch(local("2024-06-13 08:05"))  # still backing off
        assert early.sent == 0
        done = store.dispatch(local("2024-06-13 08:11"))
        assert (done.sent, done.messages, done.pending) == (5, 4, 0)
        assert sorted(_by_recipient(back)) == sorted([SO_Y_TE, CONG_AN, MTTQ, COORDINATOR])
    finally:
        back.stop()
    so_y_te = store.notices(unit="so-y-te")[0]
    assert [(a.outcome, a.action) for a in store.attempts(so_y_te.id or 0)] == [
        ("transient", "retry"),
        ("transient", "retry"),
        ("ok", "sent"),
    ]


def test_dead_letters_are_reported_to_the_coordinator(
    store: Store, smtp_server: SmtpServer
) -> None:
    store.configure(email_url=smtp_server.url())
    smtp_server.reject.add(MTTQ)  # 550: never deliverable
    smtp_server.defer.add(CONG_AN)  # 451: try again later, every time
    store.sweep(date(2024, 6, 13))
    policy = DispatchPolicy(backoff=(timedelta(minutes=1),), max_attempts=2)
    first = store.dispatch(local("2024-06-13 08:00"), policy=policy)
    assert (first.dead, first.failed) == (1, 1)
    second = store.dispatch(local("2024-06-13 08:01"), policy=policy)
    assert second.dead == 1
    dead = store.notices(status="dead")
    assert sorted(n.recipient for n in dead) == sorted([MTTQ, CONG_AN])
    reports = store.notices(kind="dead_letter")
    assert sorted(n.recipient for n in reports) == [COORDINATOR, COORDINATOR]
    # one message per recipient per run: the report written after the coordinator's digest
    # of this run went out waits for the next run
    third = store.dispatch(local("2024-06-13 08:02"), policy=policy)
    assert (third.sent, third.pending) == (1, 0)
    assert {n.status for n in store.notices(kind="dead_letter")} == {"sent"}
    coordinator_mail = _by_recipient(smtp_server)[COORDINATOR]
    bodies = "\n".join(_html(m) for m in coordinator_mail)
    assert "THÔNG BÁO KHÔNG GỬI ĐƯỢC" in bodies
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Mẫu" in bodies and MTTQ in bodies
    assert "Công an tỉnh" in bodies and "số lần thử: 2" in bodies


def test_a_submission_after_the_sweep_cancels_before_sending(
    store: Store, smtp_server: SmtpServer
) -> None:
    from pcmd_workflow.clock import FixedClock
    from pcmd_workflow.services.submissions import submit
    from pcmd_workflow.store.db import session_scope

    store.configure(email_url=smtp_server.url())
    store.sweep(date(2024, 6, 17))
    with session_scope(store.engine) as session:
        submit(
            session,
            task_id=store.task_id("bc-6-thang", "cong-an-tinh"),
            clock=FixedClock(local("2024-06-17 07:40")),
            file=b"%PDF-1.4 bao cao",
            file_name="bc.pdf",
            at=local("2024-06-17 07:40"),
        )
    report = store.dispatch(local("2024-06-17 08:00"))
    assert report.cancelled == 1
    assert CONG_AN not in _by_recipient(smtp_server)
    cancelled = store.notices(status="cancelled", unit="cong-an-tinh")
    assert [n.status_reason for n in cancelled] == ["đơn vị đã nộp báo cáo"]


def test_leases_block_other_dispatchers_until_they_expire_or_their_owner_is_gone(
    store: Store, smtp_server: SmtpServer
) -> None:
    import socket

    from sqlalchemy import update

    from pcmd_workflow.store.db import session_scope
    from pcmd_workflow.store.outbox import Notice

    store.configure(email_url=smtp_server.url())
    store.sweep(date(2024, 6, 13))
    elsewhere = "other-host/4242/1718240000.00/abcd1234#ef"  # a live dispatcher elsewhere
    dead_here = f"{socket.gethostname()}/999999/1.00/abcd1234#ef"  # no such process here
    with session_scope(store.engine) as session:
        for unit, owner in (("so-y-te", elsewhere), ("cong-an-tinh", dead_here)):
            session.execute(
                update(Notice)
                .where(Notice.unit == unit)  # type: ignore[arg-type]
                .values(claimed_by=owner, lease_until=local("2024-06-13 08:05"))
            )
    first = store.dispatch(local("2024-06-13 08:00"))
    assert first.released == 1  # the dead local owner's notice, at once
    assert CONG_AN in _by_recipient(smtp_server) and SO_Y_TE not in _by_recipient(smtp_server)
    assert [n.status for n in store.notices(unit="so-y-te")] == ["pending", "pending"]
    after = store.dispatch(local("2024-06-13 08:06"))  # the other host's lease has expired
    assert after.sent == 2
    assert [len(m) for m in [_by_recipient(smtp_server)[SO_Y_TE]]] == [1]
