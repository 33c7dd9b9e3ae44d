"""The task page and the coordinator's actions on a task; the compilation view; users.

Actions (accept, return with a reason, extend, excuse, remind now) call the services in one
transaction each and come back to the task page (303, so that a reload repeats nothing);
a refused action shows the page again with the reason.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import Session

from pcmd_workflow.errors import Conflict, NotFound, PcmdError
from pcmd_workflow.services.compile import compile_period
from pcmd_workflow.services.submissions import excuse, extend, review, submissions_of
from pcmd_workflow.store.models import PlanRecord, Task
from pcmd_workflow.store.users import list_users
from pcmd_workflow.web.access import Access, Coordinator, GuardedRoute, allow, current_user
from pcmd_workflow.web.compilation_view import (
    compilation_fragment,
    preview_report,
    saved_compilations,
)
from pcmd_workflow.web.exports import XLSX_TYPE, download
from pcmd_workflow.web.labels import long_day_vi
from pcmd_workflow.web.notices import remind_now
from pcmd_workflow.web.rendering import render
from pcmd_workflow.web.state import WebState, web_state
from pcmd_workflow.web.task_detail import load_task_detail, pending_notices, visible_task
from pcmd_workflow.web.xlsx_template import template_bytes

__all__ = ["DONE_VI", "parse_day", "router"]

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)

#: What the task page says after an action (fixed texts: nothing from the URL is shown).
DONE_VI = {
    "accept": "Đã chấp nhận báo cáo.",
    "return": "Đã trả lại báo cáo; đơn vị được nhắc nộp lại theo hạn mới.",
    "extend": "Đã gia hạn; các mốc nhắc tính lại từ hạn mới.",
    "excuse": "Đã miễn báo cáo; đơn vị không còn được nhắc.",
    "remind": "Đã đưa thông báo nhắc vào hàng đợi gửi.",
    "saved": "Đã tổng hợp và lưu các tệp báo cáo.",
}

_Reason = Annotated[str, Form(max_length=2000)]


def parse_day(value: str | None, *, field: str, required: bool) -> date | None:
    """A date from a form field (``YYYY-MM-DD``, or ``DD/MM/YYYY``)."""
    text = (value or "").strip()
    if not text:
        if required:
            raise PcmdError(f"cần nhập {field}")
        return None
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise PcmdError(f"{field}: «{text[:20]}» không phải là ngày (dd/mm/yyyy)") from None


def _task_page(
    request: Request,
    state: WebState,
    user: Coordinator,
    task_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    now = state.clock.now()
    with Session(state.engine) as session:
        task = visible_task(session, task_id, user)
        detail = load_task_detail(session, task, now=now)
    done = request.query_params.get("done")
    return render(
        request,
        "task.html",
        {
            "nav": "tasks",
            "title": f"Nhiệm vụ số {task_id}",
            "d": detail,
            "waiting": pending_notices(detail.notices),
            "plan_shown": detail.plan,
            "done": DONE_VI.get(done or ""),
            "error": error,
            "today": now.date(),
        },
        status_code=status_code,
    )


@router.get("/tasks/{task_id}", **allow(Access.coordinator))
def task_page(
    task_id: int, request: Request, user: Coordinator = Depends(current_user)
) -> Response:
    return _task_page(request, web_state(request), user, task_id)


def _act(request: Request, user: Coordinator, task_id: int, action: str, run: Any) -> Response:
    state = web_state(request)
    try:
        with state.session() as session:
            visible_task(session, task_id, user)
            run(session, state)
    except NotFound:
        raise
    except PcmdError as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return _task_page(request, state, user, task_id, error=str(exc), status_code=status)
    state.board.note_write()
    return RedirectResponse(f"/tasks/{task_id}?done={action}", status_code=303)


@router.post("/tasks/{task_id}/accept", **allow(Access.coordinator))
def accept_action(
    task_id: int,
    request: Request,
    user: Coordinator = Depends(current_user),
    reason: _Reason = "",
) -> Response:
    def run(session: Session, state: WebState) -> None:
        review(
            session, task_id=task_id, accept=True, clock=state.clock,
            reason=reason.strip() or None, by=user.username,
        )  # fmt: skip

    return _act(request, user, task_id, "accept", run)


@router.post("/tasks/{task_id}/return", **allow(Access.coordinator))
def return_action(
    task_id: int,
    request: Request,
    user: Coordinator = Depends(current_user),
    reason: _Reason = "",
    to: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def run(session: Session, state: WebState) -> None:
        if not reason.strip():
            raise Conflict("trả lại báo cáo cần nêu lý do")
        review(
            session, task_id=task_id, accept=False, clock=state.clock, reason=reason.strip(),
            to=parse_day(to, field="hạn nộp lại", required=False), by=user.username,
        )  # fmt: skip

    return _act(request, user, task_id, "return", run)


@router.post("/tasks/{task_id}/extend", **allow(Access.coordinator))
def extend_action(
    task_id: int,
    request: Request,
    user: Coordinator = Depends(current_user),
    reason: _Reason = "",
    to: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def run(session: Session, state: WebState) -> None:
        new_due = parse_day(to, field="hạn mới", required=True)
        assert new_due is not None
        extend(
            session, task_id=task_id, to=new_due, reason=reason.strip(), clock=state.clock,
            by=user.username,
        )  # fmt: skip

    return _act(request, user, task_id, "extend", run)


@router.post("/tasks/{task_id}/excuse", **allow(Access.coordinator))
def excuse_action(
    task_id: int,
    request: Request,
    user: Coordinator = Depends(current_user),
    reason: _Reason = "",
) -> Response:
    def run(session: Session, state: WebState) -> None:
        excuse(session, task_id=task_id, reason=reason.strip(), clock=state.clock, by=user.username)

    return _act(request, user, task_id, "excuse", run)


@router.post("/tasks/{task_id}/remind", **allow(Access.coordinator))
def remind_action(
    task_id: int, request: Request, user: Coordinator = Depends(current_user)
) -> Response:
    def run(session: Session, state: WebState) -> None:
        task = session.get(Task, task_id)
        assert task is not None
        remind_now(session, task=task, clock=state.clock, by=user.username, settings=state.settings)

    return _act(request, user, task_id, "remind", run)


def _inside(base: Path, relative: str) -> Path:
    """``base/relative``, refusing anything that leaves ``base``."""
    root = base.resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise NotFound("không tìm thấy tệp")
    return path


@router.get("/tasks/{task_id}/versions/{version}", **allow(Access.coordinator))
def version_download(
    task_id: int, version: int, request: Request, user: Coordinator = Depends(current_user)
) -> Response:
    """The file of a submitted version, or its figures as the filled XLSX template."""
    state = web_state(request)
    with Session(state.engine) as session:
        task = visible_task(session, task_id, user)
        found = next((s for s in submissions_of(session, task_id) if s.version == version), None)
        if found is None:
            raise NotFound(f"nhiệm vụ số {task_id} không có phiên bản {version}")
        if found.file_path:
            path = _inside(state.settings.data_dir, found.file_path)
            if not path.is_file():
                raise NotFound("tệp của phiên bản này không còn trong thư mục dữ liệu")
            return FileResponse(
                path,
                filename=found.file_name or path.name,
                media_type="application/octet-stream",
            )
        detail = load_task_detail(session, task, now=state.clock.now())
    stem = f"{task.key.replace('/', '_')}_v{version}"
    if detail.form is None:
        body = json.dumps({"values": found.values or {}}, ensure_ascii=False, indent=2)
        return download(
            body.encode("utf-8"), filename=f"{stem}.json", media_type="application/json"
        )
    data = template_bytes(
        detail.form,
        plan_ref=detail.plan_ref,
        unit_name=detail.unit_name,
        period=task.period,
        task_key=task.key,
        due_text=long_day_vi(detail.view.due_date),
        values=found.values or {},
        generated_at=found.received_at,
    )
    return download(data, filename=f"{stem}.xlsx", media_type=XLSX_TYPE)


# ---- compilation --------------------------------------------------------------------------


def _visible_plan(session: Session, plan_id: str, user: Coordinator) -> PlanRecord:
    plan = session.get(PlanRecord, plan_id)
    if plan is None or not user.sees(plan.jurisdiction):
        raise NotFound(f"không có kế hoạch «{plan_id}» trong phạm vi theo dõi của bạn")
    return plan


@router.get("/compilations/{plan_id}/{obligation}/{period}", **allow(Access.coordinator))
def compilation_page(
    plan_id: str,
    obligation: str,
    period: str,
    request: Request,
    user: Coordinator = Depends(current_user),
) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        plan = _visible_plan(session, plan_id, user)
        report = preview_report(
            session, plan_id=plan_id, obligation=obligation, period=period, now=state.clock.now()
        )
        saved = saved_compilations(session, plan_id=plan_id, obligation=obligation, period=period)
    return render(
        request,
        "compilation.html",
        {
            "nav": "dashboard",
            "title": f"Tổng hợp {obligation} kỳ {period}",
            "plan_shown": plan,
            "fragment": compilation_fragment(report),
            "saved": saved,
            "base": f"/compilations/{plan_id}/{obligation}/{period}",
            "done": DONE_VI.get(request.query_params.get("done") or ""),
        },
    )


@router.post("/compilations/{plan_id}/{obligation}/{period}/save", **allow(Access.coordinator))
def compilation_save(
    plan_id: str,
    obligation: str,
    period: str,
    request: Request,
    user: Coordinator = Depends(current_user),
) -> Response:
    state = web_state(request)
    with state.session() as session:
        _visible_plan(session, plan_id, user)
        compile_period(
            session,
            plan_id=plan_id,
            obligation=obligation,
            period=period,
            as_of=None,
            out_dir=state.settings.data_dir / "compilations",
            clock=state.clock,
        )
    return RedirectResponse(
        f"/compilations/{plan_id}/{obligation}/{period}?done=saved", status_code=303
    )


_FILE_TYPES = {
    "xlsx": XLSX_TYPE,
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}


@router.get(
    "/compilations/{plan_id}/{obligation}/{period}/files/{compilation_id}/{kind}",
    **allow(Access.coordinator),
)
def compilation_file(
    plan_id: str,
    obligation: str,
    period: str,
    compilation_id: int,
    kind: str,
    request: Request,
    user: Coordinator = Depends(current_user),
) -> Response:
    state = web_state(request)
    if kind not in _FILE_TYPES:
        raise NotFound("không có loại tệp này")
    with Session(state.engine) as session:
        _visible_plan(session, plan_id, user)
        found = next(
            (
                c
                for c in saved_compilations(
                    session, plan_id=plan_id, obligation=obligation, period=period, limit=1000
                )
                if c.id == compilation_id
            ),
            None,
        )
    if found is None or kind not in (found.files or {}):
        raise NotFound("không tìm thấy tệp tổng hợp")
    base = (state.settings.data_dir / "compilations").resolve()
    path = Path(str(found.files[kind])).resolve()
    if base not in path.parents or not path.is_file():
        raise NotFound("tệp tổng hợp không còn trong thư mục dữ liệu")
    return FileResponse(path, filename=path.name, media_type=_FILE_TYPES[kind])


# ---- administration -----------------------------------------------------------------------


@router.get("/admin/users", **allow(Access.admin))
def users_page(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    state = web_state(request)
    with Session(state.engine) as session:
        users = list_users(session)
    return render(
        request,
        "users.html",
        {"nav": "users", "title": "Tài khoản cán bộ theo dõi", "users": users},
    )
