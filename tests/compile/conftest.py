"""Fixtures of the compilation tests: the hand-made province and its answer file."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compile_support import ANSWERS, PROVINCE, ROOT, fresh_pg_database, load_yaml

from pcmd_workflow.domain.indicators import TaskEntry, UnitValues
from pcmd_workflow.domain.plan import Plan


@pytest.fixture(scope="session")
def province_data() -> dict[str, Any]:
    return load_yaml(PROVINCE)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def province_plan(province_data: dict[str, Any]) -> Plan:
    return Plan.model_validate(province_data["plan"])


@pytest.fixture(scope="session")
def province_submissions(province_data: dict[str, Any]) -> list[UnitValues]:
    return [UnitValues(unit=u, values=v) for u, v in province_data["submissions"].items()]


@pytest.fixture(scope="session")
def province_tasks(province_data: dict[str, Any], province_plan: Plan) -> list[TaskEntry]:
    out = []
    for t in province_data["tasks"]:
        unit = province_plan.unit(t["unit"])
        assert unit is not None
        out.append(
            TaskEntry(
                unit=t["unit"],
                name=unit.name,
                status=t["status"],
                review=t.get("review"),
                days_late=t.get("days_late", 0),
            )
        )
    return out


@pytest.fixture(scope="session")
def province_answers() -> dict[str, Any]:
    return load_yaml(ANSWERS / "province_totals.yaml")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this module (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from pcmd_workflow.store import db

    base = db.normalise_url(ROOT.postgres_url())
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"pcmd_compile_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at the head revision (its tables emptied on PostgreSQL)."""
    from pcmd_workflow.store import db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'compile.sqlite3'}"
        db.upgrade(url).dispose()
    else:
        url = fresh_pg_database(request.getfixturevalue("pg_url"))
    yield url
