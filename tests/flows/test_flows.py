"""The flows through Prefect (one test harness for the session) and the calendar sync.

Counts are those of test_engine.py, worked out by hand: on Tuesday 18/06/2024 each plan has
three ``overdue`` notices (T+1 of the report due Monday 17/06), the coordinator's digest and
the missing-contacts list; no channel is configured, so the dispatcher sends all of them to
the sink at 07:30.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from flows_support import (
    PLANS,
    THANH_PHO_ID,
    TINH,
    TINH_ID,
    FlowStore,
    drop_pg_database,
    fresh_pg_database,
    local,
)
from sqlalchemy import func, select

from pcmd_workflow.cli import main
from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services import engine
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.submissions import extend
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import Task
from pcmd_workflow.store.outbox import Notice

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _count(store: FlowStore, *where: object) -> int:
    with session_scope(store.engine) as s:
        return int(
            s.execute(select(func.count()).select_from(Notice).where(*where)).scalar_one()  # type: ignore[arg-type]
        )


def test_daily_sweep_runs_through_prefect_and_is_idempotent(flow_store: FlowStore) -> None:
    from flows.daily_sweep import daily_sweep

    state = daily_sweep(as_of=date(2024, 6, 18), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert result["provinces"] == ["thanh-pho-thu", "tinh-thu"]
    assert [(p["plan"], p["created"]) for p in result["plans"]] == [
        (THANH_PHO_ID, 6),
        (TINH_ID, 6),
    ]
    assert [(s["province"], s["inserted"]) for s in result["sweeps"]] == [
        ("thanh-pho-thu", 5),
        ("tinh-thu", 5),
    ]
    assert (result["notices"], result["escalations"]) == (10, 0)
    assert result["dispatch"]["sent"] == 10 and result["dispatch"]["window_open"] is True
    assert _count(flow_store, Notice.status == "sent") == 10

    # run again (a crash and a retry): nothing new is planned or sent
    again = daily_sweep(as_of=date(2024, 6, 18))
    assert (again["notices"], again["dispatch"]["sent"]) == (0, 0)
    assert [p["created"] for p in again["plans"]] == [0, 0]
    assert _count(flow_store) == 10


def test_daily_sweep_skips_days_off(flow_store: FlowStore) -> None:
    from flows.daily_sweep import daily_sweep

    assert daily_sweep(as_of=date(2024, 6, 15)) == {
        "as_of": "2024-06-15",
        "skipped": True,
        "reason": "Thứ Bảy",
    }
    tet = daily_sweep(as_of=date(2024, 2, 12))
    assert tet["skipped"] is True and "Tết" in tet["reason"]
    assert _count(flow_store) == 0


def test_daily_sweep_of_one_province(flow_store: FlowStore) -> None:
    from flows.daily_sweep import daily_sweep

    result = daily_sweep(as_of=date(2024, 6, 18), provinces=["tinh-thu"], dispatch=False)
    assert [p["plan"] for p in result["plans"]] == [TINH_ID]
    assert result["provinces"] == ["tinh-thu"] and result["notices"] == 5
    assert result["dispatch"] == {}
    assert _count(flow_store, Notice.province == "tinh-thu") == 5
    assert _count(flow_store, Notice.province == "thanh-pho-thu") == 0


@pytest.mark.postgres
def test_daily_sweep_on_postgresql_maps_one_task_per_province(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.daily_sweep import daily_sweep

    url, admin = fresh_pg_database()
    try:
        monkeypatch.setenv("PCMD_DATABASE_URL", url)
        monkeypatch.setenv("PCMD_CALENDARS_DIR", str(PLANS))
        reset_settings()
        state = daily_sweep(
            as_of=date(2024, 6, 18), dispatch=False, sync_compile_runs=False, return_state=True
        )
        result = state.result()
        assert [(s["province"], s["inserted"]) for s in result["sweeps"]] == [
            ("thanh-pho-thu", 5),
            ("tinh-thu", 5),
        ]
        flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        names: list[str] = []
        with get_client(sync_client=True) as client:
            for _ in range(40):  # task runs are recorded from events, a moment later
                runs = client.read_task_runs(flow_run_filter=flow_run)
                names = sorted(r.name for r in runs if r.name.startswith("sweep-"))
                if len(names) == 2:
                    break
                time.sleep(0.25)
        assert names == [
            "sweep-thanh-pho-thu",
            "sweep-tinh-thu",
        ]
    finally:
        db.get_engine().dispose()
        drop_pg_database(admin, url)


def test_compile_and_dispatch_flows(loaded_store: FlowStore) -> None:
    from flows.compile_after_deadline import compile_after_deadline
    from flows.dispatch_outbox import dispatch_outbox

    result = compile_after_deadline(
        plan_id=TINH_ID, obligation="bc-6-thang", period="2024-H1", as_of=date(2024, 6, 18)
    )
    assert {k: result[k] for k in ("compiled", "submitted", "expected", "missing", "notices")} == {
        "compiled": True, "submitted": 0, "expected": 3, "missing": 3, "notices": 1,
    }  # fmt: skip
    assert result["as_of"] == "2024-06-18T07:00:00+07:00"
    # Saturday: the window is closed, the notice waits for Monday 07:30
    closed = dispatch_outbox(now=local("2024-06-22T09:00"))
    assert (closed["sent"], closed["window_open"]) == (0, False)
    sent = dispatch_outbox(now=local("2024-06-24T07:30"))
    assert (sent["sent"], sent["messages"], sent["pending"]) == (1, 1, 0)


def _runs(client: object, deployment_id: object) -> dict[str, tuple[datetime, list[str], str]]:
    from flows.calendar_sync import read_compile_runs, run_key

    out = {}
    for run in read_compile_runs(client, deployment_id=deployment_id):
        when = run.state.state_details.scheduled_time
        out[run_key(run.tags)] = (when.astimezone(UTC), sorted(run.tags), run.idempotency_key)
    return out


def test_compile_runs_follow_the_due_dates(loaded_store: FlowStore, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client

    from flows.calendar_sync import sync_compile_runs
    from flows.compile_after_deadline import compile_after_deadline
    from flows.schedules import DEPLOYMENT_NAME

    deployment_id = compile_after_deadline.to_deployment(name=DEPLOYMENT_NAME).apply()
    now = local("2024-06-01T00:00")

    def wanted(at: datetime = now) -> list[engine.CompileDue]:
        with session_scope(loaded_store.engine) as s:
            return engine.due_compilations(s, now=at)

    with get_client(sync_client=True) as client:
        first = sync_compile_runs(wanted(), now=now, client=client)
        assert first.as_row() == {
            "wanted": 4, "created": 4, "rescheduled": 0, "deleted": 0, "unchanged": 0,
            "skipped": None,
        }  # fmt: skip
        runs = _runs(client, deployment_id)
        june = datetime(2024, 6, 17, 17, 30, tzinfo=UTC)  # 18/06/2024 00:30 +07:00
        december = datetime(2024, 12, 16, 17, 30, tzinfo=UTC)
        assert runs == {
            f"{TINH_ID}/bc-6-thang/2024-H1": (
                june,
                sorted(["pcmd-compile", f"plan:{TINH_ID}", "obligation:bc-6-thang",
                        "period:2024-H1"]),
                f"pcmd-compile/{TINH_ID}/bc-6-thang/2024-H1/2024-06-17",
            ),
            f"{TINH_ID}/bc-nam/2024": (
                december,
                sorted(["pcmd-compile", f"plan:{TINH_ID}", "obligation:bc-nam", "period:2024"]),
                f"pcmd-compile/{TINH_ID}/bc-nam/2024/2024-12-16",
            ),
            f"{THANH_PHO_ID}/bc-6-thang/2024-H1": (
                june,
                sorted(["pcmd-compile", f"plan:{THANH_PHO_ID}", "obligation:bc-6-thang",
                        "period:2024-H1"]),
                f"pcmd-compile/{THANH_PHO_ID}/bc-6-thang/2024-H1/2024-06-17",
            ),
            f"{THANH_PHO_ID}/bc-nam/2024": (
                december,
                sorted(["pcmd-compile", f"plan:{THANH_PHO_ID}", "obligation:bc-nam",
                        "period:2024"]),
                f"pcmd-compile/{THANH_PHO_ID}/bc-nam/2024/2024-12-16",
            ),
        }  # fmt: skip

        # the same again: nothing changes (two syncs racing create one run: idempotency)
        assert sync_compile_runs(wanted(), now=now, client=client).unchanged == 4

        # an extension to Friday 21/06 moves the 6-month compilation to 22/06 00:30
        with session_scope(loaded_store.engine) as s:
            task_id = s.execute(
                select(Task.task_id).where(  # type: ignore[call-overload]
                    Task.plan_id == TINH_ID, Task.reporter == "so-vhtt", Task.period == "2024-H1"
                )
            ).scalar_one()
            extend(s, task_id=task_id, to=date(2024, 6, 21), reason="Chờ số liệu",
                   clock=FixedClock(local("2024-06-10T09:00")))  # fmt: skip
        moved = sync_compile_runs(wanted(local("2024-06-11T00:00")), now=local("2024-06-11T00:00"),
                                  client=client)  # fmt: skip
        assert (moved.rescheduled, moved.unchanged, moved.created) == (1, 3, 0)
        assert _runs(client, deployment_id)[f"{TINH_ID}/bc-6-thang/2024-H1"][0] == datetime(
            2024, 6, 21, 17, 30, tzinfo=UTC
        )

        # a revised plan drops the annual report: its run goes
        revised = tmp_path / TINH.name
        body = yaml.safe_load(TINH.read_text(encoding="utf-8"))
        body["obligations"] = [o for o in body["obligations"] if o["id"] != "bc-nam"]
        revised.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
        with session_scope(loaded_store.engine) as s:
            load_plans(s, [revised], clock=FixedClock(local("2024-06-12T09:00")))
        at = local("2024-06-12T10:00")
        dropped = sync_compile_runs(wanted(at), now=at, client=client)
        assert (dropped.deleted, dropped.unchanged) == (1, 3)
        assert f"{TINH_ID}/bc-nam/2024" not in _runs(client, deployment_id)

        # a partitioned sync leaves the other plans' runs alone; past runs are not touched
        only = sync_compile_runs([], now=at, client=client, plan_ids=[THANH_PHO_ID])
        assert only.deleted == 2
        late = sync_compile_runs([], now=local("2024-06-30T00:00"), client=client)
        assert (late.deleted, late.unchanged) == (0, 0)
        assert list(_runs(client, deployment_id)) == [f"{TINH_ID}/bc-6-thang/2024-H1"]
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_pcmd_run_daily_sweep_cli(
    flow_store: FlowStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["run", "daily-sweep", "--as-of", "2024-06-18", "--no-dispatch", "--format", "json"]
    )
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out[out.index("{") :])
    assert (result["as_of"], result["notices"], result["dispatch"]) == ("2024-06-18", 10, {})
    assert main(["run", "daily-sweep", "--as-of", "18/06/2024"]) == 2
    assert "--as-of: '18/06/2024' is not a date" in capsys.readouterr().err
