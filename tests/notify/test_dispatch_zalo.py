"""The dispatcher against the fake Zalo API: CS and ZNS delivery, night, quota, fallback.

On 13/06/2024 (T-2 of bc-6-thang, T-7 of bc-chuyen-de) the Zalo-reachable people are the
police's PC02 team (Zalo, phone, e-mail: one person) and the provincial Youth Union's office
(Zalo and phone only). Zalo's order is CS → ZNS → e-mail (ZALO.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fakes.smtp_server import SmtpServer
from fakes.zalo_server import CS_ROUTE, TOKEN_ROUTE, ZNS_ROUTE, FakeZaloServer, zalo_url
from notify_support import (
    CONG_AN,
    CONG_AN_PHONE,
    CONG_AN_ZALO,
    COORDINATOR,
    TINH_DOAN_PHONE,
    TINH_DOAN_ZALO,
    Store,
    local,
)

from pcmd_workflow.channels import TokenStore

TEMPLATE = "tpl-nhac-han-01"


@dataclass
class Peers:
    zalo: FakeZaloServer
    smtp: SmtpServer

    def mail_to(self, address: str) -> list[str]:
        return [e.message["Subject"] for e in self.smtp.envelopes if address in e.rcpt_tos]


@pytest.fixture
def peers(
    store: Store, zalo_server: FakeZaloServer, smtp_server: SmtpServer, tmp_path: Path
) -> Peers:
    tokens = tmp_path / "zalo" / "zalo-tokens.json"
    access, refresh = zalo_server.issue_tokens()
    TokenStore(tokens).seed(
        access_token=access, refresh_token=refresh, expires_in=90000, now=local("2024-06-13 07:00")
    )
    store.configure(
        email_url=smtp_server.url(),
        zalo_url=zalo_url(zalo_server, tokens) + f"&template={TEMPLATE}",
    )
    return Peers(zalo=zalo_server, smtp=smtp_server)


def test_each_person_is_reached_once_on_the_preferred_zalo_channel(
    store: Store, peers: Peers
) -> None:
    report = store.sweep(date(2024, 6, 13))
    zalo_rows = sorted(
        (p.reporter, p.channel, p.recipient) for p in report.planned if p.channel != "email"
    )
    assert zalo_rows == [
        ("cong-an-tinh", "zalo", CONG_AN_ZALO),
        ("tinh-doan", "zalo", TINH_DOAN_ZALO),
        ("ubnd-huyen-a", "sink", "sink:ubnd-huyen-a"),
    ]
    sent = store.dispatch(local("2024-06-13 08:00"))
    assert (sent.sent, sent.replaced, sent.failed) == (7, 0, 0)
    cs = {m["user_id"]: m["text"] for m in peers.zalo.sent if m["route"] == CS_ROUTE}
    assert sorted(cs) == sorted([CONG_AN_ZALO, TINH_DOAN_ZALO])
    text = cs[CONG_AN_ZALO]
    assert text.startswith("[PCMD] Nhắc hạn nộp báo cáo - 13/06/2024\n\nKính gửi: Công an tỉnh")
    assert "Hạn nộp: Thứ Hai, 17/06/2024 (còn 2 ngày làm việc)" in text
    assert "https://baocao.mau.gov.vn/portal/" in text
    assert len(text) <= 2000
    assert peers.mail_to(CONG_AN) == []  # one person, one notice


def test_not_a_follower_falls_back_to_zns_then_the_coordinator_is_told(
    store: Store, peers: Peers
) -> None:
    store.sweep(date(2024, 6, 13))
    peers.zalo.fail_next("not_follower", times=2, route=CS_ROUTE)
    run = store.dispatch(local("2024-06-13 08:00"))
    assert (run.replaced, run.sent) == (2, 7)  # 5 first choices + the 2 ZNS copies
    replaced = store.notices(status="replaced")
    assert sorted(n.recipient for n in replaced) == sorted([CONG_AN_ZALO, TINH_DOAN_ZALO])
    copies = {n.replaces_id: n for n in store.notices(channel="zns")}
    for old in replaced:
        assert old.replaced_by_id == copies[old.id].id
        assert old.status_reason and old.status_reason.startswith(
            "không gửi được qua Zalo (tin tư vấn OA)"
        )
    assert sorted(n.recipient for n in copies.values()) == sorted([CONG_AN_PHONE, TINH_DOAN_PHONE])
    assert {n.status for n in copies.values()} == {"sent"}
    zns = [m for m in peers.zalo.sent if m["route"] == ZNS_ROUTE]
    assert sorted(m["phone"] for m in zns) == sorted([CONG_AN_PHONE, TINH_DOAN_PHONE])
    police = next(m for m in zns if m["phone"] == CONG_AN_PHONE)
    assert police["template_id"] == TEMPLATE
    assert police["template_data"]["unit_name"] == "Công an tỉnh"
    assert police["template_data"]["due_date"] == "17/06/2024"
    assert police["template_data"]["link"].startswith("https://baocao.mau.gov.vn/portal/")
    told = store.notices(kind="fallback")
    assert sorted(n.recipient for n in told) == [COORDINATOR, COORDINATOR]
    store.dispatch(local("2024-06-13 08:05"))
    subjects = peers.mail_to(COORDINATOR)
    assert "[PCMD] Thông báo đã chuyển kênh gửi - 13/06/2024" in subjects


def test_a_disabled_zalo_account_falls_back_to_email(store: Store, peers: Peers) -> None:
    store.sweep(date(2024, 6, 13))
    peers.zalo.expire_access_tokens()
    peers.zalo.fail_next("refresh_rejected", times=5, route=TOKEN_ROUTE)
    run = store.dispatch(local("2024-06-13 08:00"))
    assert run.replaced == 2
    police = store.notices(unit="cong-an-tinh", channel="email", kind="reminder")
    assert [(n.recipient, n.status) for n in police] == [(CONG_AN, "sent")]  # skips ZNS
    youth = store.notices(unit="tinh-doan", channel="sink")
    assert [(n.recipient, n.status) for n in youth] == [("sink:tinh-doan", "sent")]
    assert peers.mail_to(CONG_AN) == ["[PCMD] Nhắc hạn nộp báo cáo - 13/06/2024"]


def test_night_answers_reschedule_into_the_window(store: Store, peers: Peers) -> None:
    store.sweep(date(2024, 6, 13))
    peers.zalo.fail_next("night", times=2, route=CS_ROUTE)
    run = store.dispatch(local("2024-06-13 08:00"))
    assert (run.rescheduled, run.failed, run.replaced) == (2, 0, 0)
    waiting = store.notices(channel="zalo")
    assert {(n.status, n.attempts, n.send_after) for n in waiting} == {
        ("pending", 0, local("2024-06-14 07:30"))  # 06:00 by Zalo, then the window
    }
    attempt = store.attempts(waiting[0].id or 0)
    assert [(a.outcome, a.action) for a in attempt] == [("reschedule", "rescheduled")]
    later = store.dispatch(local("2024-06-14 07:30"))
    assert later.sent == 2


def test_quota_close_to_the_deadline_goes_by_email_now(store: Store, peers: Peers) -> None:
    """bc-6-thang is due in 2 working days on 13/06: no waiting for tomorrow's quota."""
    store.sweep(date(2024, 6, 13))
    peers.zalo.fail_next("not_follower", times=2, route=CS_ROUTE)
    peers.zalo.fail_next("quota", times=2, route=ZNS_ROUTE)
    run = store.dispatch(local("2024-06-13 08:00"))
    assert run.replaced == 3  # two CS, then the police's ZNS (due in 2 working days)
    police = store.notices(unit="cong-an-tinh", kind="reminder")
    assert [(n.channel, n.status) for n in police] == [
        ("zalo", "replaced"),
        ("zns", "replaced"),
        ("email", "sent"),
    ]
    youth = store.notices(unit="tinh-doan", channel="zns")  # due 18/06: 3 working days away
    assert [(n.status, n.send_after) for n in youth] == [("pending", local("2024-06-14 07:30"))]


def test_transient_errors_retry_with_backoff(store: Store, peers: Peers) -> None:
    store.sweep(date(2024, 6, 13))
    peers.zalo.fail_next("server_error", times=2, route=CS_ROUTE)
    run = store.dispatch(local("2024-06-13 08:00"))
    assert run.failed == 2
    assert {(n.status, n.send_after) for n in store.notices(channel="zalo")} == {
        ("failed", local("2024-06-13 08:02"))
    }
    again = store.dispatch(local("2024-06-13 08:02"))
    assert again.sent == 2
    assert {n.status for n in store.notices(channel="zalo")} == {"sent"}
