"""Outbox: notices (one per task, cycle, rung, channel and recipient) and delivery attempts.

Revision ID: 0002_outbox
Revises: 0001_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_outbox"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("province", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("addressee", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("rung", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("ladder", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("rung_day", sa.Date(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason_vi", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["notices.id"], name=op.f("fk_notices_replaced_by_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["notices.id"], name=op.f("fk_notices_replaces_id_notices")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.task_id"], name=op.f("fk_notices_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notices_idempotency_key")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notices_channel_recipient", ["channel", "recipient"], unique=False
        )
        batch_op.create_index("ix_notices_plan_id_due_date", ["plan_id", "due_date"], unique=False)
        batch_op.create_index(
            "ix_notices_status_send_after", ["status", "send_after"], unique=False
        )
        batch_op.create_index("ix_notices_task_id_status", ["task_id", "status"], unique=False)
        # deleting a notice checks who refers to it: without these, a purge is quadratic
        for column in ("replaces_id", "replaced_by_id"):
            batch_op.create_index(
                f"ix_notices_{column}",
                [column],
                unique=False,
                sqlite_where=sa.text(f"{column} IS NOT NULL"),
                postgresql_where=sa.text(f"{column} IS NOT NULL"),
            )

    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("provider_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column(
            "provider_message_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_delivery_attempts_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_notice_id"), ["notice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_notice_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_message_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_replaced_by_id")
        batch_op.drop_index("ix_notices_replaces_id")
        batch_op.drop_index("ix_notices_task_id_status")
        batch_op.drop_index("ix_notices_status_send_after")
        batch_op.drop_index("ix_notices_plan_id_due_date")
        batch_op.drop_index("ix_notices_channel_recipient")

    op.drop_table("notices")
