"""Helpers of the fault, robustness and security tests (importable as ``fault_support``).

- :func:`populate` fills a store through the ordinary services: the small test plan of the
  store tests loaded, sweeps, submissions (accepted, returned), an extension, an excusal,
  a dispatch to the local sink and a compilation: every table gets rows.
- PostgreSQL: a fresh database per use next to ``PCMD_TEST_POSTGRES_URL`` (or skip/require
  like ``tests/conftest.py``), and a private server of our own (:class:`OwnPostgres`) for
  the tests that stop and restart it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.services import submissions
from pcmd_workflow.services.compile import compile_period
from pcmd_workflow.services.dispatch import dispatch
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.sweep import run_sweep
from pcmd_workflow.store import db
from pcmd_workflow.store.models import Task

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
if str(ROOT) not in sys.path:  # the synthetic dataset lives in benchmarks/synthetic.py
    sys.path.insert(0, str(ROOT))
from benchmarks.synthetic import default_clock as synthetic_clock  # noqa: E402
from benchmarks.synthetic import materialise, province_plan  # noqa: E402

__all__ = ["materialise", "province_plan", "synthetic_clock"]  # re-exported for the tests

#: the store tests' hand-made plan: one province, two districts, a police department
PLAN = TESTS / "store" / "plans" / "thu-nghiem-1-kh-ubnd-2024.yaml"
PLAN_ID = "thu-nghiem-1-kh-ubnd-2024"


def _root_conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pcmd_root_conftest_f", TESTS / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
require = _ROOT.require
postgres_url = _ROOT.postgres_url


def local(text_: str) -> datetime:
    """A Vietnam local wall-clock instant."""
    return datetime.fromisoformat(text_).replace(tzinfo=LOCAL_TZ)


def task_id(engine: Engine, *, obligation: str, reporter: str, period: str) -> int:
    with db.session_scope(engine) as session:
        found = session.execute(
            select(Task.task_id).where(  # type: ignore[call-overload]
                Task.obligation == obligation,
                Task.reporter == reporter,
                Task.period == period,
            )
        ).scalar_one()
    return int(found)


def populate(engine: Engine, *, out_dir: Path) -> None:
    """Every table of the store gets rows, written by the services as in real use."""
    with db.session_scope(engine) as session:
        load_plans(session, [PLAN], clock=FixedClock(local("2024-01-10T09:00:00")))
    for day in (date(2024, 4, 8), date(2024, 4, 17), date(2024, 4, 22)):
        with db.session_scope(engine) as session:
            run_sweep(session, as_of=day, clock=FixedClock(local(f"{day}T07:00:00")))
    police = task_id(engine, obligation="quarterly", reporter="cong-an-tinh", period="2024-Q1")
    district_a = task_id(engine, obligation="quarterly", reporter="ubnd-huyen-a", period="2024-Q1")
    district_b = task_id(engine, obligation="quarterly", reporter="ubnd-huyen-b", period="2024-Q1")
    monthly = task_id(engine, obligation="monthly", reporter="cong-an-tinh", period="2024-03")
    clock = FixedClock(local("2024-04-12T10:00:00"))
    figures = {"A.1": 12, "A.1.1": 5, "A.1.2": 7, "A.2": 80.5, "A.3": True, "A.4": 120}
    with db.session_scope(engine) as session:
        submissions.submit(session, task_id=police, clock=clock, values=figures, by="pc02")
        submissions.submit(
            session,
            task_id=district_a,
            clock=clock,
            values={**figures, "A.1": 3, "A.1.1": 1, "A.1.2": 2},
            by="Nguyễn Văn A <b>",
        )
    with db.session_scope(engine) as session:
        submissions.review(session, task_id=police, accept=True, clock=clock, by="dau-moi")
        submissions.review(
            session, task_id=district_a, accept=False, reason="Thiếu số liệu", clock=clock
        )
        submissions.extend(
            session, task_id=district_b, to=date(2024, 4, 30), reason="Lũ lụt", clock=clock
        )
        submissions.excuse(session, task_id=monthly, reason="Sáp nhập đơn vị", clock=clock)
    with db.session_scope(engine) as session:
        dispatch(session, clock=FixedClock(local("2024-04-22T08:00:00")))
    with db.session_scope(engine) as session:
        compile_period(
            session,
            plan_id=PLAN_ID,
            obligation="quarterly",
            period="2024-Q1",
            as_of=date(2024, 4, 20),
            out_dir=out_dir,
            clock=FixedClock(local("2024-04-20T08:00:00")),
        )


# ---- PostgreSQL ---------------------------------------------------------------------------------


def fresh_pg_database(base_url: str) -> str:
    """An empty database next to ``base_url`` (drop it with :func:`drop_pg_database`)."""
    admin = create_engine(db.normalise_url(base_url), isolation_level="AUTOCOMMIT")
    name = f"pcmd_hard_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(db.normalise_url(base_url)).set(database=name).render_as_string(False)


def drop_pg_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(
        parsed.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pg_bin() -> Path:
    """The PostgreSQL binaries: PCMD_TEST_PG_BIN (set by .ci/run), else the newest installed."""
    value = os.environ.get("PCMD_TEST_PG_BIN")
    if value:
        return Path(value)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    require(bool(found), "PostgreSQL binaries not installed (set PCMD_TEST_PG_BIN)")
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres() -> list[str]:
    """Run PostgreSQL's tools as the postgres user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


@dataclass
class OwnPostgres:
    """A private PostgreSQL server on a free loopback port, in a temporary directory."""

    directory: Path
    port: int
    bin: Path

    @classmethod
    def start_new(cls) -> OwnPostgres:
        bin_dir = pg_bin()
        require((bin_dir / "initdb").exists(), f"{bin_dir}/initdb not found")
        directory = Path(tempfile.mkdtemp(prefix="pcmd-fault-pg-"))
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        server = cls(directory=directory, port=free_port(), bin=bin_dir)
        subprocess.run(
            [*_as_postgres(), str(bin_dir / "initdb"), "-D", str(directory / "data"),
             "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True, capture_output=True,
        )  # fmt: skip
        server.start()
        return server

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*_as_postgres(), str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args],
            capture_output=True,
            **kwargs,
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory}"
        self._ctl("-l", str(self.directory / "log"), "-o", options, "-w", "start", check=True)

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop", check=False)

    def restart(self, *, down_for: float = 0.0) -> None:
        self.stop("immediate")
        time.sleep(down_for)
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
