"""``pcmd zalo authorize`` (first authorisation of the OA app) and ``pcmd zalo status``.

The token pair lives in one 0600 file of the data directory (CONTRACTS "Files", or the
``tokens=`` file of ``PCMD_ZALO_URL``), written through
:meth:`~pcmd_workflow.channels.tokens_store.TokenStore.seed`. Token values and the app's
secret key are never printed, logged or put in an error message.

``authorize`` without ``--access-token`` exchanges the refresh token once at Zalo's OAuth
endpoint (OAuth v4 for Official Accounts: app id + secret key); refresh tokens are single
use, so the new pair is what gets stored, and a failed exchange leaves any stored pair as
it was. With ``--access-token`` the pair is stored as given, without calling Zalo.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit
from pcmd_workflow.clock import LOCAL_TZ, Clock, SystemClock
from pcmd_workflow.errors import ConfigError

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "SECRET_ENV",
    "ZaloTarget",
    "zalo_app",
    "zalo_authorize",
    "zalo_status",
    "zalo_target",
]

zalo_app = typer.Typer(
    help="The Zalo OA channel: authorisation and token state.", no_args_is_help=True
)
app.add_typer(zalo_app, name="zalo")

#: Where ``pcmd zalo authorize`` reads the app's secret key when set; else it prompts.
SECRET_ENV = "PCMD_ZALO_SECRET_KEY"
#: Lifetime assumed for an access token given by hand (Zalo answers about 25 hours).
DEFAULT_EXPIRES_IN = 90000


@dataclass(frozen=True, kw_only=True)
class ZaloTarget:
    """Where the channel reads its tokens and whom it asks for new ones."""

    configured: bool  # PCMD_ZALO_URL is set
    app_id: str | None  # the configured app (not a secret)
    token_path: Path
    oauth_base_url: str
    refresh_after_hours: float


def zalo_target() -> ZaloTarget:
    """The token file and OAuth endpoint of ``PCMD_ZALO_URL`` (defaults when unset)."""
    from pcmd_workflow.channels import TOKEN_FILE_NAME, ZaloChannel
    from pcmd_workflow.channels.zalo_client import ZaloConfig
    from pcmd_workflow.settings import get_settings

    settings = get_settings()
    if not settings.zalo_url:
        defaults = ZaloConfig(app_id="", secret_key="", token_path=Path(TOKEN_FILE_NAME))
        return ZaloTarget(
            configured=False,
            app_id=None,
            token_path=settings.data_dir / TOKEN_FILE_NAME,
            oauth_base_url=defaults.oauth_base_url,
            refresh_after_hours=defaults.refresh_after.total_seconds() / 3600,
        )
    channel = ZaloChannel.from_url(
        settings.zalo_url, clock=SystemClock(), data_dir=settings.data_dir
    )
    config = channel.client.config
    channel.close()
    return ZaloTarget(
        configured=True,
        app_id=config.app_id,
        token_path=config.token_path,
        oauth_base_url=config.oauth_base_url,
        refresh_after_hours=config.refresh_after.total_seconds() / 3600,
    )


_CHANNEL_LOG = logging.getLogger("pcmd.channels.zalo")


class _DropRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def _secret_key() -> str:
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        return from_env
    value: str = typer.prompt("Khóa bí mật (secret key) của ứng dụng Zalo", hide_input=True)
    if not value.strip():
        raise ConfigError(f"chưa có khóa bí mật: đặt {SECRET_ENV} hoặc nhập khi được hỏi")
    return value.strip()


def _exchange(
    *, target: ZaloTarget, app_id: str, secret_key: str, refresh_token: str, clock: Clock
) -> tuple[str, str, int, datetime]:
    """One refresh at the OAuth endpoint, in a private scratch file; the new pair."""
    from pcmd_workflow.channels import DeliveryResult, Reason, TokenStore
    from pcmd_workflow.channels.zalo_client import ZaloClient, ZaloConfig

    folder = target.token_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".zalo-authorize-") as scratch:
        path = Path(scratch) / "tokens.json"
        # an expired placeholder pair: the client refreshes it at once
        TokenStore(path).seed(
            access_token="", refresh_token=refresh_token, expires_in=0, now=clock.now()
        )
        client = ZaloClient(
            ZaloConfig(
                app_id=app_id,
                secret_key=secret_key,
                token_path=path,
                oauth_base_url=target.oauth_base_url,
            ),
            clock=clock,
        )
        # the scratch client's "channel disabled" log would speak of the real channel
        quiet = _DropRecords()
        _CHANNEL_LOG.addFilter(quiet)
        try:
            result = client.refresh()
        finally:
            _CHANNEL_LOG.removeFilter(quiet)
            client.close()
    if isinstance(result, DeliveryResult):
        detail = result.detail.removeprefix("Kênh Zalo đang tắt: ")
        if result.reason is Reason.connect:
            hint = "refresh token chưa bị dùng, thử lại sau"
        else:
            hint = "cấp lại quyền cho ứng dụng để có refresh token mới"
        raise ConfigError(
            f"Zalo không cấp token ({detail}); {hint}; chưa lưu gì vào {target.token_path}"
        )
    expires_in = int((result.expires_at - result.obtained_at).total_seconds())
    return result.access_token, result.refresh_token, expires_in, result.obtained_at


@zalo_app.command("authorize")
def zalo_authorize(
    app_id: Annotated[str, typer.Option("--app-id", help="The Zalo app id.")],
    refresh_token: Annotated[
        str, typer.Option("--refresh-token", help="The refresh token of the authorisation.")
    ],
    access_token: Annotated[
        str | None,
        typer.Option("--access-token", help="Its access token (else one is obtained now)."),
    ] = None,
    expires_in: Annotated[
        int,
        typer.Option("--expires-in", help="Seconds the given access token stays valid."),
    ] = DEFAULT_EXPIRES_IN,
) -> None:
    """Store the OA app's token pair in its 0600 file (secret key: PCMD_ZALO_SECRET_KEY or a
    hidden prompt; needed only to obtain an access token)."""
    from pcmd_workflow.channels import TokenStore

    app_id, refresh_token = app_id.strip(), refresh_token.strip()
    if not app_id.isdigit():
        raise ConfigError(f"--app-id: «{app_id}» không phải mã ứng dụng Zalo (chỉ gồm chữ số)")
    if not refresh_token:
        raise ConfigError("--refresh-token: trống; dán refresh token nhận khi cấp quyền")
    if access_token is not None and not access_token.strip():
        raise ConfigError("--access-token: trống; bỏ tùy chọn này để lấy access token mới")
    if expires_in <= 0:
        raise ConfigError(f"--expires-in {expires_in}: cần số giây dương")
    target = zalo_target()
    if target.app_id is not None and target.app_id != app_id:
        raise ConfigError(
            f"--app-id {app_id} khác ứng dụng trong PCMD_ZALO_URL ({target.app_id}); "
            "kênh sẽ không dùng được cặp token này"
        )
    clock = SystemClock()
    if access_token is None:
        secret = _secret_key()
        access, refresh, expires_in, now = _exchange(
            target=target,
            app_id=app_id,
            secret_key=secret,
            refresh_token=refresh_token,
            clock=clock,
        )
        how = "đã đổi refresh token lấy cặp token mới tại Zalo"
    else:
        access, refresh, now = access_token.strip(), refresh_token, clock.now()
        how = "đã lưu cặp token được cung cấp (không gọi Zalo)"
    TokenStore(target.token_path).seed(
        access_token=access, refresh_token=refresh, expires_in=expires_in, now=now
    )
    tokens = TokenStore(target.token_path).load()
    assert tokens is not None
    typer.echo(f"pcmd: Zalo: {how}; tệp {target.token_path} (quyền 0600)")
    typer.echo(f"pcmd: Zalo: access token hết hạn lúc {_shown(tokens.expires_at)}")
    if not target.configured:
        typer.echo("pcmd: lưu ý: chưa cấu hình PCMD_ZALO_URL; kênh Zalo chưa được dùng", err=True)


def _shown(instant: datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


@zalo_app.command("status")
def zalo_status(
    fmt: Annotated[OutputFormat, typer.Option("--format", help="json or table.")] = (
        OutputFormat.table
    ),
) -> None:
    """Is the Zalo channel enabled; when was its token rotated, when does it expire."""
    from datetime import timedelta

    from pcmd_workflow.channels import TokenStore

    target = zalo_target()
    now = SystemClock().now()
    tokens = TokenStore(target.token_path).load()
    row: dict[str, Any] = {
        "enabled": False,
        "state": "",
        "configured": target.configured,
        "app_id": target.app_id,
        "token_file": str(target.token_path),
        "file_mode": None,
        "last_rotated": None,
        "expires_at": None,
        "access_token_expired": None,
        "next_refresh_after": None,
        "disabled_reason": None,
    }
    if tokens is None:
        row["state"] = "chưa cấp quyền (chưa có tệp token): chạy `pcmd zalo authorize`"
    else:
        row["file_mode"] = f"{stat.S_IMODE(target.token_path.stat().st_mode):04o}"
        row["last_rotated"] = _shown(tokens.obtained_at)
        row["expires_at"] = _shown(tokens.expires_at)
        row["access_token_expired"] = tokens.expires_at <= now
        row["next_refresh_after"] = _shown(
            tokens.obtained_at + timedelta(hours=target.refresh_after_hours)
        )
        row["disabled_reason"] = tokens.disabled_reason
        if tokens.disabled_reason:
            row["state"] = "tắt: cần cấp lại quyền (`pcmd zalo authorize`)"
        elif not target.configured:
            row["state"] = "có cặp token nhưng chưa cấu hình PCMD_ZALO_URL"
        else:
            row["enabled"] = True
            row["state"] = "đang hoạt động"
    if fmt is OutputFormat.json:
        emit(row, fmt)
        return
    emit([{"field": k, "value": v} for k, v in row.items()], fmt, columns=("field", "value"))
