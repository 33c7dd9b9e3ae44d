"""The JSON API behind the pages, under ``/api`` (documented at ``/api/openapi.json``).

Same rules as the pages: coordinators log in (session cookie), agencies use their token in
the path, every POST carries the CSRF token in the ``X-CSRF-Token`` header (``GET
/api/csrf`` gives it). Dates are ISO, instants ISO 8601 in +07:00 (CONTRACTS). Errors are
``{"detail": "<Vietnamese message>"}`` with the matching status code.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.form_values import check_values
from pcmd_workflow.errors import Conflict
from pcmd_workflow.services.submissions import excuse, extend, review
from pcmd_workflow.services.tasks import TaskView
from pcmd_workflow.store.models import Task
from pcmd_workflow.store.users import list_users
from pcmd_workflow.web.access import (
    Access,
    Agency,
    Coordinator,
    GuardedRoute,
    allow,
    current_agency,
    current_user,
)
from pcmd_workflow.web.board import (
    Counts,
    Filters,
    Snapshot,
    build_matrix,
    counts_of,
    overview_by_period,
    overview_by_plan,
)
from pcmd_workflow.web.form_view import form_rows
from pcmd_workflow.web.notices import remind_now
from pcmd_workflow.web.overdue import overdue_rows
from pcmd_workflow.web.portal import load_portal_task, submit_values, unit_tasks
from pcmd_workflow.web.security import csrf_token_for
from pcmd_workflow.web.state import web_state
from pcmd_workflow.web.task_detail import load_task_detail, visible_task

__all__ = ["router"]

router = APIRouter(prefix="/api", route_class=GuardedRoute, tags=["pcmd"])

Json = dict[str, Any]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=2000)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    to: date | None = None


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: date
    reason: str = Field(min_length=1, max_length=2000)


class ValuesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, int | float | bool | str | None] = Field(max_length=2000)


def _iso(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "astimezone") and hasattr(value, "hour"):
        return value.astimezone(LOCAL_TZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _counts(c: Counts) -> Json:
    return {**c.by_status, "total": c.total, "rate": None if c.rate is None else round(c.rate, 4)}


def _task_json(snapshot: Snapshot | None, v: TaskView) -> Json:
    row = v.as_row()
    if snapshot is not None:
        row["unit_name"] = snapshot.unit_name(v.plan, v.reporter)
        row["report"] = snapshot.report_label(v.plan, v.obligation)
    return row


def _filters(request: Request, snapshot: Snapshot) -> Filters:
    filters = Filters.parse(request.query_params)
    if filters.plan is not None and filters.plan not in snapshot.plans:
        from pcmd_workflow.errors import NotFound

        raise NotFound(f"không có kế hoạch «{filters.plan}» trong phạm vi theo dõi của bạn")
    return filters


# ---- anonymous --------------------------------------------------------------------------


@router.get("/health", **allow(Access.anonymous))
def health(request: Request) -> Json:
    """Liveness: the application answers and reads its database."""
    state = web_state(request)
    with Session(state.engine) as session:
        session.execute(Task.__table__.select().limit(1))  # type: ignore[attr-defined]
    return {"status": "ok", "product": "pcmd", "now": _iso(state.clock.now())}


@router.get("/csrf", **allow(Access.anonymous))
async def csrf(request: Request) -> Json:
    """The CSRF token to send as ``X-CSRF-Token`` with every POST of this client."""
    state = web_state(request)
    nonce = str(getattr(request.state, "csrf_nonce", ""))
    return {"csrf_token": csrf_token_for(nonce, secret=state.secret), "header": "X-CSRF-Token"}


# ---- coordinator ------------------------------------------------------------------------


@router.get("/me", **allow(Access.coordinator))
def me(user: Coordinator = Depends(current_user)) -> Json:
    return {"username": user.username, "province": user.province, "admin": user.is_admin}


@router.get("/plans", **allow(Access.coordinator))
def plans(request: Request, user: Coordinator = Depends(current_user)) -> list[Json]:
    snapshot = web_state(request).board.snapshot(user.scope)
    return [
        {
            "plan": p.id,
            "number": p.number,
            "type": p.doc_type,
            "title": p.title,
            "issuer": p.issuer,
            "issued": p.issued.isoformat(),
            "jurisdiction": p.jurisdiction,
        }
        for p in snapshot.plan_list()
    ]


@router.get("/overview", **allow(Access.coordinator))
def overview(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    """Counts by status and timeliness rate, in total, per plan and per plan and period:
    ``{"as_of", "totals", "by_plan": [...], "by_period": [...]}`` (kept per snapshot)."""
    snapshot = web_state(request).board.snapshot(user.scope)
    filters = _filters(request, snapshot)

    def build() -> bytes:
        body = {
            "as_of": _iso(snapshot.as_of),
            "totals": _counts(counts_of(snapshot.select(filters))),
            "by_plan": [
                {"plan": p.id, **_counts(c)} for p, c in overview_by_plan(snapshot, filters)
            ],
            "by_period": [
                {
                    "plan": r.plan.id,
                    "period": r.period,
                    "cadences": list(r.cadences),
                    "due_date": _iso(r.due_date),
                    **_counts(r.counts),
                }
                for r in overview_by_period(snapshot, filters)
            ],
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    body: bytes = snapshot.memo(("api-overview", filters), build)
    return Response(body, media_type="application/json")


@router.get("/tasks", **allow(Access.coordinator))
def tasks(
    request: Request,
    user: Coordinator = Depends(current_user),
    limit: int = Query(default=500, ge=1, le=10_000),
    offset: int = Query(default=0, ge=0),
) -> Json:
    """Tasks matching the filters (``plan``, ``cadence``, ``level``, ``status``, ``period``,
    ``year``, ``unit``, ``q``), by due date."""
    snapshot = web_state(request).board.snapshot(user.scope)
    views = snapshot.select(_filters(request, snapshot))
    return {
        "total": len(views),
        "tasks": [_task_json(snapshot, v) for v in views[offset : offset + limit]],
    }


@router.get("/matrix", **allow(Access.coordinator))
def matrix(request: Request, user: Coordinator = Depends(current_user)) -> Json:
    snapshot = web_state(request).board.snapshot(user.scope)
    filters = _filters(request, snapshot)
    if filters.plan is None and snapshot.plans:
        filters = filters.with_(plan=snapshot.plan_list()[0].id)
    built = build_matrix(snapshot, filters)
    return {
        "plan": filters.plan,
        "periods": built.periods,
        "rows": [
            {
                "unit": r.unit.slug,
                "name": r.unit.name,
                "level": r.unit.level,
                "cells": [
                    None
                    if c is None
                    else {"status": c.status, "count": c.count, "task_id": c.task_id}
                    for c in r.cells
                ],
            }
            for r in built.rows
        ],
    }


@router.get("/overdue", **allow(Access.coordinator))
def overdue(request: Request, user: Coordinator = Depends(current_user)) -> Json:
    state = web_state(request)
    snapshot = state.board.snapshot(user.scope)
    with Session(state.engine) as session:
        rows, total = overdue_rows(session, snapshot, _filters(request, snapshot))
    return {
        "total": total,
        "overdue": [
            {
                **_task_json(snapshot, r.view),
                "rung": r.rung,
                "rung_day": _iso(r.rung_day),
                "rung_text": r.rung_text,
                "next": r.next_text,
                "next_at": _iso(r.next_at),
            }
            for r in rows
        ],
    }


@router.get("/tasks/{task_id}", **allow(Access.coordinator))
def task_detail(task_id: int, request: Request, user: Coordinator = Depends(current_user)) -> Json:
    """One task: deadline and provenance, versions, extensions, returns, notices, audit."""
    state = web_state(request)
    with Session(state.engine) as session:
        task = visible_task(session, task_id, user)
        d = load_task_detail(session, task, now=state.clock.now())
    return {
        **d.view.as_row(),
        "unit_name": d.unit_name,
        "report": d.report,
        "due_source": {
            "source": d.provenance.source,
            "label": d.provenance.label,
            "clause": d.provenance.clause,
            "rule": d.provenance.rule,
            "moved_because": d.provenance.moved_because,
        },
        "versions": [
            {
                "version": s.version,
                "received_at": _iso(s.received_at),
                "receipt_no": s.receipt_no,
                "channel": s.channel,
                "submitted_by": s.submitted_by,
                "review_state": s.review_state,
                "review_reason": s.review_reason,
                "file_name": s.file_name,
                "values": s.values,
                "checksum": s.checksum,
            }
            for s in d.submissions
        ],
        "extensions": [
            {
                "granted_at": _iso(e.granted_at),
                "by": e.granted_by,
                "new_due": _iso(e.new_due),
                "previous_due": _iso(e.previous_due),
                "reason": e.reason,
            }
            for e in d.extensions
        ],
        "returns": [
            {
                "returned_at": _iso(r.returned_at),
                "by": r.returned_by,
                "reason": r.reason,
                "new_due": _iso(r.new_due),
            }
            for r in d.returns
        ],
        "excusal": None
        if d.excusal is None
        else {
            "at": _iso(d.excusal.excused_at),
            "by": d.excusal.excused_by,
            "reason": d.excusal.reason,
        },
        "notices": [
            {
                "id": n.id,
                "kind": n.kind,
                "rung": n.rung,
                "channel": n.channel,
                "recipient": n.recipient,
                "status": n.status,
                "reason": n.reason_vi,
                "send_after": _iso(n.send_after),
                "sent_at": _iso(n.sent_at),
                "status_reason": n.status_reason,
            }
            for n in d.notices
        ],
        "audit": [a.as_row() for a in d.audit],
    }


def _act(request: Request, user: Coordinator, task_id: int, run: Any) -> Json:
    state = web_state(request)
    with state.session() as session:
        visible_task(session, task_id, user)
        result = run(session, state)
    state.board.note_write()
    return result if isinstance(result, dict) else result.as_row()


@router.post("/tasks/{task_id}/accept", **allow(Access.coordinator))
def accept(
    task_id: int, body: ReasonIn, request: Request, user: Coordinator = Depends(current_user)
) -> Json:
    return _act(
        request,
        user,
        task_id,
        lambda s, st: review(
            s,
            task_id=task_id,
            accept=True,
            clock=st.clock,
            reason=body.reason.strip() or None,
            by=user.username,
        ),
    )


@router.post("/tasks/{task_id}/return", **allow(Access.coordinator))
def return_(
    task_id: int, body: ReturnIn, request: Request, user: Coordinator = Depends(current_user)
) -> Json:
    if not body.reason.strip():
        raise Conflict("trả lại báo cáo cần nêu lý do")
    return _act(
        request,
        user,
        task_id,
        lambda s, st: review(
            s,
            task_id=task_id,
            accept=False,
            clock=st.clock,
            reason=body.reason.strip(),
            to=body.to,
            by=user.username,
        ),
    )


@router.post("/tasks/{task_id}/extend", **allow(Access.coordinator))
def extend_(
    task_id: int, body: ExtendIn, request: Request, user: Coordinator = Depends(current_user)
) -> Json:
    return _act(
        request,
        user,
        task_id,
        lambda s, st: extend(
            s,
            task_id=task_id,
            to=body.to,
            reason=body.reason.strip(),
            clock=st.clock,
            by=user.username,
        ),
    )


@router.post("/tasks/{task_id}/excuse", **allow(Access.coordinator))
def excuse_(
    task_id: int, body: ReasonIn, request: Request, user: Coordinator = Depends(current_user)
) -> Json:
    return _act(
        request,
        user,
        task_id,
        lambda s, st: excuse(
            s, task_id=task_id, reason=body.reason.strip(), clock=st.clock, by=user.username
        ),
    )


@router.post("/tasks/{task_id}/remind", **allow(Access.coordinator))
def remind(task_id: int, request: Request, user: Coordinator = Depends(current_user)) -> Json:
    def run(session: Session, state: Any) -> Json:
        task = session.get(Task, task_id)
        assert task is not None
        result = remind_now(
            session, task=task, clock=state.clock, by=user.username, settings=state.settings
        )
        return {"planned": result.planned, "inserted": result.inserted}

    return _act(request, user, task_id, run)


@router.get("/users", **allow(Access.admin))
def users(request: Request, user: Coordinator = Depends(current_user)) -> list[Json]:
    with Session(web_state(request).engine) as session:
        return [
            {
                "username": u.username,
                "province": u.province,
                "admin": u.is_admin,
                "disabled": u.disabled,
                "last_login_at": _iso(u.last_login_at),
            }
            for u in list_users(session)
        ]


# ---- agency (portal token) --------------------------------------------------------------


@router.get("/portal/{token}/tasks", **allow(Access.agency))
def portal_tasks(token: str, request: Request, agency: Agency = Depends(current_agency)) -> Json:
    state = web_state(request)
    with Session(state.engine) as session:
        views = unit_tasks(session, agency, state=state)
    return {"plan": agency.plan_id, "unit": agency.unit, "tasks": [v.as_row() for v in views]}


@router.get("/portal/{token}/tasks/{task_id}", **allow(Access.agency))
def portal_task(
    token: str, task_id: int, request: Request, agency: Agency = Depends(current_agency)
) -> Json:
    state = web_state(request)
    with Session(state.engine) as session:
        item = load_portal_task(session, agency, task_id, state=state)
    return {
        **item.view.as_row(),
        "report": item.report,
        "unit_name": item.unit_name,
        "plan_ref": item.plan_ref,
        "due_source": item.provenance.label,
        "form": None
        if item.form is None
        else {
            "id": item.form.id,
            "title": item.form.title,
            "rows": [
                {
                    "id": r.id,
                    "number": r.number,
                    "label": r.label,
                    "unit": r.unit,
                    "kind": r.kind,
                    "has_value": r.has_value,
                    "of_which": r.of_which,
                    "depth": r.depth,
                }
                for r in form_rows(item.form)
            ],
        },
        "versions": [
            {
                "version": s.version,
                "received_at": _iso(s.received_at),
                "receipt_no": s.receipt_no,
                "review_state": s.review_state,
                "review_reason": s.review_reason,
            }
            for s in item.versions
        ],
    }


@router.post("/portal/{token}/tasks/{task_id}/check", **allow(Access.agency))
def portal_check(
    token: str,
    task_id: int,
    body: ValuesIn,
    request: Request,
    agency: Agency = Depends(current_agency),
) -> Json:
    """Check figures against the task's form (the domain validator); nothing is written."""
    state = web_state(request)
    with Session(state.engine) as session:
        item = load_portal_task(session, agency, task_id, state=state)
    checked = check_values(item.form, {k: v for k, v in body.values.items() if v is not None})
    return {
        "ok": checked.ok,
        "problems": checked.problems,
        "warnings": checked.warnings,
        "notices": checked.notices,
    }


@router.post("/portal/{token}/tasks/{task_id}/submit", **allow(Access.agency))
async def portal_submit(
    token: str,
    task_id: int,
    body: ValuesIn,
    request: Request,
    agency: Agency = Depends(current_agency),
) -> Json:
    """Submit figures; the receipt (with its number) is answered and queued to the unit."""
    state = web_state(request)

    def run() -> Json:
        with state.session() as session:
            values = {k: v for k, v in body.values.items() if v is not None}
            return submit_values(session, agency, task_id, values, state=state).as_row()

    receipt = await run_in_threadpool(run)
    state.board.note_write()
    return receipt
