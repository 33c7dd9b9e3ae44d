"""The tracking store at national scale: materialising a year, and every task's status.

On the synthetic national dataset (benchmarks/synthetic.py: 34 provinces x 115 units x 19
periods = 74,290 tasks in 2024, with the history of the first half-year), on SQLite and, when
``PCMD_TEST_POSTGRES_URL`` is set, on PostgreSQL (in a fresh database), it measures:

- materialising a year of tasks through ``load_plan`` (deadlines, tasks, audit rows) against
  a hand-written ``executemany`` INSERT of the same task rows (the floor of any loader);
- the national status pass, ``compute_statuses`` (set-based queries + the pure vectorised
  status function), against one hand-written SQL statement that derives the same statuses
  and days late inside the database (working days from a day-ordinal table), run through the
  bare DB-API cursor.

Targets: the status pass under 2 s on SQLite and within 3x of the hand-written SQL. Both
are timed alternately, best of seven, so that a busy machine slows them alike.

Run: ``.venv/bin/python benchmarks/store_status.py [--provinces 34] [--as-of 2024-07-15]``
(prints figures; never collected as a test).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from benchmarks.synthetic import (  # noqa: E402
    add_history,
    default_clock,
    materialise,
    national_plans,
)
from pcmd_workflow.clock import as_of_instant  # noqa: E402
from pcmd_workflow.domain.calendar import default_calendar  # noqa: E402
from pcmd_workflow.domain.deadlines import plan_deadlines  # noqa: E402
from pcmd_workflow.services.tasks import compute_statuses  # noqa: E402
from pcmd_workflow.store import db  # noqa: E402
from pcmd_workflow.store.models import tasks_table  # noqa: E402

ROUNDS = 3

_STATUS_SQL = """
WITH s AS (
  SELECT task_id, MIN(received_at) AS first_at, MAX(received_at) AS last_at
  FROM submissions WHERE received_at <= {now} GROUP BY task_id),
e AS (
  SELECT task_id, MAX(new_due) AS ext_due
  FROM extensions WHERE granted_at <= {now} GROUP BY task_id),
r AS (
  SELECT task_id, MAX(returned_at) AS ret_at, MAX(new_due) AS ret_due
  FROM returns WHERE returned_at <= {now} GROUP BY task_id),
x AS (SELECT task_id FROM excusals WHERE excused_at <= {now}),
f AS (
  SELECT t.task_id, COALESCE(e.ext_due, t.original_due) AS due, s.first_at, s.last_at,
         {first_day} AS first_day, r.ret_at, r.ret_due, x.task_id AS excused
  FROM tasks t
  LEFT JOIN s ON s.task_id = t.task_id
  LEFT JOIN e ON e.task_id = t.task_id
  LEFT JOIN r ON r.task_id = t.task_id
  LEFT JOIN x ON x.task_id = t.task_id
  WHERE t.cancelled_at IS NULL OR t.cancelled_at > {now})
SELECT f.task_id,
  CASE WHEN f.excused IS NOT NULL THEN 'excused'
       WHEN f.ret_at IS NOT NULL AND f.last_at <= f.ret_at THEN 'returned'
       WHEN f.first_at IS NOT NULL THEN
         CASE WHEN f.first_day <= f.due THEN 'submitted_on_time' ELSE 'submitted_late' END
       WHEN f.due < {today} THEN 'overdue'
       WHEN f.due = {today} THEN 'due_today'
       WHEN f.due <= {soon} THEN 'due_soon'
       ELSE 'upcoming' END AS status,
  CASE WHEN f.excused IS NOT NULL THEN 0
       WHEN f.ret_at IS NOT NULL AND f.last_at <= f.ret_at THEN {greatest}(0, wt.ord - wr.ord)
       WHEN f.first_at IS NOT NULL THEN {greatest}(0, wf.ord - wd.ord)
       ELSE {greatest}(0, wt.ord - wd.ord) END AS days_late
FROM f
LEFT JOIN bench_workdays wd ON wd.day = f.due
LEFT JOIN bench_workdays wf ON wf.day = f.first_day
LEFT JOIN bench_workdays wr ON wr.day = f.ret_due
CROSS JOIN (SELECT ord FROM bench_workdays WHERE day = {today}) wt
"""


def best(action: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ROUNDS runs (after one warm-up run) and the last result."""
    result = action()
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def paired(
    first: Callable[[], Any], second: Callable[[], Any], *, rounds: int = 7
) -> tuple[tuple[float, Any], tuple[float, Any]]:
    """Best times of two actions run alternately (a busy machine slows both alike)."""
    results = [first(), second()]  # warm-up
    times: list[list[float]] = [[], []]
    for _ in range(rounds):
        for i, action in enumerate((first, second)):
            start = time.perf_counter()
            results[i] = action()
            times[i].append(time.perf_counter() - start)
    return (min(times[0]), results[0]), (min(times[1]), results[1])


def _workdays(engine: Engine, *, first: date, last: date) -> None:
    """A day -> ordinal-of-working-days table for the hand-written SQL."""
    cal = default_calendar()
    rows, ordinal, day = [], 0, first
    while day <= last:
        ordinal += cal.is_working_day(day)
        rows.append({"day": day, "ord": ordinal})
        day += timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_workdays"))
        conn.execute(text("CREATE TABLE bench_workdays (day DATE PRIMARY KEY, ord INTEGER)"))
        conn.execute(text("INSERT INTO bench_workdays (day, ord) VALUES (:day, :ord)"), rows)


def _baseline_status(engine: Engine, day: date) -> list[tuple[Any, ...]]:
    now = as_of_instant(day)
    soon = default_calendar().add_working_days(day, 8) - timedelta(days=1)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            sql = _STATUS_SQL.format(
                now=":now", today=":today", soon=":soon",
                first_day="date(s.first_at, '+7 hours')", greatest="MAX",
            )  # fmt: skip
            stamp = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            cur.execute(sql, {"now": stamp, "today": day.isoformat(), "soon": soon.isoformat()})
        else:
            sql = _STATUS_SQL.format(
                now="%(now)s", today="%(today)s", soon="%(soon)s",
                first_day="(s.first_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
                greatest="GREATEST",
            )  # fmt: skip
            cur.execute(sql, {"now": now, "today": day, "soon": soon})
        rows = cur.fetchall()
        cur.close()
    finally:
        raw.close()
    return rows


def _baseline_insert(engine: Engine, rows: list[dict[str, Any]]) -> float:
    columns = list(rows[0])
    pk = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "SERIAL PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_tasks"))
        conn.execute(
            text(
                f"CREATE TABLE bench_tasks (task_id {pk}, key VARCHAR(400) UNIQUE, "
                "plan_id VARCHAR(120), obligation VARCHAR(120), reporter VARCHAR(120), "
                "period VARCHAR(40), cadence VARCHAR(20), province VARCHAR(120), "
                "cutoff_start DATE, cutoff_end DATE, nominal_due DATE, original_due DATE, "
                "due_date DATE, moved_because VARCHAR, source VARCHAR(20), rule VARCHAR, "
                "clause VARCHAR)"
            )
        )
    marker = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = (
        f"INSERT INTO bench_tasks ({', '.join(columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
    )
    values = [tuple(r[c] for c in columns) for r in rows]
    raw = engine.raw_connection()
    try:
        start = time.perf_counter()
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")  # pcmd's SQLite connections leave transactions to the caller
        cur.executemany(sql, values)
        raw.commit()
        elapsed = time.perf_counter() - start
        cur.close()
    finally:
        raw.close()
    return elapsed


def run(engine: Engine, *, label: str, provinces: int, as_of: date) -> None:
    print(f"\n== {label} ==")
    db.upgrade(engine)
    plans = national_plans(provinces=provinces)

    start = time.perf_counter()
    rows = [
        r for p in plans for r in plan_deadlines(p, start=date(2024, 1, 1), end=date(2024, 12, 31))
    ]
    deadlines_s = time.perf_counter() - start
    start = time.perf_counter()
    reports = materialise(engine, plans, clock=default_clock())
    load_s = time.perf_counter() - start
    tasks = sum(r.created for r in reports)
    task_rows = [
        {
            "key": r.key, "plan_id": r.plan_id, "obligation": r.obligation,
            "reporter": r.reporter, "period": r.period, "cadence": r.cadence,
            "province": r.plan_id.split("-1-")[0], "cutoff_start": r.cutoff_start,
            "cutoff_end": r.cutoff_end, "nominal_due": r.nominal_due,
            "original_due": r.due_date, "due_date": r.due_date,
            "moved_because": r.moved_because, "source": r.source, "rule": r.rule,
            "clause": r.clause,
        }
        for r in rows
    ]  # fmt: skip
    if engine.dialect.name == "sqlite":
        for item in task_rows:
            for k, v in item.items():
                if isinstance(v, date):
                    item[k] = v.isoformat()
    base_insert_s = _baseline_insert(engine, task_rows)
    print(f"tasks materialised            {tasks:>8}  (deadline rows {len(rows)})")
    print(f"materialise a year (product)  {load_s:8.2f} s  of which deadlines {deadlines_s:.2f} s")
    ratio = load_s / base_insert_s
    print(f"bare executemany INSERT       {base_insert_s:8.2f} s  ratio {ratio:5.1f}x")

    history = add_history(engine, as_of=as_of)
    print(
        f"history to {as_of}: {history.submissions} submissions ({history.late} late), "
        f"{history.returns} returns, {history.extensions} extensions, {history.excusals} excusals"
    )
    _workdays(engine, first=date(2023, 1, 1), last=date(2025, 12, 31))

    def product() -> Any:
        with Session(engine) as session:
            return compute_statuses(session, as_of=as_of)

    def baseline() -> Any:
        return _baseline_status(engine, as_of)

    (product_s, table), (baseline_s, base_rows) = paired(product, baseline)
    ours = Counter(str(s) for s in table.columns.status)
    theirs = Counter(r[1] for r in base_rows)
    late_ours = dict(zip(table.task_ids, table.columns.days_late, strict=True))
    late_diff = sum(1 for r in base_rows if late_ours.get(r[0]) != r[2])
    print(f"national status pass (product) {product_s:7.3f} s  for {len(table.task_ids)} tasks")
    print(
        f"hand-written SQL baseline      {baseline_s:7.3f} s  ratio {product_s / baseline_s:5.2f}x"
        f"  (target < 3x{', < 2 s' if engine.dialect.name == 'sqlite' else ''})"
    )
    print(f"statuses agree: {ours == theirs}; days_late differences: {late_diff}")
    print("   " + ", ".join(f"{k} {v}" for k, v in sorted(ours.items())))
    with engine.connect() as conn:
        count = conn.execute(select(tasks_table.c.task_id).limit(1)).all()
    assert count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provinces", type=int, default=34)
    parser.add_argument("--as-of", default="2024-07-15")
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    as_of = date.fromisoformat(args.as_of)
    if args.engine in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            engine = db.make_engine(f"sqlite:///{tmp}/bench.sqlite3")
            run(engine, label="SQLite", provinces=args.provinces, as_of=as_of)
            engine.dispose()
    url = os.environ.get("PCMD_TEST_POSTGRES_URL")
    if args.engine in ("postgres", "both"):
        if not url:
            print("\n== PostgreSQL == skipped (set PCMD_TEST_POSTGRES_URL)")
            return 0
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        admin = create_engine(db.normalise_url(url), isolation_level="AUTOCOMMIT")
        name = f"pcmd_bench_{datetime.now():%Y%m%d%H%M%S}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        bench_url = make_url(db.normalise_url(url)).set(database=name)
        engine = db.make_engine(bench_url.render_as_string(hide_password=False))
        try:
            run(engine, label="PostgreSQL", provinces=args.provinces, as_of=as_of)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
