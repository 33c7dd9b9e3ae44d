"""The ``sink`` channel: the zero-configuration default that needs no credentials.

Each message becomes one JSON line appended to ``settings.effective_sink_path``
(``<data dir>/outbox-sink.log``) and one Vietnamese summary line on the logger
``pcmd.channels.sink``. Lines hold ``instant`` (ISO 8601, +07:00), ``channel`` (the
channel the message was meant for), ``recipient``, ``subject``, ``body``, ``html``
(or null), ``key`` and ``tracking_id``. It works offline: ``make run`` delivers every
notice here until real channel URLs are configured.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from pcmd_workflow.channels.base import (
    DeliveryResult,
    Outcome,
    OutgoingMessage,
    Reason,
    mask_recipient,
)
from pcmd_workflow.clock import LOCAL_TZ, Clock

__all__ = ["SinkChannel"]

_log = logging.getLogger("pcmd.channels.sink")


class SinkChannel:
    """Appends messages to a JSON-lines file; accepts a message of any channel."""

    names: frozenset[str] = frozenset({"sink"})

    def __init__(self, path: Path, *, clock: Clock) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        instant = self._clock.now().astimezone(LOCAL_TZ)
        record = {
            "instant": instant.isoformat(timespec="seconds"),
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "html": message.html,
            "key": message.key,
            "tracking_id": message.tracking_id,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line)
        except OSError as exc:
            return DeliveryResult(
                outcome=Outcome.transient,
                channel="sink",
                reason=Reason.io_error,
                detail=f"Không ghi được tệp sink {self.path}: {exc.strerror}",
            )
        _log.info(
            "Thông báo (%s) gửi %s lúc %s: «%s»",
            message.channel,
            mask_recipient(message.recipient),
            instant.strftime("%H:%M ngày %d/%m/%Y"),
            message.subject,
        )
        return DeliveryResult(
            outcome=Outcome.ok,
            channel="sink",
            reason=Reason.sent,
            detail=f"Đã ghi vào {self.path.name}",
            provider_message_id=f"sink:{message.tracking_id}",
        )

    def close(self) -> None:
        """Nothing to release: the file is opened per message."""
