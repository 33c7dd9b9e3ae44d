"""Every Zalo error code of the API's error classes, end to end through the fake server.

Answer files: ``answers/zalo_error_classes.csv`` (code → class, from the Zalo OA v3
and ZNS error tables) and ``answers/zalo_code_outcomes.csv`` (code → outcome, reason,
reschedule instant for a send at 09:00 on 17/06/2024, Hà Nội).
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from fakes.zalo_server import CS_ROUTE, TOKEN_ROUTE, ZaloSetup

from pcmd_workflow.channels import OutgoingMessage
from pcmd_workflow.channels.zalo_errors import classify_zalo_error

ANSWERS = Path(__file__).parent / "answers"


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader((ANSWERS / name).read_text(encoding="utf-8").splitlines()))


CLASSES = _rows("zalo_error_classes.csv")
OUTCOMES = _rows("zalo_code_outcomes.csv")


@pytest.mark.parametrize("row", CLASSES, ids=[r["code"] for r in CLASSES])
def test_code_class(row: dict[str, str]) -> None:
    assert classify_zalo_error(int(row["code"])).value == row["class"]


@pytest.mark.parametrize("row", OUTCOMES, ids=[r["code"] for r in OUTCOMES])
def test_code_outcome_end_to_end(zalo_setup: ZaloSetup, row: dict[str, str]) -> None:
    zalo_setup.server.fail_next(int(row["code"]))
    message = OutgoingMessage(
        channel="zalo", recipient="2512523625412515", subject="Nhắc hạn", body="Nội dung", key="k"
    )

    result = zalo_setup.channel.send(message)

    assert (result.outcome.value, result.reason.value) == (row["outcome"], row["reason"])
    expected_at = datetime.fromisoformat(row["retry_after"]) if row["retry_after"] else None
    if row["reason"] != "rate_limit":
        assert result.retry_after == expected_at
    if row["outcome"] == "ok":  # token class: one refresh, one retry
        paths = [r.path for r in zalo_setup.server.received]
        assert paths == [CS_ROUTE, TOKEN_ROUTE, CS_ROUTE]
    else:
        assert result.provider_code == row["code"]
