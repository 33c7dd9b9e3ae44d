"""Reminder commands: ``pcmd sweep``, ``pcmd dispatch``, ``pcmd notices list``.

``sweep --as-of D`` is the morning sweep of day D (CONTRACTS "Dates, instants, deadlines");
``dispatch --as-of D`` is the first dispatch of day D, at the opening of the sending window
(07:30 local by default), and ``--now`` gives any instant. Recipients appear in clear in
these outputs (CONTRACTS "Notices"); logs mask them.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from sqlalchemy import select

from pcmd_workflow.cli.app import OutputFormat, app, emit, notices_app, parse_day
from pcmd_workflow.clock import LOCAL_TZ, Clock, FixedClock, SystemClock, as_of_instant, to_utc
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.errors import CalendarError, PcmdError
from pcmd_workflow.services.dispatch import DEFAULT_BACKOFF, DispatchPolicy, dispatch
from pcmd_workflow.services.sweep import NOTICE_COLUMNS, run_sweep
from pcmd_workflow.settings import get_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.outbox import Notice, NoticeStatus

__all__ = ["dispatch_cmd", "notices_list", "sweep_cmd"]

_FMT = Annotated[OutputFormat, typer.Option("--format", help="json, table or csv.")]
LIST_COLUMNS = (
    "id",
    "status",
    "kind",
    "task_id",
    "reporter",
    "rung",
    "channel",
    "recipient",
    "send_after",
    "attempts",
    "reason",
)


def _instant(value: str, *, option: str) -> datetime:
    try:
        return to_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise CalendarError(
            f"{option}: '{value}' is not an instant; expected YYYY-MM-DDTHH:MM[:SS][+07:00]"
        ) from None


def _local(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(LOCAL_TZ).isoformat()


@app.command("sweep")
def sweep_cmd(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day swept (YYYY-MM-DD; default: today)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the notices without writing them.")
    ] = False,
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan id.")] = None,
    province: Annotated[
        str | None, typer.Option("--province", help="Only this jurisdiction.")
    ] = None,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Plan today's reminders and escalations into the outbox (idempotent)."""
    clock: Clock = SystemClock()
    day = parse_day(as_of, option="--as-of") if as_of else clock.now().astimezone(LOCAL_TZ).date()
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        report = run_sweep(
            session, as_of=day, clock=clock, dry_run=dry_run, plan_id=plan, province=province
        )
        if dry_run:
            session.rollback()
    emit([p.as_row() for p in report.planned], fmt, columns=NOTICE_COLUMNS)
    what = "would plan" if dry_run else f"{report.inserted} new, {report.cancelled} cancelled"
    print(
        f"pcmd: sweep {day.isoformat()}: {report.tasks} tasks, {len(report.planned)} notices "
        f"({what})",
        file=sys.stderr,
    )


def _parse_backoff(text: str) -> tuple[timedelta, ...]:
    seconds = {"s": 1, "m": 60, "h": 3600}
    steps = []
    for part in text.split(","):
        part = part.strip()
        try:
            steps.append(timedelta(seconds=float(part[:-1]) * seconds[part[-1:]]))
        except (ValueError, KeyError):
            raise PcmdError(
                f"--backoff: '{part}' is not a delay; expected e.g. 2m,8m,30m,2h (s, m or h)"
            ) from None
    return tuple(steps)


@app.command("dispatch")
def dispatch_cmd(
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many messages.", min=1)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Dispatch of this day, at the window opening (YYYY-MM-DD)."),
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Dispatch at this instant (ISO 8601).")
    ] = None,
    backoff: Annotated[
        str,
        typer.Option("--backoff", help="Retry delays after each failure, e.g. 2m,8m,30m,2h,8h."),
    ] = "2m,8m,30m,2h,8h",
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", help="Tries before a notice is dead.", min=1)
    ] = 6,
    lease: Annotated[
        float, typer.Option("--lease", help="Seconds a claimed notice stays reserved.", min=1)
    ] = 300,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """Send the due notices: one digest per recipient and channel, retries, fallback."""
    if as_of and now:
        raise PcmdError("--as-of and --now: give one of them")
    clock: Clock
    if now:
        clock = FixedClock(_instant(now, option="--now"))
    elif as_of:
        settings = get_settings()
        window = SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end)
        day = parse_day(as_of, option="--as-of")
        clock = FixedClock(as_of_instant(day, at=window.start))
    else:
        clock = SystemClock()
    steps = _parse_backoff(backoff) if backoff else DEFAULT_BACKOFF
    policy = DispatchPolicy(
        backoff=steps, max_attempts=max_attempts, lease=timedelta(seconds=lease)
    )
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        report = dispatch(session, clock=clock, limit=limit, policy=policy)
    emit(report.as_row(), fmt)


@notices_app.command("list")
def notices_list(
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help="pending, sent, failed, dead, cancelled or replaced (default: all)."
        ),
    ] = None,
    task: Annotated[int | None, typer.Option("--task", help="Only this task id.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.", min=1)] = 1000,
    fmt: _FMT = OutputFormat.table,
) -> None:
    """The outbox: every notice, why it exists and where it stands."""
    if status is not None:
        try:
            NoticeStatus(status)
        except ValueError:
            known = ", ".join(s.value for s in NoticeStatus)
            raise PcmdError(
                f"--status: '{status}' is not a status; expected one of {known}"
            ) from None
    engine = db.ready_engine()
    stmt = select(Notice).order_by(Notice.id).limit(limit)  # type: ignore[arg-type]
    if status is not None:
        stmt = stmt.where(Notice.status == status)  # type: ignore[arg-type]
    if task is not None:
        stmt = stmt.where(Notice.task_id == task)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = []
    with db.session_scope(engine) as session:
        for n in session.execute(stmt).scalars():
            rows.append(
                {
                    "id": n.id,
                    "status": n.status,
                    "kind": n.kind,
                    "task_id": n.task_id,
                    "reporter": n.unit,
                    "rung": n.rung,
                    "ladder": n.ladder,
                    "due_date": n.due_date,
                    "audience": n.audience,
                    "channel": n.channel,
                    "recipient": n.recipient,
                    "send_after": _local(n.send_after),
                    "attempts": n.attempts,
                    "sent_at": _local(n.sent_at),
                    "reason": n.reason_vi,
                    "reason_en": n.reason,
                    "status_reason": n.status_reason,
                    "last_error": n.last_error,
                    "key": n.idempotency_key,
                }
            )
    emit(rows, fmt, columns=LIST_COLUMNS if fmt is not OutputFormat.json else None)
