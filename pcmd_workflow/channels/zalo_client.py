"""A thin httpx client for the Zalo OA consultation API and ZNS template messages.

Endpoints (Zalo OA Open API v3, ZNS API, OAuth v4 for Official Accounts):

- ``POST {oa}/v3.0/oa/message/cs`` — consultation message to a follower's ``user_id``;
- ``POST {zns}/message/template`` — template message to a phone, with ``tracking_id``;
- ``GET {zns}/message/quota`` — the day's ZNS quota;
- ``POST {oauth}/v4/oa/access_token`` — refresh (form-encoded, header ``secret_key``).

Calls carry the header ``access_token``. Errors come back with HTTP 200 and
``error != 0``, so every answer is checked. A token error (``-216``, ``-220``,
``-124``, or HTTP 401/403) triggers one refresh and one retry; a second one disables
the channel. Refresh tokens are single use: the new pair is stored (0600, atomic)
before it is used, under a lock, proactively once the pair is older than
``refresh_after`` (20 h by default; access tokens live about 25 h). Any failed refresh
disables the channel, except a refused connection (the refresh token was not spent),
which is transient. Token values never reach logs, results or exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from pcmd_workflow.channels.base import (
    DeliveryResult,
    Outcome,
    Reason,
    mask_secrets,
)
from pcmd_workflow.channels.tokens_store import TokenStore, ZaloTokens
from pcmd_workflow.channels.zalo_answers import ZaloAnswer, classify_answer, parse_answer
from pcmd_workflow.clock import LOCAL_TZ, Clock
from pcmd_workflow.errors import ConfigError

__all__ = [
    "CS_PATH",
    "CS_TEXT_MAX",
    "QUOTA_PATH",
    "REFRESH_PATH",
    "ZNS_PATH",
    "ZaloClient",
    "ZaloConfig",
    "ZnsQuota",
]

CS_PATH = "/v3.0/oa/message/cs"
ZNS_PATH = "/message/template"
QUOTA_PATH = "/message/quota"
REFRESH_PATH = "/v4/oa/access_token"
#: OA consultation text limit (OA API v3: text ≤ 2,000 characters).
CS_TEXT_MAX = 2000


_log = logging.getLogger("pcmd.channels.zalo")


@dataclass(frozen=True, kw_only=True)
class ZaloConfig:
    """Where and how to reach Zalo. ``repr`` hides the app secret."""

    app_id: str
    secret_key: str = field(repr=False)
    token_path: Path
    oa_base_url: str = "https://openapi.zalo.me"
    zns_base_url: str = "https://business.openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    connect_timeout: float = 4.0
    read_timeout: float = 10.0
    refresh_after: timedelta = timedelta(hours=20)


@dataclass(frozen=True, kw_only=True)
class ZnsQuota:
    daily: int
    remaining: int


class ZaloClient:
    """Sends CS and ZNS messages; refreshes tokens; never raises for provider failures."""

    def __init__(
        self,
        config: ZaloConfig,
        *,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._store = TokenStore(config.token_path)
        self._disabled: str | None = None
        self._disabled_kind = Reason.token
        self._http = httpx.Client(
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            transport=transport,
            headers={"User-Agent": "pcmd-workflow"},
        )

    @property
    def disabled_reason(self) -> str | None:
        """Why the channel is off (this process, or recorded in the token file)."""
        return self._disabled

    def close(self) -> None:
        self._http.close()

    # -- sending -----------------------------------------------------------------

    def send_cs(self, *, user_id: str, text: str) -> DeliveryResult:
        """An OA consultation message (``channel="zalo"``); ``text`` ≤ 2,000 characters."""
        if len(text) > CS_TEXT_MAX:
            raise ValueError(f"send_cs: text has {len(text)} characters, limit {CS_TEXT_MAX}")
        payload = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        return self._deliver(
            channel="zalo",
            url=self.config.oa_base_url.rstrip("/") + CS_PATH,
            payload=payload,
            recipient=user_id,
            jitter_key=user_id + text,
        )

    def send_zns(
        self,
        *,
        phone: str,
        template_id: str,
        template_data: Mapping[str, Any],
        tracking_id: str,
    ) -> DeliveryResult:
        """A ZNS template message (``channel="zns"``) to a phone in ``84…`` form."""
        payload = {
            "phone": phone,
            "template_id": template_id,
            "template_data": dict(template_data),
            "tracking_id": tracking_id,
        }
        return self._deliver(
            channel="zns",
            url=self.config.zns_base_url.rstrip("/") + ZNS_PATH,
            payload=payload,
            recipient=phone,
            jitter_key=tracking_id,
        )

    def quota(self) -> ZnsQuota | DeliveryResult:
        """Today's ZNS quota, or the classified failure."""
        tokens = self._usable_tokens(channel="zns")
        if isinstance(tokens, DeliveryResult):
            return tokens
        url = self.config.zns_base_url.rstrip("/") + QUOTA_PATH
        answer = self._call("GET", url, access_token=tokens.access_token, payload=None)
        if answer.status == 200 and answer.code == 0 and answer.data is not None:
            data = answer.data.get("data") or {}
            try:
                return ZnsQuota(
                    daily=int(data["dailyQuota"]), remaining=int(data["remainingQuota"])
                )
            except (KeyError, TypeError, ValueError):
                pass
        return self._classify(answer, channel="zns", recipient="", jitter_key="quota")

    def refresh(self) -> ZaloTokens | DeliveryResult:
        """Rotate the token pair now (administrator action); the failure when it fails."""
        return self._refresh(channel="zalo", failed_access=None, force=True)

    def _deliver(
        self,
        *,
        channel: str,
        url: str,
        payload: dict[str, Any],
        recipient: str,
        jitter_key: str,
    ) -> DeliveryResult:
        tokens = self._usable_tokens(channel=channel)
        if isinstance(tokens, DeliveryResult):
            return tokens
        answer = self._call("POST", url, access_token=tokens.access_token, payload=payload)
        if answer.is_token_error:
            _log.info("Zalo: access token bị từ chối (%s), làm mới rồi gửi lại", answer.code)
            refreshed = self._refresh(channel=channel, failed_access=tokens.access_token)
            if isinstance(refreshed, DeliveryResult):
                return refreshed
            answer = self._call("POST", url, access_token=refreshed.access_token, payload=payload)
            if answer.is_token_error:
                return self._disable(
                    channel=channel,
                    reason=f"access token mới vẫn bị từ chối (mã {answer.code or answer.status})",
                    persist=True,
                    provider_code=answer.provider_code,
                )
        return self._classify(answer, channel=channel, recipient=recipient, jitter_key=jitter_key)

    def _classify(
        self, answer: ZaloAnswer, *, channel: str, recipient: str, jitter_key: str
    ) -> DeliveryResult:
        result = classify_answer(
            answer,
            channel=channel,
            now=self._clock.now(),
            recipient=recipient,
            jitter_key=jitter_key,
            secrets=[self.config.secret_key],
        )
        if result.outcome is Outcome.disabled:  # configuration: stop until fixed
            return self._disable(
                channel=channel,
                reason=result.detail,
                provider_code=result.provider_code,
                kind=result.reason,
            )
        return result

    def _call(
        self, method: str, url: str, *, access_token: str, payload: dict[str, Any] | None
    ) -> ZaloAnswer:
        headers = {"access_token": access_token}
        try:
            if payload is None:
                response = self._http.request(method, url, headers=headers)
            else:
                response = self._http.request(method, url, headers=headers, json=payload)
        except httpx.HTTPError as exc:
            return ZaloAnswer(exc=exc)
        return parse_answer(response)

    # -- tokens ------------------------------------------------------------------

    def _usable_tokens(self, *, channel: str) -> ZaloTokens | DeliveryResult:
        # A configuration stop lasts until restart; for tokens the file is the truth, so
        # an administrator's re-seeded pair brings the channel back without a restart.
        if self._disabled and self._disabled_kind is not Reason.token:
            return self._disabled_result(channel=channel, provider_code=None)
        tokens = self._stored_tokens(channel=channel)
        if isinstance(tokens, DeliveryResult):
            return tokens
        if self._disabled:
            _log.info("Zalo: có cặp token mới, kênh hoạt động trở lại")
            self._disabled = None
        if self._is_stale(tokens):
            return self._refresh(channel=channel, failed_access=None, force=False)
        return tokens

    def _stored_tokens(self, *, channel: str) -> ZaloTokens | DeliveryResult:
        """The pair in the token file, or ``disabled`` (missing, unreadable, marked dead)."""
        try:
            tokens = self._store.load()
        except ConfigError as exc:
            return self._disable(channel=channel, reason=str(exc), provider_code=None)
        if tokens is None:
            reason = f"chưa có tệp token {self._store.path.name}: cần quản trị viên cấp quyền"
            return self._disable(channel=channel, reason=reason, provider_code=None)
        if tokens.disabled_reason:
            self._disabled, self._disabled_kind = tokens.disabled_reason, Reason.token
            return self._disabled_result(channel=channel, provider_code=None)
        return tokens

    def _is_stale(self, tokens: ZaloTokens) -> bool:
        now = self._clock.now()
        return tokens.age(now) >= self.config.refresh_after or tokens.expires_at - now <= timedelta(
            minutes=10
        )

    def _refresh(
        self, *, channel: str, failed_access: str | None, force: bool = False
    ) -> ZaloTokens | DeliveryResult:
        with self._store.locked():
            current = self._stored_tokens(channel=channel)
            if isinstance(current, DeliveryResult):
                return current
            if failed_access is not None and current.access_token != failed_access:
                return current  # another thread or process refreshed meanwhile
            if failed_access is None and not force and not self._is_stale(current):
                return current
            return self._rotate(channel=channel, current=current)

    def _rotate(self, *, channel: str, current: ZaloTokens) -> ZaloTokens | DeliveryResult:
        """One call to the refresh endpoint; the new pair is saved before it is returned."""
        url = self.config.oauth_base_url.rstrip("/") + REFRESH_PATH
        form = {
            "refresh_token": current.refresh_token,
            "app_id": self.config.app_id,
            "grant_type": "refresh_token",
        }
        try:
            response = self._http.post(
                url, data=form, headers={"secret_key": self.config.secret_key}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # The request never left: the refresh token is still the valid one.
            return DeliveryResult(
                outcome=Outcome.transient,
                channel=channel,
                reason=Reason.connect,
                detail=f"Zalo: không kết nối được máy chủ cấp token ({type(exc).__name__})",
            )
        except httpx.HTTPError as exc:
            return self._disable(
                channel=channel,
                reason=f"làm mới token không nhận được trả lời ({type(exc).__name__})",
                provider_code=None,
                held=current,
            )
        answer = parse_answer(response)
        data = answer.data or {}
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        try:
            expires_in = int(str(data.get("expires_in", "")))
        except ValueError:
            expires_in = 0
        if answer.status != 200 or answer.code or not access or not refresh or expires_in <= 0:
            shown = f"HTTP {answer.status}" if answer.status != 200 else answer.code or "?"
            name = data.get("error_name") or data.get("message") or ""
            return self._disable(
                channel=channel,
                reason=f"làm mới token thất bại ({shown} {name})".strip(),
                provider_code=answer.provider_code,
                held=current,
            )
        now = self._clock.now()
        new = ZaloTokens(
            access_token=str(access),
            refresh_token=str(refresh),
            obtained_at=now,
            expires_at=now + timedelta(seconds=expires_in),
        )
        self._store.save(new)
        _log.info(
            "Zalo: đã xoay vòng cặp token (access token hết hạn lúc %s)",
            new.expires_at.astimezone(LOCAL_TZ).isoformat(timespec="minutes"),
        )
        return new

    def _disable(
        self,
        *,
        channel: str,
        reason: str,
        provider_code: str | None,
        kind: Reason = Reason.token,
        persist: bool = False,
        held: ZaloTokens | None = None,
    ) -> DeliveryResult:
        """Turn the channel off; ``held``: save it disabled (the caller holds the lock)."""
        reason = self._mask(reason, held)
        changed = reason != self._disabled
        self._disabled = reason
        self._disabled_kind = kind
        if held is not None:
            self._store.save(held.disable(reason))
        elif persist:
            with self._store.locked():
                current = self._store.load()
                if current is not None:
                    self._store.save(current.disable(reason))
        if changed:
            _log.error("Zalo: kênh bị tắt — %s; cần quản trị viên xử lý", reason)
        return self._disabled_result(channel=channel, provider_code=provider_code)

    def _disabled_result(self, *, channel: str, provider_code: str | None) -> DeliveryResult:
        return DeliveryResult(
            outcome=Outcome.disabled,
            channel=channel,
            reason=self._disabled_kind,
            detail=f"Kênh Zalo đang tắt: {self._disabled}",
            provider_code=provider_code,
        )

    def _mask(self, text: str, tokens: ZaloTokens | None) -> str:
        secrets: list[str | None] = [self.config.secret_key]
        if tokens is not None:
            secrets += [tokens.access_token, tokens.refresh_token]
        return mask_secrets(text, secrets)
