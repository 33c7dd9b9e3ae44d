"""The channel value objects and helpers, and the package's public API."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

import pcmd_workflow.channels as channels
from pcmd_workflow.channels import (
    OutgoingMessage,
    mask_recipient,
    next_local_time,
    normalise_phone,
    tracking_id_for,
)
from pcmd_workflow.channels.base import mask_secrets
from pcmd_workflow.clock import LOCAL_TZ

ANSWERS = Path(__file__).parent / "answers"
PHONES = list(csv.DictReader((ANSWERS / "phones.csv").read_text(encoding="utf-8").splitlines()))


def test_public_api() -> None:
    assert sorted(channels.__all__) == [
        "CHANNEL_NAMES",
        "Channel",
        "ChannelSet",
        "DeliveryResult",
        "EmailChannel",
        "NotifyZalo",
        "Outcome",
        "OutgoingMessage",
        "Reason",
        "SinkChannel",
        "TOKEN_FILE_NAME",
        "TRACKING_ID_MAX",
        "TokenStore",
        "ZaloChannel",
        "ZaloClient",
        "ZaloConfig",
        "ZaloTokens",
        "ZnsQuota",
        "mask_recipient",
        "next_local_time",
        "normalise_phone",
        "open_channels",
        "register_zalo_plugin",
        "tracking_id_for",
    ]
    for name in channels.__all__:
        assert hasattr(channels, name)


@pytest.mark.parametrize("row", PHONES, ids=[r["raw"] or "<empty>" for r in PHONES])
def test_phone_normalisation(row: dict[str, str]) -> None:
    assert normalise_phone(row["raw"]) == (row["normalised"] or None)


def test_short_safe_key_is_its_own_tracking_id() -> None:
    key = "ha-noi-255-kh-ubnd-2021/v2/so-y-te/2024-H1/T-2"  # 46 characters
    assert tracking_id_for(key) == key


def test_long_key_gets_a_48_character_digest() -> None:
    key = "ha-noi-255-kh-ubnd-2021/v2-semiannual/ubnd-huyen-van-ban/2024-H1/T+3/zns"
    # "h-" + first 46 hex digits of `printf %s KEY | sha256sum`
    assert tracking_id_for(key) == "h-e107e202e227cb7958bb39332733d00a5f23960884acdc"


def test_key_with_spaces_or_diacritics_is_digested() -> None:
    # `printf %s 'Sở Y tế' | sha256sum`, first 46 hex digits
    assert tracking_id_for("Sở Y tế") == "h-035999b3ec8b26ebe3d535cbebc0f0e9e6549e1c17b9a5"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channel": "sms"}, "is not one of"),
        ({"key": "  "}, "idempotency key is required"),
        ({"recipient": ""}, "empty recipient"),
        ({"channel": "zns"}, "needs template_id and template_data"),
    ],
)
def test_message_programming_errors(kwargs: dict[str, str], message: str) -> None:
    fields = {"channel": "email", "recipient": "a@b.vn", "subject": "s", "body": "b", "key": "k"}
    with pytest.raises(ValueError, match=message):
        OutgoingMessage(**{**fields, **kwargs})


@pytest.mark.parametrize(
    ("now_local", "at", "expected_utc"),
    [
        # 22:30 on 17/6 → 06:00 on 18/6 (+07:00) = 23:00 UTC on 17/6
        (datetime(2024, 6, 17, 22, 30), time(6), datetime(2024, 6, 17, 23, 0)),
        # 05:59 on 18/6 → 06:00 the same morning
        (datetime(2024, 6, 18, 5, 59), time(6), datetime(2024, 6, 17, 23, 0)),
        # exactly 06:00 → the next day's 06:00
        (datetime(2024, 6, 18, 6, 0), time(6), datetime(2024, 6, 18, 23, 0)),
        # 15:20 on 31/12/2024 → midnight opening 1/1/2025 = 17:00 UTC on 31/12
        (datetime(2024, 12, 31, 15, 20), time(0), datetime(2024, 12, 31, 17, 0)),
    ],
)
def test_next_local_time(now_local: datetime, at: time, expected_utc: datetime) -> None:
    now = now_local.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
    assert next_local_time(now, at) == expected_utc.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("recipient", "masked"),
    [
        ("vanthu.soyte@hanoi.gov.vn", "va***@hanoi.gov.vn"),
        ("84912345678", "849***678"),
        ("2512523625412515", "251***515"),
        ("sink:so-y-te", "sink:so-y-te"),
        ("12345", "***"),
    ],
)
def test_mask_recipient(recipient: str, masked: str) -> None:
    assert mask_recipient(recipient) == masked


def test_mask_secrets_ignores_trivial_values() -> None:
    text = "token abcdef-123 and abc"
    assert mask_secrets(text, ["abcdef-123", "abc", None]) == "token *** and abc"
