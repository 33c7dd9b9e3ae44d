"""``pcmd dispatch`` killed with SIGKILL at random points loses nothing.

A plan of 100 units, each with its own e-mail address, gives 100 notices (T-2 reminders on
Thursday 13/06/2024 for a report due Monday 17/06/2024). The SMTP server is first down (every
notice fails and backs off), then a real loopback server (aiosmtpd) comes up and ``pcmd
dispatch`` runs in a subprocess that is killed with SIGKILL at a random moment after it has
started sending, again and again (at most 15 times, within a time budget); a last run
finishes the work. Then every notice is ``sent``, every unit received its reminder, and
the duplicates never exceed the notices that were in flight (claimed, result unrecorded)
at the kills — a claim is committed before the message leaves, so a crash can only repeat
what it was sending.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from fakes.smtp_server import SmtpServer, free_port
from sqlalchemy import func, select

from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.services.dispatch import dispatch
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.sweep import run_sweep
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store.db import make_engine, session_scope, upgrade
from pcmd_workflow.store.outbox import Notice

UNITS = 100
KILLS = 15
BUDGET_SECONDS = 30.0
PLAN_ID = "tinh-thu-99-kh-ubnd-2024"


def _plan(path: Path) -> None:
    units = [
        {
            "slug": "so-ldtbxh",
            "name": "Sở Lao động - Thương binh và Xã hội",
            "level": "province",
            "role": "standing",
            "contacts": [
                {"kind": "email", "value": "dau-moi@sldtbxh.thu.gov.vn", "role": "coordinator"}
            ],
        },
        {"slug": "ubnd-tinh", "name": "UBND tỉnh Thử", "level": "province", "role": "recipient"},
    ]
    units += [
        {
            "slug": f"xa-{i:03d}",
            "name": f"UBND xã số {i}",
            "level": "commune",
            "parent": "ubnd-tinh",
            "role": "subordinate",
            "contacts": [{"kind": "email", "value": f"vanthu.xa{i:03d}@thu.gov.vn"}],
        }
        for i in range(UNITS)
    ]
    plan = {
        "id": PLAN_ID,
        "number": "99/KH-UBND",
        "type": "Kế hoạch",
        "title": "Kế hoạch thử nghiệm gửi thông báo",
        "issuer": "Ủy ban nhân dân tỉnh Thử",
        "issued": "2024-01-02",
        "jurisdiction": "tinh-thu",
        "validity": {"start": "2024-01-02", "end": "2024-12-31"},
        "units": units,
        "groups": [{"slug": "cac-xa", "name": "UBND các xã", "select": {"level": "commune"}}],
        "obligations": [
            {
                "id": "bc-6-thang",
                "title": "Báo cáo 6 tháng",
                "reporters": ["cac-xa"],
                "recipient": "ubnd-tinh",
                "cadence": "summary",
                "periods": ["2024-H1"],
                "due": "fixed 2024-06-17",
                "clause": "Các xã báo cáo 6 tháng chậm nhất ngày 17/6/2024.",
                "where": "III",
            }
        ],
    }
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _pcmd() -> str:
    found = shutil.which("pcmd") or str(Path(sys.executable).with_name("pcmd"))
    assert Path(found).exists(), "the pcmd script is not installed in this environment"
    return found


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.monotonic()
    rng = random.Random(20240613)
    db_path = tmp_path / "outbox.sqlite3"
    url = f"sqlite:///{db_path}"
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    monkeypatch.setenv("PCMD_EMAIL_URL", "mailto://127.0.0.1:25?from=pcmd@thu.gov.vn")
    reset_settings()  # the sweep addresses the units by e-mail
    plan_file = tmp_path / f"{PLAN_ID}.yaml"
    _plan(plan_file)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_plans(session, [plan_file], clock=FixedClock(datetime(2024, 1, 3, 9, tzinfo=LOCAL_TZ)))
    with session_scope(engine) as session:
        report = run_sweep(
            session,
            as_of=datetime(2024, 6, 13).date(),
            clock=FixedClock(datetime(2024, 6, 13, 7, tzinfo=LOCAL_TZ)),
        )
    assert report.inserted == UNITS

    def counts() -> dict[str, int]:
        with session_scope(engine) as session:
            rows = session.execute(select(Notice.status, func.count()).group_by(Notice.status))  # type: ignore[call-overload]
            return {status: int(n) for status, n in rows}

    def in_flight() -> int:
        with session_scope(engine) as session:
            return int(
                session.execute(
                    select(func.count()).where(Notice.claimed_by.is_not(None))  # type: ignore[union-attr]
                ).scalar_one()
            )

    env = {
        **os.environ,
        "PCMD_DATABASE_URL": url,
        "PCMD_DATA_DIR": str(tmp_path / "data"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [_pcmd(), "dispatch", "--format", "json", "--lease", "3600"]

    # 1. the mail server is down: every notice fails and backs off (2 minutes)
    monkeypatch.setenv(
        "PCMD_EMAIL_URL",
        f"mailto://127.0.0.1:{free_port()}?from=pcmd@thu.gov.vn&mode=insecure&cto=1",
    )
    reset_settings()
    with session_scope(engine) as session:
        down = dispatch(session, clock=FixedClock(datetime(2024, 6, 13, 8, tzinfo=LOCAL_TZ)))
    assert (down.failed, down.pending) == (UNITS, UNITS)
    assert counts() == {"failed": UNITS}

    smtp = SmtpServer().start()
    try:
        live = {**env, "PCMD_EMAIL_URL": smtp.url(sender="pcmd@thu.gov.vn")}
        # 2. it is back; the dispatcher dies at random moments
        kills = flying = 0
        for _ in range(KILLS):
            if counts().get("sent", 0) == UNITS or time.monotonic() - started > BUDGET_SECONDS:
                break
            before = len(smtp.envelopes)
            proc = subprocess.Popen(
                [*command, "--now", "2024-06-13T08:10"],
                env=live,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # kill at a random point of the sending, not of the start-up
            waited = time.monotonic()
            while (
                len(smtp.envelopes) == before
                and proc.poll() is None
                and time.monotonic() - waited < 20
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                kills += 1
                flying += in_flight()
        # 3. a last run finishes the work (orphaned leases are released at once)
        done = subprocess.run(
            [*command, "--now", "2024-06-13T08:10"],
            env=live,
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert b'"pending": 0' in done.stdout
        assert counts() == {"sent": UNITS}
        assert in_flight() == 0
        received = [rcpt for envelope in smtp.envelopes for rcpt in envelope.rcpt_tos]
        expected = {f"vanthu.xa{i:03d}@thu.gov.vn" for i in range(UNITS)}
        assert set(received) == expected  # nothing lost
        duplicates = len(received) - len(expected)
        assert duplicates <= flying, (duplicates, flying, kills)
        assert kills >= 1, "no run was killed: the runs finished too fast to test anything"
    finally:
        smtp.stop()
        engine.dispose()
