"""One Zalo HTTP answer (or the lack of one) → a classified :class:`DeliveryResult`.

Zalo reports most errors with HTTP 200 and ``error != 0`` (OA Open API v3, ZNS API),
so the body is always read. Transport failures follow httpx's exception tree: a
connection that never opened is plainly retryable; a timeout or a connection dropped
after the request went out is retryable but ``uncertain`` (the message may have been
delivered). HTTP 5xx is transient, 429 a rate limit, 401/403 a token error, any other
non-200 status a configuration error (a wrong API address). Error codes are mapped by
class (see :mod:`~pcmd_workflow.channels.zalo_errors`); token errors are handled by the
client (refresh and retry) before an answer reaches :func:`classify_answer`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import httpx

from pcmd_workflow.channels.base import (
    DeliveryResult,
    Outcome,
    Reason,
    mask_recipient,
    mask_secrets,
    next_local_time,
)
from pcmd_workflow.channels.zalo_errors import ZaloErrorClass, classify_zalo_error
from pcmd_workflow.clock import LOCAL_TZ

__all__ = ["ZaloAnswer", "classify_answer", "parse_answer"]

#: ZNS sends stop at 22:00 and resume at 06:00 (error -133); quotas reset at midnight.
_NIGHT_END = time(6, 0)
_MIDNIGHT = time(0, 0)
_DETAIL_MAX = 600

# error class → (outcome, reason, Vietnamese explanation)
_BY_CLASS: dict[ZaloErrorClass, tuple[Outcome, Reason, str]] = {
    ZaloErrorClass.rate_limit: (Outcome.transient, Reason.rate_limit, "vượt giới hạn tần suất"),
    ZaloErrorClass.quota: (
        Outcome.reschedule,
        Reason.quota,
        "hết hạn mức gửi trong ngày; gửi lại sau 00:00",
    ),
    ZaloErrorClass.night: (
        Outcome.reschedule,
        Reason.night,
        "không được gửi ban đêm; gửi lại lúc 06:00",
    ),
    ZaloErrorClass.recipient: (
        Outcome.unreachable,
        Reason.recipient,
        "người nhận không nhận được tin qua kênh này",
    ),
    ZaloErrorClass.payload: (
        Outcome.permanent,
        Reason.payload,
        "nội dung hoặc mẫu tin không hợp lệ",
    ),
    ZaloErrorClass.config: (
        Outcome.disabled,
        Reason.config,
        "lỗi cấu hình ứng dụng hoặc OA",
    ),
    ZaloErrorClass.transient: (Outcome.transient, Reason.server_error, "lỗi tạm thời"),
    ZaloErrorClass.token: (Outcome.disabled, Reason.token, "access token bị từ chối"),
}


@dataclass(frozen=True, kw_only=True)
class ZaloAnswer:
    """What came back from one HTTP call (``status`` None when no answer came)."""

    status: int | None = None
    data: dict[str, Any] | None = None
    text: str = ""
    exc: httpx.HTTPError | None = None

    @property
    def code(self) -> int | None:
        """The ``error`` field (0 on success); None without a JSON object body."""
        if self.data is None:
            return None
        try:
            return int(self.data.get("error", 0))
        except (TypeError, ValueError):
            return None

    @property
    def is_token_error(self) -> bool:
        if self.status in (401, 403):
            return True
        code = self.code
        return (
            self.status == 200
            and code is not None
            and classify_zalo_error(code) is ZaloErrorClass.token
        )

    @property
    def provider_code(self) -> str | None:
        if self.exc is not None:
            return type(self.exc).__name__
        if self.status is not None and self.status != 200:
            return f"http-{self.status}"
        code = self.code
        return str(code) if code else None


def parse_answer(response: httpx.Response) -> ZaloAnswer:
    raw = response.content
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    return ZaloAnswer(
        status=response.status_code,
        data=data if isinstance(data, dict) else None,
        text=raw[:1000].decode("utf-8", "replace"),
    )


def classify_answer(
    answer: ZaloAnswer,
    *,
    channel: str,
    now: datetime,
    recipient: str,
    jitter_key: str,
    secrets: Iterable[str | None] = (),
) -> DeliveryResult:
    """The outcome of one answer; ``secrets`` and ``recipient`` are masked in the detail."""
    masked_secrets = list(secrets)

    def result(
        outcome: Outcome,
        reason: Reason,
        detail: str,
        *,
        retry_after: datetime | None = None,
        uncertain: bool = False,
        message_id: str | None = None,
    ) -> DeliveryResult:
        text = mask_secrets(detail, masked_secrets)
        if recipient:
            text = text.replace(recipient, mask_recipient(recipient))
        return DeliveryResult(
            outcome=outcome,
            channel=channel,
            reason=reason,
            detail=text[:_DETAIL_MAX],
            provider_message_id=message_id,
            provider_code=answer.provider_code,
            retry_after=retry_after,
            uncertain=uncertain,
        )

    if answer.exc is not None:
        kind = type(answer.exc).__name__
        if isinstance(answer.exc, httpx.ConnectError | httpx.ConnectTimeout):
            return result(Outcome.transient, Reason.connect, f"Zalo: không kết nối được ({kind})")
        if isinstance(answer.exc, httpx.TimeoutException):
            detail = f"Zalo: quá thời gian chờ trả lời ({kind})"
            return result(Outcome.transient, Reason.timeout, detail, uncertain=True)
        detail = f"Zalo: kết nối bị ngắt trước khi có trả lời ({kind})"
        return result(Outcome.transient, Reason.dropped, detail, uncertain=True)

    status = answer.status or 0
    if status >= 500:
        return result(Outcome.transient, Reason.server_error, f"Zalo: lỗi máy chủ HTTP {status}")
    if status == 429:
        at = _next_minute(now, jitter_key)
        detail = f"Zalo: HTTP 429, vượt giới hạn tần suất; thử lại lúc {_hms(at)}"
        return result(Outcome.transient, Reason.rate_limit, detail, retry_after=at)
    if status in (401, 403):
        return result(Outcome.disabled, Reason.token, f"Zalo: HTTP {status}, token bị từ chối")
    if status != 200:
        detail = f"Zalo: HTTP {status}; kiểm tra địa chỉ API trong cấu hình"
        return result(Outcome.disabled, Reason.config, detail)

    code = answer.code
    if answer.data is None or code is None:
        detail = f"Zalo: trả lời không đọc được: {answer.text[:200]}"
        return result(Outcome.transient, Reason.server_error, detail, uncertain=True)
    if code == 0:
        data = answer.data.get("data") or {}
        msg_id = data.get("message_id") or data.get("msg_id")
        label = "Zalo OA" if channel == "zalo" else "ZNS"
        return result(
            Outcome.ok,
            Reason.sent,
            f"Đã gửi qua {label}",
            message_id=str(msg_id) if msg_id else None,
        )

    error_class = classify_zalo_error(code)
    message = str(answer.data.get("message", ""))[:200]
    if error_class is ZaloErrorClass.unknown:
        detail = f"Zalo {code}: lỗi không xác định; trả lời: {answer.text[:400]}"
        return result(Outcome.permanent, Reason.unknown, detail)
    outcome, reason, explanation = _BY_CLASS[error_class]
    retry_after: datetime | None = None
    if error_class is ZaloErrorClass.rate_limit:
        retry_after = _next_minute(now, jitter_key)
        explanation += f"; thử lại lúc {_hms(retry_after)}"
    elif error_class is ZaloErrorClass.quota:
        retry_after = next_local_time(now, _MIDNIGHT)
    elif error_class is ZaloErrorClass.night:
        retry_after = next_local_time(now, _NIGHT_END)
    detail = f"Zalo {code}: {explanation} ({message})"
    return result(outcome, reason, detail, retry_after=retry_after)


def _next_minute(now: datetime, key: str) -> datetime:
    """The start of the next minute plus 0–14 s of jitter, stable for one key."""
    jitter = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:2], "big") % 15
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return start + timedelta(seconds=jitter)


def _hms(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%H:%M:%S")
