"""Helpers of the request tests (importable as ``requests_support``)."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.store import db

HERE = Path(__file__).resolve().parent
PLAN = HERE / "plans" / "thu-nghiem-2-kh-ubnd-2024.yaml"
#: the same plan without the districts' ad-hoc duty
PLAN_V2 = HERE / "plans" / "v2" / "thu-nghiem-2-kh-ubnd-2024.yaml"
PLAN_ID = "thu-nghiem-2-kh-ubnd-2024"


def _root_conftest() -> object:
    """tests/conftest.py as a module of its own (its helpers: require, postgres_url)."""
    spec = importlib.util.spec_from_file_location(
        "pcmd_root_conftest_requests", HERE.parent / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
postgres_url = _ROOT.postgres_url  # type: ignore[attr-defined]


def local(text_: str) -> datetime:
    """A Vietnam local wall-clock instant, e.g. ``local("2024-06-18T14:30:00")``."""
    return datetime.fromisoformat(text_).replace(tzinfo=LOCAL_TZ)


def fresh_pg_database(base_url: str) -> tuple[str, Engine]:
    """Create an empty database next to ``base_url``; returns its URL and an admin engine."""
    admin = create_engine(db.normalise_url(base_url), isolation_level="AUTOCOMMIT")
    name = f"pcmd_requests_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(base_url)).set(database=name)
    return url.render_as_string(hide_password=False), admin


def drop_pg_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
