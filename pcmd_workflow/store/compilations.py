"""Compilations: each roll-up of one obligation and period, kept to detect changed totals.

A compilation row is written every time ``pcmd compile`` (or the dashboard) compiles; the
previous row of the same plan, obligation and period is what "changed since the last
compilation" compares with. ``result`` holds the compiled values with their provenance,
the completeness counts and the target results; ``checksum`` is the sha256 of that result
in canonical JSON (equal inputs give equal checksums, whenever they are compiled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel, col, select

from pcmd_workflow.store import models  # noqa: F401  (the shared metadata)
from pcmd_workflow.store.types import JSONType, UTCDateTime

__all__ = ["Compilation", "latest_compilation"]


class Compilation(SQLModel, table=True):
    __tablename__ = "compilations"
    __table_args__ = (
        Index("ix_compilations_plan_id_obligation_period", "plan_id", "obligation", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=120)
    obligation: str = Field(max_length=120)
    period: str = Field(max_length=40)
    #: the instant the figures were taken at (``--as-of D`` = 07:00 local on D)
    as_of: datetime = Field(sa_type=UTCDateTime, nullable=False)
    computed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    result: dict[str, Any] = Field(sa_type=JSONType)
    checksum: str = Field(max_length=64)
    #: output files written, ``{"xlsx": path, ...}`` (as given to the compile command)
    files: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


def latest_compilation(
    session: Session, *, plan_id: str, obligation: str, period: str
) -> Compilation | None:
    """The most recent compilation of this obligation and period, if any."""
    stmt = (
        select(Compilation)
        .where(Compilation.plan_id == plan_id)
        .where(Compilation.obligation == obligation)
        .where(Compilation.period == period)
        .order_by(col(Compilation.computed_at).desc(), col(Compilation.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()
