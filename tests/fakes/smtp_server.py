"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

``SmtpServer`` starts an aiosmtpd ``Controller`` on a free port of 127.0.0.1. Each
accepted mail is parsed into an ``email.message.EmailMessage`` (``messages``), with
its envelope recipients (``envelopes``). ``reject`` / ``defer`` make RCPT TO answer
550 / 451 for given addresses; ``stop()`` takes it down (connections are refused).
``silent_port()`` gives a port that accepts TCP but never greets (a timeout).

Use from tests (``tests/`` is on ``sys.path`` through ``tests/conftest.py``)::

    from fakes.smtp_server import SmtpServer, smtp_server  # fixture
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True, kw_only=True)
class Envelope:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self._server.reject:
            return "550 5.1.1 Mailbox unavailable"
        if address in self._server.defer:
            return "451 4.3.0 Temporary failure, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self._server.lock:
            self._server.envelopes.append(
                Envelope(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,  # type: ignore[arg-type]
                )
            )
        return "250 2.0.0 Queued"


class SmtpServer:
    """A loopback SMTP server; ``url(from_addr)`` gives the Apprise URL to reach it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.reject: set[str] = set()
        self.defer: set[str] = set()
        self.envelopes: list[Envelope] = []
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.running = False

    @property
    def messages(self) -> list[EmailMessage]:
        return [e.message for e in self.envelopes]

    def url(self, *, sender: str = "pcmd@ubnd.example.vn", extra: str = "") -> str:
        return f"mailto://127.0.0.1:{self.port}?from={sender}&mode=insecure{extra}"

    def start(self) -> SmtpServer:
        self._controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._controller.stop()
            self.running = False


class SilentPort:
    """A socket that accepts connections (backlog) but never says a word."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self.port = int(self._socket.getsockname()[1])

    def close(self) -> None:
        self._socket.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running loopback SMTP server; stopped after the test."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def silent_smtp_port() -> Iterator[int]:
    """A port where an SMTP client connects and then waits for a greeting that never comes."""
    port = SilentPort()
    try:
        yield port.port
    finally:
        port.close()
