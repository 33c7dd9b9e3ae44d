"""Compilations: one row per roll-up of an obligation and period (values, checksum, files).

Revision ID: 0003_compilations
Revises: 0002_outbox
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_compilations"
down_revision: str | None = "0002_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "compilations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("obligation", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", _JSON, nullable=False),
        sa.Column("checksum", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("files", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_compilations_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compilations")),
    )
    with op.batch_alter_table("compilations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compilations_plan_id_obligation_period",
            ["plan_id", "obligation", "period"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("compilations", schema=None) as batch_op:
        batch_op.drop_index("ix_compilations_plan_id_obligation_period")
    op.drop_table("compilations")
