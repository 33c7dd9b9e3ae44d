"""The reminder engine at national scale: the sweep, and dispatch throughput.

On the synthetic national dataset (benchmarks/synthetic.py: 34 provinces x 115 units x 19
periods = 74,290 tasks in 2024), on SQLite:

- **sweep, worst case**: no report received yet, as of Friday 20/12/2024, so that every task
  of the year has a current rung; the first run writes its notices (target: under 5 s), the
  second finds them all there (idempotent re-run);
- **sweep, realistic**: the first half-year's history (most reports in, some late, returned,
  extended, excused), as of Monday 15/07/2024;
- **dispatch throughput**: ``dispatch`` sending digests by e-mail to an aiosmtpd server on
  loopback, against a bare ``smtplib`` loop (one connection per message, as Apprise does,
  and one kept-open connection), and by Zalo CS to the fake Zalo API against a bare
  ``httpx`` loop. The dispatcher's own work per message (claim, task check, Jinja
  rendering, recording the attempt) is the difference.

Target: the worst-case sweep writes its notices in under 5 s (exit code 1 otherwise).

Run: ``.venv/bin/python benchmarks/sweep_dispatch.py [--provinces 34] [--messages 200]``
(prints figures; never collected as a test).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import sys
import tempfile
import time
from datetime import date, datetime
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the loopback peers live in tests/fakes

import httpx  # noqa: E402
from fakes.smtp_server import SmtpServer  # noqa: E402
from fakes.zalo_server import CS_ROUTE, FakeZaloServer, zalo_url  # noqa: E402
from sqlalchemy import Engine, func, select, text  # noqa: E402

from benchmarks.synthetic import add_history, default_clock, materialise, national_plans  # noqa: E402
from pcmd_workflow.channels import (  # noqa: E402
    DeliveryResult,
    OutgoingMessage,
    TokenStore,
    open_channels,
)
from pcmd_workflow.clock import LOCAL_TZ, FixedClock  # noqa: E402
from pcmd_workflow.domain.calendar import default_calendar  # noqa: E402
from pcmd_workflow.services.dispatch import DispatchReport, dispatch  # noqa: E402
from pcmd_workflow.services.sweep import SweepReport, run_sweep  # noqa: E402
from pcmd_workflow.settings import reset_settings  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402
from pcmd_workflow.store.outbox import Notice  # noqa: E402

SWEEP_TARGET_S = 5.0


def _sweep(engine: Engine, day: date) -> tuple[SweepReport, float, float]:
    """The sweep of ``day``: its report, wall-clock seconds and CPU seconds of this process."""
    clock = FixedClock(datetime.combine(day, datetime.min.time(), LOCAL_TZ))
    start, cpu = time.perf_counter(), time.process_time()
    with db.session_scope(engine) as session:
        report = run_sweep(session, as_of=day, clock=clock)
    return report, time.perf_counter() - start, time.process_time() - cpu


def _notices(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Notice.__table__)).scalar_one())  # type: ignore[attr-defined]


def _print_sweep(label: str, report: SweepReport, seconds: float, cpu: float) -> None:
    verdict = "ok" if seconds < SWEEP_TARGET_S else "over"
    print(
        f"  {label:<27} {seconds:6.2f} s (CPU {cpu:5.2f} s)  tasks={report.tasks:,}  "
        f"planned={len(report.planned):,}  new={report.inserted:,}  "
        f"cancelled={report.cancelled:,}  [target < {SWEEP_TARGET_S:.0f} s: {verdict}]"
    )


def _bare_smtp(port: int, count: int, *, keep_open: bool, size: int) -> float:
    body = ("Kính gửi: Sở Y tế. Nhắc hạn nộp báo cáo 6 tháng, hạn Thứ Hai, 17/06/2024. " * 40)[
        :size
    ]

    def message(n: int) -> str:
        msg = MIMEText(body, "plain", "utf-8")
        msg["Subject"] = Header(f"[PCMD] Nhắc hạn nộp báo cáo số {n}", "utf-8")
        msg["From"] = "pcmd@ubnd.example.vn"
        msg["To"] = f"don-vi-{n}@example.vn"
        return msg.as_string()

    start = time.perf_counter()
    if keep_open:
        with smtplib.SMTP("127.0.0.1", port) as conn:
            for n in range(count):
                conn.sendmail("pcmd@ubnd.example.vn", [f"don-vi-{n}@example.vn"], message(n))
    else:
        for n in range(count):
            with smtplib.SMTP("127.0.0.1", port) as conn:
                conn.sendmail("pcmd@ubnd.example.vn", [f"don-vi-{n}@example.vn"], message(n))
    return count / (time.perf_counter() - start)


def _bare_httpx(server: FakeZaloServer, token: str, count: int, size: int) -> float:
    text_ = ("Nhắc hạn nộp báo cáo 6 tháng, hạn Thứ Hai, 17/06/2024. " * 40)[:size]
    start = time.perf_counter()
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        for n in range(count):
            client.post(
                CS_ROUTE,
                headers={"access_token": token},
                json={"recipient": {"user_id": f"{n:019d}"}, "message": {"text": text_}},
            ).raise_for_status()
    return count / (time.perf_counter() - start)


class TimedChannels:
    """The configured channels, with the time spent inside ``send`` added up."""

    def __init__(self, clock: FixedClock) -> None:
        self.inner = open_channels(clock=clock)
        self.seconds = 0.0
        self.calls = 0

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        start = time.perf_counter()
        try:
            return self.inner.send(message)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def close(self) -> None:
        self.inner.close()


def _timed_dispatch(
    engine: Engine, *, at: datetime, limit: int | None
) -> tuple[DispatchReport, float, TimedChannels]:
    clock = FixedClock(at)
    channels = TimedChannels(clock)
    start = time.perf_counter()
    with db.session_scope(engine) as session:
        report = dispatch(session, clock=clock, limit=limit, channels=channels)
    channels.close()
    return report, time.perf_counter() - start, channels


def _calibration() -> float:
    """Seconds for 10 million empty loop turns: how fast this machine runs Python right now."""
    start = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - start


def _configure(**env: str) -> None:
    for key, value in env.items():
        os.environ[f"PCMD_{key.upper()}"] = value
    reset_settings()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="pcmd-bench-sweep-"))
    _configure(data_dir=str(workdir / "data"), portal_url="https://baocao.example.vn")
    engine = db.make_engine(f"sqlite:///{workdir / 'national.sqlite3'}")
    db.upgrade(engine)
    default_calendar().is_working_day(date(2024, 1, 2))  # build the calendar once

    print(
        f"Python speed now: 10M empty loop turns in {_calibration():.2f} s "
        "(an idle 2-core machine: about 0.2 s)"
    )
    print(f"Synthetic national dataset: {args.provinces} provinces (SQLite, {workdir})")
    start = time.perf_counter()
    materialise(engine, national_plans(provinces=args.provinces), clock=default_clock())
    with engine.connect() as conn:
        tasks = conn.execute(text("SELECT count(*) FROM tasks")).scalar_one()
    print(f"  materialised {tasks:,} tasks in {time.perf_counter() - start:.1f} s")

    smtp = SmtpServer().start()
    _configure(email_url=smtp.url(sender="pcmd@ubnd.example.vn"))

    print("\nSweep (set-based: statuses in one pass, bulk INSERT … ON CONFLICT DO NOTHING)")
    report, seconds, cpu = _sweep(engine, date(2024, 12, 20))
    _print_sweep("worst case 20/12, first run", report, seconds, cpu)
    missed = seconds >= SWEEP_TARGET_S
    report, seconds, cpu = _sweep(engine, date(2024, 12, 20))
    _print_sweep("worst case 20/12, re-run", report, seconds, cpu)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM delivery_attempts"))
        conn.execute(text("DELETE FROM notices"))
    history = add_history(engine, as_of=date(2024, 7, 15))
    print(
        f"  history to 15/07: {history.submissions:,} submissions ({history.late:,} late), "
        f"{history.returns:,} returns, {history.extensions:,} extensions, "
        f"{history.excusals:,} excusals"
    )
    report, seconds, cpu = _sweep(engine, date(2024, 7, 15))
    _print_sweep("realistic 15/07, first run", report, seconds, cpu)
    report, seconds, cpu = _sweep(engine, date(2024, 7, 15))
    _print_sweep("realistic 15/07, re-run", report, seconds, cpu)
    print(f"  outbox: {_notices(engine):,} notices")

    n = args.messages
    print(f"\nDispatch throughput ({n} messages; peers on loopback in this process)")
    at = datetime(2024, 7, 15, 8, 0, tzinfo=LOCAL_TZ)
    report, seconds, timed = _timed_dispatch(engine, at=at, limit=n)
    own = (seconds - timed.seconds) / max(report.messages, 1) * 1000
    channel = timed.seconds / max(timed.calls, 1) * 1000
    print(
        f"  pcmd dispatch (e-mail + sink)  {report.messages / seconds:7.1f} msg/s  "
        f"({report.sent:,} notices in {report.messages} digests, {seconds:.2f} s)"
    )
    print(
        f"    of which in the channels: {channel:.1f} ms/msg; the dispatcher itself (claim, "
        f"task check, rendering, recording): {own:.1f} ms/msg"
    )
    size = 1500  # characters: about one digest of two reminders
    bare_one = _bare_smtp(smtp.port, n, keep_open=False, size=size)
    bare_kept = _bare_smtp(smtp.port, n, keep_open=True, size=size)
    print(f"  bare smtplib, 1 conn/msg       {bare_one:7.1f} msg/s  ({1000 / bare_one:.1f} ms/msg)")
    print(
        f"  bare smtplib, kept open        {bare_kept:7.1f} msg/s  ({1000 / bare_kept:.1f} ms/msg)"
    )
    smtp.stop()

    # Zalo: the communes' waiting notices (kept in the sink: no contacts) become CS messages
    zalo = FakeZaloServer().start()
    tokens = workdir / "zalo" / "zalo-tokens.json"
    access, refresh = zalo.issue_tokens()
    TokenStore(tokens).seed(access_token=access, refresh_token=refresh, expires_in=90000, now=at)
    _configure(zalo_url=zalo_url(zalo, tokens))
    with engine.begin() as conn:
        ids = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT min(id) FROM notices WHERE status = 'pending' AND channel = 'sink' "
                    "GROUP BY recipient LIMIT :n"
                ),
                {"n": n},
            )
        ]
        for i, notice_id in enumerate(ids):
            conn.execute(
                text("UPDATE notices SET channel = 'zalo', recipient = :r WHERE id = :id"),
                {"r": f"44{i:017d}", "id": notice_id},
            )
        conn.execute(  # only these go out in this measure
            text(
                "UPDATE notices SET status = 'cancelled' "
                "WHERE status IN ('pending', 'failed') AND channel <> 'zalo'"
            )
        )
    zreport, total, ztimed = _timed_dispatch(engine, at=at, limit=None)
    cs = len(zalo.calls(CS_ROUTE))
    own = (total - ztimed.seconds) / max(zreport.messages, 1) * 1000
    bare_http = _bare_httpx(zalo, access, n, size)
    print(
        f"  pcmd dispatch (Zalo CS)        {zreport.messages / total:7.1f} msg/s  "
        f"({cs} CS calls, {zreport.sent} sent, {total:.2f} s; channel "
        f"{ztimed.seconds / max(ztimed.calls, 1) * 1000:.1f} ms/msg, dispatcher {own:.1f} ms/msg)"
    )
    print(
        f"  bare httpx loop                {bare_http:7.1f} msg/s  ({1000 / bare_http:.1f} ms/msg)"
    )
    zalo.stop()
    engine.dispose()
    if missed:
        print(f"\nMISSED: the national sweep wrote its notices in more than {SWEEP_TARGET_S} s")
        sys.exit(1)


if __name__ == "__main__":
    main()
