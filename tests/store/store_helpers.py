"""Helpers shared by the store tests (importable as ``store_helpers``)."""

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


def _root_conftest() -> object:
    """tests/conftest.py as a module of its own (its helpers: require, postgres_url)."""
    spec = importlib.util.spec_from_file_location("pcmd_root_conftest", HERE.parent / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_ROOT = _root_conftest()
postgres_url = _ROOT.postgres_url  # type: ignore[attr-defined]
require = _ROOT.require  # type: ignore[attr-defined]
PLANS = HERE / "plans"
TINY = PLANS / "thu-nghiem-1-kh-ubnd-2024.yaml"
TINY_V2 = PLANS / "v2" / "thu-nghiem-1-kh-ubnd-2024.yaml"
TINY_ID = "thu-nghiem-1-kh-ubnd-2024"
ANSWERS = HERE / "answers"


def local(text_: str) -> datetime:
    """A Vietnam local wall-clock instant, e.g. ``local("2024-06-18T23:59:59")``."""
    return datetime.fromisoformat(text_).replace(tzinfo=LOCAL_TZ)


def fresh_pg_database(base_url: str) -> tuple[str, Engine]:
    """Create an empty database next to ``base_url``; returns its URL and an admin engine."""
    admin = create_engine(db.normalise_url(base_url), isolation_level="AUTOCOMMIT")
    name = f"pcmd_store_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(db.normalise_url(base_url)).set(database=name)
    return url.render_as_string(hide_password=False), admin


def empty_tables(engine: Engine) -> None:
    """Empty every table of a PostgreSQL database but ``alembic_version`` (ids restart)."""
    with engine.begin() as conn:
        names = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if names:
            joined = ", ".join(f'"{n}"' for n in names)
            conn.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))


def drop_pg_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


CALENDARS = HERE.parent.parent / "calendars"
