"""Engines, sessions and schema upgrades for SQLite (default) and PostgreSQL (psycopg 3).

SQLite runs in WAL mode with a busy timeout, foreign keys on, and real transactions: the
driver's implicit transaction handling is turned off and SQLAlchemy emits ``BEGIN`` itself,
so that reads and writes of a service are one unit and savepoints work. Services that must
serialise on a task take a write lock first (:func:`lock_task`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session

from pcmd_workflow.errors import ConfigError, StoreError
from pcmd_workflow.settings import get_settings

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade",
    "get_engine",
    "head_revision",
    "lock_task",
    "make_engine",
    "normalise_url",
    "ready_engine",
    "session_scope",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: engines by URL; the settings only change URL in tests, so a few are kept, older ones closed
_engines: OrderedDict[str, Engine] = OrderedDict()
_engines_lock = threading.Lock()
_MAX_ENGINES = 4


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL pcmd uses: ``postgresql://`` means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"PCMD_DATABASE_URL: '{url}' is not a database URL; expected "
            "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"PCMD_DATABASE_URL: backend '{parsed.get_backend_name()}' is not supported; "
            "use SQLite or PostgreSQL"
        )
    return parsed.render_as_string(hide_password=False)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url`` (SQLite files get their directory created)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # sessions in UTC: psycopg then returns instants with datetime.UTC (no zone lookups)
    kwargs.setdefault("connect_args", {"options": "-c TimeZone=UTC"})
    return create_engine(url, **kwargs)


def get_engine() -> Engine:
    """The engine of the configured database (cached per URL)."""
    settings = get_settings()
    if settings.database_url is None:
        settings.ensure_data_dir()
    url = normalise_url(settings.effective_database_url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
            while len(_engines) > _MAX_ENGINES:
                _old_url, old = _engines.popitem(last=False)
                old.dispose()
        else:
            _engines.move_to_end(url)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# ---- migrations -------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration pointing at pcmd's migrations (and at ``url`` if given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(engine: Engine, action: str, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def upgrade(url: str | Engine | None = None, revision: str = "head") -> Engine:
    """Create or upgrade the schema of ``url`` (default: the configured database)."""
    engine = _engine_for(url)
    _run(engine, "upgrade", revision)
    return engine


def downgrade(url: str | Engine | None = None, revision: str = "base") -> Engine:
    engine = _engine_for(url)
    _run(engine, "downgrade", revision)
    return engine


def _engine_for(url: str | Engine | None) -> Engine:
    if url is None:
        return get_engine()
    if isinstance(url, Engine):
        return url
    return make_engine(url)


def ready_engine(engine: Engine | None = None) -> Engine:
    """The engine, with its schema created when the database is empty.

    A database at an older revision is not changed behind the user's back: the error says
    to run ``pcmd db upgrade``.
    """
    engine = engine or get_engine()
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return engine
    if current is None:
        _run(engine, "upgrade", "head")
        return engine
    raise StoreError(
        f"cơ sở dữ liệu đang ở phiên bản lược đồ {current}, cần {head}: "
        "hãy chạy `pcmd db upgrade` (database schema is behind)"
    )


def lock_task(session: Session, task_id: int) -> bool:
    """Take the write lock that serialises changes to one task; False when it does not exist.

    PostgreSQL locks the row (``SELECT ... FOR UPDATE``); SQLite takes its database write
    lock by touching the row, waiting up to the busy timeout. Call it first in a transaction.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        row = session.execute(
            text("SELECT task_id FROM tasks WHERE task_id = :id FOR UPDATE"), {"id": task_id}
        ).first()
        return row is not None
    result = session.execute(
        text("UPDATE tasks SET task_id = task_id WHERE task_id = :id"), {"id": task_id}
    )
    return bool(getattr(result, "rowcount", 0))
