"""Helpers shared by the compilation tests (importable as ``compile_support``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PROVINCE = HERE / "province.yaml"
ANSWERS = HERE / "answers"


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# ---- databases: SQLite always, PostgreSQL when PCMD_TEST_POSTGRES_URL is set -------------
def _root_conftest() -> Any:
    """tests/conftest.py as a module of its own (its helpers: require, postgres_url)."""
    spec = importlib.util.spec_from_file_location(
        "pcmd_root_conftest_compile", HERE.parent / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROOT = _root_conftest()


def fresh_pg_database(url: str) -> str:
    """``url`` with every table emptied (the module's PostgreSQL database, reused)."""
    from sqlalchemy import text

    from pcmd_workflow.store import db

    engine = db.upgrade(url)
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
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
