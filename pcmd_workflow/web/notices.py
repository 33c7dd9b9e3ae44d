"""Notices the web application writes into the outbox: "remind now" and submission receipts.

Like every service, the web never sends: it writes notices in the transaction of the action
they follow from and the dispatcher delivers them (ARCHITECTURE "Notifications").

- *Remind now* (a coordinator's button): one notice per address of the unit, of the kind its
  ladder would use on the day (``reminder`` before the due date, ``due_today`` on it,
  ``overdue`` after), keyed per minute so that a double click plans it once. The sweep and
  the dispatcher cancel it like any rung notice if the report arrives first.
- *Receipt* (after a portal submission): kind ``receipt``, addressed to the unit, carrying
  the receipt number. It belongs to no task (``task_id`` is empty, the task is in the
  payload) because closing the task must not cancel it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from pcmd_workflow.clock import LOCAL_TZ, Clock, local_date
from pcmd_workflow.domain.ladder import Audience, NoticeKind
from pcmd_workflow.domain.statuses import OPEN_STATUSES
from pcmd_workflow.errors import Conflict
from pcmd_workflow.services.addressing import ChannelAvailability, Directory
from pcmd_workflow.services.submissions import Receipt
from pcmd_workflow.services.sweep import address_notices, insert_notices, plan_infos
from pcmd_workflow.services.tasks import task_status
from pcmd_workflow.settings import Settings
from pcmd_workflow.store.models import AuditEntry, Task, obligations_table
from pcmd_workflow.web.labels import STATUS_VI, instant_vi, long_day_vi

__all__ = ["RECEIPT_KIND", "ReminderResult", "queue_receipt", "remind_now"]

#: The outbox kind of a submission receipt.
RECEIPT_KIND = NoticeKind.receipt.value


@dataclass(frozen=True, kw_only=True)
class ReminderResult:
    planned: int
    inserted: int
    recipients: list[str]


def _report_title(session: Session, task: Task) -> str:
    o = obligations_table
    title = session.execute(
        select(o.c.title).where(o.c.plan_id == task.plan_id, o.c.obligation == task.obligation)
    ).scalar_one_or_none()
    return title or f"Báo cáo {task.obligation}"


def _directory(session: Session, task: Task, settings: Settings) -> Directory:
    return Directory.load(
        session,
        plan_ids=[task.plan_id],
        channels=ChannelAvailability.from_settings(settings),
        coordinator_email=settings.coordinator_email,
    )


def remind_now(
    session: Session, *, task: Task, clock: Clock, by: str, settings: Settings
) -> ReminderResult:
    """Queue a reminder to the unit of ``task`` now (see module doc)."""
    assert task.task_id is not None
    now = clock.now()
    today = local_date(now)
    view = task_status(session, task.task_id, as_of=now)
    if view.cancelled or view.status not in OPEN_STATUSES or view.due_date is None:
        raise Conflict(
            f"nhiệm vụ số {task.task_id} ở trạng thái «{STATUS_VI[str(view.status)]}»: "
            "không cần nhắc"
        )
    due = view.due_date
    kind = (
        NoticeKind.overdue
        if due < today
        else NoticeKind.due_today
        if due == today
        else NoticeKind.reminder
    )
    plan = plan_infos(session, [task.plan_id]).get(task.plan_id)
    plan_ref = plan.ref if plan else task.plan_id
    directory = _directory(session, task, settings)
    unit_name = directory.name_of(task.plan_id, task.reporter)
    report = _report_title(session, task)
    reason_vi = (
        f"Nhắc ngay theo yêu cầu của cán bộ theo dõi «{by}»: {report}, kỳ {task.period}, "
        f"của {unit_name}, hạn nộp {long_day_vi(due)}"
    )
    stamp = now.astimezone(LOCAL_TZ).strftime("%Y%m%dT%H%M")
    item = {
        "task_key": task.key,
        "report": report,
        "period": task.period,
        "unit": task.reporter,
        "unit_name": unit_name,
        "plan_ref": plan_ref,
        "due_date": due.isoformat(),
        "requested": False,
        "manual": True,
        "requested_by": by,
    }
    planned = address_notices(
        kind=kind,
        key_prefix=f"manual|t{task.task_id}|{stamp}",
        plan_id=task.plan_id,
        province=task.province,
        audience=Audience.unit,
        addresses=directory.addresses(
            task.plan_id, audience=Audience.unit, unit=task.reporter, on=today
        ),
        payload=item,
        reason=f"manual reminder by {by}: {task.key} due {due.isoformat()}",
        reason_vi=reason_vi,
        send_after=now,
        task_id=task.task_id,
        reporter=task.reporter,
        due_date=due,
    )
    inserted = insert_notices(session, planned, now=now)
    _audit(
        session,
        at=now,
        actor=by,
        task=task,
        action="remind",
        after={
            "kind": kind.value,
            "notices": inserted,
            "channels": sorted({p.channel for p in planned}),
        },
    )
    return ReminderResult(
        planned=len(planned), inserted=inserted, recipients=[p.recipient for p in planned]
    )


def queue_receipt(
    session: Session, *, task: Task, receipt: Receipt, clock: Clock, settings: Settings
) -> int:
    """Queue the receipt of a submission to the unit's addresses; the number of notices."""
    now = clock.now()
    today = local_date(now)
    plan = plan_infos(session, [task.plan_id]).get(task.plan_id)
    directory = _directory(session, task, settings)
    unit_name = directory.name_of(task.plan_id, task.reporter)
    report = _report_title(session, task)
    payload: dict[str, Any] = {
        "task_id": task.task_id,
        "task_key": task.key,
        "report": report,
        "period": task.period,
        "unit": task.reporter,
        "unit_name": unit_name,
        "plan_ref": plan.ref if plan else task.plan_id,
        "receipt_no": receipt.receipt_no,
        "version": receipt.version,
        "received_at": receipt.received_at.astimezone(LOCAL_TZ).isoformat(),
        "received_vi": instant_vi(receipt.received_at),
        "status": str(receipt.status),
        "status_vi": STATUS_VI[str(receipt.status)],
        "checksum": receipt.checksum,
        "file_name": receipt.file_name,
    }
    reason_vi = (
        f"Xác nhận đã nhận báo cáo: {report}, kỳ {task.period}, của {unit_name}; "
        f"số biên nhận {receipt.receipt_no}, nhận lúc {instant_vi(receipt.received_at)}"
    )
    planned = address_notices(
        kind=NoticeKind.receipt,
        key_prefix=f"receipt|{receipt.receipt_no}",
        plan_id=task.plan_id,
        province=task.province,
        audience=Audience.unit,
        addresses=directory.addresses(
            task.plan_id, audience=Audience.unit, unit=task.reporter, on=today
        ),
        payload=payload,
        reason=f"receipt {receipt.receipt_no} for {task.key}",
        reason_vi=reason_vi,
        send_after=now,
        reporter=task.reporter,
    )
    return insert_notices(session, planned, now=now)


def _audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    task: Task,
    action: str,
    after: dict[str, Any],
) -> None:
    session.execute(
        insert(AuditEntry),
        [
            {
                "at": at,
                "actor": actor,
                "entity": "task",
                "entity_id": task.key,
                "action": action,
                "plan_id": task.plan_id,
                "task_id": task.task_id,
                "before": None,
                "after": after,
            }
        ],
    )
