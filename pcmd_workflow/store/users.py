"""Coordinator accounts of the web dashboard: who may log in, and which plans they see.

Agencies have no account: they use the signed link of their reminder
(:mod:`pcmd_workflow.services.tokens`). A coordinator account is scoped to one province
(a plan's ``jurisdiction``: the coordinator sees only the plans issued for it) or is an
administrator who sees every plan. Passwords are stored as Argon2id hashes
(``argon2-cffi``, RFC 9106 parameters of the library's default profile); the password
itself never reaches the database, the audit log or a log line.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import insert, select
from sqlmodel import Field, Session, SQLModel

from pcmd_workflow.clock import Clock
from pcmd_workflow.errors import ConfigError, Conflict, NotFound
from pcmd_workflow.store import models as _models  # noqa: F401  (shared metadata first)
from pcmd_workflow.store.models import AuditEntry
from pcmd_workflow.store.types import UTCDateTime

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "USERNAME_RE",
    "WebUser",
    "add_user",
    "check_password",
    "find_user",
    "hash_password",
    "list_users",
    "set_password",
    "users_table",
]

#: Usernames: lower-case letters, digits, dot, dash, underscore (they appear in audit rows).
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_PROVINCE_RE = re.compile(r"^[a-z0-9-]{2,120}$")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
#: a hash to verify against when the user does not exist (same cost: no timing oracle)
_DUMMY_HASH = _hasher.hash("pcmd-no-such-user-password")


class WebUser(SQLModel, table=True):
    """A coordinator account: a province scope, or an administrator of every plan."""

    __tablename__ = "web_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=255)
    #: the plans' ``jurisdiction`` this coordinator sees (None for an administrator)
    province: str | None = Field(default=None, max_length=120)
    is_admin: bool = False
    disabled: bool = False
    created_at: datetime = Field(default=None, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default=None, sa_type=UTCDateTime, nullable=False)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    #: sessions opened before this instant are refused (set when the user logs out)
    sessions_after: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


users_table: Any = WebUser.__table__  # type: ignore[attr-defined]


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (checks the minimum length first)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(
            f"mật khẩu quá ngắn: cần ít nhất {MIN_PASSWORD_LENGTH} ký tự "
            f"(password shorter than {MIN_PASSWORD_LENGTH} characters)"
        )
    return _hasher.hash(password)


def check_password(user: WebUser | None, password: str) -> bool:
    """True when ``password`` matches; costs the same whether or not the user exists."""
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        matched = bool(_hasher.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    return matched and user is not None and not user.disabled


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise ConfigError(
            f"tên đăng nhập «{username}» không hợp lệ: 2–64 ký tự a-z, 0-9, dấu chấm, gạch "
            "ngang, gạch dưới, bắt đầu bằng chữ hoặc số"
        )
    return name


def find_user(session: Session, username: str) -> WebUser | None:
    """The account ``username`` (case-insensitive), or None."""
    stmt = select(WebUser).where(WebUser.username == username.strip().lower())  # type: ignore[arg-type]
    return session.execute(stmt).scalars().first()


def list_users(session: Session) -> list[WebUser]:
    return list(session.execute(select(WebUser).order_by(WebUser.username)).scalars())  # type: ignore[arg-type]


def _audit(session: Session, *, at: datetime, actor: str, user: WebUser, action: str) -> None:
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": at,
                "actor": actor,
                "entity": "user",
                "entity_id": user.username,
                "action": action,
                "plan_id": None,
                "task_id": None,
                "before": None,
                "after": {"username": user.username, "province": user.province,
                          "admin": user.is_admin},
            }
        ],
    )  # fmt: skip


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    clock: Clock,
    province: str | None = None,
    admin: bool = False,
    actor: str = "pcmd user add",
) -> WebUser:
    """Create a coordinator account scoped to ``province``, or an administrator."""
    name = _check_username(username)
    if admin == (province is not None):
        raise ConfigError("cần đúng một trong hai: --province ID (cán bộ tỉnh) hoặc --admin")
    if province is not None and not _PROVINCE_RE.match(province):
        raise ConfigError(
            f"mã tỉnh «{province}» không hợp lệ: dùng mã «jurisdiction» của kế hoạch, "
            "ví dụ «ha-noi»"
        )
    if find_user(session, name) is not None:
        raise Conflict(f"tài khoản «{name}» đã có")
    now = clock.now()
    user = WebUser(
        username=name,
        password_hash=hash_password(password),
        province=province,
        is_admin=admin,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, at=now, actor=actor, user=user, action="create")
    return user


def set_password(
    session: Session, *, username: str, password: str, clock: Clock, actor: str
) -> WebUser:
    """Replace the password of ``username`` (its open sessions end: they carry the old hash)."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"không có tài khoản «{username}»")
    user.password_hash = hash_password(password)
    user.updated_at = clock.now()
    session.add(user)
    session.flush()
    _audit(session, at=user.updated_at, actor=actor, user=user, action="password")
    return user
