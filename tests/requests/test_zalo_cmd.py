"""``pcmd zalo authorize`` and ``pcmd zalo status`` against the fake Zalo API.

The token file must end up 0600 with the pair in it; no output, error or log line may show a
token value or the app's secret key.
"""

from __future__ import annotations

import json
import logging
import socket
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.zalo_server import TOKEN_ROUTE, FakeZaloServer, zalo_server, zalo_url
from requests_support import local
from typer.testing import CliRunner

from pcmd_workflow.channels import TokenStore
from pcmd_workflow.cli import app as cli_app
from pcmd_workflow.cli import main
from pcmd_workflow.settings import reset_settings

__all__ = ["zalo_server"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def token_path(tmp_path: Path) -> Path:
    return tmp_path / "zalo-data" / "zalo-tokens.json"


@pytest.fixture
def configured(
    zalo_server: FakeZaloServer, token_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FakeZaloServer:
    """PCMD_ZALO_URL points at the fake; no token file yet."""
    monkeypatch.setenv("PCMD_ZALO_URL", zalo_url(zalo_server, token_path))
    monkeypatch.delenv("PCMD_ZALO_SECRET_KEY", raising=False)
    reset_settings()
    return zalo_server


def _assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def test_authorize_exchanges_the_refresh_token(
    configured: FakeZaloServer,
    token_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = configured
    _access, refresh = server.issue_tokens()  # the administrator's authorisation
    monkeypatch.setenv("PCMD_ZALO_SECRET_KEY", server.secret_key)
    caplog.set_level(logging.DEBUG)
    code, out, err = run(
        capsys, "zalo", "authorize", "--app-id", server.app_id, "--refresh-token", refresh
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        "pcmd: Zalo: đã đổi refresh token lấy cặp token mới tại Zalo; "
        f"tệp {token_path} (quyền 0600)"
    )
    assert out.splitlines()[1].startswith("pcmd: Zalo: access token hết hạn lúc ")
    assert err == ""
    assert _mode(token_path) == 0o600
    stored = TokenStore(token_path).load()
    assert stored is not None
    # the refresh token was spent once, for the pair now in the file
    (call,) = server.calls(TOKEN_ROUTE)
    assert call.form == {
        "refresh_token": refresh,
        "app_id": server.app_id,
        "grant_type": "refresh_token",
    }
    assert (stored.access_token, stored.refresh_token) == (
        "fake-access-0002-xyz",
        "fake-refresh-0002-xyz",
    )
    assert stored.expires_at - stored.obtained_at == timedelta(seconds=90000)
    assert stored.disabled_reason is None
    _assert_hidden(
        out + err + caplog.text,
        refresh,
        stored.access_token,
        stored.refresh_token,
        server.secret_key,
    )
    # nothing else was left next to the token file
    assert sorted(p.name for p in token_path.parent.iterdir()) == [
        "zalo-tokens.json",
        "zalo-tokens.json.lock",
    ]


def test_authorize_prompts_for_the_secret_without_echo(
    configured: FakeZaloServer, token_path: Path
) -> None:
    server = configured
    _access, refresh = server.issue_tokens()
    result = CliRunner().invoke(
        cli_app,
        ["zalo", "authorize", "--app-id", server.app_id, "--refresh-token", refresh],
        input=server.secret_key + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Khóa bí mật (secret key) của ứng dụng Zalo: " in result.output
    _assert_hidden(result.output, server.secret_key, refresh, "fake-access-0002-xyz")
    stored = TokenStore(token_path).load()
    assert stored is not None and stored.refresh_token == "fake-refresh-0002-xyz"


def test_a_refused_exchange_keeps_the_stored_pair(
    configured: FakeZaloServer,
    token_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = configured
    TokenStore(token_path).seed(
        access_token="old-access-123",
        refresh_token="old-refresh-456",
        expires_in=90000,
        now=local("2024-06-17T09:00:00"),
    )
    before = token_path.read_bytes()
    _access, refresh = server.issue_tokens()
    monkeypatch.setenv("PCMD_ZALO_SECRET_KEY", "wrong-secret-789")
    code, out, err = run(
        capsys, "zalo", "authorize", "--app-id", server.app_id, "--refresh-token", refresh
    )
    assert (code, out) == (2, "")
    assert err == (
        "pcmd: error: Zalo không cấp token (làm mới token thất bại (-14002 Invalid app secret)); "
        "cấp lại quyền cho ứng dụng để có refresh token mới; chưa lưu gì vào "
        f"{token_path}\n"
    )
    assert token_path.read_bytes() == before
    _assert_hidden(out + err, "wrong-secret-789", refresh, "old-access-123")


def test_an_unreachable_oauth_host_spends_nothing(
    zalo_server: FakeZaloServer,
    token_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("PCMD_ZALO_URL", zalo_url(zalo_server, token_path, oauth_url=closed))
    monkeypatch.setenv("PCMD_ZALO_SECRET_KEY", zalo_server.secret_key)
    reset_settings()
    _access, refresh = zalo_server.issue_tokens()
    code, out, err = run(
        capsys, "zalo", "authorize", "--app-id", zalo_server.app_id, "--refresh-token", refresh
    )
    assert (code, out) == (2, "")
    assert err == (
        "pcmd: error: Zalo không cấp token (Zalo: không kết nối được máy chủ cấp token "
        "(ConnectError)); refresh token chưa bị dùng, thử lại sau; chưa lưu gì vào "
        f"{token_path}\n"
    )
    assert not token_path.exists()


def test_authorize_with_both_tokens_stores_them_as_given(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PCMD_ZALO_URL", raising=False)
    monkeypatch.delenv("PCMD_ZALO_SECRET_KEY", raising=False)
    reset_settings()
    default_path = tmp_path / "pcmd-data" / "zalo-tokens.json"  # the data dir of conftest
    code, out, err = run(
        capsys,
        "zalo",
        "authorize",
        "--app-id",
        "4318000000000000001",
        "--refresh-token",
        "given-refresh-abc",
        "--access-token",
        "given-access-def",
        "--expires-in",
        "3600",
    )
    assert code == 0, err
    assert out.splitlines()[0] == (
        "pcmd: Zalo: đã lưu cặp token được cung cấp (không gọi Zalo); "
        f"tệp {default_path} (quyền 0600)"
    )
    assert err == "pcmd: lưu ý: chưa cấu hình PCMD_ZALO_URL; kênh Zalo chưa được dùng\n"
    assert _mode(default_path) == 0o600
    stored = TokenStore(default_path).load()
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("given-access-def", "given-refresh-abc")
    assert stored.expires_at - stored.obtained_at == timedelta(seconds=3600)
    _assert_hidden(out + err, "given-refresh-abc", "given-access-def")


def test_reauthorising_a_disabled_channel_enables_it(
    configured: FakeZaloServer,
    token_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = TokenStore(token_path)
    store.seed(
        access_token="dead-access",
        refresh_token="dead-refresh",
        expires_in=90000,
        now=local("2024-06-17T09:00:00"),
    )
    loaded = store.load()
    assert loaded is not None
    store.save(loaded.disable("làm mới token thất bại (-14014 Invalid refresh token)"))
    status = _status(capsys)
    assert (status["enabled"], status["disabled_reason"]) == (
        False,
        "làm mới token thất bại (-14014 Invalid refresh token)",
    )
    assert status["state"] == "tắt: cần cấp lại quyền (`pcmd zalo authorize`)"

    access, refresh = configured.issue_tokens()
    code, _out, err = run(
        capsys,
        "zalo",
        "authorize",
        "--app-id",
        configured.app_id,
        "--refresh-token",
        refresh,
        "--access-token",
        access,
    )
    assert code == 0, err
    status = _status(capsys)
    assert (status["enabled"], status["disabled_reason"], status["state"]) == (
        True,
        None,
        "đang hoạt động",
    )


def _status(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run(capsys, "zalo", "status", "--format", "json")
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def test_status_shows_dates_never_tokens(
    configured: FakeZaloServer,
    token_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _status(capsys) == {
        "enabled": False,
        "state": "chưa cấp quyền (chưa có tệp token): chạy `pcmd zalo authorize`",
        "configured": True,
        "app_id": "4318000000000000001",
        "token_file": str(token_path),
        "file_mode": None,
        "last_rotated": None,
        "expires_at": None,
        "access_token_expired": None,
        "next_refresh_after": None,
        "disabled_reason": None,
    }
    TokenStore(token_path).seed(
        access_token="secret-access-111",
        refresh_token="secret-refresh-222",
        expires_in=90000,
        now=local("2024-06-17T09:00:00"),
    )
    assert _status(capsys) == {
        "enabled": True,
        "state": "đang hoạt động",
        "configured": True,
        "app_id": "4318000000000000001",
        "token_file": str(token_path),
        "file_mode": "0600",
        "last_rotated": "2024-06-17T09:00:00+07:00",
        "expires_at": "2024-06-18T10:00:00+07:00",
        "access_token_expired": True,
        "next_refresh_after": "2024-06-18T05:00:00+07:00",
        "disabled_reason": None,
    }
    code, out, err = run(capsys, "zalo", "status")
    assert code == 0, err
    assert "last_rotated          2024-06-17T09:00:00+07:00" in out.splitlines()
    _assert_hidden(out + err, "secret-access-111", "secret-refresh-222", configured.secret_key)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--app-id", "4318000000000000002", "--refresh-token", "r-1"],
            "pcmd: error: --app-id 4318000000000000002 khác ứng dụng trong PCMD_ZALO_URL "
            "(4318000000000000001); kênh sẽ không dùng được cặp token này",
        ),
        (
            ["--app-id", "ứng-dụng", "--refresh-token", "r-1"],
            "pcmd: error: --app-id: «ứng-dụng» không phải mã ứng dụng Zalo (chỉ gồm chữ số)",
        ),
        (
            ["--app-id", "4318000000000000001", "--refresh-token", "  "],
            "pcmd: error: --refresh-token: trống; dán refresh token nhận khi cấp quyền",
        ),
        (
            ["--app-id", "4318000000000000001", "--refresh-token", "r-1", "--access-token", ""],
            "pcmd: error: --access-token: trống; bỏ tùy chọn này để lấy access token mới",
        ),
        (
            [
                "--app-id",
                "4318000000000000001",
                "--refresh-token",
                "r-1",
                "--access-token",
                "a-1",
                "--expires-in",
                "0",
            ],
            "pcmd: error: --expires-in 0: cần số giây dương",
        ),
    ],
)
def test_bad_authorisations_write_nothing(
    configured: FakeZaloServer,
    token_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, out, err = run(capsys, "zalo", "authorize", *args)
    assert (code, out, err) == (2, "", message + "\n")
    assert not token_path.exists()
    assert configured.calls(TOKEN_ROUTE) == []
