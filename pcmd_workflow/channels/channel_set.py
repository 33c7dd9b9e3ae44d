"""The channels configured in settings, behind one ``send``.

``open_channels(settings, clock=...)`` builds the e-mail channel from
``PCMD_EMAIL_URL``, the Zalo channel (``zalo`` and ``zns``) from ``PCMD_ZALO_URL`` and
always the sink. A message for a channel without a URL goes to the sink, so a fresh
install (``make run``) delivers every notice to ``<data dir>/outbox-sink.log``; the
result then says ``channel="sink"``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pcmd_workflow.channels.base import Channel, DeliveryResult, OutgoingMessage
from pcmd_workflow.channels.email import EmailChannel
from pcmd_workflow.channels.sink import SinkChannel
from pcmd_workflow.channels.zalo import ZaloChannel
from pcmd_workflow.clock import Clock
from pcmd_workflow.settings import Settings, get_settings

__all__ = ["ChannelSet", "open_channels"]


class ChannelSet:
    """Routes each message to its channel, or to the sink when that channel has no URL."""

    def __init__(self, channels: Mapping[str, Channel], *, sink: SinkChannel) -> None:
        self._channels = dict(channels)
        self.sink = sink

    @property
    def configured(self) -> frozenset[str]:
        """Channel names with a real (non-sink) configuration."""
        return frozenset(self._channels)

    def channel_for(self, name: str) -> Channel:
        """The channel that will send messages of ``name`` (the sink when unconfigured)."""
        return self._channels.get(name, self.sink)

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        return self.channel_for(message.channel).send(message)

    def close(self) -> None:
        for channel in {id(c): c for c in self._channels.values()}.values():
            channel.close()
        self.sink.close()


def open_channels(settings: Settings | None = None, *, clock: Clock) -> ChannelSet:
    """The channels of ``settings`` (default: the current settings). ConfigError on a bad URL."""
    settings = settings or get_settings()
    channels: dict[str, Channel] = {}
    if settings.email_url:
        channels["email"] = EmailChannel(settings.email_url)
    if settings.zalo_url:
        zalo = ZaloChannel.from_url(settings.zalo_url, clock=clock, data_dir=settings.data_dir)
        channels["zalo"] = zalo
        channels["zns"] = zalo
    sink = SinkChannel(settings.effective_sink_path, clock=clock)
    return ChannelSet(channels, sink=sink)
