"""``pcmd request``: a coordinator's ad-hoc (đột xuất) or flash (báo cáo nhanh) request.

Creates one task per reporter (DOMAIN Q9) and prints them like ``pcmd tasks list``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit, parse_day
from pcmd_workflow.cli.store_cmd import parse_instant
from pcmd_workflow.clock import SystemClock
from pcmd_workflow.errors import PcmdError
from pcmd_workflow.services import requests as request_service
from pcmd_workflow.store import db

__all__ = ["REQUEST_COLUMNS", "request_cmd"]

#: Columns of the table and CSV outputs; JSON carries every field of ``pcmd tasks list``.
REQUEST_COLUMNS = (
    "task_id",
    "key",
    "reporter",
    "period",
    "due_date",
    "due_at",
    "moved_because",
    "status",
)


@app.command("request")
def request_cmd(
    plan_id: Annotated[str, typer.Option("--plan", help="Plan id.")],
    obligation: Annotated[str, typer.Option("--obligation", help="An adhoc or flash duty.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why: the request's document number or purpose.")
    ],
    due: Annotated[
        str | None,
        typer.Option("--due", help="Ad-hoc: the due date YYYY-MM-DD (moved past days off)."),
    ] = None,
    within_hours: Annotated[
        int | None,
        typer.Option("--within-hours", help="Flash: due N hours after the request (default 24)."),
    ] = None,
    reporters: Annotated[
        list[str] | None,
        typer.Option("--reporter", help="Only these reporting units (repeatable)."),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who issues it (audit log).")] = "cli",
    at: Annotated[
        str | None,
        typer.Option("--at", help="When it was issued, ISO 8601; default now (+07:00)."),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="json, table or csv.")] = (
        OutputFormat.table
    ),
) -> None:
    """Issue an ad-hoc or flash report request: one task per reporter, printed."""
    if due is not None and within_hours is not None:
        raise PcmdError("request: give --due DATE (đột xuất) or --within-hours N (báo cáo nhanh)")
    if within_hours is not None and not 1 <= within_hours <= request_service.MAX_FLASH_HOURS:
        raise PcmdError(
            f"--within-hours {within_hours}: cần từ 1 đến {request_service.MAX_FLASH_HOURS} giờ"
        )
    clock = SystemClock()
    requested_at = parse_instant(at) if at else clock.now()
    due_at = None if within_hours is None else requested_at + timedelta(hours=within_hours)
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        views = request_service.issue_request(
            session,
            plan_id=plan_id,
            obligation=obligation,
            due=parse_day(due, option="--due") if due else None,
            due_at=due_at,
            reporters=reporters or None,
            reason=reason,
            by=by,
            at=requested_at,
            clock=clock,
        )
    rows = [v.as_row() for v in views]
    emit(rows, fmt, columns=None if fmt is OutputFormat.json else REQUEST_COLUMNS)
