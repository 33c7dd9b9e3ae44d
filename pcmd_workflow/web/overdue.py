"""The overdue list: late reports by days late, the escalation rung reached, the next notice.

The rung reached is the last rung of the task's ladder whose day is on or before today
(:meth:`pcmd_workflow.domain.ladder.Ladder.current`, design decision Q1: rungs count from
the due date in force). The next notice is the earliest notice still waiting in the outbox
for the task, else the ladder's next rung with the day it fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.ladder import DEFAULT_LADDER, Ladder, default_ladders
from pcmd_workflow.services.notice_messages import kind_vi
from pcmd_workflow.services.sweep import plan_infos
from pcmd_workflow.services.tasks import TaskView
from pcmd_workflow.store.outbox import ACTIVE_STATUSES, Notice
from pcmd_workflow.web.board import Filters, Snapshot
from pcmd_workflow.web.labels import CHANNEL_VI, instant_vi, long_day_vi

__all__ = ["OverdueRow", "overdue_rows"]

_notices = Notice.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, kw_only=True)
class OverdueRow:
    view: TaskView
    unit_name: str
    report: str
    plan_label: str
    rung: str | None
    rung_text: str
    rung_day: date | None
    next_text: str
    next_at: date | datetime | None


def _ladders_for(session: Session, snapshot: Snapshot, plan_ids: set[str]) -> dict[str, str]:
    infos = plan_infos(session, sorted(plan_ids))
    return {pid: (infos[pid].ladder if pid in infos else DEFAULT_LADDER) for pid in plan_ids}


def _waiting(
    session: Session, task_ids: list[int]
) -> dict[int, tuple[datetime, str, str | None, str]]:
    n = _notices
    out: dict[int, tuple[datetime, str, str | None, str]] = {}
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start : start + 500]
        stmt = select(n.c.task_id, n.c.send_after, n.c.kind, n.c.rung, n.c.channel).where(
            n.c.task_id.in_(chunk), n.c.status.in_(ACTIVE_STATUSES)
        )
        for task_id, send_after, kind, rung, channel in session.execute(stmt):
            found = out.get(task_id)
            if found is None or send_after < found[0]:
                out[task_id] = (send_after, kind, rung, channel)
    return out


def overdue_rows(
    session: Session,
    snapshot: Snapshot,
    filters: Filters,
    *,
    limit: int = 500,
    calendar: WorkingCalendar | None = None,
) -> tuple[list[OverdueRow], int]:
    """The late reports of the selection (most days late first) and how many there are."""
    cal = calendar or default_calendar()
    today = snapshot.today
    late = [
        v
        for v in snapshot.select(filters.with_(status=None))
        if v.due_date is not None
        and (str(v.status) == "overdue" or (str(v.status) == "returned" and v.due_date < today))
    ]
    late.sort(key=lambda v: (-v.days_late, v.due_date or date.max, v.plan, v.reporter, v.period))
    total = len(late)
    shown = late[:limit]
    plan_ladders = _ladders_for(session, snapshot, {v.plan for v in shown})
    waiting = _waiting(session, [v.task_id for v in shown])
    book = default_ladders()
    rows = []
    for v in shown:
        duty = snapshot.duty(v.plan, v.obligation)
        ladder: Ladder = book[
            (duty.ladder if duty and duty.ladder else None) or plan_ladders[v.plan]
        ]
        assert v.due_date is not None
        current = ladder.current(due_date=v.due_date, as_of=today, calendar=cal)
        if current is None:
            rung, rung_text, rung_day = None, "Chưa đến mốc nhắc nào", None
        else:
            rung, rung_day = current[0].name, current[1]
            rung_text = f"{current[0].name} — {kind_vi(current[0].kind.value)}"
        pending = waiting.get(v.task_id)
        next_at: date | datetime | None
        if pending is not None:
            send_after, kind, n_rung, channel = pending
            label = f"{n_rung} — " if n_rung else ""
            next_text = (
                f"{label}{kind_vi(kind)}: chờ gửi qua {CHANNEL_VI.get(channel, channel)} "
                f"từ {instant_vi(send_after)}"
            )
            next_at = send_after
        else:
            upcoming = [
                (r, d) for r, d in ladder.schedule(due_date=v.due_date, calendar=cal) if d > today
            ]
            if upcoming:
                r, d = upcoming[0]
                next_text = f"{r.name} — {kind_vi(r.kind.value)}, {long_day_vi(d)}"
                next_at = d
            else:
                next_text = "Đã qua mọi mốc nhắc của thang"
                next_at = None
        plan = snapshot.plans.get(v.plan)
        rows.append(
            OverdueRow(
                view=v,
                unit_name=snapshot.unit_name(v.plan, v.reporter),
                report=snapshot.report_label(v.plan, v.obligation),
                plan_label=plan.label if plan else v.plan,
                rung=rung,
                rung_text=rung_text,
                rung_day=rung_day,
                next_text=next_text,
                next_at=next_at,
            )
        )
    return rows, total
