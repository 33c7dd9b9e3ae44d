"""A fake Zalo API on 127.0.0.1 for tests and benchmarks (``http.server`` in a thread).

Routes: ``POST /v3.0/oa/message/cs``, ``POST /message/template``,
``POST /v4/oa/access_token``, ``GET /message/quota``. Like Zalo it answers errors with
HTTP 200 and ``{"error": <negative>, "message": ...}``, checks the ``access_token``
header against the tokens it issued, and rotates refresh tokens (single use: a reused
one is rejected with ``-14014``). It records every request in ``received``.

``fail_next(fault, times=N, route=...)`` makes the next N matching calls answer a fault
from :data:`FAULTS` (Zalo error classes, HTTP 503, a dropped connection, a slow answer).

``zalo_setup`` goes one step further: a ``ZaloChannel`` wired to the fake, with an
authorised token pair in a 0600 token file and a ``FixedClock`` at 09:00 on Monday
17/06/2024 (Hà Nội).

Use from tests (``tests/`` is on ``sys.path`` through ``tests/conftest.py``)::

    from fakes.zalo_server import FakeZaloServer, zalo_server, zalo_setup  # fixtures
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from pcmd_workflow.channels import TokenStore, ZaloChannel
from pcmd_workflow.clock import LOCAL_TZ, FixedClock

CS_ROUTE = "/v3.0/oa/message/cs"
ZNS_ROUTE = "/message/template"
TOKEN_ROUTE = "/v4/oa/access_token"
QUOTA_ROUTE = "/message/quota"
MESSAGE_ROUTES = (CS_ROUTE, ZNS_ROUTE)

#: fault name → Zalo error code (answered with HTTP 200), or a transport-level fault.
FAULTS: dict[str, int | None] = {
    "expired_token": -216,
    "not_follower": -230,
    "quota": -211,
    "night": -133,
    "bad_template": -131,
    "config": -204,
    "rate_limit": -32,
    "unknown": -999,
    "refresh_rejected": -14014,
    "server_error": None,  # HTTP 503
    "drop": None,  # connection closed without an answer
    "slow": None,  # answers after `slow_seconds`
}

_MESSAGES = {
    -216: "Access token is invalid",
    -230: "User has not interacted with the OA in the last 7 days",
    -211: "Out of quota",
    -133: "This message cannot be sent at night (22h-6h)",
    -131: "Template has not been approved",
    -204: "Official Account has been disabled",
    -32: "Exceeded the limit of requests per minute",
    -999: "Something unexpected",
    -14014: "Invalid refresh token",
}


@dataclass(frozen=True, kw_only=True)
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    name: str | int
    remaining: int
    routes: tuple[str, ...]


class FakeZaloServer:
    """The fake API. ``base_url`` serves as OA, ZNS and OAuth base at once."""

    app_id = "4318000000000000001"
    secret_key = "fake-app-secret-s3cr3t"

    def __init__(self, *, slow_seconds: float = 1.5, daily_quota: int = 500) -> None:
        self.slow_seconds = slow_seconds
        self.daily_quota = daily_quota
        self.remaining_quota = daily_quota
        self.received: list[Received] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._valid_access: set[str] = set()
        self._refresh_current: str | None = None
        self._refresh_used: set[str] = set()
        self._tracking: dict[str, str] = {}
        self.sent: list[dict[str, Any]] = []  # messages actually "delivered"
        self._httpd = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeZaloServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- control ---------------------------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """A fresh valid (access, refresh) pair, as an administrator's authorisation gives."""
        with self._lock:
            return self._new_pair()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far becomes invalid (answers ``-216``)."""
        with self._lock:
            self._valid_access.clear()

    def fail_next(self, fault: str | int, *, times: int = 1, route: str | None = None) -> None:
        """The next ``times`` calls to ``route`` (default: both message routes) get ``fault``.

        ``fault`` is a name of :data:`FAULTS` or any Zalo error code (answered with HTTP 200).
        """
        if isinstance(fault, str) and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        routes = (route,) if route else MESSAGE_ROUTES
        with self._lock:
            self._faults.append(_Fault(name=fault, remaining=times, routes=routes))

    def calls(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    # -- internals (called by the handler) -----------------------------------------

    def _new_pair(self) -> tuple[str, str]:
        n = next(self._counter)
        access, refresh = f"fake-access-{n:04d}-xyz", f"fake-refresh-{n:04d}-xyz"
        self._valid_access.add(access)
        if self._refresh_current:
            self._refresh_used.add(self._refresh_current)
        self._refresh_current = refresh
        return access, refresh

    def _take_fault(self, path: str) -> str | int | None:
        with self._lock:
            for fault in self._faults:
                if path in fault.routes and fault.remaining > 0:
                    fault.remaining -= 1
                    name = fault.name
                    self._faults = [f for f in self._faults if f.remaining > 0]
                    return name
        return None

    def _answer_message(self, path: str, headers: dict[str, str], body: Any) -> dict[str, Any]:
        with self._lock:
            if headers.get("access_token") not in self._valid_access:
                return _error(-216)
            if not isinstance(body, dict):
                return _error(-201, "Body is not valid JSON")
            n = next(self._counter)
            if path == CS_ROUTE:
                user_id = body.get("recipient", {}).get("user_id")
                text = body.get("message", {}).get("text", "")
                if not user_id or not text or len(text) > 2000:
                    return _error(-201, "Parameters are invalid")
                self.sent.append({"route": path, "user_id": user_id, "text": text})
                return _success(
                    {"message_id": f"cs-{n:06d}", "user_id": user_id, "sent_time": n, "quota": {}}
                )
            tracking_id = str(body.get("tracking_id", ""))
            if tracking_id in self._tracking:
                msg_id = self._tracking[tracking_id]
            else:
                if self.remaining_quota <= 0:
                    return _error(-211)
                self.remaining_quota -= 1
                msg_id = f"zns-{n:06d}"
                self._tracking[tracking_id] = msg_id
                self.sent.append({"route": path, **body})
            return _success(
                {
                    "msg_id": msg_id,
                    "sent_time": str(n),
                    "sending_mode": "1",
                    "quota": {
                        "dailyQuota": str(self.daily_quota),
                        "remainingQuota": str(self.remaining_quota),
                    },
                }
            )

    def _answer_refresh(self, headers: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if headers.get("secret_key") != self.secret_key:
                return {"error": -14002, "error_name": "Invalid app secret"}
            if form.get("app_id") != self.app_id or form.get("grant_type") != "refresh_token":
                return {"error": -14001, "error_name": "Invalid parameter"}
            token = form.get("refresh_token")
            if token != self._refresh_current or token in self._refresh_used:
                return {"error": -14014, "error_name": "Invalid refresh token"}
            access, refresh = self._new_pair()
            return {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}

    def _answer_quota(self, headers: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            if headers.get("access_token") not in self._valid_access:
                return _error(-216)
            return _success(
                {"dailyQuota": str(self.daily_quota), "remainingQuota": str(self.remaining_quota)}
            )


class _QuietServer(ThreadingHTTPServer):
    """Clients that gave up (timeouts, the "slow" fault) are expected: no traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def _error(code: int, message: str | None = None) -> dict[str, Any]:
    return {"error": code, "message": message or _MESSAGES.get(code, "Error")}


def _success(data: dict[str, Any]) -> dict[str, Any]:
    return {"error": 0, "message": "Success", "data": data}


def _handler_for(fake: FakeZaloServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out without a 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            body: Any = None
            form: dict[str, str] = {}
            if "json" in headers.get("content-type", ""):
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
            elif raw:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            with fake._lock:
                fake.received.append(
                    Received(method=self.command, path=path, headers=headers, json=body, form=form)
                )
            fault = fake._take_fault(path)
            if fault == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if fault == "slow":
                time.sleep(fake.slow_seconds)
            if fault == "server_error":
                self._send(503, {"error": -1, "message": "Service Unavailable"})
                return
            code = fault if isinstance(fault, int) else FAULTS.get(fault or "")
            if code is not None:
                self._send(200, _error(code))
                return
            if path in MESSAGE_ROUTES and self.command == "POST":
                self._send(200, fake._answer_message(path, headers, body))
            elif path == TOKEN_ROUTE and self.command == "POST":
                self._send(200, fake._answer_refresh(headers, form))
            elif path == QUOTA_ROUTE and self.command == "GET":
                self._send(200, fake._answer_quota(headers))
            else:
                self._send(404, {"error": 404, "message": "Not Found"})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def zalo_server() -> Iterator[FakeZaloServer]:
    """A running fake Zalo API; stopped after the test."""
    server = FakeZaloServer().start()
    try:
        yield server
    finally:
        server.stop()


#: Monday 17 June 2024, 09:00 in Hà Nội.
MORNING = datetime(2024, 6, 17, 9, 0, tzinfo=LOCAL_TZ)


def zalo_url(server: FakeZaloServer, token_path: Path, *, oauth_url: str | None = None) -> str:
    """A ``zalo://`` URL whose API bases are the fake (1 s connect, 0.5 s read timeout)."""
    base = quote(server.base_url, safe="")
    oauth = quote(oauth_url, safe="") if oauth_url else base
    return (
        f"zalo://{server.secret_key}@{server.app_id}"
        f"?tokens={quote(str(token_path), safe='')}&oa_url={base}&zns_url={base}"
        f"&oauth_url={oauth}&cto=1&rto=0.5"
    )


@dataclass
class ZaloSetup:
    server: FakeZaloServer
    clock: FixedClock
    token_path: Path
    url: str
    channel: ZaloChannel
    access_token: str
    refresh_token: str

    def new_channel(self) -> ZaloChannel:
        """Another process's view: a channel built from the same URL and token file."""
        return ZaloChannel.from_url(self.url, clock=self.clock)


@pytest.fixture
def zalo_setup(zalo_server: FakeZaloServer, tmp_path: Path) -> Iterator[ZaloSetup]:
    """A Zalo channel pointed at the fake server, with a freshly authorised token pair."""
    clock = FixedClock(MORNING)
    token_path = tmp_path / "zalo-data" / "zalo-tokens.json"
    access, refresh = zalo_server.issue_tokens()
    TokenStore(token_path).seed(
        access_token=access, refresh_token=refresh, expires_in=90000, now=clock.now()
    )
    url = zalo_url(zalo_server, token_path)
    channel = ZaloChannel.from_url(url, clock=clock)
    try:
        yield ZaloSetup(
            server=zalo_server,
            clock=clock,
            token_path=token_path,
            url=url,
            channel=channel,
            access_token=access,
            refresh_token=refresh,
        )
    finally:
        channel.close()
