"""Signed, expiring portal tokens: the link in a notice that lets a unit submit its report.

A token names one plan and one unit and carries its expiry instant; it is signed with
``itsdangerous`` (HMAC-SHA1 over a URL-safe payload) under the installation's secret key:
``settings.secret_key`` when set, else a random key generated once into
``<data_dir>/secret.key`` with mode 0600 (never in the repository, the database or logs).
Expiry is checked against the ``now`` the caller passes, never against the machine clock.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from pcmd_workflow.clock import to_utc
from pcmd_workflow.errors import AuthError, ConfigError
from pcmd_workflow.settings import get_settings

__all__ = [
    "SECRET_FILE",
    "make_unit_token",
    "portal_link",
    "read_unit_token",
    "secret_key",
]

SECRET_FILE = "secret.key"
_SALT = "pcmd-portal-unit-v1"


def _key_file(data_dir: Path) -> Path:
    return data_dir / SECRET_FILE


def secret_key() -> str:
    """The signing key: ``settings.secret_key``, else ``<data_dir>/secret.key`` (made once)."""
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key
    return _key_from_file(settings.ensure_data_dir().resolve())


@lru_cache(maxsize=8)
def _key_from_file(data_dir: Path) -> str:
    path = _key_file(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(
            f"{path}: mode {mode:o} lets others read the signing key; run chmod 600 {path}"
        )
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path}: the signing key is too short; delete the file to regenerate")
    return key


@lru_cache(maxsize=8)
def _serializer_for(key: str) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=_SALT)


def _serializer() -> URLSafeSerializer:
    return _serializer_for(secret_key())


def make_unit_token(*, plan_id: str, unit: str, expires_at: datetime) -> str:
    """A URL-safe token for ``unit`` of ``plan_id``, valid until ``expires_at``."""
    expiry = int(to_utc(expires_at).timestamp())
    return str(_serializer().dumps({"p": plan_id, "u": unit, "e": expiry}))


def read_unit_token(token: str, *, now: datetime) -> tuple[str, str]:
    """``(plan_id, unit)`` of a valid token; AuthError when tampered, foreign or expired."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise AuthError("liên kết không hợp lệ (chữ ký sai hoặc đã bị sửa)") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("p"), str)
        or not isinstance(payload.get("u"), str)
        or not isinstance(payload.get("e"), int)
    ):
        raise AuthError("liên kết không hợp lệ (nội dung không đúng dạng)")
    expires_at = datetime.fromtimestamp(payload["e"], tz=UTC)
    if to_utc(now) >= expires_at:
        raise AuthError("liên kết đã hết hạn; đề nghị dùng liên kết trong thông báo mới nhất")
    return payload["p"], payload["u"]


def portal_link(*, plan_id: str, unit: str, task_id: int, now: datetime) -> str:
    """``<portal_url>/portal/<token>/tasks/<task_id>``, valid ``settings.token_days`` days."""
    settings = get_settings()
    token = make_unit_token(
        plan_id=plan_id, unit=unit, expires_at=to_utc(now) + timedelta(days=settings.token_days)
    )
    return f"{settings.portal_url.rstrip('/')}/portal/{token}/tasks/{task_id}"
