"""Commands over the tracking store: db upgrade, plan load, tasks list, submit, review, extend,
excuse, audit. Commands that need the database create its schema when it is empty."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, app, db_app, emit, parse_day, plan_app, tasks_app
from pcmd_workflow.clock import SystemClock, local_date, to_utc
from pcmd_workflow.errors import CalendarError, PcmdError
from pcmd_workflow.services import plans as plan_service
from pcmd_workflow.services import submissions as submission_service
from pcmd_workflow.services import tasks as task_service
from pcmd_workflow.store import db

__all__ = [
    "audit_cmd",
    "db_upgrade",
    "excuse_cmd",
    "extend_cmd",
    "plan_load",
    "review_cmd",
    "submit_cmd",
    "tasks_list",
]

_FMT = Annotated[OutputFormat, typer.Option("--format", help="json, table or csv.")]
_TASK = Annotated[int, typer.Option("--task", help="Task id (task_id of `pcmd tasks list`).")]
_BY = Annotated[str, typer.Option("--by", help="Who does it (recorded in the audit log).")]
_AT = Annotated[
    str | None,
    typer.Option("--at", help="When it happened, ISO 8601; without a zone: Asia/Ho_Chi_Minh."),
]


def parse_instant(value: str, *, option: str = "--at") -> datetime:
    """An ISO 8601 instant from the command line; without a zone it is Vietnam local time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CalendarError(
            f"{option}: '{value}' is not an instant; expected YYYY-MM-DDTHH:MM[:SS][+07:00]"
        ) from None
    return to_utc(parsed)


def _notes(lines: list[str], *, label: str) -> None:
    for line in lines:
        print(f"pcmd: {label}: {line}", file=sys.stderr)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database schema or bring it to the latest revision."""
    engine = db.upgrade()
    print(f"schema at revision {db.current_revision(engine)} ({engine.url.get_backend_name()})")


@plan_app.command("load")
def plan_load(
    files: Annotated[list[Path], typer.Argument(help="Plan files (calendars/*.yaml).")],
    until_year: Annotated[
        int | None,
        typer.Option("--until", help="Last year of tasks for open-ended plans."),
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Load plans into the store and materialise their tasks (idempotent)."""
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        reports = plan_service.load_plans(
            session, files, clock=SystemClock(), until_year=until_year
        )
    emit([r.as_row() for r in reports], fmt)


@tasks_app.command("list")
def tasks_list(
    plan_id: Annotated[str | None, typer.Option("--plan", help="Plan id.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Reporting unit slug.")] = None,
    status: Annotated[
        list[str] | None, typer.Option("--status", help="Only these statuses (repeatable).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="During day D at 07:00 local (YYYY-MM-DD).")
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Tasks with their status (upcoming, due_soon, due_today, overdue, submitted_on_time,
    submitted_late, returned, excused)."""
    day = parse_day(as_of, option="--as-of") if as_of else local_date(SystemClock().now())
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        views = task_service.list_tasks(
            session, as_of=day, plan_id=plan_id, unit=unit, status=status or None
        )
    rows = [v.as_row() for v in views]
    if fmt is OutputFormat.json:
        emit(rows, fmt)
    else:
        emit(rows, fmt, columns=task_service.TASK_COLUMNS)


@app.command("submit")
def submit_cmd(
    task_id: _TASK,
    values: Annotated[
        Path | None, typer.Option("--values", help='JSON or YAML {"values": {"B.1.1": 44}}.')
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="The report file (.xlsx, .docx, .pdf).")
    ] = None,
    at: _AT = None,
    by: _BY = "cli",
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Record a submission for a task (a new version); prints the receipt."""
    if values is None and file is None:
        raise PcmdError("submit: give --values FILE or --file FILE")
    received = parse_instant(at) if at else None
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        receipt = submission_service.submit(
            session,
            task_id=task_id,
            clock=SystemClock(),
            values_file=values,
            file=file,
            at=received,
            by=by,
            channel="cli",
        )
    _notes(receipt.notices, label="lưu ý")
    _notes(receipt.warnings, label="cảnh báo")
    row = receipt.as_row()
    if fmt is not OutputFormat.json:
        row = {k: v for k, v in row.items() if k not in ("notices", "warnings")}
    emit(row, fmt)


@app.command("review")
def review_cmd(
    task_id: _TASK,
    accept: Annotated[bool, typer.Option("--accept", help="Accept the latest version.")] = False,
    return_: Annotated[
        bool, typer.Option("--return", help="Return the latest version for correction.")
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (needed to return).")] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="New due date (default: 3 working days).")
    ] = None,
    at: _AT = None,
    by: _BY = "cli",
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Accept or return the latest submission of a task."""
    if accept == return_:
        raise PcmdError("review: give exactly one of --accept or --return")
    if return_ and not reason:
        raise PcmdError("review --return: give --reason TEXT")
    new_due = parse_day(to, option="--to") if to else None
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        view = submission_service.review(
            session,
            task_id=task_id,
            accept=accept,
            reason=reason,
            to=new_due,
            at=parse_instant(at) if at else None,
            by=by,
            clock=SystemClock(),
        )
    emit(_short(view.as_row(), fmt), fmt)


@app.command("extend")
def extend_cmd(
    task_id: _TASK,
    to: Annotated[str, typer.Option("--to", help="New due date, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the extension is granted.")],
    at: _AT = None,
    by: _BY = "cli",
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Grant a task a new due date."""
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        view = submission_service.extend(
            session,
            task_id=task_id,
            to=parse_day(to, option="--to"),
            reason=reason,
            at=parse_instant(at) if at else None,
            by=by,
            clock=SystemClock(),
        )
    emit(_short(view.as_row(), fmt), fmt)


@app.command("excuse")
def excuse_cmd(
    task_id: _TASK,
    reason: Annotated[str, typer.Option("--reason", help="Why nothing is expected.")],
    at: _AT = None,
    by: _BY = "cli",
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Excuse a task: nothing is expected from the unit, reminders stop."""
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        view = submission_service.excuse(
            session,
            task_id=task_id,
            reason=reason,
            at=parse_instant(at) if at else None,
            by=by,
            clock=SystemClock(),
        )
    emit(_short(view.as_row(), fmt), fmt)


@app.command("audit")
def audit_cmd(task_id: _TASK, fmt: _FMT = OutputFormat.table) -> None:
    """The audit trail of a task: every state change, who, when, before and after."""
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        entries = submission_service.audit_for(session, task_id=task_id)
    rows = [e.as_row() for e in entries]
    emit(rows, fmt, columns=None if fmt is OutputFormat.json else list(_AUDIT_COLUMNS))


_AUDIT_COLUMNS = ("id", "at", "actor", "entity", "action", "before", "after")
_SHORT = ("task_id", "key", "status", "due_date", "submitted_at", "days_late", "review")


def _short(row: dict[str, object], fmt: OutputFormat) -> dict[str, object]:
    if fmt is OutputFormat.json:
        return row
    return {k: row[k] for k in _SHORT}
