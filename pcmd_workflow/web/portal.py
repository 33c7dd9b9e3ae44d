"""What the agency portal does, shared by its pages and its JSON API.

A portal token names one plan and one unit (:mod:`pcmd_workflow.services.tokens`); every
task is looked up through :func:`agency_task`, which answers "not found" for a task of
another unit or plan, so a token never reveals what it does not cover. Submissions go
through :func:`pcmd_workflow.services.submissions.submit` (the domain validator decides),
and each accepted one queues its receipt in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from pcmd_workflow.domain.plan import IndicatorForm
from pcmd_workflow.domain.statuses import OPEN_STATUSES
from pcmd_workflow.errors import NotFound, SubmissionRejected
from pcmd_workflow.services.submissions import (
    ALLOWED_FILE_TYPES,
    Receipt,
    form_of_task,
    submissions_of,
    submit,
)
from pcmd_workflow.services.sweep import plan_infos
from pcmd_workflow.services.tasks import TaskView, list_tasks, task_status
from pcmd_workflow.store.models import ObligationRecord, ReturnRecord, Submission, Task, UnitRecord
from pcmd_workflow.web.access import Agency
from pcmd_workflow.web.notices import queue_receipt
from pcmd_workflow.web.state import WebState
from pcmd_workflow.web.task_detail import DueProvenance, due_provenance
from pcmd_workflow.web.xlsx_template import name_problems, read_filled_template, zip_problems

__all__ = [
    "PortalTask",
    "agency_task",
    "load_portal_task",
    "receipt_for",
    "submit_file",
    "submit_values",
    "unit_tasks",
]


@dataclass(frozen=True, kw_only=True)
class PortalTask:
    task: Task
    view: TaskView
    report: str
    unit_name: str
    plan_ref: str
    provenance: DueProvenance
    form: IndicatorForm | None
    versions: list[Submission]
    returns: list[ReturnRecord]
    clause: str | None

    @property
    def open(self) -> bool:
        return not self.view.cancelled and str(self.view.status) != "excused"

    @property
    def latest_values(self) -> dict[str, Any]:
        return dict(self.versions[-1].values or {}) if self.versions else {}

    @property
    def waiting(self) -> bool:
        return self.view.status in OPEN_STATUSES


def agency_task(session: Session, agency: Agency, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.plan_id != agency.plan_id or task.reporter != agency.unit:
        raise NotFound("không tìm thấy nhiệm vụ này trong danh sách báo cáo của đơn vị")
    return task


def unit_name(session: Session, plan_id: str, slug: str) -> str:
    found = session.execute(
        select(UnitRecord.name).where(  # type: ignore[call-overload]
            UnitRecord.plan_id == plan_id, UnitRecord.slug == slug
        )
    ).scalar_one_or_none()
    return str(found) if found else slug


def report_titles(session: Session, plan_id: str) -> dict[str, tuple[str, str]]:
    """``obligation → (title, location)`` of a plan."""
    rows = session.execute(
        select(
            ObligationRecord.obligation, ObligationRecord.title, ObligationRecord.location
        ).where(  # type: ignore[call-overload]
            ObligationRecord.plan_id == plan_id
        )
    )
    return {ob: (title or ob, location) for ob, title, location in rows}


def unit_tasks(session: Session, agency: Agency, *, state: WebState) -> list[TaskView]:
    return list_tasks(session, as_of=state.clock.now(), plan_id=agency.plan_id, unit=agency.unit)


def load_portal_task(
    session: Session, agency: Agency, task_id: int, *, state: WebState
) -> PortalTask:
    task = agency_task(session, agency, task_id)
    view = task_status(session, task_id, as_of=state.clock.now())
    titles = report_titles(session, task.plan_id)
    title, location = titles.get(task.obligation, (task.obligation, None))
    info = plan_infos(session, [task.plan_id]).get(task.plan_id)
    plan_ref = info.ref if info else task.plan_id
    from pcmd_workflow.store.models import PlanRecord

    plan = session.get(PlanRecord, task.plan_id)
    short_ref = f"{plan.doc_type} số {plan.number}" if plan else task.plan_id
    return PortalTask(
        task=task,
        view=view,
        report=title,
        unit_name=unit_name(session, task.plan_id, task.reporter),
        plan_ref=plan_ref,
        provenance=due_provenance(task, plan_ref=short_ref, location=location),
        form=form_of_task(session, task),
        versions=submissions_of(session, task_id),
        returns=list(
            session.execute(
                select(ReturnRecord)
                .where(ReturnRecord.task_id == task_id)  # type: ignore[arg-type]
                .order_by(ReturnRecord.returned_at)  # type: ignore[arg-type]
            ).scalars()
        ),
        clause=task.clause,
    )


def _by(session: Session, task: Task) -> str:
    return f"{unit_name(session, task.plan_id, task.reporter)} (cổng nộp báo cáo)"


def submit_values(
    session: Session, agency: Agency, task_id: int, values: dict[str, Any], *, state: WebState
) -> Receipt:
    """Record the figures typed in the portal (SubmissionRejected lists every problem)."""
    task = agency_task(session, agency, task_id)
    if not values:
        raise SubmissionRejected(["chưa nhập số liệu nào"])
    receipt = submit(
        session,
        task_id=task_id,
        clock=state.clock,
        values=values,
        by=_by(session, task),
        channel="portal",
        unit=agency.unit,
    )
    queue_receipt(session, task=task, receipt=receipt, clock=state.clock, settings=state.settings)
    return receipt


def submit_file(
    session: Session, agency: Agency, task_id: int, *, data: bytes, name: str, state: WebState
) -> Receipt:
    """Record an uploaded file: the filled XLSX template of a form, else a report file."""
    task = agency_task(session, agency, task_id)
    form = form_of_task(session, task)
    limit = state.settings.max_upload_bytes
    if not data:
        raise SubmissionRejected([f"{name or 'tệp'}: tệp rỗng hoặc chưa chọn tệp"])
    values: dict[str, Any] | None = None
    if form is not None:
        values = read_filled_template(data, form=form, name=name, max_bytes=limit)
        if not values:
            raise SubmissionRejected([f"{name}: tệp mẫu chưa có số liệu nào ở cột «Số liệu»"])
    else:
        problems = name_problems(name, allowed=tuple(sorted(ALLOWED_FILE_TYPES)))
        if len(data) > limit:
            problems.append(f"{name}: tệp {len(data)} byte vượt giới hạn {limit} byte")
        if not problems and name.lower().endswith((".xlsx", ".docx")):
            problems = zip_problems(data, name=name)
        if problems:
            raise SubmissionRejected(problems)
    receipt = submit(
        session,
        task_id=task_id,
        clock=state.clock,
        values=values,
        file=data,
        file_name=name,
        by=_by(session, task),
        channel="portal",
        unit=agency.unit,
    )
    queue_receipt(session, task=task, receipt=receipt, clock=state.clock, settings=state.settings)
    return receipt


def receipt_for(session: Session, agency: Agency, receipt_no: str) -> tuple[Submission, Task]:
    found = session.execute(
        select(Submission).where(Submission.receipt_no == receipt_no)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("không tìm thấy biên nhận này")
    task = agency_task(session, agency, found.task_id)
    return found, task
