"""The web application on PostgreSQL: the pages, a portal submission with its receipt, the
coordinator's actions and the outbox notices they write (JSONB payloads, row locks)."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from web_support import (
    LAO_CAI_PLAN,
    LC_USER,
    PASSWORDS,
    VAN_BAN,
    csrf_of,
    lao_cai_task,
    local,
    portal_token,
)
from web_support import new_client as client_of

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.store import db
from pcmd_workflow.store.users import add_user
from pcmd_workflow.web import create_app

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _postgres_url() -> str:
    spec = importlib.util.spec_from_file_location(
        "pcmd_root_conftest_pg", ROOT / "tests/conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.postgres_url())


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    base = db.normalise_url(_postgres_url())
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"pcmd_web_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = db.upgrade(url)
    clock = FixedClock(local("2020-06-01T08:00:00"))
    with db.session_scope(engine) as session:
        load_plans(session, [ROOT / "calendars" / f"{LAO_CAI_PLAN}.yaml"], clock=clock)
        add_user(session, username=LC_USER, password=PASSWORDS[LC_USER], province="lao-cai",
                 clock=clock)  # fmt: skip
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_app(pg_engine: Engine, now: datetime) -> FastAPI:
    return create_app(engine=pg_engine, clock=FixedClock(now))


def test_pages_and_a_portal_submission(pg_app: FastAPI, pg_engine: Engine, now: datetime) -> None:
    coordinator = client_of(pg_app, user=LC_USER)
    for path in ("/dashboard", "/matrix", "/tasks", "/overdue"):
        assert coordinator.get(path).status_code == 200, path
    assert coordinator.get("/api/overview").json()["totals"]["overdue"] == 26
    task = lao_cai_task(pg_engine, "iii2-summary", VAN_BAN)
    agency = client_of(pg_app)
    token = portal_token(VAN_BAN, now=now)
    answer = agency.post(
        f"/api/portal/{token}/tasks/{task}/submit",
        json={"values": {"B.1.1.a": 44, "B.1.1.a.1": 24}},
        headers={"x-csrf-token": csrf_of(agency)},
    )
    assert answer.status_code == 200
    assert answer.json()["receipt_no"] == f"PCMD-20200708-{task}-1"
    totals = coordinator.get("/api/overview").json()["totals"]
    assert (totals["overdue"], totals["submitted_late"]) == (25, 1)
    with pg_engine.connect() as conn:
        kind, payload = conn.execute(text("SELECT kind, payload FROM notices")).one()
    assert kind == "receipt"
    assert payload["receipt_no"] == f"PCMD-20200708-{task}-1"


def test_actions_and_remind(pg_app: FastAPI, pg_engine: Engine) -> None:
    coordinator = client_of(pg_app, user=LC_USER)
    token = csrf_of(coordinator)
    task = lao_cai_task(pg_engine, "iv3-summary", VAN_BAN)
    reminded = coordinator.post(
        f"/api/tasks/{task}/remind", json={}, headers={"x-csrf-token": token}
    )
    assert reminded.json() == {"planned": 1, "inserted": 1}
    extended = coordinator.post(
        f"/api/tasks/{task}/extend",
        json={"to": "2020-07-15", "reason": "Lũ quét"},
        headers={"x-csrf-token": token},
    )
    assert extended.json()["status"] == "due_soon"
    detail = coordinator.get(f"/api/tasks/{task}").json()
    assert [a["action"] for a in detail["audit"]] == ["create", "remind", "extend"]
    assert detail["notices"][0]["kind"] == "overdue"


def test_ids_beyond_the_integer_columns_are_not_found(pg_app: FastAPI) -> None:
    coordinator = client_of(pg_app, user=LC_USER)
    for path in ("/tasks/3000000000", "/api/tasks/2147483648", "/tasks/1/versions/99999999999"):
        answer = coordinator.get(path)
        assert answer.status_code == 404, path
    assert coordinator.get("/tasks/2147483647").status_code == 404  # in range, no such task
