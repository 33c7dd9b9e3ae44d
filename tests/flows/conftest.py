"""Fixtures of the flow tests: the hand-made plans of ``flows_support`` in a SQLite store,
and ONE Prefect test harness for the whole session (it costs 10–15 s to start; STACK
"Prefect offline")."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flows_support import LOADED_AT, PLANS, THANH_PHO, TINH, FlowStore

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db

# Prefect reads its settings when first imported: its home and telemetry are set here.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="pcmd-prefect-home-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"


@pytest.fixture
def flow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FlowStore]:
    """An empty, migrated SQLite store; the settings point at it and at the test plans."""
    url = f"sqlite:///{tmp_path / 'flows.sqlite3'}"
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    monkeypatch.setenv("PCMD_CALENDARS_DIR", str(PLANS))
    monkeypatch.delenv("PCMD_EMAIL_URL", raising=False)
    monkeypatch.delenv("PCMD_ZALO_URL", raising=False)
    monkeypatch.delenv("PCMD_ENABLED_PLANS", raising=False)
    reset_settings()
    engine = db.upgrade(url)
    yield FlowStore(engine=engine, url=url, data_dir=tmp_path / "pcmd-data")
    engine.dispose()
    reset_settings()


@pytest.fixture
def loaded_store(flow_store: FlowStore) -> FlowStore:
    """The store with both test plans loaded (on 10/01/2024)."""
    from pcmd_workflow.services import engine

    with db.session_scope(flow_store.engine) as session:
        engine.materialise(session, paths=[TINH, THANH_PHO], clock=FixedClock(LOADED_AT))
    return flow_store


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server and database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=None):
        yield
