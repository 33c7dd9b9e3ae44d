"""``dispatch-outbox``: deliver what the outbox holds (every 10 minutes in working hours).

Thin: :func:`pcmd_workflow.services.dispatch.dispatch` claims, sends and records each digest
in its own transactions, so a crash loses nothing and a re-run sends nothing twice (leases).
The task talks to the network (SMTP, Zalo), hence Prefect retries with a growing delay on
top of the outbox's own per-notice backoff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.context import clock_at, logger, session
from pcmd_workflow.services.dispatch import dispatch

__all__ = ["DISPATCH_RETRY_DELAYS", "dispatch_outbox", "dispatch_task"]

#: Seconds between Prefect's retries of a dispatch that raised (database or network).
DISPATCH_RETRY_DELAYS: list[float] = [30.0, 120.0, 600.0]


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="dispatch",
    retries=len(DISPATCH_RETRY_DELAYS),
    retry_delay_seconds=DISPATCH_RETRY_DELAYS,
)
def dispatch_task(at: datetime | None = None, limit: int | None = None) -> dict[str, Any]:
    """One dispatcher run at ``at`` (default now); the counts per outcome."""
    clock = clock_at(at)
    with session() as s:
        report = dispatch(s, clock=clock, limit=limit)
    row: dict[str, Any] = {**report.as_row(), "window_open": report.window_open}
    return row


@flow(
    name="dispatch-outbox",
    description="Gửi thông báo trong hộp thư đi, gửi lại khi lỗi | deliver the outbox, retries",
)
def dispatch_outbox(now: datetime | None = None, limit: int | None = None) -> dict[str, Any]:
    """Send the due notices (at ``now`` when given, for operators and tests)."""
    result = dispatch_task(now, limit)
    logger().info(
        "Hộp thư đi: đã gửi %s, lỗi tạm %s, hỏng %s, chuyển kênh %s, hủy %s, còn chờ %s "
        "(%s tin) | outbox: %s sent, %s failed, %s dead, %s replaced, %s cancelled, "
        "%s pending (%s messages)%s",
        result["sent"],
        result["failed"],
        result["dead"],
        result["replaced"],
        result["cancelled"],
        result["pending"],
        result["messages"],
        result["sent"],
        result["failed"],
        result["dead"],
        result["replaced"],
        result["cancelled"],
        result["pending"],
        result["messages"],
        "" if result["window_open"] else "; sending window closed",
    )
    return result
