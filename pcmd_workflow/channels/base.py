"""The channel interface: one message in, one classified delivery result out.

Every channel (``email``, ``zalo``, ``zns``, ``sink``) implements :class:`Channel`:
``send(message) -> DeliveryResult``. A channel never raises for a provider failure
(refused connection, error code, timeout); it classifies the failure into an
:class:`Outcome` that tells the outbox what to do next. It raises only for programming
errors (a message addressed to another channel, a ZNS message without a template).

The outcomes follow the error classes of the Zalo OA v3 and ZNS APIs (token, rate
limit, quota, night, recipient, payload, configuration, transient; see ``zalo_errors``) and
the SMTP reply classes of RFC 5321 §4.2.1 (4yz transient, 5yz permanent).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pcmd_workflow.clock import LOCAL_TZ

__all__ = [
    "CHANNEL_NAMES",
    "TRACKING_ID_MAX",
    "Channel",
    "DeliveryResult",
    "Outcome",
    "OutgoingMessage",
    "Reason",
    "mask_recipient",
    "mask_secrets",
    "next_local_time",
    "tracking_id_for",
]

#: Channel names of CONTRACTS "Notices".
CHANNEL_NAMES: frozenset[str] = frozenset({"email", "zalo", "zns", "sink"})

#: ZNS ``tracking_id`` limit (Zalo ZNS API, "tracking_id ≤ 48 characters").
TRACKING_ID_MAX = 48

_TRACKING_SAFE = re.compile(r"^[A-Za-z0-9._:/@+=-]+$")


class Outcome(StrEnum):
    """What the outbox does with a notice after one delivery attempt."""

    ok = "ok"
    """Delivered (accepted by the provider): the notice is ``sent``."""
    transient = "transient"
    """Try again later with backoff, at ``retry_after`` when given."""
    permanent = "permanent"
    """Never retry this message on this channel (dead-letter, tell the coordinator)."""
    unreachable = "unreachable"
    """The recipient cannot receive on this channel: fall back to the next channel."""
    reschedule = "reschedule"
    """Quota exhausted or night-time: retry at ``retry_after`` (not a failure)."""
    disabled = "disabled"
    """The channel is off (configuration or dead token): alert an administrator."""


class Reason(StrEnum):
    """Machine-readable cause behind an :class:`Outcome` (kept in the attempt log)."""

    sent = "sent"
    invalid_contact = "invalid_contact"  # not an e-mail / phone / user id: never sent
    connect = "connect"  # the request never left (refused, DNS, no route)
    timeout = "timeout"
    dropped = "dropped"  # connection closed before an answer
    server_error = "server_error"  # HTTP 5xx, SMTP 4yz at connection level, malformed answer
    rate_limit = "rate_limit"
    quota = "quota"
    night = "night"
    token = "token"  # access token rejected twice, refresh failed, token file missing
    recipient = "recipient"  # recipient cannot receive (not a follower, blocked, ...)
    rejected = "rejected"  # SMTP 5yz for this recipient or this message
    payload = "payload"  # bad payload or template
    config = "config"  # application / OA / SMTP account configuration
    not_configured = "not_configured"  # no URL for the channel
    io_error = "io_error"  # the sink file could not be written
    unknown = "unknown"  # an error code outside the known classes


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message for one recipient on one channel (a digest of notices, say).

    ``recipient`` is, per channel: an e-mail address (``email``), a Zalo user id
    (``zalo``, OA consultation message), a phone number (``zns``; ``84…`` form, other
    Vietnamese forms are normalised) or ``sink:<unit>`` (``sink``).
    ``key`` is the idempotency key (the notice key); ``tracking_id`` derives the ZNS
    ``tracking_id`` from it.
    """

    channel: str
    recipient: str
    subject: str
    body: str
    key: str
    html: str | None = None
    template_id: str | None = None
    template_data: Mapping[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.channel not in CHANNEL_NAMES:
            raise ValueError(
                f"OutgoingMessage.channel: {self.channel!r} is not one of {sorted(CHANNEL_NAMES)}"
            )
        if not self.key.strip():
            raise ValueError("OutgoingMessage.key: an idempotency key is required")
        if not self.recipient.strip():
            raise ValueError("OutgoingMessage.recipient: empty recipient")
        if self.channel == "zns" and (not self.template_id or self.template_data is None):
            raise ValueError("OutgoingMessage: a zns message needs template_id and template_data")

    @property
    def tracking_id(self) -> str:
        return tracking_id_for(self.key)


def tracking_id_for(key: str) -> str:
    """The key itself when it fits ZNS's 48 characters, else a stable SHA-256 digest."""
    if len(key) <= TRACKING_ID_MAX and _TRACKING_SAFE.match(key):
        return key
    return "h-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[: TRACKING_ID_MAX - 2]


@dataclass(frozen=True, kw_only=True)
class DeliveryResult:
    """The classified answer of one delivery attempt.

    ``detail`` is short, in Vietnamese, with secrets and addresses masked.
    ``retry_after`` is an aware UTC instant (``reschedule``: next 06:00 local after a
    night refusal, next 00:00 local after a quota refusal; ``transient``: the next
    minute plus jitter after a rate limit; otherwise ``None`` — use the backoff).
    ``uncertain`` is True when the request may have reached the provider although no
    answer came back (read timeout, dropped connection): retrying a ``zalo`` (OA)
    message may then duplicate it; ZNS deduplicates on ``tracking_id``.
    """

    outcome: Outcome
    channel: str
    reason: Reason
    detail: str
    provider_message_id: str | None = None
    provider_code: str | None = None
    retry_after: datetime | None = None
    uncertain: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ok


class Channel(Protocol):
    """What the outbox calls: ``EmailChannel``, ``ZaloChannel``, ``SinkChannel``."""

    @property
    def names(self) -> frozenset[str]:
        """The message channels this object sends (``{"zalo", "zns"}`` for Zalo)."""
        ...

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        """Deliver one message; never raises for provider failures."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def next_local_time(now: datetime, at: time) -> datetime:
    """The first instant after ``now`` when Vietnam's wall clock shows ``at``, in UTC."""
    local = now.astimezone(LOCAL_TZ)
    candidate = datetime.combine(local.date(), at, tzinfo=LOCAL_TZ)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=LOCAL_TZ)
    return candidate.astimezone(UTC)


def mask_recipient(recipient: str) -> str:
    """``ng***@so-yte.gov.vn``, ``849***678``; ``sink:<unit>`` stays readable."""
    if recipient.startswith("sink:"):
        return recipient
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:2]}***@{domain}"
    if len(recipient) <= 6:
        return "***"
    return f"{recipient[:3]}***{recipient[-3:]}"


def mask_secrets(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every non-trivial secret replaced by ``***``."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
