"""open_channels: the configured channels from settings, the sink for the rest."""

from __future__ import annotations

import pytest
from fakes.smtp_server import SmtpServer
from fakes.zalo_server import CS_ROUTE, MORNING, ZaloSetup

from pcmd_workflow.channels import Outcome, OutgoingMessage, open_channels
from pcmd_workflow.clock import FixedClock
from pcmd_workflow.errors import ConfigError
from pcmd_workflow.settings import get_settings, reset_settings


def test_configured_channels_are_used(
    smtp_server: SmtpServer, zalo_setup: ZaloSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCMD_EMAIL_URL", smtp_server.url())
    monkeypatch.setenv("PCMD_ZALO_URL", zalo_setup.url)
    reset_settings()
    channels = open_channels(clock=zalo_setup.clock)

    mail = channels.send(
        OutgoingMessage(channel="email", recipient="a@so.vn", subject="Nhắc", body="x", key="k1")
    )
    cs = channels.send(
        OutgoingMessage(
            channel="zalo", recipient="2512523625412515", subject="Nhắc", body="x", key="k2"
        )
    )
    sink = channels.send(
        OutgoingMessage(
            channel="sink", recipient="sink:so-y-te", subject="Nhắc", body="x", key="k3"
        )
    )

    assert channels.configured == frozenset({"email", "zalo", "zns"})
    assert [(r.outcome, r.channel) for r in (mail, cs, sink)] == [
        (Outcome.ok, "email"),
        (Outcome.ok, "zalo"),
        (Outcome.ok, "sink"),
    ]
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [("a@so.vn",)]
    assert len(zalo_setup.server.calls(CS_ROUTE)) == 1
    assert get_settings().effective_sink_path.exists()
    channels.close()


def test_bad_email_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMD_EMAIL_URL", "smtp://user:pw@mail.example.vn")
    reset_settings()

    with pytest.raises(ConfigError, match="PCMD_EMAIL_URL"):
        open_channels(clock=FixedClock(MORNING))
