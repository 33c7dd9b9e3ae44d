"""Notification channels: e-mail (Apprise mailto), Zalo OA and ZNS, and a local sink.

The outbox builds an :class:`OutgoingMessage`, calls ``send`` on a channel (or on the
:class:`ChannelSet` from :func:`open_channels`) and acts on the returned
:class:`DeliveryResult`'s :class:`Outcome`. Channels never raise for provider failures.
Importing this package registers the ``zalo://`` schema with Apprise.
"""

from pcmd_workflow.channels.base import (
    CHANNEL_NAMES,
    TRACKING_ID_MAX,
    Channel,
    DeliveryResult,
    Outcome,
    OutgoingMessage,
    Reason,
    mask_recipient,
    next_local_time,
    tracking_id_for,
)
from pcmd_workflow.channels.channel_set import ChannelSet, open_channels
from pcmd_workflow.channels.email import EmailChannel
from pcmd_workflow.channels.phones import normalise_phone
from pcmd_workflow.channels.sink import SinkChannel
from pcmd_workflow.channels.tokens_store import TOKEN_FILE_NAME, TokenStore, ZaloTokens
from pcmd_workflow.channels.zalo import NotifyZalo, ZaloChannel, register_zalo_plugin
from pcmd_workflow.channels.zalo_client import ZaloClient, ZaloConfig, ZnsQuota

__all__ = [
    "CHANNEL_NAMES",
    "TOKEN_FILE_NAME",
    "TRACKING_ID_MAX",
    "Channel",
    "ChannelSet",
    "DeliveryResult",
    "EmailChannel",
    "NotifyZalo",
    "Outcome",
    "OutgoingMessage",
    "Reason",
    "SinkChannel",
    "TokenStore",
    "ZaloChannel",
    "ZaloClient",
    "ZaloConfig",
    "ZaloTokens",
    "ZnsQuota",
    "mask_recipient",
    "next_local_time",
    "normalise_phone",
    "open_channels",
    "register_zalo_plugin",
    "tracking_id_for",
]
