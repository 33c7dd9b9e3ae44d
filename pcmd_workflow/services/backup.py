"""Backups and restores of the tracking store, on both engines.

- SQLite: the online backup API (``sqlite3.Connection.backup``), which copies a consistent
  snapshot while other processes keep reading and writing (WAL mode). The backup is itself
  a SQLite database file, written next to its final name and renamed into place, so a crash
  never leaves a half-written backup under the name asked for.
- PostgreSQL: ``pg_dump -Fc`` (custom format, without owners or privileges) and
  ``pg_restore --clean --if-exists --single-transaction``: a restore that fails leaves the
  database as it was. The binaries are taken from ``pg_bin`` (``PCMD_PG_BIN`` in the CLI),
  else from ``PATH``, else from the newest ``/usr/lib/postgresql/*/bin``. The password never
  appears on a command line (it goes through ``PGPASSWORD``).

A backup of one engine cannot be restored into the other: the file's first bytes say which
engine wrote it, and a mismatch is refused before anything is touched. A backup whose
schema revision is newer than this version of pcmd is refused too.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlalchemy.engine import URL, make_url

from pcmd_workflow.errors import ConfigError, StoreError
from pcmd_workflow.store import db

__all__ = [
    "BackupResult",
    "RestoreResult",
    "backup_database",
    "backup_kind",
    "find_pg_binary",
    "restore_database",
    "table_counts",
    "table_rows",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
#: seconds a pg_dump / pg_restore may take before the command is stopped
PG_TOOL_TIMEOUT = 600


@dataclass(frozen=True, kw_only=True)
class BackupResult:
    """What a backup wrote: the file, its engine and size, and the rows of each table."""

    path: Path
    engine: str
    size: int
    revision: str | None
    tables: Mapping[str, int] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "engine": self.engine,
            "bytes": self.size,
            "revision": self.revision,
            "rows": sum(self.tables.values()),
            "tables": dict(self.tables),
        }


@dataclass(frozen=True, kw_only=True)
class RestoreResult:
    """What a restore did: the engine, the revision restored, and the rows of each table."""

    source: Path
    engine: str
    revision: str | None
    tables: Mapping[str, int] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        return {
            "file": str(self.source),
            "engine": self.engine,
            "revision": self.revision,
            "rows": sum(self.tables.values()),
            "tables": dict(self.tables),
        }


# ---- inspection ----------------------------------------------------------------------------


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows of every table of the database, by table name (sorted)."""
    names = sorted(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name in names:
            quoted = engine.dialect.identifier_preparer.quote(name)
            counts[name] = int(conn.execute(text(f"SELECT COUNT(*) FROM {quoted}")).scalar_one())
    return counts


def table_rows(
    engine: Engine, *, metadata: MetaData | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key: for comparing two databases.

    ``metadata``: tables reflected once by the caller (reflection is the slow part)."""
    meta = metadata
    if meta is None:
        meta = MetaData()
        meta.reflect(bind=engine)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in sorted(meta.tables):
            table = meta.tables[name]
            ordered = select(table).order_by(*table.primary_key.columns or table.columns)
            rows[name] = [tuple(r) for r in conn.execute(ordered)]
    return rows


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql`` from the file's first bytes; StoreError otherwise."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise StoreError(f"{path}: không tìm thấy tệp sao lưu (backup file not found)") from None
    except IsADirectoryError:
        raise StoreError(f"{path}: là thư mục, không phải tệp sao lưu") from None
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise StoreError(
        f"{path}: không phải tệp sao lưu của pcmd (expected a SQLite database or a "
        "pg_dump -Fc archive)"
    )


# ---- SQLite ----------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise ConfigError("sao lưu cần một cơ sở dữ liệu SQLite trên đĩa, không phải :memory:")
    return Path(url.database)


def _sqlite_revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        if found is None:
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: tệp SQLite hỏng hoặc không đọc được ({exc})") from None
    finally:
        conn.close()


def _sqlite_backup(source: Path, out: Path) -> None:
    if not source.exists():
        raise StoreError(f"{source}: cơ sở dữ liệu chưa tồn tại; không có gì để sao lưu")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sqlite_restore(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        # The backup API replaces the destination's pages under its write lock: readers of
        # the target see either the old database or the restored one, never a mixture.
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# ---- PostgreSQL ------------------------------------------------------------------------------


def find_pg_binary(name: str, *, pg_bin: Path | None = None) -> Path:
    """``pg_dump``/``pg_restore`` from ``pg_bin``, else PATH, else /usr/lib/postgresql/*/bin."""
    if pg_bin is not None:
        candidate = Path(pg_bin) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise ConfigError(f"{candidate}: không có chương trình {name} (check PCMD_PG_BIN)")
    found = shutil.which(name)
    if found:
        return Path(found)
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    raise ConfigError(
        f"không tìm thấy {name}: cài gói postgresql-client hoặc đặt PCMD_PG_BIN "
        f"(the directory of the PostgreSQL binaries)"
    )


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    if not url.database:
        raise ConfigError("PCMD_DATABASE_URL: thiếu tên cơ sở dữ liệu PostgreSQL")
    args += ["--dbname", url.database]
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return args, env


def _run_pg_tool(command: list[str], *, env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise StoreError(f"{what}: quá {PG_TOOL_TIMEOUT} giây, đã dừng (timed out)") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        detail = lines[-1] if lines else f"exit code {done.returncode}"
        raise StoreError(f"{what} thất bại: {detail}")


def _pg_backup(url: URL, out: Path, *, pg_bin: Path | None) -> None:
    args, env = _pg_args(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tool = find_pg_binary("pg_dump", pg_bin=pg_bin)
        _run_pg_tool(
            [str(tool), "--format=custom", "--no-owner", "--no-acl", "--file", str(tmp), *args],
            env=env,
            what="pg_dump",
        )
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pg_restore(url: URL, source: Path, *, pg_bin: Path | None) -> None:
    args, env = _pg_args(url)
    tool = find_pg_binary("pg_restore", pg_bin=pg_bin)
    _run_pg_tool(
        [
            str(tool),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(source),
        ],
        env=env,
        what="pg_restore",
    )


# ---- the two operations ----------------------------------------------------------------------


def _revision_or_none(engine: Engine) -> str | None:
    try:
        return db.current_revision(engine)
    except Exception:  # an unreachable database is reported by the caller's next step
        return None


def backup_database(url: str, *, out: Path, pg_bin: Path | None = None) -> BackupResult:
    """Write a consistent backup of the database at ``url`` to ``out`` (replaced atomically)."""
    normal = make_url(db.normalise_url(url))
    out = Path(out)
    if out.exists() and out.is_dir():
        raise StoreError(f"{out}: là thư mục; --out cần tên tệp")
    if normal.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(normal).resolve(), out)
        revision = _sqlite_revision(out)
        counted = db.make_engine(f"sqlite:///{out.resolve()}")
        kind = "sqlite"
    else:
        counted = db.make_engine(url)
        revision = _revision_or_none(counted)
        _pg_backup(normal, out, pg_bin=pg_bin)
        kind = "postgresql"
    try:
        counts = table_counts(counted)
    finally:
        counted.dispose()
    return BackupResult(
        path=out, engine=kind, size=out.stat().st_size, revision=revision, tables=counts
    )


def _check_revision(revision: str | None, *, source: Path) -> None:
    head = db.head_revision()
    if revision is None or revision == head:
        return
    if revision not in _known_revisions():
        raise StoreError(
            f"{source}: bản sao lưu ở phiên bản lược đồ {revision}, phiên bản pcmd này không "
            f"biết (cần {head}); hãy dùng phiên bản pcmd đã tạo ra bản sao lưu"
        )


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(db.alembic_config())
    return {s.revision for s in script.walk_revisions()}


def _rows_in(url: str) -> int:
    """Rows in the target database's tables (0 when it does not exist yet)."""
    normal = make_url(db.normalise_url(url))
    if normal.get_backend_name() == "sqlite" and not _sqlite_path(normal).exists():
        return 0
    engine = db.make_engine(url)
    try:
        counts = table_counts(engine)
    finally:
        engine.dispose()
    return sum(n for name, n in counts.items() if name != "alembic_version")


def restore_database(
    url: str, *, source: Path, replace: bool = False, pg_bin: Path | None = None
) -> RestoreResult:
    """Replace the database at ``url`` with the backup ``source``.

    Checks first (engine of the file, schema revision known to this pcmd, and, unless
    ``replace``, that the target holds no rows), then restores in one step; after a restore
    to an older revision, ``pcmd db upgrade`` brings it to head.
    """
    source = Path(source)
    kind = backup_kind(source)
    normal = make_url(db.normalise_url(url))
    target_kind = normal.get_backend_name()
    if kind != target_kind:
        raise StoreError(
            f"{source}: bản sao lưu {kind} không khôi phục được vào cơ sở dữ liệu "
            f"{target_kind} (a backup restores into the engine that wrote it)"
        )
    if not replace:
        existing = _rows_in(url)
        if existing:
            raise StoreError(
                f"cơ sở dữ liệu đích đang có {existing} dòng dữ liệu; khôi phục sẽ thay thế "
                "toàn bộ: chạy lại với --yes nếu chắc chắn (the target database is not empty)"
            )
    if kind == "sqlite":
        _check_revision(_sqlite_revision(source), source=source)
        _sqlite_restore(source.resolve(), _sqlite_path(normal).resolve())
    else:
        _pg_restore(normal, source, pg_bin=pg_bin)
    engine = db.make_engine(url)
    try:
        revision = _revision_or_none(engine)
        if kind != "sqlite":
            _check_revision(revision, source=source)
        counts = table_counts(engine)
    finally:
        engine.dispose()
    return RestoreResult(source=source, engine=kind, revision=revision, tables=counts)
