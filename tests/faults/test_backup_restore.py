"""Data safety: ``pcmd backup --out FILE`` / ``pcmd restore FILE`` round trips on both engines.

A store filled by the services (every table has rows) is backed up, then restored into an
empty database and over a changed one; every row of every table must come back identical,
and the restored database must keep working (new rows get fresh ids).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_support import (
    drop_pg_database,
    fresh_pg_database,
    pg_bin,
    populate,
    postgres_url,
)
from sqlalchemy import text

from pcmd_workflow.cli import main
from pcmd_workflow.errors import StoreError
from pcmd_workflow.services.backup import (
    backup_database,
    backup_kind,
    restore_database,
    table_counts,
    table_rows,
)
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db

#: tables the populated store must fill (a round trip of empty tables proves little)
FILLED = {
    "alembic_version",
    "audit_log",
    "compilations",
    "delivery_attempts",
    "excusals",
    "extensions",
    "notices",
    "obligations",
    "plan_versions",
    "plans",
    "returns",
    "submissions",
    "tasks",
    "units",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def urls(engine_kind: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(source, target) database URLs: the source at head, the target empty."""
    if engine_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    base = postgres_url()
    source, target = fresh_pg_database(base), fresh_pg_database(base)
    os.environ["PCMD_PG_BIN"] = str(pg_bin())
    try:
        yield source, target
    finally:
        os.environ.pop("PCMD_PG_BIN", None)
        drop_pg_database(source)
        drop_pg_database(target)


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMD_DATABASE_URL", url)
    reset_settings()


def test_round_trip_every_table(
    urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_url, target_url = urls
    source = db.upgrade(source_url)
    populate(source, out_dir=tmp_path / "out")
    before = table_rows(source)
    counts = table_counts(source)
    assert {name for name, n in counts.items() if n} >= FILLED, counts

    backup = tmp_path / "backups" / "pcmd.backup"
    _use(source_url, monkeypatch)
    assert main(["backup", "--out", str(backup)]) == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not [p for p in backup.parent.iterdir() if p.name != backup.name]  # no temp left

    # into an empty database
    _use(target_url, monkeypatch)
    assert main(["restore", str(backup)]) == 0
    target = db.make_engine(target_url)
    assert table_rows(target) == before

    # the restored store keeps working: schema at head, a new row gets a fresh id
    assert db.current_revision(target) == db.head_revision()
    with target.begin() as conn:
        new_id = conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, entity, entity_id, action) "
                "VALUES (:at, 'test', 'task', '1', 'note') RETURNING id"
            ),
            {"at": "2024-05-01 00:00:00+00:00"},
        ).scalar_one()
    assert new_id == max(r[0] for r in before["audit_log"]) + 1

    # over a changed, non-empty database: refused without --yes, then exact with it
    assert main(["restore", str(backup)]) == 2
    assert table_counts(target)["audit_log"] == counts["audit_log"] + 1
    assert main(["restore", str(backup), "--yes"]) == 0
    assert table_rows(target) == before
    target.dispose()
    source.dispose()


def test_backup_while_another_connection_writes(tmp_path: Path) -> None:
    """SQLite's online backup copies a consistent snapshot while a writer holds a transaction."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = db.upgrade(url)
    populate(engine, out_dir=tmp_path / "out")
    committed = table_rows(engine)
    with engine.connect() as conn:
        conn.execute(text("UPDATE tasks SET rule = 'uncommitted' WHERE task_id = 1"))
        result = backup_database(url, out=tmp_path / "live.backup")  # writer still open
        conn.rollback()
    copy = db.make_engine(f"sqlite:///{result.path}")
    assert table_rows(copy) == committed
    assert result.tables == table_counts(engine)
    copy.dispose()
    engine.dispose()


def test_refusals_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = db.upgrade(url)
    populate(engine, out_dir=tmp_path / "out")
    before = table_rows(engine)
    _use(url, monkeypatch)

    not_backup = tmp_path / "notes.txt"
    not_backup.write_text("không phải bản sao lưu", encoding="utf-8")
    with pytest.raises(StoreError, match="không phải tệp sao lưu của pcmd"):
        restore_database(url, source=not_backup, replace=True)
    with pytest.raises(StoreError, match="không tìm thấy tệp sao lưu"):
        restore_database(url, source=tmp_path / "missing.backup", replace=True)

    pg_archive = tmp_path / "pg.backup"
    pg_archive.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    with pytest.raises(StoreError, match="không khôi phục được vào cơ sở dữ liệu sqlite"):
        restore_database(url, source=pg_archive, replace=True)
    assert backup_kind(pg_archive) == "postgresql"

    # a backup from a newer pcmd (unknown schema revision) is refused before any change
    future = tmp_path / "future.backup"
    backup_database(url, out=future)
    other = db.make_engine(f"sqlite:///{future}")
    with other.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    other.dispose()
    with pytest.raises(StoreError, match="0099_future"):
        restore_database(url, source=future, replace=True)

    # the CLI: one line, exit 2, no traceback
    assert main(["restore", str(not_backup), "--yes"]) == 2
    assert main(["backup", "--out", str(tmp_path)]) == 2
    assert table_rows(engine) == before
    engine.dispose()
