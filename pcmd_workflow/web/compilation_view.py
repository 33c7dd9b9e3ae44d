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

from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col

from pcmd_workflow.errors import CompilationError, NotFound
from pcmd_workflow.services.compile import (
    CompiledReport,
    compiled_plan,
    period_tasks,
    render_html,
    report_of_tasks,
)
from pcmd_workflow.store.compilations import Compilation

__all__ = ["compilation_fragment", "preview_report", "saved_compilations"]


def preview_report(
    session: Session, *, plan_id: str, obligation: str, period: str, now: datetime
) -> CompiledReport:
    """The report of ``obligation`` for ``period`` at ``now`` (nothing written).

    Gathered as :func:`pcmd_workflow.services.compile.gather_report` gathers it; no task for
    the obligation and period is "not found" here (a page that does not exist).
    """
    plan = compiled_plan(session, plan_id)
    try:
        views = period_tasks(session, plan_id=plan_id, obligation=obligation, period=period, at=now)
    except CompilationError:
        raise NotFound(f"không có nhiệm vụ nào của {plan_id}/{obligation} kỳ {period}") from None
    return report_of_tasks(
        session, plan=plan, obligation=obligation, period=period, views=views, at=now
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
