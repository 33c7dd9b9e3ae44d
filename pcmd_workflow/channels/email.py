"""The ``email`` channel: Apprise ``mailto://`` / ``mailtos://`` with a classified result.

The URL (settings ``PCMD_EMAIL_URL``) gives the SMTP server, account, sender, secure
mode and optional ``cc``/``bcc``; the message's recipient replaces the URL's ``to``.
Subjects and bodies are UTF-8 (Apprise encodes the Vietnamese subject per RFC 2047).
With an HTML body the mail is ``multipart/alternative`` whose text part Apprise derives
from the HTML; without one it is ``text/plain``.

Apprise returns only True/False and logs the cause, so the channel reads Apprise's log
records of its own thread (debug level, where the SMTP exception is) and classifies
them by the SMTP reply classes of RFC 5321 §4.2.1:

| what Apprise logged                              | outcome                      |
|--------------------------------------------------|------------------------------|
| connection refused / DNS / timeout / 4yz          | ``transient``                |
| connection closed mid-conversation               | ``transient``, ``uncertain``  |
| 5yz refusing this recipient (RCPT)               | ``permanent`` (``rejected``)  |
| 5yz refusing the message (DATA)                   | ``permanent`` (``rejected``)  |
| 5yz refusing the sender, 53x authentication, TLS | ``disabled`` (``config``)     |

What Apprise cannot tell us: a recipient refused while a ``cc``/``bcc`` copy was
accepted counts as sent (``smtplib.sendmail`` only raises when every recipient is
refused); the server's queue id is not exposed (``provider_message_id`` is None; the
``X-Pcmd-Notice`` header carries the idempotency key instead); a timeout after DATA may
mean the mail went out. Records of this thread do not reach the application's log
(they name recipients); one masked summary line is logged instead.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apprise import NotifyFormat
from apprise.plugins.email import NotifyEmail
from apprise.plugins.email import base as apprise_email_base

from pcmd_workflow.channels import tls_contexts
from pcmd_workflow.channels.base import (
    DeliveryResult,
    Outcome,
    OutgoingMessage,
    Reason,
    mask_recipient,
    mask_secrets,
)
from pcmd_workflow.errors import ConfigError

__all__ = ["EmailChannel"]

_log = logging.getLogger("pcmd.channels.email")
_APPRISE_LOGGER = logging.getLogger("apprise")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_SMTP_CODE = re.compile(r"\((\d{3}), b?['\"]")
_DETAIL_MAX = 400


class _ThreadCapture(logging.Filter):
    """Diverts the ``apprise`` records of capturing threads into their buffers.

    Unlike ``apprise.LogCapture`` (one process-wide handler), this keeps concurrent
    sends apart and stops those records (they name recipients) from propagating.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffers: dict[int, list[str]] = {}
        self._guard = threading.Lock()
        self._saved_level = logging.NOTSET

    def filter(self, record: logging.LogRecord) -> bool:
        buffer = self._buffers.get(record.thread or 0)
        if buffer is not None:
            buffer.append(record.getMessage())
            return False
        return record.levelno >= self._saved_level

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        ident = threading.get_ident()
        buffer: list[str] = []
        with self._guard:
            if not self._buffers:
                self._saved_level = _APPRISE_LOGGER.getEffectiveLevel()
                _APPRISE_LOGGER.setLevel(logging.DEBUG)
                _APPRISE_LOGGER.addFilter(self)
            self._buffers[ident] = buffer
        try:
            yield buffer
        finally:
            with self._guard:
                del self._buffers[ident]
                if not self._buffers:
                    _APPRISE_LOGGER.removeFilter(self)
                    _APPRISE_LOGGER.setLevel(self._saved_level)


_CAPTURE = _ThreadCapture()
# Apprise would otherwise load the CA store for every message (see tls_contexts).
tls_contexts.install(apprise_email_base)


class EmailChannel:
    """Sends ``email`` messages through one Apprise mailto URL."""

    names: frozenset[str] = frozenset({"email"})

    def __init__(self, url: str, *, timeout: float | None = None) -> None:
        """``timeout``: SMTP socket timeout in seconds (default: the URL's ``cto``, else 15)."""
        shown = re.sub(r"//[^@/]*@", "//****@", url)
        results = NotifyEmail.parse_url(url) if re.match(r"(?i)^mailtos?://", url) else None
        if not results:
            raise ConfigError(
                f"PCMD_EMAIL_URL: {shown} is not an e-mail URL; expected "
                "mailto://user:password@smtp.host:port?from=sender@domain&mode=starttls"
            )
        if timeout is not None:
            results["cto"] = timeout
        results["retry"] = 0  # retries belong to the outbox, where they are durable
        self._base: dict[str, Any] = results
        self._secrets = [results.get("password"), results.get("user")]
        try:
            probe = NotifyEmail(**{**results, "targets": ["probe@example.invalid"]})
        except TypeError as exc:
            raise ConfigError(f"PCMD_EMAIL_URL: {self._mask(str(exc))}") from None
        self.url_for_logs = probe.url(privacy=True)

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        if message.channel != "email":
            raise ValueError(f"EmailChannel cannot send a {message.channel!r} message")
        recipient = message.recipient.strip()
        if not _EMAIL.match(recipient):
            result = DeliveryResult(
                outcome=Outcome.permanent,
                channel="email",
                reason=Reason.invalid_contact,
                detail=f"Liên hệ không hợp lệ: {mask_recipient(recipient)} "
                "không phải địa chỉ thư điện tử; chưa gửi",
            )
        else:
            result = self._send(message, recipient)
        _log.info(
            "Email → %s: %s (%s)",
            mask_recipient(recipient),
            result.outcome.value,
            result.reason.value,
        )
        return result

    def close(self) -> None:
        """Nothing is kept open: Apprise connects for each message."""

    def _send(self, message: OutgoingMessage, recipient: str) -> DeliveryResult:
        headers = {**self._base.get("headers", {}), "X-Pcmd-Notice": message.key}
        fmt = NotifyFormat.HTML if message.html else NotifyFormat.TEXT
        plugin = NotifyEmail(
            **{**self._base, "targets": [recipient], "headers": headers, "format": fmt.value}
        )
        plugin.request_rate_per_sec = 0  # the default 5.5 s between sends would crawl
        with _CAPTURE.capture() as lines:
            delivered = plugin.notify(
                body=message.html or message.body,
                title=message.subject,
                body_format=fmt,
            )
        if delivered:
            return DeliveryResult(
                outcome=Outcome.ok, channel="email", reason=Reason.sent, detail="Đã gửi thư"
            )
        return self._classify(lines, recipient)

    def _classify(self, lines: list[str], recipient: str) -> DeliveryResult:
        exception = next(
            (
                line[len("Socket Exception: ") :]
                for line in lines
                if line.startswith("Socket Exception: ")
            ),
            "",
        )
        during_message = any(line.startswith("Sending email to") for line in lines)
        match = _SMTP_CODE.search(exception)
        code = int(match.group(1)) if match else None
        sender_refused = _is_sender_refusal(exception)
        lowered = exception.lower()

        def result(
            outcome: Outcome, reason: Reason, detail: str, *, uncertain: bool = False
        ) -> DeliveryResult:
            text = self._mask(f"{detail} [{exception or (lines[-1] if lines else '?')}]")
            text = text.replace(recipient, mask_recipient(recipient))
            return DeliveryResult(
                outcome=outcome,
                channel="email",
                reason=reason,
                detail=text[:_DETAIL_MAX],
                provider_code=str(code) if code else None,
                uncertain=uncertain,
            )

        if code is not None and 400 <= code < 500:
            return result(Outcome.transient, Reason.server_error, f"SMTP {code}: lỗi tạm thời")
        if code is not None and code >= 500:
            if sender_refused or not during_message:
                return result(
                    Outcome.disabled,
                    Reason.config,
                    f"SMTP {code}: máy chủ từ chối tài khoản hoặc người gửi; kiểm tra cấu hình",
                )
            return result(Outcome.permanent, Reason.rejected, f"SMTP {code}: máy chủ từ chối thư")
        if "timed out" in lowered:
            return result(
                Outcome.transient,
                Reason.timeout,
                "SMTP: quá thời gian chờ",
                uncertain=during_message,
            )
        if "ssl" in lowered or "tls" in lowered:
            return result(Outcome.disabled, Reason.config, "SMTP: lỗi TLS; kiểm tra chế độ bảo mật")
        if "auth" in lowered:
            return result(
                Outcome.disabled, Reason.config, "SMTP: không đăng nhập được; kiểm tra tài khoản"
            )
        if "disconnected" in lowered or "closed" in lowered or "reset" in lowered:
            return result(
                Outcome.transient,
                Reason.dropped,
                "SMTP: kết nối bị ngắt",
                uncertain=during_message,
            )
        if exception and not during_message:
            return result(Outcome.transient, Reason.connect, "SMTP: không kết nối được máy chủ")
        return result(Outcome.transient, Reason.unknown, "SMTP: gửi thất bại")

    def _mask(self, text: str) -> str:
        return mask_secrets(text, self._secrets)


def _is_sender_refusal(exception: str) -> bool:
    """``SMTPSenderRefused`` prints as ``(code, b'msg', 'sender')``: a 3-tuple."""
    try:
        value = ast.literal_eval(exception)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return False
    return isinstance(value, tuple) and len(value) == 3
