"""Web fixtures: a database with the Lào Cai and Hà Nội plans and three coordinator accounts,
built once per session and copied for each test; the application on a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_support import (
    ADMIN,
    HA_NOI_PLAN,
    HN_USER,
    LAO_CAI_PLAN,
    LC_USER,
    PASSWORDS,
    local,
)

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.store import db
from pcmd_workflow.store.users import add_user
from pcmd_workflow.web import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at head with both plans and the accounts (built once)."""
    path = tmp_path_factory.mktemp("web-template") / "web.sqlite3"
    engine = db.upgrade(f"sqlite:///{path}")
    clock = FixedClock(local("2020-06-01T08:00:00"))
    with db.session_scope(engine) as session:
        load_plans(
            session,
            [
                ROOT / "calendars" / f"{LAO_CAI_PLAN}.yaml",
                ROOT / "calendars" / f"{HA_NOI_PLAN}.yaml",
            ],
            clock=clock,
        )
        add_user(
            session, username=LC_USER, password=PASSWORDS[LC_USER], province="lao-cai", clock=clock
        )
        add_user(
            session, username=HN_USER, password=PASSWORDS[HN_USER], province="ha-noi", clock=clock
        )
        add_user(session, username=ADMIN, password=PASSWORDS[ADMIN], admin=True, clock=clock)
    engine.dispose()
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "web.sqlite3"
    shutil.copyfile(template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def now() -> datetime:
    """Wednesday 08/07/2020, 09:00 in Vietnam: the Lào Cai district reports (due Monday
    06/07/2020) are two working days late, the standing body's draft (due 14/07) is due soon."""
    return local("2020-07-08T09:00:00")


@pytest.fixture
def clock(now: datetime) -> FixedClock:
    return FixedClock(now)


@pytest.fixture
def app(engine: Engine, clock: FixedClock) -> FastAPI:
    return create_app(engine=engine, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
