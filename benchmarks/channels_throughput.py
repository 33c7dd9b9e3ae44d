"""Throughput of the notification channels against loopback peers, versus bare loops.

- e-mail: ``EmailChannel.send`` to an aiosmtpd server on 127.0.0.1, versus a bare
  ``smtplib`` loop opening one connection per message (what Apprise does), and, for
  reference, a bare loop that keeps one connection open;
- Zalo: ``ZaloChannel.send`` (CS messages) to the fake Zalo API, versus a bare
  ``httpx.Client`` loop posting the same JSON with the same header.

Target: each channel reaches at least half the rate of its bare loop.

Run: ``.venv/bin/python benchmarks/channels_throughput.py [--messages 200]``
(never collected as a test).
"""

from __future__ import annotations

import argparse
import smtplib
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback peers live in tests/fakes

from fakes.smtp_server import SmtpServer  # noqa: E402
from fakes.zalo_server import CS_ROUTE, FakeZaloServer, zalo_url  # noqa: E402

from pcmd_workflow.channels import (  # noqa: E402
    EmailChannel,
    OutgoingMessage,
    TokenStore,
    ZaloChannel,
)
from pcmd_workflow.clock import SystemClock  # noqa: E402

SUBJECT = "Nhắc hạn: Báo cáo công tác phòng, chống mại dâm 6 tháng đầu năm 2024"
BODY = "Kính gửi Sở Y tế,\n\nHạn nộp báo cáo là ngày 17 tháng 6 năm 2024.\nTrân trọng.\n" * 5
SENDER = "pcmd@ubnd.example.vn"


ROUNDS = 3


def rate(label: str, count: int, action: Callable[[int], None]) -> float:
    """Best of ``ROUNDS`` timed loops of ``count`` calls (after one warm-up call)."""
    action(0)  # warm-up (connections, imports, first-call caches)
    best = 0.0
    for round_no in range(ROUNDS):
        start = time.perf_counter()
        for n in range(1, count + 1):
            action(round_no * count + n)
        best = max(best, count / (time.perf_counter() - start))
    print(f"  {label:<44} {best:9.1f} /s  (best of {ROUNDS} x {count})")
    return best


def bench_email(count: int) -> tuple[float, float]:
    server = SmtpServer().start()
    try:
        channel = EmailChannel(server.url(sender=SENDER))

        def via_channel(n: int) -> None:
            result = channel.send(
                OutgoingMessage(
                    channel="email",
                    recipient=f"unit{n}@so.example.vn",
                    subject=SUBJECT,
                    body=BODY,
                    key=f"bench/{n}",
                )
            )
            assert result.ok, result.detail

        def mail(n: int) -> tuple[str, str]:
            """The same MIME shape Apprise builds (compat32 MIMEText, RFC 2047 subject)."""
            message = MIMEText(BODY, "plain", "utf-8")
            message["Subject"] = Header(SUBJECT, "utf-8")
            message["From"] = SENDER
            message["To"] = recipient = f"unit{n}@so.example.vn"
            return recipient, message.as_string()

        def bare_per_message(n: int) -> None:
            recipient, text = mail(n)
            with smtplib.SMTP("127.0.0.1", server.port, timeout=15) as smtp:
                smtp.sendmail(SENDER, [recipient], text)

        def bare_one_connection(smtp: smtplib.SMTP, n: int) -> None:
            recipient, text = mail(n)
            smtp.sendmail(SENDER, [recipient], text)

        print("e-mail → aiosmtpd on loopback")
        ours = rate("EmailChannel.send (Apprise)", count, via_channel)
        bare = rate("bare smtplib, one connection per message", count, bare_per_message)
        with smtplib.SMTP("127.0.0.1", server.port, timeout=15) as smtp:
            rate(
                "bare smtplib, one connection for all",
                count,
                lambda n: bare_one_connection(smtp, n),
            )
        expected = 3 * (ROUNDS * count + 1)
        assert len(server.envelopes) == expected, (len(server.envelopes), expected)
        return ours, bare
    finally:
        server.stop()


def bench_zalo(count: int) -> tuple[float, float]:
    server = FakeZaloServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            token_path = Path(tmp) / "zalo-tokens.json"
            access, refresh = server.issue_tokens()
            TokenStore(token_path).seed(
                access_token=access,
                refresh_token=refresh,
                expires_in=90000,
                now=datetime.now(UTC),
            )
            channel = ZaloChannel.from_url(zalo_url(server, token_path), clock=SystemClock())

            def via_channel(n: int) -> None:
                result = channel.send(
                    OutgoingMessage(
                        channel="zalo",
                        recipient="2512523625412515",
                        subject=SUBJECT,
                        body=BODY,
                        key=f"bench/{n}",
                    )
                )
                assert result.ok, result.detail

            client = httpx.Client(timeout=10)
            url = server.base_url + CS_ROUTE
            text = SUBJECT + "\n\n" + BODY

            def bare(n: int) -> None:
                response = client.post(
                    url,
                    headers={"access_token": access},
                    json={"recipient": {"user_id": "2512523625412515"}, "message": {"text": text}},
                )
                assert response.json()["error"] == 0

            print("Zalo CS → fake Zalo API on loopback")
            ours = rate("ZaloChannel.send", count, via_channel)
            theirs = rate("bare httpx.Client loop", count, bare)
            client.close()
            channel.close()
            return ours, theirs
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per timed loop")
    args = parser.parse_args(argv)
    email_ours, email_bare = bench_email(args.messages)
    zalo_ours, zalo_bare = bench_zalo(args.messages)
    print("ratios (channel / bare loop; target ≥ 0.50)")
    ok = True
    for label, ours, bare in (
        ("e-mail", email_ours, email_bare),
        ("Zalo", zalo_ours, zalo_bare),
    ):
        ratio = ours / bare
        ok = ok and ratio >= 0.5
        print(f"  {label:<8} {ratio:5.2f}  {'ok' if ratio >= 0.5 else 'BELOW TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
