"""The Zalo channel against the fake Zalo API on loopback."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fakes.smtp_server import free_port
from fakes.zalo_server import (
    CS_ROUTE,
    QUOTA_ROUTE,
    TOKEN_ROUTE,
    ZNS_ROUTE,
    ZaloSetup,
    zalo_url,
)

from pcmd_workflow.channels import (
    Outcome,
    OutgoingMessage,
    Reason,
    TokenStore,
    ZaloChannel,
    ZnsQuota,
)
from pcmd_workflow.clock import LOCAL_TZ

USER_ID = "2512523625412515"
SUBJECT = "Nhắc hạn: báo cáo 6 tháng đầu năm 2024"
BODY = "Sở Y tế gửi báo cáo công tác phòng, chống mại dâm trước ngày 17/6/2024."


def cs(key: str = "ha-noi-255-kh-ubnd-2021/v2-semiannual/so-y-te/2024-H1/T-2") -> OutgoingMessage:
    return OutgoingMessage(channel="zalo", recipient=USER_ID, subject=SUBJECT, body=BODY, key=key)


def zns(recipient: str = "0912 345 678", key: str = "notice-42") -> OutgoingMessage:
    return OutgoingMessage(
        channel="zns",
        recipient=recipient,
        subject=SUBJECT,
        body=BODY,
        key=key,
        template_id="301234",
        template_data={"unit": "Sở Y tế", "due_date": "17/06/2024"},
    )


def test_cs_message_is_delivered(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.ok
    assert result.channel == "zalo"
    assert result.provider_message_id == "cs-000002"
    [call] = zalo.server.calls(CS_ROUTE)
    assert call.headers["access_token"] == zalo.access_token
    assert call.json == {
        "recipient": {"user_id": USER_ID},
        "message": {"text": SUBJECT + "\n\n" + BODY},
    }


def test_zns_message_normalises_phone_and_sends_tracking_id(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    result = zalo.channel.send(zns())

    assert result.outcome is Outcome.ok
    assert result.channel == "zns"
    assert result.provider_message_id == "zns-000002"
    [call] = zalo.server.calls(ZNS_ROUTE)
    assert call.json == {
        "phone": "84912345678",
        "template_id": "301234",
        "template_data": {"unit": "Sở Y tế", "due_date": "17/06/2024"},
        "tracking_id": "notice-42",
    }


def test_zns_long_key_becomes_stable_48_char_tracking_id(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    key = "ha-noi-255-kh-ubnd-2021/v2-semiannual/ubnd-huyen-van-ban/2024-H1/T+3/zns"
    first = zalo.channel.send(zns(key=key))
    again = zalo.channel.send(zns(key=key))

    sent = [c.json["tracking_id"] for c in zalo.server.calls(ZNS_ROUTE)]
    # "h-" + the first 46 hex digits of SHA-256 of the key (computed with sha256sum)
    assert sent == ["h-e107e202e227cb7958bb39332733d00a5f23960884acdc"] * 2
    # the provider deduplicates on tracking_id: one message, the same id twice
    assert first.provider_message_id == again.provider_message_id
    assert len(zalo.server.sent) == 1


def test_invalid_phone_is_permanent_without_any_http_call(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    result = zalo.channel.send(zns(recipient="024 3825 1234 ext 5"))

    assert result.outcome is Outcome.permanent
    assert result.reason is Reason.invalid_contact
    assert "024***t 5" in result.detail
    assert zalo.server.received == []


def test_invalid_user_id_is_permanent_without_any_http_call(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    message = OutgoingMessage(
        channel="zalo", recipient="so-y-te@hanoi", subject="x", body="y", key="k"
    )
    result = zalo.channel.send(message)

    assert (result.outcome, result.reason) == (Outcome.permanent, Reason.invalid_contact)
    assert zalo.server.received == []


def test_expired_token_is_refreshed_once_and_the_send_retried(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    inode_before = zalo.token_path.stat().st_ino
    zalo.server.expire_access_tokens()

    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.ok
    paths = [r.path for r in zalo.server.received]
    assert paths == [CS_ROUTE, TOKEN_ROUTE, CS_ROUTE]
    [refresh] = zalo.server.calls(TOKEN_ROUTE)
    assert refresh.headers["secret_key"] == zalo.server.secret_key
    assert "application/x-www-form-urlencoded" in refresh.headers["content-type"]
    assert refresh.form == {
        "refresh_token": zalo.refresh_token,
        "app_id": zalo.server.app_id,
        "grant_type": "refresh_token",
    }
    retried = zalo.server.calls(CS_ROUTE)[1]
    assert retried.headers["access_token"] == "fake-access-0002-xyz"
    stored = json.loads(zalo.token_path.read_text())
    assert stored["access_token"] == "fake-access-0002-xyz"
    assert stored["refresh_token"] == "fake-refresh-0002-xyz"
    # expires_in "90000" seconds from 09:00 on 17/6 → 10:00 on 18/6 (local)
    assert stored["expires_at"] == "2024-06-18T03:00:00+00:00"
    assert stat.S_IMODE(zalo.token_path.stat().st_mode) == 0o600
    assert zalo.token_path.stat().st_ino != inode_before  # replaced, not rewritten in place
    leftovers = sorted(p.name for p in zalo.token_path.parent.iterdir())
    assert leftovers == ["zalo-tokens.json", "zalo-tokens.json.lock"]


def test_second_auth_error_after_refresh_disables_the_channel(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.fail_next("expired_token", times=2)

    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.disabled
    assert result.reason is Reason.token
    assert [r.path for r in zalo.server.received] == [CS_ROUTE, TOKEN_ROUTE, CS_ROUTE]
    later = zalo.channel.send(zns())
    assert later.outcome is Outcome.disabled
    assert len(zalo.server.received) == 3  # nothing more went out


def test_proactive_refresh_when_the_pair_is_older_than_20_hours(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.clock.advance(timedelta(hours=20, minutes=1))

    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.ok
    assert [r.path for r in zalo.server.received] == [TOKEN_ROUTE, CS_ROUTE]
    assert zalo.server.calls(CS_ROUTE)[0].headers["access_token"] == "fake-access-0002-xyz"


def test_reused_refresh_token_is_rejected_and_disables_the_channel(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    store = TokenStore(zalo.token_path)
    stale_copy = store.load()
    assert stale_copy is not None
    zalo.channel.client.refresh()
    rotated = store.load()
    assert rotated is not None and rotated.refresh_token == "fake-refresh-0002-xyz"
    store.save(stale_copy)  # a restored backup holding the spent refresh token
    zalo.server.expire_access_tokens()

    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.disabled
    assert result.reason is Reason.token
    assert "-14014" in result.detail
    assert zalo.server.calls(TOKEN_ROUTE)[-1].form["refresh_token"] == zalo.refresh_token
    stored = store.load()
    assert stored is not None and stored.disabled_reason is not None
    # another process reading the file sees the channel off without calling Zalo
    calls_before = len(zalo.server.received)
    other = zalo.new_channel()
    assert other.send(cs()).outcome is Outcome.disabled
    assert len(zalo.server.received) == calls_before
    other.close()


def test_refresh_failure_disables_channel(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.expire_access_tokens()
    zalo.server.fail_next("server_error", route=TOKEN_ROUTE)

    result = zalo.channel.send(zns())

    assert result.outcome is Outcome.disabled
    assert result.channel == "zns"
    assert "HTTP 503" in result.detail


def test_refresh_endpoint_unreachable_is_transient_and_keeps_the_token(
    zalo_setup: ZaloSetup,
) -> None:
    zalo = zalo_setup
    closed = f"http://127.0.0.1:{free_port()}"
    channel = ZaloChannel.from_url(
        zalo_url(zalo.server, zalo.token_path, oauth_url=closed), clock=zalo.clock
    )
    zalo.server.expire_access_tokens()

    result = channel.send(cs())

    assert (result.outcome, result.reason) == (Outcome.transient, Reason.connect)
    stored = TokenStore(zalo.token_path).load()
    assert stored is not None
    assert stored.refresh_token == zalo.refresh_token and stored.disabled_reason is None
    channel.close()


def test_missing_token_file_disables_without_http(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    os.unlink(zalo.token_path)

    result = zalo.channel.send(cs())

    assert (result.outcome, result.reason) == (Outcome.disabled, Reason.token)
    assert zalo.server.received == []


def test_not_follower_means_fall_back(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.fail_next("not_follower")

    result = zalo.channel.send(cs())

    assert result.outcome is Outcome.unreachable
    assert (result.reason, result.provider_code) == (Reason.recipient, "-230")


def test_night_refusal_reschedules_to_six_local(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.clock.set(datetime(2024, 6, 17, 22, 30, tzinfo=LOCAL_TZ))
    zalo.server.fail_next("night")

    result = zalo.channel.send(zns())

    assert (result.outcome, result.reason, result.provider_code) == (
        Outcome.reschedule,
        Reason.night,
        "-133",
    )
    assert result.retry_after == datetime(2024, 6, 17, 23, 0, tzinfo=UTC)  # 18/6 06:00 +07:00


def test_night_refusal_after_midnight_reschedules_same_morning(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.clock.set(datetime(2024, 6, 18, 1, 15, tzinfo=LOCAL_TZ))
    zalo.server.fail_next("night")

    result = zalo.channel.send(zns())

    assert result.retry_after == datetime(2024, 6, 17, 23, 0, tzinfo=UTC)


def test_quota_refusal_reschedules_after_local_midnight(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.clock.set(datetime(2024, 6, 17, 15, 20, tzinfo=LOCAL_TZ))
    zalo.server.fail_next("quota")

    result = zalo.channel.send(zns())

    assert (result.outcome, result.reason) == (Outcome.reschedule, Reason.quota)
    assert result.retry_after == datetime(2024, 6, 17, 17, 0, tzinfo=UTC)  # 18/6 00:00 +07:00


def test_rate_limit_is_transient_until_the_next_minute(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.clock.set(datetime(2024, 6, 17, 9, 30, 20, tzinfo=LOCAL_TZ))
    zalo.server.fail_next("rate_limit")

    result = zalo.channel.send(cs())

    assert (result.outcome, result.reason) == (Outcome.transient, Reason.rate_limit)
    assert result.retry_after is not None
    low = datetime(2024, 6, 17, 2, 31, 0, tzinfo=UTC)
    assert low <= result.retry_after < low + timedelta(seconds=15)


def test_bad_template_is_permanent(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.fail_next("bad_template")

    result = zalo.channel.send(zns())

    assert (result.outcome, result.reason, result.provider_code) == (
        Outcome.permanent,
        Reason.payload,
        "-131",
    )


def test_configuration_error_stops_the_channel(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.fail_next("config")

    first = zalo.channel.send(cs())
    second = zalo.channel.send(cs())

    assert (first.outcome, first.reason) == (Outcome.disabled, Reason.config)
    assert "-204" in first.detail
    assert second.outcome is Outcome.disabled
    assert len(zalo.server.received) == 1


def test_unknown_code_is_permanent_and_keeps_the_answer(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.fail_next("unknown")

    result = zalo.channel.send(cs())

    assert (result.outcome, result.reason) == (Outcome.permanent, Reason.unknown)
    assert "Something unexpected" in result.detail


@pytest.mark.parametrize(
    ("fault", "reason", "uncertain"),
    [
        ("server_error", Reason.server_error, False),
        ("drop", Reason.dropped, True),
        ("slow", Reason.timeout, True),
    ],
)
def test_transport_failures_are_transient(
    zalo_setup: ZaloSetup, fault: str, reason: Reason, uncertain: bool
) -> None:
    zalo = zalo_setup
    zalo.server.fail_next(fault)

    result = zalo.channel.send(cs())

    assert (result.outcome, result.reason, result.uncertain) == (
        Outcome.transient,
        reason,
        uncertain,
    )
    # the channel is still usable afterwards
    assert zalo.channel.send(cs(key="next")).outcome is Outcome.ok


def test_unreachable_api_is_transient_connect(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.stop()

    result = zalo.channel.send(cs())

    assert (result.outcome, result.reason, result.uncertain) == (
        Outcome.transient,
        Reason.connect,
        False,
    )


def test_quota_query(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.channel.send(zns())

    assert zalo.channel.client.quota() == ZnsQuota(daily=500, remaining=499)
    assert zalo.server.calls(QUOTA_ROUTE)[0].headers["access_token"] == zalo.access_token


def test_long_cs_text_is_cut_to_2000_characters(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    message = OutgoingMessage(
        channel="zalo", recipient=USER_ID, subject="Tổng hợp", body="ạ" * 2500, key="k"
    )

    assert zalo.channel.send(message).ok
    text = zalo.server.calls(CS_ROUTE)[0].json["message"]["text"]
    assert len(text) == 2000 and text.endswith("…")


def test_concurrent_senders_refresh_only_once(zalo_setup: ZaloSetup) -> None:
    """Four senders (as four processes would) hit an expired token at once: one refresh."""
    zalo = zalo_setup
    channels = [zalo.new_channel() for _ in range(4)]
    zalo.server.expire_access_tokens()
    barrier = threading.Barrier(len(channels))
    results: list[Outcome] = []

    def send(channel: ZaloChannel, n: int) -> None:
        barrier.wait()
        results.append(channel.send(cs(key=f"k{n}")).outcome)

    threads = [threading.Thread(target=send, args=(c, n)) for n, c in enumerate(channels)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == [Outcome.ok] * 4
    assert len(zalo.server.calls(TOKEN_ROUTE)) == 1
    assert len(zalo.server.sent) == 4
    for channel in channels:
        channel.close()


def test_reseeded_tokens_bring_a_disabled_channel_back(zalo_setup: ZaloSetup) -> None:
    zalo = zalo_setup
    zalo.server.expire_access_tokens()
    zalo.server.fail_next("refresh_rejected", route=TOKEN_ROUTE)
    assert zalo.channel.send(cs()).outcome is Outcome.disabled
    assert zalo.channel.send(cs()).outcome is Outcome.disabled

    access, refresh = zalo.server.issue_tokens()  # the administrator re-authorises the app
    TokenStore(zalo.token_path).seed(
        access_token=access, refresh_token=refresh, expires_in=90000, now=zalo.clock.now()
    )

    assert zalo.channel.send(cs()).outcome is Outcome.ok
    assert zalo.channel.client.disabled_reason is None
