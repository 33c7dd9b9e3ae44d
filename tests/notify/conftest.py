"""Fixtures for the reminder tests: the mini plan in a fresh store, real peers on loopback.

The plan (``plans/tinh-mau-01-kh-ubnd-2024.yaml``) and the helpers live in
``notify_support.py``; expected results in the tests are worked out by hand from it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.smtp_server import smtp_server
from fakes.zalo_server import zalo_server
from notify_support import PLAN, Store, make_store
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pcmd_workflow.store.db import normalise_url

__all__ = ["empty_store", "pg_store", "smtp_server", "store", "zalo_server"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The mini plan loaded into a fresh SQLite store; settings point at it."""
    made = make_store(tmp_path, monkeypatch, plans=[PLAN])
    try:
        yield made
    finally:
        made.engine.dispose()


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh SQLite store with no plan; settings point at it."""
    made = make_store(tmp_path, monkeypatch, plans=[])
    try:
        yield made
    finally:
        made.engine.dispose()


@pytest.fixture
def pg_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The mini plan in a fresh PostgreSQL database (next to ``PCMD_TEST_POSTGRES_URL``)."""
    base = os.environ.get("PCMD_TEST_POSTGRES_URL", "")
    if not base:
        if os.environ.get("PCMD_REQUIRE_ALL") == "1":
            pytest.fail("required in CI but missing: PostgreSQL (PCMD_TEST_POSTGRES_URL)")
        pytest.skip("PostgreSQL not available (set PCMD_TEST_POSTGRES_URL)")
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"pcmd_notify_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    made = make_store(tmp_path, monkeypatch, plans=[PLAN], url=url)
    try:
        yield made
    finally:
        made.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
