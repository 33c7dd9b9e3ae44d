"""Tasks and their statuses at an instant: set-based queries + the pure status function.

The status of every task is computed from facts recorded at or before the instant asked
about (``--as-of D`` means during day D at 07:00 local, CONTRACTS "Dates, instants,
deadlines"). A handful of queries fetch the tasks and their events (submissions,
extensions, returns, excusals) for the whole selection at once, and
:func:`pcmd_workflow.domain.statuses.derive_statuses` turns the columns into statuses: no
per-task round trip, so the national pass stays well under two seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from pcmd_workflow.clock import as_of_instant, to_utc
from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.statuses import (
    DEFAULT_DUE_SOON_DAYS,
    FactColumns,
    ReviewState,
    StatusColumns,
    TaskStatus,
    WorkingDays,
    derive_statuses,
)
from pcmd_workflow.errors import AuthError, NotFound, PcmdError
from pcmd_workflow.store.models import (
    Task,
    excusals_table,
    extensions_table,
    returns_table,
    submissions_table,
    tasks_table,
)

__all__ = [
    "TASK_COLUMNS",
    "StatusTable",
    "TaskView",
    "as_instant",
    "compute_statuses",
    "get_task",
    "list_tasks",
    "task_status",
]

#: Columns of ``pcmd tasks list`` (table and CSV); JSON carries every field of TaskView.
TASK_COLUMNS = (
    "task_id",
    "key",
    "plan",
    "obligation",
    "reporter",
    "period",
    "due_date",
    "status",
    "submitted_at",
    "days_late",
    "review",
)

_T = tasks_table
_S = submissions_table
_E = extensions_table
_R = returns_table
_X = excusals_table


def as_instant(as_of: date | datetime) -> datetime:
    """An instant from ``--as-of``: a day means that day at 07:00 local."""
    if isinstance(as_of, datetime):
        return to_utc(as_of)
    return as_of_instant(as_of)


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        from pcmd_workflow.clock import LOCAL_TZ

        return value.astimezone(LOCAL_TZ).isoformat()
    return value.isoformat()


@dataclass(frozen=True, kw_only=True)
class TaskView:
    """A task with its status at an instant (what lists, the portal and the API show)."""

    task_id: int
    key: str
    plan: str
    obligation: str
    reporter: str
    period: str
    cadence: str
    province: str
    cutoff_start: date | None
    cutoff_end: date | None
    nominal_due: date | None
    original_due: date | None
    due_date: date | None  # in force for the current cycle (extension, return)
    due_at: datetime | None
    moved_because: str | None
    source: str
    rule: str | None
    clause: str | None
    status: TaskStatus
    review: ReviewState | None
    submitted_at: datetime | None  # first submission's receipt (decides timeliness)
    last_submitted_at: datetime | None
    versions: int
    days_late: int
    cancelled: bool

    def as_row(self) -> dict[str, Any]:
        """JSON-ready fields (CONTRACTS: instants shown in +07:00, dates ISO)."""
        return {
            "task_id": self.task_id,
            "key": self.key,
            "plan": self.plan,
            "obligation": self.obligation,
            "reporter": self.reporter,
            "period": self.period,
            "due_date": _iso(self.due_date),
            "status": str(self.status),
            "submitted_at": _iso(self.submitted_at),
            "days_late": self.days_late,
            "review": None if self.review is None else str(self.review),
            "nominal_due": _iso(self.nominal_due),
            "original_due": _iso(self.original_due),
            "due_at": _iso(self.due_at),
            "moved_because": self.moved_because,
            "source": self.source,
            "cadence": self.cadence,
            "province": self.province,
            "cutoff_start": _iso(self.cutoff_start),
            "cutoff_end": _iso(self.cutoff_end),
            "last_submitted_at": _iso(self.last_submitted_at),
            "versions": self.versions,
            "clause": self.clause,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True, kw_only=True)
class StatusTable:
    """Statuses of many tasks as columns (the national pass)."""

    task_ids: list[int]
    columns: StatusColumns

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in TaskStatus}
        for s in self.columns.status:
            out[s] += 1
        return out

    def by_task(self) -> dict[int, TaskStatus]:
        return dict(zip(self.task_ids, self.columns.status, strict=True))


@dataclass
class _Events:
    """Per-task events at the instant, gathered from the event tables."""

    first_at: dict[int, datetime]
    last_at: dict[int, datetime]
    versions: dict[int, int]
    review: dict[int, ReviewState]
    ext_due: dict[int, date]
    ret_at: dict[int, datetime]
    ret_due: dict[int, date]
    excused: set[int]


def _conditions(
    *,
    plan_id: str | None,
    unit: str | None,
    province: str | None,
    task_ids: Sequence[int] | None,
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if plan_id is not None:
        conds.append(_T.c.plan_id == plan_id)
    if unit is not None:
        conds.append(_T.c.reporter == unit)
    if province is not None:
        conds.append(_T.c.province == province)
    if task_ids is not None:
        conds.append(_T.c.task_id.in_(list(task_ids)))
    return conds


def _scoped(stmt: Select[Any], table: Any, conds: list[ColumnElement[bool]]) -> Select[Any]:
    if not conds:
        return stmt
    return stmt.join(_T, _T.c.task_id == table.c.task_id).where(*conds)


def _events(session: Session, *, now: datetime, conds: list[ColumnElement[bool]]) -> _Events:
    ev = _Events({}, {}, {}, {}, {}, {}, {}, set())
    # the review state in force at ``now`` is decided in SQL (no instant to convert)
    state_in_force = case(
        (_S.c.reviewed_at <= now, _S.c.review_state), else_=ReviewState.pending.value
    )
    subs = _scoped(
        select(_S.c.task_id, _S.c.received_at, _S.c.version, state_in_force), _S, conds
    ).where(_S.c.received_at <= now)
    latest: dict[int, tuple[int, str]] = {}
    first_at, last_at, versions = ev.first_at, ev.last_at, ev.versions
    for task_id, received_at, version, state in session.execute(subs).all():
        versions[task_id] = versions.get(task_id, 0) + 1
        first = first_at.get(task_id)
        if first is None or received_at < first:
            first_at[task_id] = received_at
        last = last_at.get(task_id)
        if last is None or received_at > last:
            last_at[task_id] = received_at
        newest = latest.get(task_id)
        if newest is None or version > newest[0]:
            latest[task_id] = (version, state)
    states = {str(s): s for s in ReviewState}
    ev.review = {task_id: states[state] for task_id, (_v, state) in latest.items()}

    first_ret: dict[int, datetime] = {}
    rets = _scoped(select(_R.c.task_id, _R.c.returned_at, _R.c.new_due), _R, conds).where(
        _R.c.returned_at <= now
    )
    for task_id, returned_at, new_due in session.execute(rets).all():
        if task_id not in first_ret or returned_at < first_ret[task_id]:
            first_ret[task_id] = returned_at
        if task_id not in ev.ret_at or returned_at >= ev.ret_at[task_id]:
            ev.ret_at[task_id] = returned_at
            ev.ret_due[task_id] = new_due

    exts = _scoped(select(_E.c.task_id, _E.c.granted_at, _E.c.new_due, _E.c.id), _E, conds).where(
        _E.c.granted_at <= now
    )
    for task_id, granted_at, new_due, _id in sorted(
        session.execute(exts), key=lambda r: (r[1], r[3])
    ):
        returned_first = first_ret.get(task_id)
        if returned_first is None or granted_at < returned_first:
            ev.ext_due[task_id] = new_due  # first cycle: the latest extension wins
        elif granted_at >= ev.ret_at[task_id]:
            ev.ret_due[task_id] = new_due  # extends the corrected version's due date

    excs = _scoped(select(_X.c.task_id), _X, conds).where(_X.c.excused_at <= now)
    ev.excused = set(session.execute(excs).scalars())
    return ev


def _facts(
    task_ids: Iterable[int], dues: Iterable[Any], due_ats: Iterable[Any], ev: _Events
) -> FactColumns:
    ids = list(task_ids)
    nothing: list[Any] = [None] * len(ids)

    def column(found: dict[int, Any]) -> list[Any]:
        return list(map(found.get, ids)) if found else nothing

    return FactColumns(
        due_date=list(dues),
        due_at=list(due_ats),
        extension_due=column(ev.ext_due),
        first_received_at=column(ev.first_at),
        last_received_at=column(ev.last_at),
        return_at=column(ev.ret_at),
        return_due=column(ev.ret_due),
        excused=list(map(ev.excused.__contains__, ids)),
    )


def _not_cancelled(now: datetime) -> ColumnElement[bool]:
    return (_T.c.cancelled_at.is_(None)) | (_T.c.cancelled_at > now)


def compute_statuses(
    session: Session,
    *,
    as_of: date | datetime,
    plan_id: str | None = None,
    province: str | None = None,
    unit: str | None = None,
    calendar: WorkingDays | None = None,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> StatusTable:
    """The status of every (selected, not cancelled) task at ``as_of``, as columns."""
    now = as_instant(as_of)
    conds = _conditions(plan_id=plan_id, unit=unit, province=province, task_ids=None)
    live = (*conds, _not_cancelled(now))
    stmt = select(_T.c.task_id, _T.c.original_due).where(*live).order_by(_T.c.task_id)
    rows = session.execute(stmt).all()
    # flash tasks are few: their due instants come apart, the rest have none to convert
    flash: dict[int, datetime] = {
        task_id: due_at
        for task_id, due_at in session.execute(
            select(_T.c.task_id, _T.c.due_at).where(*live, _T.c.due_at.is_not(None))
        )
    }
    ev = _events(session, now=now, conds=conds)
    ids, dues = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [])
    due_ats = [flash.get(i) for i in ids] if flash else [None] * len(ids)
    cols = derive_statuses(
        _facts(ids, dues, due_ats, ev),
        now=now,
        calendar=calendar or default_calendar(),
        due_soon_days=due_soon_days,
    )
    return StatusTable(task_ids=list(ids), columns=cols)


def list_tasks(
    session: Session,
    *,
    as_of: date | datetime,
    plan_id: str | None = None,
    unit: str | None = None,
    status: TaskStatus | str | Iterable[TaskStatus | str] | None = None,
    province: str | None = None,
    task_ids: Sequence[int] | None = None,
    include_cancelled: bool = False,
    calendar: WorkingDays | None = None,
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS,
) -> list[TaskView]:
    """Tasks with their status at ``as_of``, by due date in force then key."""
    now = as_instant(as_of)
    wanted = _status_filter(status)
    conds = _conditions(plan_id=plan_id, unit=unit, province=province, task_ids=task_ids)
    stmt = select(_T).where(*conds)
    if not include_cancelled:
        stmt = stmt.where(_not_cancelled(now))
    rows = session.execute(stmt.order_by(_T.c.task_id)).mappings().all()
    ev = _events(session, now=now, conds=conds)
    ids = [r["task_id"] for r in rows]
    cols = derive_statuses(
        _facts(ids, (r["original_due"] for r in rows), (r["due_at"] for r in rows), ev),
        now=now,
        calendar=calendar or default_calendar(),
        due_soon_days=due_soon_days,
    )
    views = []
    for i, r in enumerate(rows):
        st = cols.status[i]
        if wanted is not None and st not in wanted:
            continue
        task_id = r["task_id"]
        views.append(
            TaskView(
                task_id=task_id,
                key=r["key"],
                plan=r["plan_id"],
                obligation=r["obligation"],
                reporter=r["reporter"],
                period=r["period"],
                cadence=r["cadence"],
                province=r["province"],
                cutoff_start=r["cutoff_start"],
                cutoff_end=r["cutoff_end"],
                nominal_due=r["nominal_due"],
                original_due=r["original_due"],
                due_date=cols.due_date[i],
                due_at=r["due_at"],
                moved_because=r["moved_because"],
                source=r["source"],
                rule=r["rule"],
                clause=r["clause"],
                status=st,
                review=ev.review.get(task_id),
                submitted_at=ev.first_at.get(task_id),
                last_submitted_at=ev.last_at.get(task_id),
                versions=ev.versions.get(task_id, 0),
                days_late=cols.days_late[i],
                cancelled=r["cancelled_at"] is not None and r["cancelled_at"] <= now,
            )
        )
    views.sort(key=lambda v: (v.due_date or date.max, v.key))
    return views


def _status_filter(
    status: TaskStatus | str | Iterable[TaskStatus | str] | None,
) -> set[TaskStatus] | None:
    if status is None:
        return None
    items = [status] if isinstance(status, str) else list(status)
    out = set()
    for item in items:
        try:
            out.add(TaskStatus(item))
        except ValueError:
            known = ", ".join(s.value for s in TaskStatus)
            raise PcmdError(
                f"--status: '{item}' is not a status; expected one of {known}"
            ) from None
    return out


def get_task(session: Session, task_id: int, *, unit: str | None = None) -> Task:
    """The task ``task_id``; NotFound when unknown, AuthError when it belongs to another unit."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"không có nhiệm vụ số {task_id} (unknown task)")
    if unit is not None and task.reporter != unit:
        raise AuthError(f"nhiệm vụ số {task_id} không thuộc đơn vị «{unit}»")
    return task


def task_status(
    session: Session,
    task_id: int,
    *,
    as_of: date | datetime,
    unit: str | None = None,
    calendar: WorkingDays | None = None,
) -> TaskView:
    """One task with its status at ``as_of`` (cancelled tasks included)."""
    get_task(session, task_id, unit=unit)
    views = list_tasks(
        session, as_of=as_of, task_ids=[task_id], include_cancelled=True, calendar=calendar
    )
    return views[0]
