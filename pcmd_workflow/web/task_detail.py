"""Everything the task page shows: the deadline and where it comes from, each submitted
version, extensions, returns, the excusal, the notices sent (and why) and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from pcmd_workflow.clock import local_date
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.ladder import Ladder, default_ladders
from pcmd_workflow.domain.plan import IndicatorForm
from pcmd_workflow.errors import NotFound
from pcmd_workflow.services.submissions import AuditView, audit_for, form_of_task, submissions_of
from pcmd_workflow.services.sweep import plan_infos
from pcmd_workflow.services.tasks import TaskView, task_status
from pcmd_workflow.store.models import (
    Excusal,
    Extension,
    ObligationRecord,
    PlanRecord,
    ReturnRecord,
    Submission,
    Task,
    UnitRecord,
)
from pcmd_workflow.store.outbox import ACTIVE_STATUSES, Notice
from pcmd_workflow.web.access import Coordinator
from pcmd_workflow.web.notices import RECEIPT_KIND

__all__ = [
    "DEFAULT_SOURCE_VI",
    "DueProvenance",
    "LadderStep",
    "TaskDetail",
    "due_provenance",
    "ladder_of",
    "load_task_detail",
    "visible_task",
]

#: How a deadline taken from the national defaults is labelled (source: default).
DEFAULT_SOURCE_VI = "mặc định quốc gia"


@dataclass(frozen=True, kw_only=True)
class DueProvenance:
    """Where the due date comes from: the plan's clause, or the national default."""

    source: str  # "plan" | "default"
    label: str  # «Kế hoạch số 255/KH-UBND, mục V.2» or «mặc định quốc gia»
    clause: str | None
    rule: str | None
    moved_because: str | None
    nominal_due: date | None
    original_due: date | None


@dataclass(frozen=True, kw_only=True)
class LadderStep:
    rung: str
    kind: str
    day: date
    passed: bool


@dataclass(frozen=True, kw_only=True)
class TaskDetail:
    task: Task
    view: TaskView
    plan: PlanRecord
    plan_ref: str
    unit_name: str
    unit_level: str | None
    report: str
    location: str | None
    form: IndicatorForm | None
    provenance: DueProvenance
    submissions: list[Submission]
    extensions: list[Extension]
    returns: list[ReturnRecord]
    excusal: Excusal | None
    notices: list[Notice]
    audit: list[AuditView]
    ladder: Ladder
    steps: list[LadderStep]

    @property
    def pending_version(self) -> Submission | None:
        """The latest version when it waits for review."""
        if self.submissions and self.submissions[-1].review_state == "pending":
            return self.submissions[-1]
        return None


def visible_task(session: Session, task_id: int, user: Coordinator) -> Task:
    """The task, when the coordinator's scope covers it; NotFound otherwise (no leak)."""
    task = session.get(Task, task_id)
    if task is None or not user.sees(task.province):
        raise NotFound(f"không có nhiệm vụ số {task_id} trong phạm vi theo dõi của bạn")
    return task


def due_provenance(task: Task, *, plan_ref: str, location: str | None) -> DueProvenance:
    if task.source == "default":
        label = DEFAULT_SOURCE_VI
    else:
        label = f"{plan_ref}, mục {location}" if location else plan_ref
    return DueProvenance(
        source=task.source,
        label=label,
        clause=task.clause,
        rule=task.rule,
        moved_because=task.moved_because,
        nominal_due=task.nominal_due,
        original_due=task.original_due,
    )


def ladder_of(session: Session, task: Task) -> Ladder:
    """The task's reminder ladder: the obligation's, else the plan's default."""
    own = session.execute(
        select(ObligationRecord.ladder).where(  # type: ignore[call-overload]
            ObligationRecord.plan_id == task.plan_id,
            ObligationRecord.obligation == task.obligation,
        )
    ).scalar_one_or_none()
    info = plan_infos(session, [task.plan_id]).get(task.plan_id)
    return default_ladders()[own or (info.ladder if info else "national-default")]


def _steps(ladder: Ladder, due: date | None, today: date, cal: WorkingCalendar) -> list[LadderStep]:
    if due is None:
        return []
    return [
        LadderStep(rung=r.name, kind=r.kind.value, day=day, passed=day <= today)
        for r, day in ladder.schedule(due_date=due, calendar=cal)
    ]


def task_notices(session: Session, task: Task) -> list[Notice]:
    """The task's notices, and the receipts of its submissions."""
    stmt = (
        select(Notice)
        .where(
            or_(
                Notice.task_id == task.task_id,  # type: ignore[arg-type]
                and_(
                    Notice.kind == RECEIPT_KIND,  # type: ignore[arg-type]
                    Notice.plan_id == task.plan_id,  # type: ignore[arg-type]
                    Notice.unit == task.reporter,  # type: ignore[arg-type]
                ),
            )
        )
        .order_by(Notice.created_at, Notice.id)  # type: ignore[arg-type]
    )
    out = []
    for notice in session.execute(stmt).scalars():
        if notice.kind == RECEIPT_KIND and (notice.payload or {}).get("task_id") != task.task_id:
            continue
        out.append(notice)
    return out


def pending_notices(notices: list[Notice]) -> list[Notice]:
    return [n for n in notices if n.status in ACTIVE_STATUSES]


def load_task_detail(
    session: Session, task: Task, *, now: datetime, calendar: WorkingCalendar | None = None
) -> TaskDetail:
    assert task.task_id is not None
    cal = calendar or default_calendar()
    view = task_status(session, task.task_id, as_of=now)
    plan = session.get(PlanRecord, task.plan_id)
    if plan is None:
        raise NotFound(f"kế hoạch «{task.plan_id}» không còn trong cơ sở dữ liệu")
    info = plan_infos(session, [task.plan_id]).get(task.plan_id)
    plan_ref = info.ref if info else plan.number
    duty = session.execute(
        select(ObligationRecord).where(
            ObligationRecord.plan_id == task.plan_id,  # type: ignore[arg-type]
            ObligationRecord.obligation == task.obligation,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    unit = session.execute(
        select(UnitRecord).where(
            UnitRecord.plan_id == task.plan_id,  # type: ignore[arg-type]
            UnitRecord.slug == task.reporter,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    location = duty.location if duty else None
    ladder = ladder_of(session, task)
    return TaskDetail(
        task=task,
        view=view,
        plan=plan,
        plan_ref=plan_ref,
        unit_name=unit.name if unit else task.reporter,
        unit_level=unit.level if unit else None,
        report=(duty.title if duty and duty.title else task.obligation),
        location=location,
        form=form_of_task(session, task),
        provenance=due_provenance(
            task, plan_ref=f"{plan.doc_type} số {plan.number}", location=location
        ),
        submissions=submissions_of(session, task.task_id),
        extensions=list(
            session.execute(
                select(Extension)
                .where(col(Extension.task_id) == task.task_id)
                .order_by(col(Extension.granted_at))
            ).scalars()
        ),
        returns=list(
            session.execute(
                select(ReturnRecord)
                .where(ReturnRecord.task_id == task.task_id)  # type: ignore[arg-type]
                .order_by(ReturnRecord.returned_at)  # type: ignore[arg-type]
            ).scalars()
        ),
        excusal=session.execute(
            select(Excusal).where(Excusal.task_id == task.task_id)  # type: ignore[arg-type]
        ).scalar_one_or_none(),
        notices=task_notices(session, task),
        audit=audit_for(session, task_id=task.task_id),
        ladder=ladder,
        steps=_steps(ladder, view.due_date, local_date(now), cal),
    )
