"""Reporting cycles visible in Prefect: one scheduled ``compile-after-deadline`` run per
obligation period, kept in step with the computed due dates.

Cron cannot express the deadlines of a plan (lunar holidays, announced swaps, the Civil
Code 2015 Art. 148 shift to the next working day, extensions): they come from the store.
For every obligation period still to come, :func:`pcmd_workflow.services.engine.due_compilations`
gives the latest due date in force among its tasks; the compilation runs at 00:30 local
the day after. :func:`sync_compile_runs` makes Prefect agree with that list:

- a missing run is created (``create_flow_run_from_deployment`` with
  ``state=Scheduled(scheduled_time=...)``, tags ``pcmd-compile``, ``plan:<id>``,
  ``obligation:<id>``, ``period:<label>`` and an idempotency key naming the period and its
  deadline, so that two syncs racing create one run);
- a run whose deadline moved (a plan reloaded, an extension granted) is rescheduled;
- a run nothing calls for any more (an obligation or period dropped, a duplicate) is deleted.

Runs whose time has already come are left alone (a run late because nothing was serving
still runs when a runner or worker picks it up). It runs at ``pcmd serve`` start-up and in
every daily sweep; without the ``compile-after-deadline/pcmd`` deployment (a one-off
``pcmd run`` on the ephemeral server) it does nothing and says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.schedules import COMPILE_AFTER_DEADLINE
from pcmd_workflow.clock import LOCAL_TZ, to_utc
from pcmd_workflow.services.engine import COMPILE_TAG, CompileDue

__all__ = ["SyncReport", "read_compile_runs", "run_key", "sync_compile_runs"]

_PAGE = 200
#: Seconds two instants may differ and still count as the same schedule.
_SAME_INSTANT = 1.0


@dataclass
class SyncReport:
    """What one synchronisation did."""

    created: int = 0
    rescheduled: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: str | None = None  # why nothing was done
    wanted: int = 0
    details: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {
            "wanted": self.wanted,
            "created": self.created,
            "rescheduled": self.rescheduled,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        if self.skipped:
            return f"Đồng bộ lịch tổng hợp: bỏ qua ({self.skipped}) | compile runs sync skipped"
        return (
            f"Đồng bộ lịch tổng hợp: {self.wanted} kỳ, tạo {self.created}, dời {self.rescheduled}, "
            f"xóa {self.deleted}, giữ {self.unchanged} | compile runs: {self.wanted} wanted, "
            f"{self.created} created, {self.rescheduled} rescheduled, {self.deleted} deleted, "
            f"{self.unchanged} unchanged"
        )


def run_key(tags: Iterable[str]) -> str | None:
    """``plan/obligation/period`` from a run's tags (None when one is missing)."""
    found: dict[str, str] = {}
    for tag in tags:
        name, sep, value = tag.partition(":")
        if sep and name in ("plan", "obligation", "period"):
            found[name] = value
    if len(found) != 3:
        return None
    return f"{found['plan']}/{found['obligation']}/{found['period']}"


def _scheduled_time(run: Any) -> datetime | None:
    state = run.state
    when = None
    if state is not None and state.state_details is not None:
        when = state.state_details.scheduled_time
    when = when or run.next_scheduled_start_time or run.expected_start_time
    return None if when is None else to_utc(when)


def read_compile_runs(client: Any, *, deployment_id: Any) -> list[Any]:
    """Every scheduled (or late) compilation run of the deployment."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    flt = FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        tags=FlowRunFilterTags(all_=[COMPILE_TAG]),
    )
    runs: list[Any] = []
    offset = 0
    while True:
        page = client.read_flow_runs(flow_run_filter=flt, limit=_PAGE, offset=offset)
        runs.extend(page)
        if len(page) < _PAGE:
            return runs
        offset += _PAGE


def sync_compile_runs(
    wanted: Sequence[CompileDue],
    *,
    now: datetime,
    plan_ids: Iterable[str] | None = None,
    client: Any = None,
    deployment: str = COMPILE_AFTER_DEADLINE.deployment,
) -> SyncReport:
    """Create, reschedule and delete compilation runs so that Prefect shows ``wanted``.

    ``plan_ids`` limits the runs considered to those plans (a partitioned daily sweep syncs
    its own provinces only); ``now``: runs due at or before it are left alone.
    """
    if client is None:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as own:
            return sync_compile_runs(
                wanted, now=now, plan_ids=plan_ids, client=own, deployment=deployment
            )
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Scheduled

    report = SyncReport(wanted=len(wanted))
    now = to_utc(now)
    try:
        found = client.read_deployment_by_name(deployment)
    except ObjectNotFound:
        report.skipped = f"chưa có deployment {deployment} (no such deployment)"
        return report
    scope = None if plan_ids is None else set(plan_ids)
    by_key = {w.key: w for w in wanted}
    seen: set[str] = set()
    for run in sorted(read_compile_runs(client, deployment_id=found.id), key=lambda r: str(r.id)):
        key = run_key(run.tags or ())
        when = _scheduled_time(run)
        if key is None or (scope is not None and key.split("/")[0] not in scope):
            continue
        if when is not None and when <= now:
            seen.add(key)  # its time has come: a runner will pick it up
            continue
        target = by_key.get(key)
        if target is None or key in seen:
            client.delete_flow_run(run.id)
            report.deleted += 1
            report.details.append(f"deleted {key}")
            continue
        seen.add(key)
        if when is not None and abs((when - target.scheduled_at).total_seconds()) < _SAME_INSTANT:
            report.unchanged += 1
            continue
        client.set_flow_run_state(run.id, Scheduled(scheduled_time=target.scheduled_at), force=True)
        report.rescheduled += 1
        report.details.append(
            f"rescheduled {key} to {target.scheduled_at.astimezone(LOCAL_TZ).isoformat()}"
        )
    for item in wanted:
        if item.key in seen or item.scheduled_at <= now:
            continue
        client.create_flow_run_from_deployment(
            found.id,
            parameters=item.parameters,
            state=Scheduled(scheduled_time=item.scheduled_at),
            name=f"compile {item.key}",
            tags=item.tags,
            idempotency_key=item.idempotency_key,
        )
        seen.add(item.key)
        report.created += 1
    return report
