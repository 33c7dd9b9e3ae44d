"""The ``zalo://`` channel: an Apprise plugin and the pcmd channel over one client.

URL (settings ``PCMD_ZALO_URL``)::

    zalo://{secret_key}@{app_id}[/{target}...]?mode=cs|zns&template=ID
        &tokens=/path/zalo-tokens.json&oa_url=..&zns_url=..&oauth_url=..
        &refresh_hours=20&cto=4&rto=10&:field=value&body_field=content

- ``secret_key``/``app_id``: the Zalo app (the secret is masked by ``url(privacy=True)``);
- targets (Apprise use only): follower user ids (``mode=cs``) or phones (``mode=zns``);
- ``tokens``: the token file (default ``<data dir>/zalo-tokens.json``);
- ``oa_url``, ``zns_url``, ``oauth_url``: API bases (tests point them at a fake server);
- ``cto``/``rto``: connect/read timeouts in seconds (Apprise's standard arguments);
- ``:field=value``: fixed ZNS template data; ``body_field``: the template field that
  receives the Apprise body (default ``content``).

:class:`ZaloChannel` is what pcmd's outbox uses: it turns an ``OutgoingMessage`` into a
CS or ZNS call and returns the rich :class:`DeliveryResult`. :class:`NotifyZalo` makes
the same channel usable from plain Apprise (``Apprise().add("zalo://...")``); it is
registered for the ``zalo`` schema when this module is imported.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from apprise import NotifyBase, NotifyType
from apprise.manager_plugins import NotificationManager
from apprise.url import PrivacyMode

from pcmd_workflow.channels.base import (
    DeliveryResult,
    Outcome,
    OutgoingMessage,
    Reason,
    mask_recipient,
)
from pcmd_workflow.channels.phones import normalise_phone
from pcmd_workflow.channels.tokens_store import TOKEN_FILE_NAME
from pcmd_workflow.channels.zalo_client import CS_TEXT_MAX, ZaloClient, ZaloConfig
from pcmd_workflow.clock import Clock, SystemClock
from pcmd_workflow.errors import ConfigError

__all__ = [
    "NotifyZalo",
    "ZaloChannel",
    "compose_cs_text",
    "register_zalo_plugin",
]

_log = logging.getLogger("pcmd.channels.zalo")

#: Zalo user ids are decimal strings.
_USER_ID = re.compile(r"^\d{1,32}$")
_DEFAULTS = ZaloConfig(app_id="-", secret_key="-", token_path=Path(TOKEN_FILE_NAME))


def compose_cs_text(subject: str, body: str) -> str:
    """Subject line, blank line, body; cut to the 2,000 characters of a CS message."""
    text = f"{subject}\n\n{body}" if subject else body
    if len(text) <= CS_TEXT_MAX:
        return text
    return text[: CS_TEXT_MAX - 1].rstrip() + "…"


class NotifyZalo(NotifyBase):  # type: ignore[misc]
    """Zalo OA consultation (``mode=cs``) or ZNS template (``mode=zns``) notifications."""

    service_name = "Zalo"  # type: ignore[assignment]
    service_url = "https://oa.zalo.me/"  # type: ignore[assignment]
    secure_protocol = "zalo"  # type: ignore[assignment]
    setup_url = "https://developers.zalo.me/docs/official-account"  # type: ignore[assignment]
    # Apprise folds the title into the body; CS texts are at most 2,000 characters.
    title_maxlen = 0
    body_maxlen = CS_TEXT_MAX
    # Zalo allows 4,000 requests a minute per app: pacing belongs to the outbox.
    request_rate_per_sec = 0

    templates = ("{schema}://{secret_key}@{app_id}/{targets}",)  # type: ignore[assignment]
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "secret_key": {
                "name": "App Secret Key",
                "type": "string",
                "private": True,
                "required": True,
            },
            "app_id": {"name": "App ID", "type": "string", "required": True},
            "targets": {"name": "Targets", "type": "list:string", "required": True},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{
            "to": {"alias_of": "targets"},
            "mode": {
                "name": "Mode",
                "type": "choice:string",
                "values": ("cs", "zns"),
                "default": "cs",
            },
            "template": {"name": "ZNS Template ID", "type": "string"},
            "tokens": {"name": "Token File", "type": "string"},
            "oa_url": {"name": "OA API Base URL", "type": "string"},
            "zns_url": {"name": "ZNS API Base URL", "type": "string"},
            "oauth_url": {"name": "OAuth Base URL", "type": "string"},
            "refresh_hours": {"name": "Refresh After (hours)", "type": "float"},
            "body_field": {"name": "Template Body Field", "type": "string"},
        },
    )
    template_kwargs = {"template_data": {"name": "Template Data", "prefix": ":"}}

    def __init__(
        self,
        secret_key: str | None = None,
        app_id: str | None = None,
        targets: Iterable[str] | str | None = None,
        mode: str | None = None,
        template: str | None = None,
        tokens: str | None = None,
        oa_url: str | None = None,
        zns_url: str | None = None,
        oauth_url: str | None = None,
        refresh_hours: float | str | None = None,
        body_field: str | None = None,
        template_data: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not secret_key or not app_id:
            msg = "A Zalo app id and secret key are required (zalo://SECRET@APP_ID)."
            self.logger.warning(msg)
            raise TypeError(msg)
        self.secret_key = secret_key
        self.zalo_app_id = app_id
        if isinstance(targets, str):
            targets = [t for t in re.split(r"[\s,/]+", targets) if t]
        self.targets = list(targets or [])
        self.mode = (mode or "cs").lower()
        if self.mode not in ("cs", "zns"):
            msg = f"Zalo mode must be cs or zns, not {mode!r}."
            self.logger.warning(msg)
            raise TypeError(msg)
        self.template = template
        if self.mode == "zns" and not template:
            msg = "Zalo mode=zns needs template=<approved template id>."
            self.logger.warning(msg)
            raise TypeError(msg)
        self.tokens = tokens
        self.oa_url = oa_url
        self.zns_url = zns_url
        self.oauth_url = oauth_url
        try:
            self.refresh_hours = float(refresh_hours) if refresh_hours is not None else None
        except ValueError:
            msg = f"Zalo refresh_hours must be a number, not {refresh_hours!r}."
            self.logger.warning(msg)
            raise TypeError(msg) from None
        self.body_field = body_field or "content"
        self.template_data = dict(template_data or {})
        self._client: ZaloClient | None = None

    def zalo_config(self, *, data_dir: Path | None = None) -> ZaloConfig:
        """The client configuration this URL describes."""
        if self.tokens:
            token_path = Path(self.tokens)
        else:
            if data_dir is None:
                from pcmd_workflow.settings import get_settings

                data_dir = get_settings().data_dir
            token_path = Path(data_dir) / TOKEN_FILE_NAME
        refresh_after = (
            timedelta(hours=self.refresh_hours)
            if self.refresh_hours is not None
            else _DEFAULTS.refresh_after
        )
        return ZaloConfig(
            app_id=self.zalo_app_id,
            secret_key=self.secret_key,
            token_path=token_path,
            oa_base_url=self.oa_url or _DEFAULTS.oa_base_url,
            zns_base_url=self.zns_url or _DEFAULTS.zns_base_url,
            oauth_base_url=self.oauth_url or _DEFAULTS.oauth_base_url,
            connect_timeout=float(self.socket_connect_timeout),
            read_timeout=float(self.socket_read_timeout),
            refresh_after=refresh_after,
        )

    def send(
        self, body: str, title: str = "", notify_type: str = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        if not self.targets:
            self.logger.warning("There are no Zalo targets to notify.")
            return False
        if self._client is None:
            self._client = ZaloClient(self.zalo_config(), clock=SystemClock())
        has_error = False
        for target in self.targets:
            result = self._send_one(self._client, target=target, body=body)
            if result.ok:
                self.logger.info("Sent Zalo notification to %s.", mask_recipient(target))
            else:
                self.logger.warning(
                    "Failed to send Zalo notification to %s: %s",
                    mask_recipient(target),
                    result.detail,
                )
                has_error = True
        return not has_error

    def __del__(self) -> None:
        if getattr(self, "_client", None) is not None:
            self._client.close()  # type: ignore[union-attr]

    def _send_one(self, client: ZaloClient, *, target: str, body: str) -> DeliveryResult:
        if self.mode == "cs":
            if not _USER_ID.match(target):
                return _invalid_contact("zalo", target)
            return client.send_cs(user_id=target, text=body[:CS_TEXT_MAX])
        phone = normalise_phone(target)
        if phone is None:
            return _invalid_contact("zns", target)
        data = {**self.template_data, self.body_field: body}
        assert self.template is not None  # checked in __init__
        return client.send_zns(
            phone=phone,
            template_id=self.template,
            template_data=data,
            tracking_id=uuid.uuid4().hex,
        )

    @property
    def url_identifier(self) -> tuple[str, str, str]:  # type: ignore[override]
        return ("zalo", self.zalo_app_id, self.secret_key)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params: dict[str, Any] = {"mode": self.mode}
        optional = {
            "template": self.template,
            "tokens": self.tokens,
            "oa_url": self.oa_url,
            "zns_url": self.zns_url,
            "oauth_url": self.oauth_url,
            "refresh_hours": self.refresh_hours,
        }
        params.update({key: value for key, value in optional.items() if value is not None})
        if self.body_field != "content":
            params["body_field"] = self.body_field
        params.update(self.url_parameters(*args, privacy=privacy, **kwargs))
        params.update({f":{key}": value for key, value in self.template_data.items()})
        return "{schema}://{secret}@{app_id}/{targets}?{params}".format(
            schema=self.secure_protocol,
            secret=self.pprint(self.secret_key, privacy, mode=PrivacyMode.Secret, safe=""),
            app_id=self.quote(self.zalo_app_id, safe=""),
            targets="/".join(self.pprint(t, privacy, safe="") for t in self.targets),
            params=self.urlencode(params),
        )

    def __len__(self) -> int:
        return max(1, len(self.targets))

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:  # type: ignore[override]
        results: dict[str, Any] | None = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        qsd = results["qsd"]
        results["secret_key"] = NotifyZalo.unquote(results.get("user") or "")
        results["app_id"] = NotifyZalo.unquote(results.get("host") or "")
        results["targets"] = NotifyZalo.split_path(results["fullpath"])
        if qsd.get("to"):
            results["targets"] += [t for t in re.split(r"[\s,]+", qsd["to"]) if t]
        for key in ("mode", "template", "tokens", "oa_url", "zns_url", "oauth_url"):
            if qsd.get(key):
                results[key] = NotifyZalo.unquote(qsd[key])
        if qsd.get("refresh_hours"):
            results["refresh_hours"] = qsd["refresh_hours"]
        if qsd.get("body_field"):
            results["body_field"] = qsd["body_field"]
        results["template_data"] = dict(results.get("qsd:", {}))
        return results


def register_zalo_plugin() -> bool:
    """Make ``zalo://`` known to Apprise (idempotent)."""
    manager = NotificationManager()
    if "zalo" in manager:
        return manager["zalo"] is NotifyZalo
    return bool(manager.add(NotifyZalo))


class ZaloChannel:
    """pcmd's ``zalo`` (OA consultation) and ``zns`` (template) channel."""

    names: frozenset[str] = frozenset({"zalo", "zns"})

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        clock: Clock,
        data_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> ZaloChannel:
        """Build from ``PCMD_ZALO_URL``; ConfigError (secret masked) when it is not valid."""
        results = NotifyZalo.parse_url(url) if url.lower().startswith("zalo://") else None
        shown = "zalo://****@…" if url.lower().startswith("zalo://") else url[:12] + "…"
        if not results:
            raise ConfigError(
                f"PCMD_ZALO_URL: {shown} is not a Zalo URL; expected zalo://SECRET_KEY@APP_ID?..."
            )
        try:
            plugin = NotifyZalo(**results)
        except TypeError as exc:
            raise ConfigError(f"PCMD_ZALO_URL: {exc}") from None
        config = plugin.zalo_config(data_dir=data_dir)
        return cls(ZaloClient(config, clock=clock, transport=transport))

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        if message.channel == "zalo":
            if not _USER_ID.match(message.recipient):
                result = _invalid_contact("zalo", message.recipient)
            else:
                result = self.client.send_cs(
                    user_id=message.recipient,
                    text=compose_cs_text(message.subject, message.body),
                )
        elif message.channel == "zns":
            phone = normalise_phone(message.recipient)
            if phone is None:
                result = _invalid_contact("zns", message.recipient)
            else:
                assert message.template_id is not None and message.template_data is not None
                result = self.client.send_zns(
                    phone=phone,
                    template_id=message.template_id,
                    template_data=message.template_data,
                    tracking_id=message.tracking_id,
                )
        else:
            raise ValueError(f"ZaloChannel cannot send a {message.channel!r} message")
        _log.info(
            "Zalo %s → %s: %s (%s)",
            message.channel,
            mask_recipient(message.recipient),
            result.outcome.value,
            result.reason.value,
        )
        return result

    def close(self) -> None:
        self.client.close()


def _invalid_contact(channel: str, recipient: str) -> DeliveryResult:
    what = "user id Zalo" if channel == "zalo" else "số điện thoại"
    return DeliveryResult(
        outcome=Outcome.permanent,
        channel=channel,
        reason=Reason.invalid_contact,
        detail=f"Liên hệ không hợp lệ: {mask_recipient(recipient)} không phải {what}; chưa gửi",
    )


register_zalo_plugin()
