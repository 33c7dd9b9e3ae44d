"""The tracking store's tables: the engine's single source of truth.

Facts only: what a plan says (plans and their versions, units, obligations, the tasks they
give), what happened (submissions, reviews, returns, extensions, excusals) and who did what
(the append-only audit log). Statuses are derived from these facts and the clock
(:mod:`pcmd_workflow.domain.statuses`) and never stored.

Other store modules (``store/outbox.py``, ``store/compilations.py``, ``store/users.py``)
declare their tables on the same :data:`metadata` by subclassing ``SQLModel`` after
importing this module, so that Alembic sees every table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, MetaData, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from pcmd_workflow.store.types import JSONType, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "AuditEntry",
    "Excusal",
    "Extension",
    "ObligationRecord",
    "PlanRecord",
    "PlanVersion",
    "ReturnRecord",
    "Submission",
    "Task",
    "UnitRecord",
    "audit_table",
    "excusals_table",
    "extensions_table",
    "metadata",
    "obligations_table",
    "plan_versions_table",
    "plans_table",
    "returns_table",
    "submissions_table",
    "tasks_table",
    "units_table",
]

#: Named constraints, so that SQLite batch migrations can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The one metadata of every pcmd table (SQLModel's own, with the naming convention).
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None, sa_type=UTCDateTime, nullable=nullable, index=index
    )  # aware UTC in and out


class PlanRecord(SQLModel, table=True):
    """A plan (file stem id) and the identity of its document; the current version."""

    __tablename__ = "plans"

    id: str = Field(primary_key=True, max_length=120)
    number: str
    doc_type: str
    title: str
    issuer: str
    issued: date
    jurisdiction: str = Field(index=True, max_length=120)
    validity_start: date
    validity_end: date | None = None
    current_version: int
    sha256: str = Field(max_length=64)
    source_path: str | None = None
    loaded_at: datetime = _instant()
    updated_at: datetime = _instant()


class PlanVersion(SQLModel, table=True):
    """One loaded file content of a plan: its sha256, when it was loaded, the parsed body."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=120)
    version: int
    sha256: str = Field(max_length=64)
    loaded_at: datetime = _instant()
    source_path: str | None = None
    body: dict[str, Any] = Field(sa_type=JSONType)


class UnitRecord(SQLModel, table=True):
    """A unit as the current plan version declares it (contacts, succession)."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("plan_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=120)
    slug: str = Field(max_length=120)
    name: str
    level: str = Field(max_length=20)
    parent: str | None = Field(default=None, max_length=120)
    role: str = Field(max_length=20)
    requested: bool = False
    excluded: bool = False
    tags: list[str] = Field(default_factory=list, sa_type=JSONType)
    contacts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    succession: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    active_from: date | None = None
    active_until: date | None = None
    #: set when a revised plan no longer declares the unit (history keeps it)
    removed_at: datetime | None = _instant(nullable=True)


class ObligationRecord(SQLModel, table=True):
    """A reporting duty as the current plan version declares it."""

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("plan_id", "obligation"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(foreign_key="plans.id", max_length=120)
    obligation: str = Field(max_length=120)
    title: str | None = None
    cadence: str = Field(max_length=20)
    reporters: list[str] = Field(default_factory=list, sa_type=JSONType)
    recipient: str = Field(max_length=120)
    via: str | None = Field(default=None, max_length=120)
    due_rule: str | None = None
    form: str | None = Field(default=None, max_length=120)
    ladder: str | None = Field(default=None, max_length=120)
    clause: str
    location: str  # the plan's "where" (section, e.g. "V.2")
    removed_at: datetime | None = _instant(nullable=True)


class Task(SQLModel, table=True):
    """One obligation x one reporter x one period, with its deadline facts.

    ``original_due`` is the plan's due date (after the day-off policy); ``due_date`` is the
    one in force after extensions of the first cycle. Returns carry their own due dates.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_plan_id_reporter", "plan_id", "reporter"),
        Index("ix_tasks_province_due_date", "province", "due_date"),
    )

    task_id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=400)
    plan_id: str = Field(foreign_key="plans.id", max_length=120)
    obligation: str = Field(max_length=120)
    reporter: str = Field(max_length=120)
    period: str = Field(max_length=40)
    cadence: str = Field(max_length=20)
    #: the plan's jurisdiction: sweeps and dispatch are partitioned by it
    province: str = Field(max_length=120)
    cutoff_start: date | None = None
    cutoff_end: date | None = None
    nominal_due: date | None = None
    original_due: date | None = None
    due_date: date | None = Field(default=None, index=True)
    #: flash reports: the instant by which the report is due
    due_at: datetime | None = _instant(nullable=True)
    moved_because: str | None = None
    source: str = Field(default="plan", max_length=20)
    rule: str | None = None
    clause: str | None = None
    created_at: datetime = _instant()
    updated_at: datetime = _instant()
    cancelled_at: datetime | None = _instant(nullable=True)
    cancel_reason: str | None = None


class Submission(SQLModel, table=True):
    """One version of a delivery for a task; the latest accepted one counts."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("task_id", "version"),
        Index("ix_submissions_task_id_received_at", "task_id", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.task_id")
    version: int
    received_at: datetime = _instant()
    submitted_by: str
    channel: str = Field(max_length=20)  # cli | portal | email | zalo | import
    values: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    file_path: str | None = None  # relative to the data directory, content-addressed
    file_name: str | None = None  # as given by the sender, for display only
    file_size: int | None = None
    checksum: str = Field(max_length=64)  # sha256 of the file, or of the canonical values
    review_state: str = Field(default="pending", max_length=20)
    reviewed_at: datetime | None = _instant(nullable=True)
    reviewed_by: str | None = None
    review_reason: str | None = None
    receipt_no: str = Field(unique=True, max_length=80)


class Extension(SQLModel, table=True):
    """A new due date granted for a task (or for its resubmission after a return)."""

    __tablename__ = "extensions"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.task_id", index=True)
    granted_at: datetime = _instant()
    granted_by: str
    new_due: date
    previous_due: date | None = None
    reason: str


class Excusal(SQLModel, table=True):
    """A task the coordinator excused: nothing is expected any more."""

    __tablename__ = "excusals"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.task_id", unique=True)
    excused_at: datetime = _instant()
    excused_by: str
    reason: str


class ReturnRecord(SQLModel, table=True):
    """A submission sent back for correction: the clock restarts with ``new_due``."""

    __tablename__ = "returns"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.task_id", index=True)
    submission_id: int = Field(foreign_key="submissions.id")
    returned_at: datetime = _instant()
    returned_by: str
    reason: str
    new_due: date


class AuditEntry(SQLModel, table=True):
    """One state change: who, when, what, and the entity before and after. Append-only."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _instant()
    actor: str
    entity: str = Field(max_length=40)  # plan | unit | obligation | task | submission ...
    entity_id: str = Field(max_length=400)
    action: str = Field(max_length=40)
    plan_id: str | None = Field(default=None, max_length=120, index=True)
    task_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType)


# Core tables, for set-based queries and bulk writes (typed for mypy).
plans_table: Table = PlanRecord.__table__  # type: ignore[attr-defined]
plan_versions_table: Table = PlanVersion.__table__  # type: ignore[attr-defined]
units_table: Table = UnitRecord.__table__  # type: ignore[attr-defined]
obligations_table: Table = ObligationRecord.__table__  # type: ignore[attr-defined]
tasks_table: Table = Task.__table__  # type: ignore[attr-defined]
submissions_table: Table = Submission.__table__  # type: ignore[attr-defined]
extensions_table: Table = Extension.__table__  # type: ignore[attr-defined]
excusals_table: Table = Excusal.__table__  # type: ignore[attr-defined]
returns_table: Table = ReturnRecord.__table__  # type: ignore[attr-defined]
audit_table: Table = AuditEntry.__table__  # type: ignore[attr-defined]
