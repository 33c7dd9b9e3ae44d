"""Every channel failing at once, through the commands an operator runs.

The channels' own answers (tests/channels) and the dispatcher's handling of each
(tests/notify) are tested elsewhere; here the whole `pcmd sweep` / `pcmd dispatch` path runs
while the SMTP server accepts connections but never answers (a hung server: each connection
times out after 1 s), Zalo answers 503 to every message and its token expires with the
refresh refused. The command must finish in bounded time with exit 0 and its counts; once
the services are back, later dispatches deliver everything: no notice lost, none pending.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest
from fakes.smtp_server import SilentPort, SmtpServer
from fakes.zalo_server import TOKEN_ROUTE, FakeZaloServer, zalo_url
from fault_support import TESTS
from sqlalchemy import text

from pcmd_workflow.channels import TokenStore
from pcmd_workflow.cli import main
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db

pytestmark = pytest.mark.slow

#: the reminder tests' plan: units reachable by e-mail, Zalo (CS and ZNS) and not at all
PLAN = TESTS / "notify" / "plans" / "tinh-mau-01-kh-ubnd-2024.yaml"
SENDER = "pcmd@ubnd.mau.gov.vn"


def _statuses(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, COUNT(*) FROM notices GROUP BY status")).all()
    engine.dispose()
    return {r[0]: r[1] for r in rows}


def _dispatch(now: str, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    assert main(["dispatch", "--now", now, "--format", "json"]) == 0
    report: dict[str, int] = json.loads(capsys.readouterr().out)
    return report


def test_everything_down_then_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    silent = SilentPort()
    zalo = FakeZaloServer().start()
    tokens = tmp_path / "zalo-tokens.json"
    access, refresh = zalo.issue_tokens()
    TokenStore(tokens).seed(
        access_token=access,
        refresh_token=refresh,
        expires_in=90000,
        now=datetime.fromisoformat("2024-06-13T07:00:00+07:00"),
    )
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    monkeypatch.setenv(
        "PCMD_EMAIL_URL",
        f"mailto://127.0.0.1:{silent.port}?from={SENDER}&mode=insecure&cto=1",
    )
    monkeypatch.setenv("PCMD_ZALO_URL", zalo_url(zalo, tokens) + "&template=tpl-nhac-han-01")
    reset_settings()
    back: SmtpServer | None = None
    try:
        assert main(["plan", "load", str(PLAN), "--format", "json"]) == 0
        assert main(["sweep", "--as-of", "2024-06-13", "--format", "json"]) == 0
        planned = sum(_statuses(url).values())
        assert planned > 5

        # everything down: Zalo answers 503, then its token expires and the refresh is
        # refused; the SMTP server hangs
        zalo.fail_next("server_error", times=2)
        started = time.perf_counter()
        first = _dispatch("2024-06-13T08:00:00+07:00", capsys)
        assert time.perf_counter() - started < 60
        assert first["failed"] > 0 and first["dead"] == 0
        zalo.expire_access_tokens()
        zalo.fail_next("refresh_rejected", times=2, route=TOKEN_ROUTE)
        second = _dispatch("2024-06-13T08:30:00+07:00", capsys)
        assert second["dead"] == 0
        assert sum(_statuses(url).values()) >= planned  # nothing lost

        # the services come back (a new mail server; Zalo re-authorised by the operator)
        back = SmtpServer().start()
        monkeypatch.setenv("PCMD_EMAIL_URL", back.url(sender=SENDER))
        reset_settings()
        access, refresh = zalo.issue_tokens()
        TokenStore(tokens).seed(
            access_token=access,
            refresh_token=refresh,
            expires_in=90000,
            now=datetime.fromisoformat("2024-06-13T09:00:00+07:00"),
        )
        for hour in range(9, 21):
            _dispatch(f"2024-06-13T{hour:02d}:00:00+07:00", capsys)
        final = _statuses(url)
        engine = db.make_engine(url)
        with engine.connect() as conn:
            left = conn.execute(
                text(
                    "SELECT kind, channel, recipient, status_reason, attempts FROM notices "
                    "WHERE status NOT IN ('sent', 'replaced', 'cancelled')"
                )
            ).all()
        engine.dispose()
        assert set(final) <= {"sent", "replaced", "cancelled"}, (final, left)
        assert final["sent"] >= 1 and back.envelopes
    finally:
        silent.close()
        zalo.stop()
        if back is not None:
            back.stop()
