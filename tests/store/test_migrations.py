"""Migrations: one linear chain, every revision up and down on SQLite and PostgreSQL; the
models match the schema the migrations build; the audit log refuses updates and deletes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from store_helpers import drop_pg_database, fresh_pg_database, postgres_url

from pcmd_workflow.store import db
from pcmd_workflow.store.models import metadata

CORE_TABLES = {
    "plans",
    "plan_versions",
    "units",
    "obligations",
    "tasks",
    "submissions",
    "extensions",
    "excusals",
    "returns",
    "audit_log",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (no schema at all)."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield engine
        engine.dispose()
        return
    url, admin = fresh_pg_database(postgres_url())
    engine = db.make_engine(url)
    yield engine
    engine.dispose()
    drop_pg_database(admin, url)


def _chain() -> list[str]:
    """Revision ids from the first to the head, checking the chain is linear."""
    script = ScriptDirectory.from_config(db.alembic_config())
    assert len(script.get_heads()) == 1, "the migrations must form one linear chain"
    revisions = list(reversed(list(script.walk_revisions())))
    for previous, current in itertools.pairwise(revisions):
        assert current.down_revision == previous.revision
    return [r.revision for r in revisions]


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_chain_starts_with_core() -> None:
    chain = _chain()
    assert chain[0] == "0001_core"
    script = ScriptDirectory.from_config(db.alembic_config())
    assert script.get_revision("0001_core").down_revision is None


def test_every_revision_up_and_down(empty_engine: Engine) -> None:
    chain = _chain()
    seen: list[set[str]] = []
    for revision in chain:
        db.upgrade(empty_engine, revision)
        assert db.current_revision(empty_engine) == revision
        seen.append(_tables(empty_engine))
    assert seen[0] >= CORE_TABLES
    assert _tables(empty_engine) >= CORE_TABLES
    for index in range(len(chain) - 1, 0, -1):
        db.downgrade(empty_engine, chain[index - 1])
        assert db.current_revision(empty_engine) == chain[index - 1]
        assert _tables(empty_engine) == seen[index - 1]
    db.downgrade(empty_engine, "base")
    assert db.current_revision(empty_engine) is None
    assert _tables(empty_engine) == set()
    db.upgrade(empty_engine)
    assert db.current_revision(empty_engine) == chain[-1]


def test_models_match_the_migrated_schema(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_alembic_check_sees_no_pending_change(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    cfg = db.alembic_config()
    with empty_engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def test_ready_engine_creates_an_empty_database(empty_engine: Engine) -> None:
    assert db.current_revision(empty_engine) is None
    db.ready_engine(empty_engine)
    assert db.current_revision(empty_engine) == db.head_revision()
    assert _tables(empty_engine) >= CORE_TABLES


def test_ready_engine_refuses_an_old_schema(empty_engine: Engine) -> None:
    chain = _chain()
    assert len(chain) > 1, "0001_core is followed by the other parts' migrations"
    db.upgrade(empty_engine, chain[0])
    with pytest.raises(db.StoreError, match="pcmd db upgrade"):
        db.ready_engine(empty_engine)


def test_audit_log_is_append_only(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, entity, entity_id, action) "
                "VALUES (:at, 'tester', 'task', 'x', 'create')"
            ),
            {"at": datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None)},
        )
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as conn:
            conn.execute(text(statement))
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalar_one() == "tester"
