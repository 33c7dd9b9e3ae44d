"""Statuses at literal as-of days, through the store, compared with answer files."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session
from store_helpers import ANSWERS, TINY, TINY_ID, local

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.submissions import excuse, extend, review, submit
from pcmd_workflow.services.tasks import compute_statuses, list_tasks, task_status
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import tasks_table

PDF = b"%PDF-1.4\n% test report\n"


def _ids(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(select(tasks_table.c.key, tasks_table.c.task_id)).all()
    return {key.removeprefix(f"{TINY_ID}/"): task_id for key, task_id in rows}


@pytest.fixture
def history(engine: Engine, clock: FixedClock) -> dict[str, int]:
    """The tiny plan with a month of events, each recorded at the instant it happened."""
    with session_scope(engine) as session:
        load_plans(session, [TINY], clock=clock)
    ids = _ids(engine)

    def at(instant: str) -> FixedClock:
        clock.set(local(instant))
        return clock

    with session_scope(engine) as s:
        excuse(
            s,
            task_id=ids["semiannual/ubnd-huyen-b/2024-H1"],
            reason="Huyện B sáp nhập",
            clock=at("2024-06-12T09:00:00"),
        )
    with session_scope(engine) as s:
        submit(
            s,
            task_id=ids["semiannual/ubnd-huyen-a/2024-H1"],
            file=PDF,
            file_name="bao-cao-6-thang.pdf",
            clock=at("2024-06-14T10:00:00"),
        )
    with session_scope(engine) as s:
        extend(
            s,
            task_id=ids["monthly/cong-an-tinh/2024-06"],
            to=date(2024, 6, 25),
            reason="Chờ số liệu của Công an huyện",
            clock=at("2024-06-17T16:00:00"),
        )
    with session_scope(engine) as s:
        review(
            s,
            task_id=ids["semiannual/ubnd-huyen-a/2024-H1"],
            accept=False,
            reason="Thiếu phụ lục số liệu",
            clock=at("2024-06-18T09:00:00"),
        )
    with session_scope(engine) as s:
        submit(
            s,
            task_id=ids["quarterly/cong-an-tinh/2024-Q2"],
            values={"A.1": 10, "A.1.1": 4, "A.1.2": 6},
            clock=at("2024-06-18T23:59:59"),
        )
    with session_scope(engine) as s:
        submit(
            s,
            task_id=ids["quarterly/ubnd-huyen-a/2024-Q2"],
            values={"A.1": 3},
            clock=at("2024-06-19T00:00:00"),
        )
    with session_scope(engine) as s:
        submit(
            s,
            task_id=ids["semiannual/ubnd-huyen-a/2024-H1"],
            file=PDF + b"v2",
            file_name="bao-cao-6-thang-sua.pdf",
            clock=at("2024-06-25T08:00:00"),
        )
    with session_scope(engine) as s:
        review(
            s,
            task_id=ids["quarterly/cong-an-tinh/2024-Q2"],
            accept=True,
            clock=at("2024-06-26T10:00:00"),
        )
    clock.set(local("2024-12-31T12:00:00"))
    return ids


def _answers() -> list[dict[str, str]]:
    with (ANSWERS / "statuses.csv").open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines))


def test_statuses_match_the_answer_file(engine: Engine, history: dict[str, int]) -> None:
    got = []
    want = []
    with Session(engine) as session:
        for row in _answers():
            view = task_status(
                session, history[row["task"]], as_of=date.fromisoformat(row["as_of"])
            )
            got.append(
                (
                    row["task"],
                    row["as_of"],
                    str(view.status),
                    view.due_date.isoformat() if view.due_date else "",
                    view.days_late,
                    "" if view.review is None else str(view.review),
                )
            )
            want.append(
                (
                    row["task"],
                    row["as_of"],
                    row["status"],
                    row["due_date"],
                    int(row["days_late"]),
                    row["review"],
                )
            )
    assert got == want


def test_every_task_at_once(engine: Engine, history: dict[str, int]) -> None:
    expected = json.loads((ANSWERS / "status_counts.json").read_text(encoding="utf-8"))
    day = date.fromisoformat(expected["as_of"])
    with Session(engine) as session:
        table = compute_statuses(session, as_of=day)
        views = list_tasks(session, as_of=day)
    assert table.counts() == expected["counts"]
    assert len(views) == 29
    by_task = table.by_task()
    assert all(by_task[v.task_id] == v.status for v in views)


def test_list_filters(engine: Engine, history: dict[str, int]) -> None:
    day = date(2024, 6, 21)
    with Session(engine) as session:
        overdue = list_tasks(session, as_of=day, status="overdue", unit="ubnd-huyen-b")
        assert [v.key for v in overdue] == [
            f"{TINY_ID}/quarterly/ubnd-huyen-b/2024-Q1",
            f"{TINY_ID}/quarterly/ubnd-huyen-b/2024-Q2",
        ]
        two = list_tasks(session, as_of=day, status=["returned", "excused"], plan_id=TINY_ID)
        assert sorted(str(v.status) for v in two) == ["excused", "returned"]
        assert list_tasks(session, as_of=day, plan_id="khong-co") == []
        row = list_tasks(session, as_of=day, status="submitted_late")[0].as_row()
    assert row["submitted_at"] == "2024-06-19T00:00:00+07:00"
    assert (row["due_date"], row["days_late"], row["review"]) == ("2024-06-18", 1, "pending")
    with pytest.raises(Exception, match="is not a status"), Session(engine) as session:
        list_tasks(session, as_of=day, status="late")
