"""Helpers of the reminder tests (importable as ``notify_support``): the mini plan, its addresses.

The plan (``plans/tinh-mau-01-kh-ubnd-2024.yaml``) has two duties due on Monday 17/06/2024
(four reporters) and Tuesday 18/06/2024 (Sở Y tế and Tỉnh đoàn, reachable by Zalo only), and
units with every kind of contact. Expected results in the tests are worked out by hand from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.services.dispatch import DispatchPolicy, DispatchReport, dispatch
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.sweep import SweepReport, run_sweep
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store.db import make_engine, session_scope, upgrade
from pcmd_workflow.store.models import Task
from pcmd_workflow.store.outbox import DeliveryAttempt, Notice

__all__ = ["PLAN", "PLAN_ID", "Store", "local", "make_store"]

PLAN = Path(__file__).parent / "plans" / "tinh-mau-01-kh-ubnd-2024.yaml"
PLAN_ID = "tinh-mau-01-kh-ubnd-2024"
LOADED_AT = datetime(2024, 1, 10, 9, 0, tzinfo=LOCAL_TZ)

# Addresses of the plan's contacts
VP_UBND = "vanthu@vpubnd.mau.gov.vn"
COORDINATOR = "dau-moi@sldtbxh.mau.gov.vn"
SO_Y_TE = "vanthu@soyte.mau.gov.vn"
SO_Y_TE_HEAD = "giamdoc@soyte.mau.gov.vn"
CONG_AN = "pc02@congan.mau.gov.vn"
CONG_AN_ZALO = "4410000000000000777"
CONG_AN_PHONE = "84912345678"
MTTQ = "vanphong@mttq.mau.org.vn"
MTTQ_HEAD = "chutich@mttq.mau.org.vn"
TINH_DOAN_ZALO = "4410000000000000888"
TINH_DOAN_PHONE = "84987654321"


def local(text: str) -> datetime:
    """An instant written in Vietnam's local time."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@dataclass
class Store:
    engine: Engine
    monkeypatch: pytest.MonkeyPatch
    url: str

    def configure(self, **env: str | None) -> None:
        """Set ``PCMD_<NAME>`` settings for the rest of the test."""
        for name, value in env.items():
            key = f"PCMD_{name.upper()}"
            if value is None:
                self.monkeypatch.delenv(key, raising=False)
            else:
                self.monkeypatch.setenv(key, value)
        reset_settings()

    def sweep(self, day: date, *, dry_run: bool = False) -> SweepReport:
        with session_scope(self.engine) as session:
            return run_sweep(
                session,
                as_of=day,
                clock=FixedClock(datetime.combine(day, datetime.min.time(), LOCAL_TZ)),
                dry_run=dry_run,
            )

    def dispatch(
        self, at: datetime, *, policy: DispatchPolicy | None = None, **kwargs: Any
    ) -> DispatchReport:
        with session_scope(self.engine) as session:
            return dispatch(session, clock=FixedClock(at), policy=policy, **kwargs)

    def notices(self, **where: Any) -> list[Notice]:
        stmt = select(Notice).order_by(Notice.id)  # type: ignore[arg-type]
        for name, value in where.items():
            stmt = stmt.where(getattr(Notice, name) == value)
        with session_scope(self.engine) as session:
            return list(session.execute(stmt).scalars())

    def attempts(self, notice_id: int) -> list[DeliveryAttempt]:
        stmt = select(DeliveryAttempt).where(DeliveryAttempt.notice_id == notice_id)  # type: ignore[arg-type]
        with session_scope(self.engine) as session:
            return list(session.execute(stmt.order_by(DeliveryAttempt.id)).scalars())  # type: ignore[arg-type]

    def task_id(self, obligation: str, reporter: str) -> int:
        with session_scope(self.engine) as session:
            task = session.execute(
                select(Task).where(
                    Task.obligation == obligation,  # type: ignore[arg-type]
                    Task.reporter == reporter,  # type: ignore[arg-type]
                )
            ).scalar_one()
            assert task.task_id is not None
            return task.task_id


def make_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, plans: list[Path], url: str | None = None
) -> Store:
    url = url or f"sqlite:///{tmp_path / 'notify.sqlite3'}"
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    monkeypatch.setenv("PCMD_PORTAL_URL", "https://baocao.mau.gov.vn")
    reset_settings()
    engine = make_engine(url)
    upgrade(engine)
    if plans:
        with session_scope(engine) as session:
            load_plans(session, plans, clock=FixedClock(LOADED_AT))
    return Store(engine=engine, monkeypatch=monkeypatch, url=url)
