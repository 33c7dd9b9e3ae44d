"""Request fixtures: the hand-made plan loaded into a store, on SQLite and on PostgreSQL.

PostgreSQL gets a fresh database per test module (from ``PCMD_TEST_POSTGRES_URL``, dropped
afterwards); its tables are emptied between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from requests_support import (
    PLAN,
    drop_pg_database,
    empty_tables,
    fresh_pg_database,
    local,
    postgres_url,
)
from sqlalchemy import Engine

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    url, admin = fresh_pg_database(postgres_url())
    db.upgrade(url).dispose()
    yield url
    drop_pg_database(admin, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at the head revision, on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'requests.sqlite3'}"
        db.upgrade(url).dispose()
        yield url
        return
    url = request.getfixturevalue("pg_database")
    engine = db.make_engine(url)
    empty_tables(engine)
    engine.dispose()
    yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(local("2024-01-10T08:00:00"))


@pytest.fixture
def engine(engine_url: str, clock: FixedClock) -> Iterator[Engine]:
    """The store with the test plan loaded on 10/01/2024 (its monthly tasks materialised)."""
    engine = db.make_engine(engine_url)
    with db.session_scope(engine) as session:
        load_plans(session, [PLAN], clock=clock)
    yield engine
    engine.dispose()


@pytest.fixture
def use_database(engine: Engine, engine_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the settings (and so the CLI) at the loaded test database."""
    monkeypatch.setenv("PCMD_DATABASE_URL", engine_url)
    reset_settings()
    return engine_url
