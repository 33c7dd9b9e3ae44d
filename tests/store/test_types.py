"""Instants are aware UTC in and out on both engines; naive instants are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import StatementError

from pcmd_workflow.store.models import audit_table


def test_instants_round_trip_as_aware_utc(engine: Engine) -> None:
    hanoi = timezone(timedelta(hours=7))
    written = datetime(2024, 6, 18, 23, 59, 59, 123456, tzinfo=hanoi)
    with engine.begin() as conn:
        conn.execute(
            insert(audit_table),
            {"at": written, "actor": "t", "entity": "task", "entity_id": "k", "action": "x"},
        )
    with engine.connect() as conn:
        read = conn.execute(select(audit_table.c.at)).scalar_one()
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read == datetime(2024, 6, 18, 16, 59, 59, 123456, tzinfo=UTC)


def test_comparisons_in_sql_use_utc(engine: Engine) -> None:
    hanoi = timezone(timedelta(hours=7))
    with engine.begin() as conn:
        for hour in (6, 8):  # 06:00 and 08:00 local = 23:00 and 01:00 UTC
            conn.execute(
                insert(audit_table),
                {
                    "at": datetime(2024, 6, 18, hour, tzinfo=hanoi),
                    "actor": f"h{hour}",
                    "entity": "task",
                    "entity_id": "k",
                    "action": "x",
                },
            )
    cut = datetime(2024, 6, 18, 0, 0, tzinfo=UTC)  # 07:00 local
    with engine.connect() as conn:
        before = conn.execute(select(audit_table.c.actor).where(audit_table.c.at <= cut))
        assert [r[0] for r in before] == ["h6"]


def test_naive_instants_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive instant"), engine.begin() as conn:
        conn.execute(
            insert(audit_table),
            {
                "at": datetime(2024, 6, 18, 12, 0),
                "actor": "t",
                "entity": "task",
                "entity_id": "k",
                "action": "x",
            },
        )
