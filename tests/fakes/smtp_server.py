"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

``SmtpServer`` starts an aiosmtpd ``Controller`` on a free port of 127.0.0.1. Each
accepted mail is parsed into an ``email.message.EmailMessage`` (``messages``), with
its envelope recipients (``envelopes``). ``reject`` / ``defer`` make RCPT TO answer
550 / 451 for given addresses; ``stop()`` takes it down (connections are refused).
``SilentPort`` accepts TCP but never greets (a timeout). ``SmtpServer(tls=True)``
requires STARTTLS with a self-signed certificate for 127.0.0.1 (``ca_file``).

Use from tests (``tests/`` is on ``sys.path`` through ``tests/conftest.py``)::

    from fakes.smtp_server import SmtpServer, smtp_server  # fixture
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
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


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid for a day (``cryptography``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class SmtpServer:
    """A loopback SMTP server; ``url(from_addr)`` gives the Apprise URL to reach it."""

    def __init__(self, *, tls: bool = False) -> None:
        self.port = free_port()
        self.reject: set[str] = set()
        self.defer: set[str] = set()
        self.envelopes: list[Envelope] = []
        self.lock = threading.Lock()
        self.ca_file: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        options: dict[str, Any] = {}
        if tls:
            self._tmp = tempfile.TemporaryDirectory()
            cert_file, key_file = self_signed_certificate(Path(self._tmp.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)
            options = {"tls_context": context, "require_starttls": True}
            self.ca_file = cert_file
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **options
        )
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
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


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
