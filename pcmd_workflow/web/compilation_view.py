"""The compiled view of one obligation and period, as the dashboard shows it.

Viewing is read-only: the report is built in memory from the store exactly as
:func:`pcmd_workflow.services.compile.compile_period` builds it (the plan as stored, the
tasks' statuses now, the latest accepted version of each task's figures, the previous
compilation for the changes) and rendered with the compilation fragment
(:func:`pcmd_workflow.services.compile.render_html`). Saving it (the XLSX, DOCX and JSON
files and a compilation row) is the separate POST action, which calls ``compile_period``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col

from pcmd_workflow.domain.indicators import TaskEntry, UnitValues
from pcmd_workflow.errors import CompilationError, NotFound
from pcmd_workflow.services.compile import CompiledReport, build_report, load_layout, render_html
from pcmd_workflow.services.plans import stored_plan
from pcmd_workflow.services.tasks import list_tasks
from pcmd_workflow.store.compilations import Compilation, latest_compilation
from pcmd_workflow.store.models import submissions_table

__all__ = ["compilation_fragment", "preview_report", "saved_compilations"]


def _accepted(session: Session, task_ids: list[int], *, now: datetime) -> dict[int, dict[str, Any]]:
    s = submissions_table
    stmt = (
        select(s.c.task_id, s.c["values"])
        .where(
            s.c.task_id.in_(task_ids),
            s.c.review_state == "accepted",
            s.c.received_at <= now,
            s.c.reviewed_at <= now,
        )
        .order_by(s.c.task_id, s.c.version)
    )
    latest: dict[int, dict[str, Any]] = {}
    for task_id, values in session.execute(stmt):
        latest[task_id] = dict(values or {})
    return latest


def preview_report(
    session: Session, *, plan_id: str, obligation: str, period: str, now: datetime
) -> CompiledReport:
    """The report of ``obligation`` for ``period`` at ``now`` (nothing written)."""
    try:
        plan = stored_plan(session, plan_id)
    except NotFound as exc:
        raise CompilationError(str(exc)) from None
    views = [
        v
        for v in list_tasks(session, as_of=now, plan_id=plan_id)
        if v.obligation == obligation and v.period == period
    ]
    if not views:
        raise NotFound(f"không có nhiệm vụ nào của {plan_id}/{obligation} kỳ {period}")
    values = _accepted(session, [v.task_id for v in views], now=now)
    order = {u.slug: i for i, u in enumerate(plan.units)}
    entries = sorted(
        (
            TaskEntry(
                unit=v.reporter,
                name=(plan.unit(v.reporter).name if plan.unit(v.reporter) else v.reporter),  # type: ignore[union-attr]
                status=str(v.status),
                due_date=v.due_date,
                received_at=v.submitted_at,
                days_late=v.days_late,
                review=None if v.review is None else str(v.review),
                task_id=v.task_id,
            )
            for v in views
        ),
        key=lambda e: (order.get(e.unit, len(order)), e.unit),
    )
    previous = latest_compilation(session, plan_id=plan_id, obligation=obligation, period=period)
    return build_report(
        plan=plan,
        obligation=obligation,
        period=period,
        entries=entries,
        submissions=[
            UnitValues(unit=v.reporter, values=values[v.task_id])
            for v in views
            if v.task_id in values
        ],
        as_of=now,
        previous=None if previous is None else previous.result.get("values", {}),
        previous_at=None if previous is None else previous.computed_at,
        on=views[0].cutoff_end,
        layout=load_layout(plan_id),
    )


def compilation_fragment(report: CompiledReport) -> Markup:
    """The autoescaped HTML fragment of the report (safe to include as is)."""
    return Markup(render_html(report))


def saved_compilations(
    session: Session, *, plan_id: str, obligation: str, period: str, limit: int = 10
) -> list[Compilation]:
    stmt = (
        select(Compilation)
        .where(
            Compilation.plan_id == plan_id,  # type: ignore[arg-type]
            Compilation.obligation == obligation,  # type: ignore[arg-type]
            Compilation.period == period,  # type: ignore[arg-type]
        )
        .order_by(col(Compilation.computed_at).desc(), col(Compilation.id).desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
