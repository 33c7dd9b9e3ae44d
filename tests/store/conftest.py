"""Store fixtures: every test runs on SQLite (a file in tmp_path) and on PostgreSQL.

PostgreSQL gets a fresh database per test module (created from ``PCMD_TEST_POSTGRES_URL``,
dropped afterwards); tables are emptied between the tests of a module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from store_helpers import drop_pg_database, empty_tables, fresh_pg_database, local, postgres_url

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this module, at the head revision."""
    url, admin = fresh_pg_database(postgres_url())
    engine = db.upgrade(url)
    engine.dispose()
    yield url
    drop_pg_database(admin, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database at the head revision, on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
        db.upgrade(url).dispose()
        yield url
        return
    url = request.getfixturevalue("pg_database")
    engine = db.make_engine(url)
    empty_tables(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(engine_url: str) -> Iterator[Engine]:
    engine = db.make_engine(engine_url)
    yield engine
    engine.dispose()


@pytest.fixture
def use_database(engine_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the settings (and so the CLI) at the test database."""
    monkeypatch.setenv("PCMD_DATABASE_URL", engine_url)
    reset_settings()
    return engine_url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(local("2024-01-10T08:00:00"))
