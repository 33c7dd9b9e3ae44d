"""SIGKILL of a sweep and of a compilation at random points, then a restart.

The work runs in a forked child (imports already done, so the random kill points fall inside
the sweep or the compilation itself, not in Python's start-up); the parent kills it with
SIGKILL after a random delay drawn from the length of an uninterrupted run, checks the
database (integrity, foreign keys, nothing lost), runs the same work again to the end, and
compares with the uninterrupted reference: the same notices (none lost, none doubled), the
same submissions, the same compiled result. The seed is fixed: a failure replays exactly.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fault_support import (
    PLAN_ID,
    local,
    materialise,
    populate,
    province_plan,
    synthetic_clock,
)
from sqlalchemy import text

from pcmd_workflow.clock import FixedClock, as_of_instant
from pcmd_workflow.services.compile import compile_period
from pcmd_workflow.services.sweep import run_sweep
from pcmd_workflow.store import db

pytestmark = pytest.mark.slow

SWEEP_DAY = date(2024, 6, 13)
KILLS = 10
SEED = 20240613


def _copy(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _check_integrity(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def _run_forked(work: Callable[[], None], *, kill_after: float | None) -> bool:
    """Run ``work`` in a forked child; SIGKILL it after ``kill_after`` s. True if it finished."""
    pid = os.fork()
    if pid == 0:  # child: no pytest machinery, no atexit handlers
        code = 0
        try:
            work()
        except BaseException:
            code = 1
        os._exit(code)
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status) == 0
            time.sleep(0.002)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


NOTICES = (
    "SELECT idempotency_key, status, kind, task_id, rung, channel, recipient, send_after, "
    "due_date FROM notices ORDER BY idempotency_key"
)


def _sweep(path: Path) -> Callable[[], None]:
    def work() -> None:
        engine = db.make_engine(f"sqlite:///{path}")
        with db.session_scope(engine) as session:
            run_sweep(session, as_of=SWEEP_DAY, clock=FixedClock(as_of_instant(SWEEP_DAY)))
        engine.dispose()

    return work


def test_sweep_killed_at_random_points(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine.sqlite3"
    engine = db.upgrade(f"sqlite:///{pristine}")
    materialise(engine, [province_plan(1), province_plan(2)], clock=synthetic_clock())
    engine.dispose()

    reference = tmp_path / "reference.sqlite3"
    _copy(pristine, reference)
    started = time.perf_counter()
    assert _run_forked(_sweep(reference), kill_after=None)
    length = time.perf_counter() - started
    expected = _rows(reference, NOTICES)
    assert len(expected) > 1000
    tasks = _rows(pristine, "SELECT * FROM tasks ORDER BY task_id")

    rng = random.Random(SEED)
    killed = 0
    for attempt in range(KILLS):
        victim = tmp_path / f"victim-{attempt}.sqlite3"
        _copy(pristine, victim)
        finished = _run_forked(_sweep(victim), kill_after=rng.uniform(0.0, length))
        killed += not finished
        _check_integrity(victim)
        partial = _rows(victim, NOTICES)
        assert partial in ([], expected)  # one transaction: all or nothing
        assert _run_forked(_sweep(victim), kill_after=None)  # the restart
        assert _rows(victim, NOTICES) == expected
        assert _rows(victim, "SELECT * FROM tasks ORDER BY task_id") == tasks
        victim.unlink()
    assert killed >= KILLS // 2, f"only {killed} of {KILLS} runs were killed mid-way"


def _compile(path: Path, out: Path) -> Callable[[], None]:
    def work() -> None:
        engine = db.make_engine(f"sqlite:///{path}")
        with db.session_scope(engine) as session:
            compile_period(
                session,
                plan_id=PLAN_ID,
                obligation="quarterly",
                period="2024-Q1",
                as_of=date(2024, 4, 25),
                out_dir=out,
                clock=FixedClock(local("2024-04-25T08:00:00")),
            )
        engine.dispose()

    return work


COMPILATIONS = "SELECT plan_id, obligation, period, as_of, checksum, result FROM compilations"


def test_compilation_killed_at_random_points(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine.sqlite3"
    engine = db.upgrade(f"sqlite:///{pristine}")
    populate(engine, out_dir=tmp_path / "populate-out")
    engine.dispose()
    submissions = _rows(pristine, "SELECT * FROM submissions ORDER BY id")
    before = _rows(pristine, COMPILATIONS)

    reference = tmp_path / "reference.sqlite3"
    _copy(pristine, reference)
    started = time.perf_counter()
    assert _run_forked(_compile(reference, tmp_path / "ref-out"), kill_after=None)
    length = time.perf_counter() - started
    expected = _rows(reference, COMPILATIONS)
    assert len(expected) == len(before) + 1
    expected_json = {p.name: p.read_bytes() for p in (tmp_path / "ref-out").glob("*.json")}
    assert expected_json

    rng = random.Random(SEED)
    for attempt in range(KILLS // 2):
        victim = tmp_path / f"victim-{attempt}.sqlite3"
        out = tmp_path / f"out-{attempt}"
        _copy(pristine, victim)
        _run_forked(_compile(victim, out), kill_after=rng.uniform(0.0, length))
        _check_integrity(victim)
        assert _rows(victim, COMPILATIONS) in (before, expected)
        if _rows(victim, COMPILATIONS) == before:
            assert _run_forked(_compile(victim, out), kill_after=None)  # the restart
        assert _rows(victim, COMPILATIONS) == expected
        assert _rows(victim, "SELECT * FROM submissions ORDER BY id") == submissions
        assert {p.name: p.read_bytes() for p in out.glob("*.json")} == expected_json
        with db.make_engine(f"sqlite:///{victim}").connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM submissions")).scalar_one() == len(
                submissions
            )
