"""The deployments of the pcmd flows, with the schedules of :mod:`flows.schedules`.

- :func:`build_deployments`: what ``pcmd serve`` serves (``prefect.serve``: the flows run in
  subprocesses of the serving process, against its Prefect server);
- :func:`deploy_to_pool`: the production shape — the same deployments registered on a
  Prefect server from the source directory, run by workers of a ``process`` work pool
  (``docs/operations.md``; ``prefect.yaml`` is the declarative equivalent).

The flows are addressed by module path (``flows.daily_sweep:daily_sweep``), so they load in
any working directory where the package is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.schedules import (
    COMPILE_AFTER_DEADLINE,
    DAILY_SWEEP,
    DEPLOYMENT_NAME,
    DISPATCH_OUTBOX,
    FlowSchedule,
)

__all__ = ["DEPLOYMENT_NAME", "ENTRYPOINTS", "TAGS", "build_deployments", "deploy_to_pool", "flows"]

TAGS = ["pcmd"]
#: File entrypoints (relative to the source directory) of each flow, for workers.
ENTRYPOINTS = {
    DAILY_SWEEP.flow: "flows/daily_sweep.py:daily_sweep",
    DISPATCH_OUTBOX.flow: "flows/dispatch_outbox.py:dispatch_outbox",
    COMPILE_AFTER_DEADLINE.flow: "flows/compile_after_deadline.py:compile_after_deadline",
}


def flows() -> dict[str, Any]:
    """The flow objects by flow name (imports Prefect)."""
    from flows.compile_after_deadline import compile_after_deadline
    from flows.daily_sweep import daily_sweep
    from flows.dispatch_outbox import dispatch_outbox

    return {
        DAILY_SWEEP.flow: daily_sweep,
        DISPATCH_OUTBOX.flow: dispatch_outbox,
        COMPILE_AFTER_DEADLINE.flow: compile_after_deadline,
    }


def _description(schedule: FlowSchedule) -> str:
    return f"{schedule.description_vi} | {schedule.description_en}"


def build_deployments() -> list[Any]:
    """Runner deployments for ``prefect.serve`` (schedules in Asia/Ho_Chi_Minh)."""
    from prefect.deployments.runner import EntrypointType

    by_name = flows()
    out = []
    for schedule in (DAILY_SWEEP, DISPATCH_OUTBOX, COMPILE_AFTER_DEADLINE):
        kwargs: dict[str, Any] = {}
        prefect_schedule = schedule.prefect_schedule()
        if prefect_schedule is not None:
            kwargs["schedule"] = prefect_schedule
        out.append(
            by_name[schedule.flow].to_deployment(
                name=DEPLOYMENT_NAME,
                tags=TAGS,
                description=_description(schedule),
                entrypoint_type=EntrypointType.MODULE_PATH,
                **kwargs,
            )
        )
    return out


def deploy_to_pool(
    *,
    work_pool: str,
    source: Path,
    job_env: dict[str, str] | None = None,
    flows_to_deploy: tuple[str, ...] | None = None,
    parameters: dict[str, dict[str, Any]] | None = None,
    schedules: bool = True,
) -> dict[str, Any]:
    """Register the deployments on the current Prefect server for ``work_pool``'s workers.

    ``source``: the project directory the workers load the flows from; ``job_env``:
    environment of each flow run (``PCMD_DATABASE_URL`` and the like); returns the
    deployment ids by flow name.
    """
    from prefect import Flow

    ids: dict[str, Any] = {}
    for schedule in (DAILY_SWEEP, DISPATCH_OUTBOX, COMPILE_AFTER_DEADLINE):
        if flows_to_deploy is not None and schedule.flow not in flows_to_deploy:
            continue
        remote: Any = Flow.from_source(source=str(source), entrypoint=ENTRYPOINTS[schedule.flow])
        kwargs: dict[str, Any] = {}
        prefect_schedule = schedule.prefect_schedule() if schedules else None
        if prefect_schedule is not None:
            kwargs["schedule"] = prefect_schedule
        if parameters and schedule.flow in parameters:
            kwargs["parameters"] = parameters[schedule.flow]
        ids[schedule.flow] = remote.deploy(
            name=DEPLOYMENT_NAME,
            work_pool_name=work_pool,
            job_variables={"env": dict(job_env or {})},
            tags=TAGS,
            description=_description(schedule),
            print_next_steps=False,
            build=False,
            push=False,
            **kwargs,
        )
    return ids
