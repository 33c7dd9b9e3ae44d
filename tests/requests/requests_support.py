"""Helpers of the request tests (importable as ``requests_support``).

The database helpers are the store tests' (tests/store/store_helpers.py), loaded by path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLAN = HERE / "plans" / "thu-nghiem-2-kh-ubnd-2024.yaml"
#: the same plan without the districts' ad-hoc duty
PLAN_V2 = HERE / "plans" / "v2" / "thu-nghiem-2-kh-ubnd-2024.yaml"
PLAN_ID = "thu-nghiem-2-kh-ubnd-2024"


def _store_helpers() -> object:
    """tests/store/store_helpers.py as a module of its own."""
    spec = importlib.util.spec_from_file_location(
        "pcmd_store_helpers_requests", HERE.parent / "store" / "store_helpers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STORE = _store_helpers()
postgres_url = _STORE.postgres_url  # type: ignore[attr-defined]
local = _STORE.local  # type: ignore[attr-defined]
fresh_pg_database = _STORE.fresh_pg_database  # type: ignore[attr-defined]
drop_pg_database = _STORE.drop_pg_database  # type: ignore[attr-defined]
empty_tables = _STORE.empty_tables  # type: ignore[attr-defined]
