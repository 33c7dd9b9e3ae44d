"""The Zalo access/refresh token pair, kept in one file of the data directory.

Zalo refresh tokens are single use (OAuth v4 for Official Accounts: each refresh
returns a new pair and invalidates the old refresh token), so the new pair is written
to disk before it is used: a crash after the refresh answer but before the write would
lose the only valid refresh token and force an administrator to re-authorise the app.

The file (CONTRACTS "Zalo tokens"): JSON, mode 0600, replaced atomically (temporary
file in the same directory, ``fsync``, ``os.replace``). Token values never appear in
logs, reprs or exceptions. :meth:`TokenStore.locked` serialises refreshes between the
threads of a process (a lock per file) and between processes (``flock`` on a sibling
``.lock`` file).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from pcmd_workflow.clock import to_utc
from pcmd_workflow.errors import ConfigError

__all__ = ["TOKEN_FILE_NAME", "TokenStore", "ZaloTokens"]

#: Default file name inside the data directory.
TOKEN_FILE_NAME = "zalo-tokens.json"

_log = logging.getLogger("pcmd.channels.zalo")

_PROCESS_LOCKS: dict[Path, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True, kw_only=True)
class ZaloTokens:
    """One access/refresh pair. ``repr`` never shows the values."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    obtained_at: datetime
    expires_at: datetime
    disabled_reason: str | None = None

    def age(self, now: datetime) -> timedelta:
        return now - self.obtained_at

    def disable(self, reason: str) -> ZaloTokens:
        return replace(self, disabled_reason=reason)

    def to_json(self) -> dict[str, str | None]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "obtained_at": self.obtained_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "disabled_reason": self.disabled_reason,
        }


class TokenStore:
    """Reads and atomically replaces the token file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # (inode, mtime, size) → parsed pair: a send re-reads the file only when it changed
        self._cached: tuple[tuple[int, int, int], ZaloTokens] | None = None

    def load(self) -> ZaloTokens | None:
        """The stored pair, ``None`` when the file does not exist.

        Raises ConfigError (naming the file, never the values) when it is unreadable.
        A file readable by others is tightened to 0600 with a warning.
        """
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc) from None
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            _log.warning("%s: quyền truy cập %o quá rộng, đã đặt lại 0600", self.path, mode)
            os.chmod(self.path, 0o600)
        signature = (status.st_ino, status.st_mtime_ns, status.st_size)
        if self._cached is not None and self._cached[0] == signature:
            return self._cached[1]
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc) from None
        try:
            data = json.loads(raw)
            tokens = ZaloTokens(
                access_token=str(data["access_token"]),
                refresh_token=str(data["refresh_token"]),
                obtained_at=to_utc(datetime.fromisoformat(data["obtained_at"])),
                expires_at=to_utc(datetime.fromisoformat(data["expires_at"])),
                disabled_reason=data.get("disabled_reason"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            kind = type(exc).__name__
            raise ConfigError(
                f"{self.path}: not a valid Zalo token file ({kind}); expected JSON with "
                "access_token, refresh_token, obtained_at, expires_at — re-authorise the app"
            ) from None
        self._cached = (signature, tokens)
        return tokens

    def _unreadable(self, exc: OSError) -> ConfigError:
        return ConfigError(f"{self.path}: cannot read the Zalo token file ({exc.strerror})")

    def save(self, tokens: ZaloTokens) -> None:
        """Write the pair atomically with mode 0600 (temporary file + ``os.replace``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(tokens.to_json(), indent=2).encode("utf-8")
        fd, tmp_name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def seed(
        self, *, access_token: str, refresh_token: str, expires_in: int, now: datetime
    ) -> None:
        """Store a pair obtained by an administrator (first authorisation or re-authorisation)."""
        now = to_utc(now)
        with self.locked():
            self.save(
                ZaloTokens(
                    access_token=access_token,
                    refresh_token=refresh_token,
                    obtained_at=now,
                    expires_at=now + timedelta(seconds=expires_in),
                )
            )
        _log.info("Zalo: đã lưu cặp token mới do quản trị viên cấp (%s)", self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the refresh lock: one refresh at a time across threads and processes."""
        resolved = self.path.resolve()
        with _PROCESS_LOCKS_GUARD:
            thread_lock = _PROCESS_LOCKS.setdefault(resolved, threading.Lock())
        with thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
