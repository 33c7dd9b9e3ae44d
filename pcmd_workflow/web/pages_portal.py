"""The agency portal: the unit's tasks, the form of a task, uploads, and the receipt.

Reached through the link of a reminder (``/portal/<token>/tasks/<id>``, CONTRACTS
"Notices"); no account. The form checks values as they are typed (``static/portal.js``)
and the server checks them again with the domain validator; a refused submission shows the
form again with every problem next to its row, and writes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pcmd_workflow.clock import local_date
from pcmd_workflow.domain.statuses import OPEN_STATUSES
from pcmd_workflow.errors import SubmissionRejected
from pcmd_workflow.services.tasks import task_status
from pcmd_workflow.web.access import Access, Agency, GuardedRoute, allow, current_agency
from pcmd_workflow.web.exports import XLSX_TYPE, download
from pcmd_workflow.web.form_view import form_rows, problems_by_row, values_from_form
from pcmd_workflow.web.labels import long_day_vi
from pcmd_workflow.web.portal import (
    load_portal_task,
    receipt_for,
    report_titles,
    submit_file,
    submit_values,
    unit_name,
    unit_tasks,
)
from pcmd_workflow.web.rendering import render
from pcmd_workflow.web.state import web_state
from pcmd_workflow.web.xlsx_template import template_bytes

__all__ = ["router"]

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)


@router.get("/portal/{token}", **allow(Access.agency))
def portal_home(token: str, request: Request, agency: Agency = Depends(current_agency)) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        views = unit_tasks(session, agency, state=state)
        titles = report_titles(session, agency.plan_id)
        name = unit_name(session, agency.plan_id, agency.unit)
        from pcmd_workflow.store.models import PlanRecord

        plan = session.get(PlanRecord, agency.plan_id)
    open_views = [v for v in views if v.status in OPEN_STATUSES and not v.cancelled]
    past = [v for v in views if v not in open_views]
    past.sort(key=lambda v: v.due_date or date.min, reverse=True)
    return render(
        request,
        "portal_home.html",
        {
            "title": f"Báo cáo của {name}",
            "unit_name": name,
            "open_tasks": open_views,
            "past_tasks": past,
            "titles": titles,
            "base": f"/portal/{token}",
            "plan_shown": plan,
            "portal": True,
        },
    )


def _portal_task_page(
    request: Request,
    agency: Agency,
    task_id: int,
    *,
    problems: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        item = load_portal_task(session, agency, task_id, state=state)
        from pcmd_workflow.store.models import PlanRecord

        plan = session.get(PlanRecord, item.task.plan_id)
    by_row, other = problems_by_row(problems or [])
    rows = (
        form_rows(item.form, values if values is not None else item.latest_values)
        if item.form
        else []
    )
    return render(
        request,
        "portal_task.html",
        {
            "title": f"{item.report} — kỳ {item.task.period}",
            "item": item,
            "rows": rows,
            "row_problems": by_row,
            "problems": other,
            "all_problems": problems or [],
            "base": f"/portal/{agency.token}",
            "plan_shown": plan,
            "portal": True,
            "max_upload_mb": state.settings.max_upload_bytes // (1024 * 1024),
            "today": local_date(state.clock.now()),
        },
        status_code=status_code,
    )


@router.get("/portal/{token}/tasks/{task_id}", **allow(Access.agency))
def portal_task(
    token: str, task_id: int, request: Request, agency: Agency = Depends(current_agency)
) -> Response:
    return _portal_task_page(request, agency, task_id)


@router.post("/portal/{token}/tasks/{task_id}/values", **allow(Access.agency))
async def portal_submit_values(
    token: str, task_id: int, request: Request, agency: Agency = Depends(current_agency)
) -> Response:
    state = web_state(request)
    form = await request.form()
    values = values_from_form({k: v for k, v in form.items() if isinstance(v, str)})

    def run() -> str:
        with state.session() as session:
            return submit_values(session, agency, task_id, dict(values), state=state).receipt_no

    try:
        receipt_no = await run_in_threadpool(run)
    except SubmissionRejected as exc:
        return await run_in_threadpool(
            _portal_task_page, request, agency, task_id, problems=exc.problems,
            values=dict(values), status_code=422,
        )  # fmt: skip
    state.board.note_write()
    return RedirectResponse(f"/portal/{token}/receipts/{receipt_no}", status_code=303)


@router.post("/portal/{token}/tasks/{task_id}/upload", **allow(Access.agency))
async def portal_upload(
    token: str, task_id: int, request: Request, agency: Agency = Depends(current_agency)
) -> Response:
    state = web_state(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        problems = ["chưa chọn tệp để tải lên"]
        return await run_in_threadpool(
            _portal_task_page, request, agency, task_id, problems=problems, status_code=422
        )
    data = await upload.read(state.settings.max_upload_bytes + 1)
    name = upload.filename or ""

    def run() -> str:
        with state.session() as session:
            receipt = submit_file(session, agency, task_id, data=data, name=name, state=state)
            return receipt.receipt_no

    try:
        receipt_no = await run_in_threadpool(run)
    except SubmissionRejected as exc:
        return await run_in_threadpool(
            _portal_task_page, request, agency, task_id, problems=exc.problems, status_code=422
        )
    state.board.note_write()
    return RedirectResponse(f"/portal/{token}/receipts/{receipt_no}", status_code=303)


@router.get("/portal/{token}/tasks/{task_id}/template.xlsx", **allow(Access.agency))
def portal_template(
    token: str, task_id: int, request: Request, agency: Agency = Depends(current_agency)
) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        item = load_portal_task(session, agency, task_id, state=state)
    if item.form is None:
        from pcmd_workflow.errors import NotFound

        raise NotFound("báo cáo này không có biểu số liệu: hãy tải lên tệp báo cáo")
    data = template_bytes(
        item.form,
        plan_ref=item.plan_ref,
        unit_name=item.unit_name,
        period=item.task.period,
        task_key=item.task.key,
        due_text=long_day_vi(item.view.due_date),
        values=item.latest_values,
        generated_at=state.clock.now(),
    )
    stem = f"bieu-mau_{item.task.obligation}_{item.task.period}_{item.task.reporter}"
    return download(data, filename=f"{stem}.xlsx", media_type=XLSX_TYPE)


@router.get("/portal/{token}/receipts/{receipt_no}", **allow(Access.agency))
def portal_receipt(
    token: str, receipt_no: str, request: Request, agency: Agency = Depends(current_agency)
) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        submission, task = receipt_for(session, agency, receipt_no)
        assert task.task_id is not None
        view = task_status(session, task.task_id, as_of=state.clock.now())
        titles = report_titles(session, task.plan_id)
        name = unit_name(session, task.plan_id, task.reporter)
        from pcmd_workflow.store.models import PlanRecord

        plan = session.get(PlanRecord, task.plan_id)
    return render(
        request,
        "portal_receipt.html",
        {
            "title": f"Biên nhận {submission.receipt_no}",
            "s": submission,
            "task": task,
            "view": view,
            "report": titles.get(task.obligation, (task.obligation, None))[0],
            "unit_name": name,
            "base": f"/portal/{token}",
            "plan_shown": plan,
            "portal": True,
        },
    )
