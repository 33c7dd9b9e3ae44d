"""The database misbehaves during a sweep: SQLite held locked by another connection, and a
PostgreSQL server (our own, started here) stopped or restarted mid-way.

Expected: the sweep waits (busy timeout) and completes when the lock goes away in time; when
it does not, or the server is gone, the command fails cleanly (one line on stderr, exit 2,
nothing half-written), and running it again completes with the same notices as an
undisturbed run.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fault_support import OwnPostgres, materialise, province_plan, synthetic_clock
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError

from pcmd_workflow.cli import main
from pcmd_workflow.clock import FixedClock, as_of_instant
from pcmd_workflow.services.sweep import run_sweep
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db

pytestmark = pytest.mark.slow

DAY = date(2024, 6, 13)
ARGS = ["sweep", "--as-of", DAY.isoformat(), "--format", "json"]


def _notice_keys(url: str) -> list[tuple[str, str]]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT idempotency_key, status FROM notices ORDER BY idempotency_key")
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    engine = db.upgrade(url)
    materialise(engine, [province_plan(1)], clock=synthetic_clock())
    engine.dispose()
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    reset_settings()
    return url


def _hold_write_lock(path: str, *, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the database write lock, as another writer holds it
    conn.execute("UPDATE tasks SET rule = rule WHERE task_id = 1")
    started.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def test_sqlite_lock_released_in_time_sweep_waits_and_completes(
    sqlite_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock,
        args=(sqlite_store.removeprefix("sqlite:///"),),
        kwargs={"seconds": 2.0, "started": started},
    )
    holder.start()
    started.wait(5)
    t0 = time.perf_counter()
    code = main(ARGS)
    waited = time.perf_counter() - t0
    holder.join()
    assert code == 0, capsys.readouterr().err
    assert len(_notice_keys(sqlite_store)) > 100
    assert waited >= 1.0  # it did wait for the other writer


def test_sqlite_lock_held_too_long_fails_cleanly_then_reruns(
    sqlite_store: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 800)  # instead of 30 s
    started = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock,
        args=(sqlite_store.removeprefix("sqlite:///"),),
        kwargs={"seconds": 4.0, "started": started},
    )
    holder.start()
    started.wait(5)
    capsys.readouterr()
    code = main(ARGS)
    err = capsys.readouterr().err
    holder.join()
    assert code == 2
    assert err == (
        "pcmd: error: cơ sở dữ liệu không dùng được lúc này (database is locked); giao dịch đã "
        "hủy, hãy chạy lại lệnh (database unavailable)\n"
    )
    assert _notice_keys(sqlite_store) == []  # nothing half-written
    assert main(ARGS) == 0  # the re-run
    assert len(_notice_keys(sqlite_store)) > 100


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres.start_new()
    try:
        yield server
    finally:
        server.destroy()


def _wait_for_open_transaction(url: str, *, limit: float = 20.0) -> None:
    """Until another connection to the database is inside a transaction (the sweep's)."""
    watcher = db.make_engine(url)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            with watcher.connect() as conn:
                busy = conn.execute(
                    text(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                    )
                ).scalar_one()
            if busy:
                return
            time.sleep(0.02)
    finally:
        watcher.dispose()
    raise AssertionError("the sweep never opened its transaction")


def test_postgres_down_then_restarted_during_a_sweep(
    own_postgres: OwnPostgres,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = own_postgres.url
    engine = db.upgrade(url)
    materialise(engine, [province_plan(1), province_plan(2)], clock=synthetic_clock())
    engine.dispose()
    reference = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    ref_engine = db.upgrade(reference)
    materialise(ref_engine, [province_plan(1), province_plan(2)], clock=synthetic_clock())
    with db.session_scope(ref_engine) as session:
        run_sweep(session, as_of=DAY, clock=FixedClock(as_of_instant(DAY)))
    ref_engine.dispose()
    expected = _notice_keys(reference)

    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    reset_settings()

    # 1. the server is down: one clear line, exit 2
    own_postgres.stop("immediate")
    capsys.readouterr()
    assert main(ARGS) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("pcmd: error: cơ sở dữ liệu không dùng được lúc này (connection ")
    own_postgres.start()

    # 2. restarted in the middle of a sweep: the sweep fails, nothing of it stays
    failures: list[BaseException] = []

    def sweep() -> None:
        engine = db.make_engine(url)
        try:
            with db.session_scope(engine) as session:
                run_sweep(session, as_of=DAY, clock=FixedClock(as_of_instant(DAY)))
        except BaseException as exc:
            failures.append(exc)
        finally:
            engine.dispose()

    worker = threading.Thread(target=sweep)
    worker.start()
    _wait_for_open_transaction(url)
    time.sleep(0.2)
    assert worker.is_alive(), "the sweep ended before the restart: make the dataset larger"
    own_postgres.restart(down_for=0.5)
    worker.join(60)
    assert failures and isinstance(failures[0], OperationalError | InterfaceError), failures
    assert _notice_keys(url) == []

    # 3. the re-run completes with the notices of an undisturbed run
    assert main(ARGS) == 0
    assert _notice_keys(url) == expected
    assert main(ARGS) == 0  # and again: idempotent
    assert _notice_keys(url) == expected
