"""The notification outbox: notices and every attempt to deliver them.

Services never send: they write :class:`Notice` rows in the transaction of the state change
they follow from (the sweep writes them while it evaluates the tasks), and the dispatcher
delivers them later, recording each try as a :class:`DeliveryAttempt`.

``idempotency_key`` is unique: one notice per task, deadline cycle, rung, channel and
recipient (CONTRACTS "Notices"), so a sweep run twice plans nothing twice. The due date is
part of the key because an extension or a return starts a new cycle of rungs from the new
date; reports that no task owns (the coordinator's digest, dead-letter reports) have keys
of their own.

A notice is *in flight* while ``lease_until`` lies in the future: the dispatcher claims
notices by setting ``claimed_by`` and ``lease_until`` in a committed transaction before it
sends, then records the result. A lease that expires (or whose owner process is gone)
makes the notice claimable again, so a crash at any point loses nothing.

Recipients are stored in clear (the CLI shows them, CONTRACTS); channel credentials and
tokens never reach these tables.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from pcmd_workflow.store import models as _models  # noqa: F401  (shared metadata first)
from pcmd_workflow.store.types import JSONType, UTCDateTime

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "DeliveryAttempt",
    "Notice",
    "NoticeStatus",
]


class NoticeStatus(StrEnum):
    """CONTRACTS "Notices": the status of one notice."""

    pending = "pending"  # waiting for its send_after (or for a free dispatcher)
    sent = "sent"  # accepted by the channel
    failed = "failed"  # a transient failure: will retry at send_after
    dead = "dead"  # given up (retry limit, permanent refusal); reported to the coordinator
    cancelled = "cancelled"  # no longer needed (submitted, excused, extended, superseded)
    replaced = "replaced"  # fallen back to another channel (see replaced_by)


#: Statuses the dispatcher may still send.
ACTIVE_STATUSES: tuple[str, ...] = (NoticeStatus.pending.value, NoticeStatus.failed.value)
#: Statuses nothing changes any more.
FINAL_STATUSES: tuple[str, ...] = (
    NoticeStatus.sent.value,
    NoticeStatus.dead.value,
    NoticeStatus.cancelled.value,
    NoticeStatus.replaced.value,
)


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class Notice(SQLModel, table=True):
    """One planned notification to one recipient on one channel, and why it exists."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_status_send_after", "status", "send_after"),
        Index("ix_notices_task_id_status", "task_id", "status"),
        Index("ix_notices_channel_recipient", "channel", "recipient"),
        # the sweep reads the keys of the deadline cycles it plans
        Index("ix_notices_plan_id_due_date", "plan_id", "due_date"),
        # deleting a notice checks who refers to it; partial: most notices replace nothing
        Index(
            "ix_notices_replaces_id",
            "replaces_id",
            sqlite_where=text("replaces_id IS NOT NULL"),
            postgresql_where=text("replaces_id IS NOT NULL"),
        ),
        Index(
            "ix_notices_replaced_by_id",
            "replaced_by_id",
            sqlite_where=text("replaced_by_id IS NOT NULL"),
            postgresql_where=text("replaced_by_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=600)
    kind: str = Field(max_length=40)  # domain.ladder.NoticeKind
    #: the task the notice is about (None for reports: digests, dead letters, contacts)
    task_id: int | None = Field(default=None, foreign_key="tasks.task_id")
    plan_id: str | None = Field(default=None, max_length=120)
    province: str | None = Field(default=None, max_length=120)
    #: the reporting unit the notice is about
    unit: str | None = Field(default=None, max_length=120)
    #: who receives it: unit | head | coordinator | pc_office
    audience: str = Field(max_length=20)
    #: the unit whose contact ``recipient`` is (the unit, the standing body, the PC office)
    addressee: str | None = Field(default=None, max_length=120)
    rung: str | None = Field(default=None, max_length=10)
    ladder: str | None = Field(default=None, max_length=120)
    due_date: date | None = None
    rung_day: date | None = None
    channel: str = Field(max_length=10)
    recipient: str = Field(max_length=320)
    reason: str  # English, for operators and logs
    reason_vi: str  # Vietnamese, shown in the message
    #: what the message shows (report, period, unit name, plan reference, lists)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: str = Field(default=NoticeStatus.pending.value, max_length=12)
    send_after: datetime = _instant()
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _instant(nullable=True)
    created_at: datetime = _instant()
    updated_at: datetime = _instant()
    sent_at: datetime | None = _instant(nullable=True)
    last_error: str | None = None
    status_reason: str | None = None  # why cancelled / dead / replaced
    #: the notice this one replaces (fallback) and the one that replaced this one
    replaces_id: int | None = Field(default=None, foreign_key="notices.id")
    replaced_by_id: int | None = Field(default=None, foreign_key="notices.id")


class DeliveryAttempt(SQLModel, table=True):
    """One try to deliver a notice (a digest message carries several notices: one row each)."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notices.id", index=True)
    #: the digest message this attempt belonged to (same for every notice it carried)
    message_id: str = Field(max_length=64, index=True)
    attempt_no: int
    started_at: datetime = _instant()
    finished_at: datetime = _instant()
    channel: str = Field(max_length=10)
    outcome: str = Field(max_length=20)  # channels.base.Outcome
    reason: str = Field(max_length=40)  # channels.base.Reason
    detail: str  # Vietnamese, masked by the channel
    provider_code: str | None = Field(default=None, max_length=40)
    provider_message_id: str | None = Field(default=None, max_length=200)
    uncertain: bool = False
    #: what the outbox did: sent | retry | dead | replaced | rescheduled
    action: str = Field(max_length=20)
