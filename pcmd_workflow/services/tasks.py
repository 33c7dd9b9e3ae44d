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

from sqlalchemy import Select, case, func, select
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
    """Returns, extensions and excusals in force at the instant (few rows: dictionaries)."""

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


def _task_rows(
    session: Session,
    *,
    now: datetime,
    conds: list[ColumnElement[bool]],
    columns: Sequence[Any],
    include_cancelled: bool,
) -> Sequence[Any]:
    """One row per task: ``columns``, then the submission facts at ``now``.

    Appended: ``first_at`` (first receipt), ``last_at`` (latest receipt, NULL when there is
    a single version), ``versions`` and ``review`` (the latest version's review state in
    force at ``now``), aggregated in the database so each task is one row.
    """
    received = _S.c.received_at <= now
    agg = (
        _scoped(
            select(
                _S.c.task_id.label("task_id"),
                func.min(_S.c.received_at).label("first_at"),
                case((func.count() > 1, func.max(_S.c.received_at))).label("last_at"),
                func.count().label("versions"),
                func.max(_S.c.version).label("top"),
            ),
            _S,
            conds,
        )
        .where(received)
        .group_by(_S.c.task_id)
        .subquery("agg")
    )
    latest = _S.alias("latest")
    review = case(
        (latest.c.id.is_(None), None),
        (latest.c.reviewed_at <= now, latest.c.review_state),
        else_=ReviewState.pending.value,
    )
    joined = _T.outerjoin(agg, agg.c.task_id == _T.c.task_id).outerjoin(
        latest, (latest.c.task_id == agg.c.task_id) & (latest.c.version == agg.c.top)
    )
    stmt = (
        select(*columns, agg.c.first_at, agg.c.last_at, agg.c.versions, review.label("review"))
        .select_from(joined)
        .where(*conds)
    )
    if not include_cancelled:
        stmt = stmt.where(_not_cancelled(now))
    return session.execute(stmt.order_by(_T.c.task_id)).all()


def _events(session: Session, *, now: datetime, conds: list[ColumnElement[bool]]) -> _Events:
    ev = _Events({}, {}, {}, set())
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
        session.execute(exts).all(), key=lambda r: (r[1], r[3])
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
    *,
    ids: list[int],
    dues: list[Any],
    due_ats: list[Any],
    firsts: list[Any],
    lasts: list[Any],
    ev: _Events,
) -> FactColumns:
    nothing: list[Any] = [None] * len(ids)

    def column(found: dict[int, Any]) -> list[Any]:
        return list(map(found.get, ids)) if found else nothing

    return FactColumns(
        due_date=dues,
        due_at=due_ats,
        extension_due=column(ev.ext_due),
        first_received_at=firsts,
        last_received_at=[last or first for first, last in zip(firsts, lasts, strict=True)],
        return_at=column(ev.ret_at),
        return_due=column(ev.ret_due),
        excused=list(map(ev.excused.__contains__, ids)) if ev.excused else nothing,
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
    rows = _task_rows(
        session,
        now=now,
        conds=conds,
        columns=(_T.c.task_id, _T.c.original_due),
        include_cancelled=False,
    )
    # flash tasks are few: their due instants come apart, the rest have none to convert
    flash: dict[int, datetime] = {
        task_id: due_at
        for task_id, due_at in session.execute(
            select(_T.c.task_id, _T.c.due_at).where(
                *conds, _not_cancelled(now), _T.c.due_at.is_not(None)
            )
        )
    }
    ev = _events(session, now=now, conds=conds)
    if rows:
        ids, dues, firsts, lasts, _versions, _reviews = (list(c) for c in zip(*rows, strict=True))
    else:
        ids, dues, firsts, lasts = [], [], [], []
    due_ats = list(map(flash.get, ids)) if flash else [None] * len(ids)
    cols = derive_statuses(
        _facts(ids=ids, dues=dues, due_ats=due_ats, firsts=firsts, lasts=lasts, ev=ev),
        now=now,
        calendar=calendar or default_calendar(),
        due_soon_days=due_soon_days,
    )
    return StatusTable(task_ids=ids, columns=cols)


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
    rows = [
        r._mapping
        for r in _task_rows(
            session, now=now, conds=conds, columns=(_T,), include_cancelled=include_cancelled
        )
    ]
    ev = _events(session, now=now, conds=conds)
    firsts = [r["first_at"] for r in rows]
    lasts = [r["last_at"] for r in rows]
    cols = derive_statuses(
        _facts(
            ids=[r["task_id"] for r in rows],
            dues=[r["original_due"] for r in rows],
            due_ats=[r["due_at"] for r in rows],
            firsts=firsts,
            lasts=lasts,
            ev=ev,
        ),
        now=now,
        calendar=calendar or default_calendar(),
        due_soon_days=due_soon_days,
    )
    states = {str(s): s for s in ReviewState}
    views = []
    for i, r in enumerate(rows):
        st = cols.status[i]
        if wanted is not None and st not in wanted:
            continue
        views.append(
            TaskView(
                task_id=r["task_id"],
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
                review=None if r["review"] is None else states[r["review"]],
                submitted_at=firsts[i],
                last_submitted_at=lasts[i] or firsts[i],
                versions=r["versions"] or 0,
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
