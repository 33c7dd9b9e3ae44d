"""Constants and helpers of the flow tests (imported by name: ``from flows_support import``).

The plans (``plans/``) are the same duties in two jurisdictions (``tinh-thu`` and
``thanh-pho-thu``): a 6-month report due Monday 17/06/2024 with a two-row form, and an
annual report due «before 17/12» (Monday 16/12/2024) without one; three reporters each.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.store import db

__all__ = [
    "ANSWERS",
    "LOADED_AT",
    "PLANS",
    "THANH_PHO",
    "THANH_PHO_ID",
    "TINH",
    "TINH_ID",
    "FlowStore",
    "drop_pg_database",
    "fresh_pg_database",
    "local",
]

HERE = Path(__file__).resolve().parent
PLANS = HERE / "plans"
ANSWERS = HERE / "answers"
TINH = PLANS / "tinh-thu-02-kh-ubnd-2024.yaml"
THANH_PHO = PLANS / "thanh-pho-thu-03-kh-ubnd-2024.yaml"
TINH_ID = "tinh-thu-02-kh-ubnd-2024"
THANH_PHO_ID = "thanh-pho-thu-03-kh-ubnd-2024"
LOADED_AT = datetime(2024, 1, 10, 9, 0, tzinfo=LOCAL_TZ)


def local(text: str) -> datetime:
    """An instant written in Vietnam's local time."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@dataclass
class FlowStore:
    engine: Engine
    url: str
    data_dir: Path


def fresh_pg_database() -> tuple[str, Engine]:
    """An empty PostgreSQL database next to ``PCMD_TEST_POSTGRES_URL`` (its URL and an
    admin engine); skipped without one, a failure under ``PCMD_REQUIRE_ALL=1`` (CI)."""
    base = os.environ.get("PCMD_TEST_POSTGRES_URL", "")
    if not base:
        reason = "PostgreSQL not available (set PCMD_TEST_POSTGRES_URL)"
        if os.environ.get("PCMD_REQUIRE_ALL") == "1":
            pytest.fail(f"required in CI but missing: {reason}")
        pytest.skip(reason)
    admin = create_engine(db.normalise_url(base), isolation_level="AUTOCOMMIT")
    name = f"pcmd_flows_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(base)).set(database=name)
    return url.render_as_string(hide_password=False), admin


def drop_pg_database(admin: Engine, url: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
