"""``daily-sweep``: the morning of a working day (07:00 Asia/Ho_Chi_Minh).

1. Skip the day when it is not a working day on the Vietnamese calendar (weekends, Tết and
   the other holidays of Labour Code 2019 Art. 112, compensatory days; a make-up Saturday
   is worked): the cron fires Monday to Saturday and cannot know the lunar calendar.
2. Materialise: load the plan files again (new periods of open-ended plans; a revised file
   brings its future tasks in line) — :func:`pcmd_workflow.services.engine.materialise`.
3. Sweep each jurisdiction (``provinces``, default every one that has tasks): statuses,
   ladder rungs, notices into the outbox — on PostgreSQL one task per province, mapped so
   that they run side by side (and several workers share a national sweep when each
   deployment has its own ``provinces``); on SQLite, which has one writer at a time, one
   task sweeps the provinces one after the other (a transaction each), sparing Prefect's
   per-task cost.
4. Compile the periods every unit already reported for (before their deadline).
5. Dispatch the outbox (the network: Prefect retries with delay).
6. Keep the scheduled ``compile-after-deadline`` runs in step with the due dates.

Every step is idempotent (unique notice keys, leases, keyed compilation notices), so a run
that died half way is simply run again. The run ends with a one-line summary in Vietnamese
and English.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.compile_after_deadline import compile_period_task
from flows.context import clock_for, logger, session, today, window_opening
from flows.context import engine as engine_of_settings
from flows.dispatch_outbox import dispatch_task
from pcmd_workflow.clock import SystemClock
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi
from pcmd_workflow.services import engine

__all__ = [
    "daily_sweep",
    "materialise_task",
    "ready_compilations_task",
    "sweep_province_task",
    "sweep_provinces_task",
    "sync_compile_runs_task",
]


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="materialise-plans",
    retries=2,
    retry_delay_seconds=30,
)
def materialise_task(as_of: date | None, provinces: list[str] | None) -> list[dict[str, Any]]:
    """Load the enabled plan files again (idempotent)."""
    clock = clock_for(as_of) if as_of is not None else SystemClock()
    with session() as s:
        reports = engine.materialise(s, paths=engine.plan_files(), clock=clock, provinces=provinces)
    return [r.as_row() for r in reports]


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="sweep-province",
    retries=2,
    retry_delay_seconds=30,
    task_run_name="sweep-{province}",
)
def sweep_province_task(as_of: date, province: str, morning: bool) -> dict[str, Any]:
    """The morning sweep of one jurisdiction (``morning``: at 07:00 on ``as_of``)."""
    clock = clock_for(as_of) if morning else SystemClock()
    start = time.perf_counter()
    with session() as s:
        row = engine.sweep_province(s, as_of=as_of, clock=clock, province=province).as_row()
    return {**row, "seconds": time.perf_counter() - start}


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="sweep-provinces",
    retries=2,
    retry_delay_seconds=30,
)
def sweep_provinces_task(as_of: date, provinces: list[str], morning: bool) -> list[dict[str, Any]]:
    """The morning sweep of several jurisdictions one after the other, one transaction each
    (SQLite: one writer at a time, so one task instead of one per province)."""
    clock = clock_for(as_of) if morning else SystemClock()
    out = []
    for province in provinces:
        start = time.perf_counter()
        with session() as s:
            row = engine.sweep_province(s, as_of=as_of, clock=clock, province=province).as_row()
        out.append({**row, "seconds": time.perf_counter() - start})
    return out


@task(cache_policy=NO_CACHE, persist_result=False, name="ready-compilations")
def ready_compilations_task(as_of: date, provinces: list[str], morning: bool) -> dict[str, Any]:
    """Periods every unit has reported for before the deadline (compiled at once)."""
    clock = clock_for(as_of) if morning else SystemClock()
    start = time.perf_counter()
    ready: list[dict[str, Any]] = []
    with session() as s:
        for province in provinces:
            ready.extend(c.as_row() for c in engine.complete_before_deadline(
                s, now=clock.now(), province=province
            ))  # fmt: skip
    return {"ready": ready, "seconds": time.perf_counter() - start}


@task(
    cache_policy=NO_CACHE,
    persist_result=False,
    name="sync-compile-runs",
    retries=2,
    retry_delay_seconds=30,
)
def sync_compile_runs_task(provinces: list[str] | None) -> dict[str, Any]:
    """Scheduled compilation runs in Prefect follow the due dates in force."""
    from flows.calendar_sync import sync_compile_runs

    now = SystemClock().now()
    with session() as s:
        plan_ids = None
        wanted: list[engine.CompileDue] = []
        for province in provinces or engine.provinces(s):
            wanted.extend(engine.due_compilations(s, now=now, province=province))
        if provinces is not None:
            plan_ids = sorted({w.plan_id for w in wanted} | set(engine.plans_of(s, provinces)))
    report = sync_compile_runs(wanted, now=now, plan_ids=plan_ids)
    logger().info(report.summary())
    return report.as_row()


def _sqlite() -> bool:
    return engine_of_settings().dialect.name == "sqlite"


@flow(
    name="daily-sweep",
    description="Quét buổi sáng ngày làm việc | morning sweep of each working day",
)
def daily_sweep(
    as_of: date | None = None,
    provinces: list[str] | None = None,
    dispatch: bool = True,
    materialise: bool = True,
    sync_compile_runs: bool = True,
) -> dict[str, Any]:
    """Sweep ``as_of`` (default today, Asia/Ho_Chi_Minh) for ``provinces`` (default all)."""
    log = logger()
    morning = as_of is not None
    day = as_of if as_of is not None else today(SystemClock())
    info = engine.day_info(day)
    when = f"{weekday_vi(day)}, {format_short(day)}"
    if not info.working:
        log.info(
            "%s là ngày nghỉ (%s): không quét | %s is a day off (%s): skipped",
            when,
            info.reason_vi,
            day.isoformat(),
            info.reason_en,
        )
        return {"as_of": day.isoformat(), "skipped": True, "reason": info.reason_vi}

    loaded = materialise_task(as_of, provinces) if materialise else []
    with session() as s:
        scope = sorted(provinces) if provinces else engine.provinces(s)
    if _sqlite():
        sweeps = sweep_provinces_task(day, scope, morning)
    else:
        futures = sweep_province_task.map(day, scope, morning)
        sweeps = [f.result() for f in futures]

    compiled = []
    ready = ready_compilations_task(day, scope, morning)
    for item in ready["ready"]:
        at = clock_for(day).now() if morning else None
        compiled.append(compile_period_task(item["plan"], item["obligation"], item["period"], at))

    sent: dict[str, Any] = {}
    if dispatch:
        sent = dispatch_task(window_opening(day) if morning else None)
    synced = sync_compile_runs_task(provinces) if sync_compile_runs else None

    tasks = sum(s["tasks"] for s in sweeps)
    new = sum(s["inserted"] for s in sweeps)
    escalated = sum(s["escalations"] for s in sweeps)
    created = sum(r["created"] for r in loaded)
    log.info(
        "Quét %s: %s tỉnh/thành, %s nhiệm vụ (%s mới), %s thông báo mới (%s chuyển cấp), "
        "đã gửi %s, tổng hợp sớm %s kỳ | sweep %s: %s provinces, %s tasks (%s new), "
        "%s new notices (%s escalations), %s sent, %s periods compiled early",
        when,
        len(scope),
        tasks,
        created,
        new,
        escalated,
        sent.get("sent", 0),
        len(compiled),
        day.isoformat(),
        len(scope),
        tasks,
        created,
        new,
        escalated,
        sent.get("sent", 0),
        len(compiled),
    )
    return {
        "as_of": day.isoformat(),
        "skipped": False,
        "provinces": scope,
        "plans": loaded,
        "sweeps": sweeps,
        "compiled": compiled,
        "dispatch": sent,
        "sync": synced,
        "tasks": tasks,
        "notices": new,
        "escalations": escalated,
        # time spent in the sweep services themselves (the rest of the run is orchestration)
        "sweep_seconds": round(sum(s["seconds"] for s in sweeps) + ready["seconds"], 3),
    }
