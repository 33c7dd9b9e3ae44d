"""A Prefect server on loopback, run as a child process (``prefect server start``).

``pcmd serve`` starts one when no ``PREFECT_API_URL`` is configured: Prefect's ephemeral
mode (the temporary server a flow call starts) runs no scheduler, so cron schedules would
never fire; a local server does, and needs nothing but the virtualenv (SQLite under
``PREFECT_HOME``). Telemetry is off (``--analytics-off``, ``DO_NOT_TRACK=1``). The tests of
the production shape start one the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

__all__ = ["LocalPrefectServer", "free_port", "prefect_env", "telemetry_off"]

#: Environment that keeps Prefect from phoning home (STACK "Prefect offline").
TELEMETRY_OFF = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def telemetry_off(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default ``os.environ``) with Prefect's telemetry switched off, in place."""
    target: Any = os.environ if env is None else env
    for key, value in TELEMETRY_OFF.items():
        target[key] = value
    return target  # type: ignore[no-any-return]


def prefect_env(*, home: Path, api_url: str | None = None) -> dict[str, str]:
    """A copy of the environment for a Prefect process with ``PREFECT_HOME`` = ``home``."""
    env = dict(os.environ)
    telemetry_off(env)
    env["PREFECT_HOME"] = str(home)
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    if api_url is None:
        env.pop("PREFECT_API_URL", None)
    else:
        env["PREFECT_API_URL"] = api_url
    return env


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the server gets SIGTERM when its parent dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class LocalPrefectServer:
    """``prefect server start`` on ``host:port`` with its data under ``home``."""

    home: Path
    port: int = 0
    host: str = "127.0.0.1"
    ui: bool = True
    database_url: str | None = None  # PREFECT_API_DATABASE_CONNECTION_URL (PostgreSQL)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def start(self) -> LocalPrefectServer:
        """Start the server process (returns at once; :meth:`wait_ready` waits)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if not self.port:
            self.port = free_port(self.host)
        env = prefect_env(home=self.home)
        env["PREFECT_UI_ENABLED"] = "true" if self.ui else "false"
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        self._log = self.log_path.open("ab")
        command = [sys.executable, "-m", "prefect", "server", "start"]
        command += ["--host", self.host, "--port", str(self.port), "--analytics-off"]
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # its own session: Ctrl-C in a terminal reaches the parent only, which stops
            # its runner while the server still answers, then stops the server
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        return self

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait for ``/api/health``; RuntimeError with the log's tail when it never comes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"Prefect server exited with code {self.process.returncode}: {self.tail()}"
                )
            if self.healthy():
                return
            time.sleep(0.25)
        raise RuntimeError(f"Prefect server not healthy after {timeout:.0f} s: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``timeout``)."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalPrefectServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
