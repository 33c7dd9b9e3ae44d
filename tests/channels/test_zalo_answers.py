"""HTTP-level answers the fake server does not produce, through httpx.MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from pcmd_workflow.channels import (
    Outcome,
    OutgoingMessage,
    Reason,
    TokenStore,
    ZaloChannel,
    ZaloClient,
    ZaloConfig,
)
from pcmd_workflow.clock import FixedClock

NOW = datetime(2024, 6, 17, 2, 30, 20, tzinfo=UTC)  # 09:30:20 in Hà Nội


def channel_answering(tmp_path: Path, status: int, content: bytes) -> ZaloChannel:
    token_path = tmp_path / "zalo-tokens.json"
    TokenStore(token_path).seed(access_token="AT", refresh_token="RT", expires_in=90000, now=NOW)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v4/oa/access_token":
            return httpx.Response(
                200, json={"error": -14014, "error_name": "Invalid refresh token"}
            )
        return httpx.Response(status, content=content)

    config = ZaloConfig(app_id="1", secret_key="app-secret", token_path=token_path)
    client = ZaloClient(config, clock=FixedClock(NOW), transport=httpx.MockTransport(handler))
    return ZaloChannel(client)


MESSAGE = OutgoingMessage(channel="zalo", recipient="123456", subject="s", body="b", key="k")


@pytest.mark.parametrize(
    ("status", "content", "outcome", "reason", "code"),
    [
        (429, b"Too Many Requests", Outcome.transient, Reason.rate_limit, "http-429"),
        (404, b"Not Found", Outcome.disabled, Reason.config, "http-404"),
        (502, b"Bad Gateway", Outcome.transient, Reason.server_error, "http-502"),
        (200, b"<html>proxy login</html>", Outcome.transient, Reason.server_error, None),
        # 401 is a token error: refresh (rejected here) → disabled
        (401, b"Unauthorized", Outcome.disabled, Reason.token, "-14014"),
    ],
)
def test_http_level_answers(
    tmp_path: Path,
    status: int,
    content: bytes,
    outcome: Outcome,
    reason: Reason,
    code: str | None,
) -> None:
    channel = channel_answering(tmp_path, status, content)
    result = channel.send(MESSAGE)
    channel.close()

    assert (result.outcome, result.reason, result.provider_code) == (outcome, reason, code)


def test_rate_limited_http_answer_retries_after_the_next_minute(tmp_path: Path) -> None:
    channel = channel_answering(tmp_path, 429, b"")
    result = channel.send(MESSAGE)
    channel.close()

    assert result.retry_after is not None
    low = datetime(2024, 6, 17, 2, 31, 0, tzinfo=UTC)
    assert low <= result.retry_after < datetime(2024, 6, 17, 2, 31, 15, tzinfo=UTC)


def test_unreadable_answer_is_uncertain(tmp_path: Path) -> None:
    channel = channel_answering(tmp_path, 200, b"not json")
    result = channel.send(MESSAGE)
    channel.close()

    assert result.uncertain is True
    assert "not json" in result.detail
