"""The ``zalo://`` Apprise plugin through plain Apprise, and secret hygiene."""

from __future__ import annotations

import logging
from pathlib import Path

import apprise
import pytest
from fakes.zalo_server import CS_ROUTE, MORNING, TOKEN_ROUTE, ZNS_ROUTE, ZaloSetup

from pcmd_workflow.channels import NotifyZalo, OutgoingMessage, TokenStore, register_zalo_plugin
from pcmd_workflow.channels.zalo import ZaloChannel
from pcmd_workflow.clock import FixedClock
from pcmd_workflow.errors import ConfigError


def test_plugin_is_registered_for_zalo() -> None:
    assert register_zalo_plugin() is True
    assert apprise.manager_plugins.NotificationManager()["zalo"] is NotifyZalo


def test_apprise_notify_sends_a_cs_message(zalo_setup: ZaloSetup) -> None:
    notifier = apprise.Apprise()
    assert notifier.add(zalo_setup.url.replace("?", "/2512523625412515/2512523625419999?", 1))

    assert notifier.notify(body="Hạn nộp báo cáo: 17/06/2024", title="Nhắc hạn") is True

    texts = [
        (c.json["recipient"]["user_id"], c.json["message"]["text"])
        for c in zalo_setup.server.calls(CS_ROUTE)
    ]
    assert texts == [
        ("2512523625412515", "Nhắc hạn\r\nHạn nộp báo cáo: 17/06/2024"),
        ("2512523625419999", "Nhắc hạn\r\nHạn nộp báo cáo: 17/06/2024"),
    ]


def test_apprise_notify_zns_fills_the_template(zalo_setup: ZaloSetup) -> None:
    url = zalo_setup.url.replace(
        "?", "/0912345678?mode=zns&template=301234&:unit=S%E1%BB%9F%20Y%20t%E1%BA%BF&", 1
    )
    notifier = apprise.Apprise()
    assert notifier.add(url)

    assert notifier.notify(body="Hạn nộp 17/06/2024") is True

    [call] = zalo_setup.server.calls(ZNS_ROUTE)
    assert call.json["phone"] == "84912345678"
    assert call.json["template_id"] == "301234"
    assert call.json["template_data"] == {"unit": "Sở Y tế", "content": "Hạn nộp 17/06/2024"}
    assert len(call.json["tracking_id"]) == 32


def test_apprise_notify_reports_failure_with_masked_target(
    zalo_setup: ZaloSetup, caplog: pytest.LogCaptureFixture
) -> None:
    zalo_setup.server.fail_next("not_follower")
    notifier = apprise.Apprise()
    notifier.add(zalo_setup.url.replace("?", "/2512523625412515?", 1))

    assert notifier.notify(body="x", title="y") is False
    assert "Failed to send Zalo notification to 251***515" in caplog.text
    assert "2512523625412515" not in caplog.text


def test_privacy_url_masks_the_secret(zalo_setup: ZaloSetup) -> None:
    notifier = apprise.Apprise()
    notifier.add(zalo_setup.url.replace("?", "/2512523625412515?", 1))
    [plugin] = list(notifier)

    private = plugin.url(privacy=True)
    full = plugin.url()

    assert zalo_setup.server.secret_key not in private
    assert private.startswith(f"zalo://****@{zalo_setup.server.app_id}/2...5?mode=cs")
    assert full.startswith(f"zalo://{zalo_setup.server.secret_key}@{zalo_setup.server.app_id}/")
    # the full URL round-trips
    again = apprise.Apprise()
    assert again.add(full)
    assert next(iter(again)).url() == full


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("zalo://123456", "app id and secret key are required"),
        ("zalo://s3cr3t@123456?mode=zns", "needs template"),
        ("zalo://s3cr3t@123456?mode=sms", "mode must be cs or zns"),
        ("https://example.vn", "is not a Zalo URL"),
    ],
)
def test_bad_zalo_url_is_a_config_error_without_the_secret(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        ZaloChannel.from_url(url, clock=FixedClock(MORNING))
    assert "s3cr3t" not in str(err.value)


def test_tokens_and_secret_never_reach_logs_or_results(
    zalo_setup: ZaloSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    server = zalo_setup.server
    message = OutgoingMessage(
        channel="zalo", recipient="2512523625412515", subject="Nhắc hạn", body="Nội dung", key="k"
    )
    results = [zalo_setup.channel.send(message)]
    server.expire_access_tokens()
    results.append(zalo_setup.channel.send(message))  # refresh + retry
    server.fail_next("expired_token", times=2)
    results.append(zalo_setup.channel.send(message))  # refresh + dead token → disabled
    results.append(zalo_setup.channel.send(message))

    issued = [r.form.get("refresh_token", "") for r in server.calls(TOKEN_ROUTE)]
    secrets = {
        server.secret_key,
        zalo_setup.access_token,
        zalo_setup.refresh_token,
        "fake-access-0002-xyz",
        "fake-refresh-0002-xyz",
        "fake-access-0003-xyz",
        "fake-refresh-0003-xyz",
        *issued,
    }
    assert len(issued) == 2 and [r.outcome.value for r in results] == [
        "ok",
        "ok",
        "disabled",
        "disabled",
    ]
    shown = caplog.text + "".join(repr(r) for r in results)
    shown += repr(zalo_setup.channel.client.config) + repr(TokenStore(zalo_setup.token_path).load())
    for secret in secrets:
        assert secret not in shown
    assert "2512523625412515" not in caplog.text
    assert "Zalo: đã xoay vòng cặp token" in caplog.text


def test_token_file_default_is_in_the_data_directory(tmp_path: Path) -> None:
    plugin = NotifyZalo(**NotifyZalo.parse_url("zalo://s3cr3t@123456/1"))  # type: ignore[arg-type]

    config = plugin.zalo_config(data_dir=tmp_path)

    assert config.token_path == tmp_path / "zalo-tokens.json"
    assert (config.oa_base_url, config.zns_base_url, config.oauth_base_url) == (
        "https://openapi.zalo.me",
        "https://business.openapi.zalo.me",
        "https://oauth.zaloapp.com",
    )
    assert "s3cr3t" not in repr(config)
