"""``compile-after-deadline``: compile one obligation period and tell the coordinator.

Runs at 00:30 the day after the period's last due date (the runs are created from the
computed due dates by :mod:`flows.calendar_sync`), and from the daily sweep for a period
every unit reported for early. Thin: :func:`pcmd_workflow.services.engine.compile_after_deadline`
does the work (figures when the obligation has a form, completeness always, one notice per
coordinator address through the outbox, keyed by the result: a re-run after a crash adds
nothing).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.context import clock_at, clock_for, compilations_dir, logger, session
from pcmd_workflow.services import engine

__all__ = ["compile_after_deadline", "compile_period_task"]


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="compile-period",
    retries=1,
    retry_delay_seconds=60,
    task_run_name="compile-{period}",
)
def compile_period_task(
    plan_id: str, obligation: str, period: str, at: datetime | None = None
) -> dict[str, Any]:
    """Compile and notify in one transaction (the outbox row commits with the result)."""
    clock = clock_at(at)
    with session() as s:
        outcome = engine.compile_after_deadline(
            s,
            plan_id=plan_id,
            obligation=obligation,
            period=period,
            clock=clock,
            out_dir=compilations_dir(),
        )
    logger().info(outcome.summary())
    return outcome.as_row()


@flow(
    name="compile-after-deadline",
    description="Tổng hợp một kỳ báo cáo sau hạn nộp và báo cơ quan thường trực | "
    "compile one obligation period after its deadline and notify the coordinator",
)
def compile_after_deadline(
    plan_id: str, obligation: str, period: str, as_of: date | None = None
) -> dict[str, Any]:
    """Compile ``plan_id/obligation/period`` now (or at 07:00 on ``as_of``)."""
    at = None if as_of is None else clock_for(as_of).now()
    result = compile_period_task(plan_id, obligation, period, at)
    c = result
    logger().info(
        "Tổng hợp %s/%s kỳ %s: %s/%s đơn vị đã nộp, %s chưa nộp, %s thông báo mới | "
        "compiled: %s/%s reported, %s missing, %s new notices",
        plan_id,
        obligation,
        period,
        c["submitted"],
        c["expected"],
        c["missing"],
        c["notices"],
        c["submitted"],
        c["expected"],
        c["missing"],
        c["notices"],
    )
    return result
