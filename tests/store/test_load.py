"""Loading plans: idempotent, revised files update the future and keep the history.

The hand-made plan tests/store/plans/thu-nghiem-1-kh-ubnd-2024.yaml gives 29 tasks in 2024
(listed by `pcmd plan deadlines`): monthly x 12 (police), quarterly x 4 x 3 reporters, the
half-year report of both districts, the annual report of three units.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, func, select
from sqlmodel import Session
from store_helpers import CALENDARS, PLANS, TINY, TINY_ID, TINY_V2, local

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.errors import PlanError
from pcmd_workflow.services.plans import load_plans, stored_plan
from pcmd_workflow.services.submissions import submit
from pcmd_workflow.services.tasks import list_tasks
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import (
    audit_table,
    obligations_table,
    plan_versions_table,
    tasks_table,
    units_table,
)


def count(session: Session, table: Table, *where: object) -> int:
    return int(session.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]


def load(engine: Engine, path: Path, clock: FixedClock, until: int | None = None) -> dict:
    with session_scope(engine) as session:
        (report,) = load_plans(session, [path], clock=clock, until_year=until)
    return report.as_row()


def task_row(session: Session, key: str) -> dict:
    row = session.execute(select(tasks_table).where(tasks_table.c.key == key)).mappings().one()
    return dict(row)


def test_same_file_twice_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    first = load(engine, TINY, clock)
    assert (first["created"], first["version"], first["new_version"]) == (29, 1, True)
    with Session(engine) as session:
        assert count(session, tasks_table) == 29
        # plan + 5 units + 4 obligations + 29 tasks
        assert count(session, audit_table) == 39
    clock.set(local("2024-02-01T08:00:00"))
    second = load(engine, TINY, clock)
    assert second["new_version"] is False
    assert (second["created"], second["updated"], second["cancelled"]) == (0, 0, 0)
    assert second["unchanged"] == 29
    with Session(engine) as session:
        assert count(session, tasks_table) == 29
        assert count(session, audit_table) == 39
        assert count(session, plan_versions_table) == 1


def test_ha_noi_loaded_twice_keeps_its_tasks(engine: Engine, clock: FixedClock) -> None:
    path = CALENDARS / "ha-noi-255-kh-ubnd-2021.yaml"
    first = load(engine, path, clock)
    with Session(engine) as session:
        tasks, audits = count(session, tasks_table), count(session, audit_table)
    assert tasks == first["created"] > 0
    second = load(engine, path, clock)
    assert second["new_version"] is False
    assert second["created"] == second["cancelled"] == second["updated"] == 0
    with Session(engine) as session:
        assert count(session, tasks_table) == tasks
        assert count(session, audit_table) == audits
    with Session(engine) as session:
        plan = stored_plan(session, "ha-noi-255-kh-ubnd-2021")
    assert plan.number == "255/KH-UBND"


def test_revised_file_updates_the_future_and_keeps_history(
    engine: Engine, clock: FixedClock
) -> None:
    load(engine, TINY, clock)
    # District B sends its Q2 report early, before the revision drops the district.
    clock.set(local("2024-06-05T10:00:00"))
    with session_scope(engine) as session:
        q2_b = task_row(session, f"{TINY_ID}/quarterly/ubnd-huyen-b/2024-Q2")["task_id"]
        submit(session, task_id=q2_b, clock=clock, values={"A.1": 2}, by="huyen-b")
    clock.set(local("2024-06-10T08:00:00"))
    report = load(engine, TINY_V2, clock)
    assert report["version"] == 2 and report["new_version"] is True
    # monthly 2024-06..12 (7) and district B's Q3, Q4, H1 and annual (4) are cancelled;
    # B's Q2 was submitted and its Q1 is past: both stay.
    assert (report["created"], report["updated"], report["cancelled"]) == (0, 1, 11)
    assert (report["reactivated"], report["kept"], report["unchanged"]) == (0, 0, 10)
    with Session(engine) as session:
        half = task_row(session, f"{TINY_ID}/semiannual/ubnd-huyen-a/2024-H1")
        assert half["nominal_due"].isoformat() == "2024-06-19"
        assert half["due_date"].isoformat() == "2024-06-19"
        assert half["moved_because"] is None
        assert "20/6" in half["clause"]
        cancelled = {
            r[0]
            for r in session.execute(
                select(tasks_table.c.key).where(tasks_table.c.cancelled_at.is_not(None))
            )
        }
        assert f"{TINY_ID}/monthly/cong-an-tinh/2024-06" in cancelled
        assert f"{TINY_ID}/monthly/cong-an-tinh/2024-05" not in cancelled
        assert f"{TINY_ID}/quarterly/ubnd-huyen-b/2024-Q2" not in cancelled
        assert f"{TINY_ID}/quarterly/ubnd-huyen-b/2024-Q1" not in cancelled
        assert f"{TINY_ID}/semiannual/ubnd-huyen-b/2024-H1" in cancelled
        assert len(cancelled) == 11
        assert count(session, tasks_table) == 29  # cancelled, never deleted
        revise = session.execute(
            select(audit_table.c.before, audit_table.c.after).where(
                audit_table.c.task_id == half["task_id"], audit_table.c.action == "revise"
            )
        ).one()
        assert revise.before["due_date"] == "2024-06-17"
        assert revise.after["due_date"] == "2024-06-19"
        assert count(session, audit_table, audit_table.c.action == "cancel") == 11
        removed_units = session.execute(
            select(units_table.c.slug).where(units_table.c.removed_at.is_not(None))
        ).all()
        assert [r[0] for r in removed_units] == ["ubnd-huyen-b"]
        removed_obligations = session.execute(
            select(obligations_table.c.obligation).where(
                obligations_table.c.removed_at.is_not(None)
            )
        ).all()
        assert [r[0] for r in removed_obligations] == ["monthly"]
        shown = list_tasks(session, as_of=local("2024-06-10T08:00:00"), plan_id=TINY_ID)
        assert len(shown) == 18
    # Going back to the first text reactivates the cancelled future tasks.
    back = load(engine, TINY, clock)
    assert (back["version"], back["reactivated"], back["updated"]) == (3, 11, 1)
    with Session(engine) as session:
        assert count(session, tasks_table, tasks_table.c.cancelled_at.is_not(None)) == 0
        assert count(session, plan_versions_table) == 3


def test_open_ended_plan_runs_to_the_chosen_year(engine: Engine, clock: FixedClock) -> None:
    path = PLANS / "open" / "thu-nghiem-2-kh-ubnd-2024.yaml"
    assert load(engine, path, clock, until=2024)["created"] == 29
    more = load(engine, path, clock, until=2025)
    assert (more["created"], more["cancelled"], more["until"]) == (29, 0, 2025)
    back = load(engine, path, clock, until=2024)
    assert (back["created"], back["cancelled"], back["updated"]) == (0, 0, 0)
    with pytest.raises(PlanError, match="before the plan starts"):
        load(engine, path, clock, until=2023)


def test_invalid_plan_writes_nothing(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    bad = tmp_path / "thu-nghiem-1-kh-ubnd-2024.yaml"
    bad.write_text(TINY.read_text(encoding="utf-8").replace("cadence: monthly", "cadence: hourly"))
    with pytest.raises(PlanError), session_scope(engine) as session:
        load_plans(session, [TINY, bad], clock=clock)
    with Session(engine) as session:
        assert count(session, tasks_table) == 0
        assert count(session, audit_table) == 0
