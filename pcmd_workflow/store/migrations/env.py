"""Alembic environment of pcmd: one metadata, every store module, batch mode on SQLite."""

from __future__ import annotations

import importlib
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import JSON, Connection

from pcmd_workflow.store.models import metadata
from pcmd_workflow.store.types import UTCDateTime

#: Store modules that declare tables on the shared metadata; those present are imported so
#: that autogenerate and ``alembic check`` see every table.
STORE_MODULES = (
    "pcmd_workflow.store.outbox",
    "pcmd_workflow.store.compilations",
    "pcmd_workflow.store.users",
)

for _name in STORE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # not written yet
        if exc.name != _name:
            raise

config = context.config
target_metadata = metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render pcmd's column types with plain SQLAlchemy types: migrations stay stable."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, JSON) and "postgresql" in obj._variant_mapping:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from pcmd_workflow.settings import get_settings
    from pcmd_workflow.store.db import make_engine

    url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
