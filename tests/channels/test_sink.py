"""The sink channel: one JSON line per message, a Vietnamese summary in the log."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from pcmd_workflow.channels import Outcome, OutgoingMessage, SinkChannel, open_channels
from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.settings import get_settings

CLOCK_AT = datetime(2024, 6, 17, 7, 30, tzinfo=LOCAL_TZ)


def notice(channel: str = "sink", recipient: str = "sink:so-y-te") -> OutgoingMessage:
    return OutgoingMessage(
        channel=channel,
        recipient=recipient,
        subject="Nhắc hạn: báo cáo 6 tháng đầu năm 2024",
        body="Hạn nộp: 17/06/2024.",
        key="ha-noi-255-kh-ubnd-2021/v2-semiannual/so-y-te/2024-H1/T0",
    )


def test_sink_appends_json_lines_and_logs_in_vietnamese(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pcmd.channels.sink")
    sink = SinkChannel(tmp_path / "out" / "outbox-sink.log", clock=FixedClock(CLOCK_AT))

    first = sink.send(notice())
    second = sink.send(notice(recipient="sink:so-ldtbxh"))

    assert first.outcome is Outcome.ok and second.ok
    assert first.provider_message_id == "sink:h-f5eec6d3ab3f7f55b01c425680df51fc75473cf1b3b44d"
    lines = (tmp_path / "out" / "outbox-sink.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {
        "instant": "2024-06-17T07:30:00+07:00",
        "channel": "sink",
        "recipient": "sink:so-y-te",
        "subject": "Nhắc hạn: báo cáo 6 tháng đầu năm 2024",
        "body": "Hạn nộp: 17/06/2024.",
        "html": None,
        "key": "ha-noi-255-kh-ubnd-2021/v2-semiannual/so-y-te/2024-H1/T0",
        # the key has 56 characters: "h-" + 46 hex digits of its SHA-256 (sha256sum)
        "tracking_id": "h-f5eec6d3ab3f7f55b01c425680df51fc75473cf1b3b44d",
    }
    assert "Thông báo (sink) gửi sink:so-y-te lúc 07:30 ngày 17/06/2024: «Nhắc hạn" in caplog.text


def test_unwritable_sink_is_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    sink = SinkChannel(blocker / "outbox-sink.log", clock=FixedClock(CLOCK_AT))

    result = sink.send(notice())

    assert result.outcome is Outcome.transient


def test_zero_configuration_routes_every_channel_to_the_sink(tmp_path: Path) -> None:
    settings = get_settings()
    assert settings.email_url is None and settings.zalo_url is None
    channels = open_channels(settings, clock=FixedClock(CLOCK_AT))

    result = channels.send(notice(channel="email", recipient="vanthu@hanoi.gov.vn"))

    assert channels.configured == frozenset()
    assert (result.outcome, result.channel) == (Outcome.ok, "sink")
    [line] = settings.effective_sink_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["channel"] == "email"
    assert json.loads(line)["recipient"] == "vanthu@hanoi.gov.vn"
    channels.close()
