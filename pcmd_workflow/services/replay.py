"""``pcmd replay``: the engine run day by day on a simulated clock, against a scratch database.

A replay loads the plan files into a temporary SQLite database and runs, for every day from
``start`` to ``end``, what the scheduled flows would have run, calling the same services
(:mod:`pcmd_workflow.services.engine`) directly, not through Prefect, so that it is fast
and exact:

- 00:30 local: the compilation of every obligation period whose last due date was the day
  before (``compile-after-deadline``);
- 07:00 on a working day (Labour Code 2019 Art. 112 and the announced swaps): the morning
  sweep of each jurisdiction, then the periods every unit already reported for are compiled
  (``daily-sweep``);
- 07:30 on a working day, the opening of the sending window: the outbox is dispatched
  (``dispatch-outbox``); nothing is really sent — a recording channel accepts every message,
  so the timeline shows what would have gone out, on which channel;
- the submissions of the ``--submissions`` file at their own instants (the ``submit``
  service, as the portal records them).

The replay follows the deadlines that fall from ``start`` to 31 days after ``end`` (the
reminders of the later ones start inside the window); earlier tasks are history it does
not know and are left out. Same inputs, same output: the timeline holds simulated instants
and names only — no database ids, no wall-clock time.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from pcmd_workflow.channels.base import DeliveryResult, Outcome, OutgoingMessage, Reason
from pcmd_workflow.clock import LOCAL_TZ, FixedClock, as_of_instant, to_utc
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.ladder import NoticeKind
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.errors import CalendarError, ConfigError, PcmdError
from pcmd_workflow.services import engine
from pcmd_workflow.services.dispatch import dispatch
from pcmd_workflow.services.submissions import submit
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.models import tasks_table
from pcmd_workflow.store.outbox import Notice, NoticeStatus

__all__ = [
    "REPLAY_COLUMNS",
    "SUBMISSION_COLUMNS",
    "RecordingChannels",
    "ReplayResult",
    "SubmissionRow",
    "TimelineRow",
    "read_submissions",
    "replay",
]

#: Columns of the timeline (table, CSV; JSON objects carry the same keys).
REPLAY_COLUMNS = (
    "date",
    "time",
    "event",
    "plan",
    "reporter",
    "rung",
    "audience",
    "channel",
    "reports",
    "detail",
)
#: Columns of a ``--submissions`` file.
SUBMISSION_COLUMNS = ("obligation", "reporter", "period", "submitted_at")
#: Deadlines this many days after ``end`` are followed (their reminders start inside).
FOLLOW_AFTER_DAYS = 31
_SWEEP_AT = time(7, 0)
_COMPILE_AT = engine.COMPILE_AT
_MAX_DAYS = 3 * 366 + 1
notices_table = Notice.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, kw_only=True)
class SubmissionRow:
    """One line of a submissions file."""

    line: int
    obligation: str
    reporter: str
    period: str
    submitted_at: datetime  # aware UTC


def read_submissions(path: Path) -> list[SubmissionRow]:
    """The rows of a CSV file ``obligation,reporter,period,submitted_at``.

    ``submitted_at`` is an ISO 8601 instant; without an offset it means Asia/Ho_Chi_Minh
    (CONTRACTS "Dates, instants, deadlines"). Errors name the file, line and column.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such submissions file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; expected a CSV file") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in SUBMISSION_COLUMNS if c not in header]
    if missing:
        raise ConfigError(
            f"{path}:1: header: missing column {', '.join(missing)}; expected "
            f"{','.join(SUBMISSION_COLUMNS)}"
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(values.values()):
            continue
        for column in SUBMISSION_COLUMNS:
            if not values.get(column):
                raise ConfigError(f"{path}:{number}: {column}: empty; expected a value")
        try:
            at = to_utc(datetime.fromisoformat(values["submitted_at"]))
        except ValueError:
            raise ConfigError(
                f"{path}:{number}: submitted_at: '{values['submitted_at']}' is not an instant; "
                "expected YYYY-MM-DDTHH:MM[:SS][+07:00]"
            ) from None
        rows.append(
            SubmissionRow(
                line=number,
                obligation=values["obligation"],
                reporter=values["reporter"],
                period=values["period"],
                submitted_at=at,
            )
        )
    return rows


@dataclass(frozen=True, kw_only=True, order=True)
class TimelineRow:
    """One line of the timeline: what happened (or was sent) when."""

    date: str
    time: str
    event: str  # a notice kind (sent), "compiled" (a period compiled) or "submission"
    plan: str
    reporter: str
    rung: str
    audience: str
    channel: str
    reports: str  # "obligation/period" items, space-separated
    detail: str

    def as_row(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in REPLAY_COLUMNS}


@dataclass(frozen=True, kw_only=True)
class ReplayResult:
    start: date
    end: date
    plans: tuple[str, ...]
    rows: tuple[TimelineRow, ...]
    days: int
    working_days: int
    ignored: tuple[str, ...] = field(default_factory=tuple)  # submission lines left out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for row in self.rows:
            out[row.event] += 1
        return dict(sorted(out.items()))

    def summary(self) -> str:
        c = self.counts()
        sent = sum(v for k, v in c.items() if k not in ("compiled", "submission"))
        escalated = c.get(NoticeKind.escalation.value, 0) + c.get(NoticeKind.escalation_pc.value, 0)
        return (
            f"Phát lại {self.start.isoformat()} → {self.end.isoformat()} ({self.days} ngày, "
            f"{self.working_days} ngày làm việc): {sent} dòng gửi thông báo ({escalated} chuyển "
            f"cấp), {c.get('compiled', 0)} lần tổng hợp, {c.get('submission', 0)} báo cáo "
            f"nhận | replay: {sent} notice rows ({escalated} escalations), "
            f"{c.get('compiled', 0)} compilations, {c.get('submission', 0)} submissions"
            + (f"; {len(self.ignored)} submission lines ignored" if self.ignored else "")
        )


class RecordingChannels:
    """A channel set that accepts every message and sends nothing (what a replay needs)."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        self.messages.append(message)
        return DeliveryResult(
            outcome=Outcome.ok,
            channel=message.channel,
            reason=Reason.sent,
            detail="phát lại: không gửi thật (replay)",
        )

    def close(self) -> None:
        return None


# ---- the run ------------------------------------------------------------------------------


@dataclass(order=True)
class _Event:
    at: datetime
    order: int  # 0 compile, 1 submission, 2 sweep, 3 dispatch at the same instant
    seq: int
    kind: str = field(compare=False)
    data: Any = field(compare=False, default=None)


def _hhmm(at: datetime) -> tuple[str, str]:
    local = at.astimezone(LOCAL_TZ)
    return local.date().isoformat(), f"{local:%H:%M}"


def replay(
    *,
    plan_paths: Sequence[Path],
    start: date,
    end: date,
    submissions: Iterable[SubmissionRow] = (),
    settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
) -> ReplayResult:
    """Run the engine from ``start`` to ``end`` on a simulated clock (see the module doc)."""
    if end < start:
        raise CalendarError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if (end - start).days + 1 > _MAX_DAYS:
        raise CalendarError(
            f"--from {start.isoformat()} --to {end.isoformat()}: at most {_MAX_DAYS} days"
        )
    if not plan_paths:
        raise ConfigError("--plan: give at least one plan file")
    calendar = calendar or default_calendar()
    with tempfile.TemporaryDirectory(prefix="pcmd-replay-") as scratch:
        base = settings or get_settings()
        settings = base.model_copy(
            update={
                "data_dir": Path(scratch),
                "database_url": f"sqlite:///{Path(scratch) / 'replay.sqlite3'}",
                "sink_path": Path(scratch) / "sink.log",
            }
        )
        engine_ = db.make_engine(settings.effective_database_url)
        try:
            db.upgrade(engine_)
            return _run(
                engine_,
                plan_paths=plan_paths,
                start=start,
                end=end,
                submissions=list(submissions),
                settings=settings,
                calendar=calendar,
                out_dir=Path(scratch) / "compilations",
            )
        finally:
            engine_.dispose()


def _run(
    engine_: Any,
    *,
    plan_paths: Sequence[Path],
    start: date,
    end: date,
    submissions: list[SubmissionRow],
    settings: Settings,
    calendar: WorkingCalendar,
    out_dir: Path,
) -> ReplayResult:
    loaded_at = as_of_instant(start, time(0, 0))
    clock = FixedClock(loaded_at)
    follow_until = end + timedelta(days=FOLLOW_AFTER_DAYS)
    with db.session_scope(engine_) as session:
        reports = engine.materialise(
            session,
            paths=plan_paths,
            clock=clock,
            until_year=follow_until.year,
            actor="pcmd replay",
        )
        t = tasks_table
        outside = (t.c.original_due < start) | (t.c.original_due > follow_until)
        history = {
            (r.plan_id, r.obligation, r.reporter, r.period)
            for r in session.execute(
                select(t.c.plan_id, t.c.obligation, t.c.reporter, t.c.period).where(outside)
            )
        }
        # Deadlines outside the window are history the replay does not know: the scratch
        # database forgets them (nothing refers to them yet but the audit log).
        session.execute(delete(t).where(outside))
        compiles = [
            c
            for c in engine.due_compilations(
                session, now=loaded_at, horizon_days=(end - start).days + 1
            )
            if c.due_date < end
        ]
        tasks = {
            (r.plan_id, r.obligation, r.reporter, r.period): r.task_id
            for r in session.execute(
                select(t.c.task_id, t.c.plan_id, t.c.obligation, t.c.reporter, t.c.period)
            )
        }
    plans = tuple(r.plan_id for r in reports)
    window = SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end)

    events: list[_Event] = []
    seq = 0

    def add(at: datetime, order: int, kind: str, data: Any = None) -> None:
        nonlocal seq
        seq += 1
        events.append(_Event(at=at, order=order, seq=seq, kind=kind, data=data))

    for item in compiles:
        add(item.scheduled_at, 0, "compile", item)
    ignored: list[str] = []
    last_instant = as_of_instant(end + timedelta(days=1), time(0, 0))
    for row in submissions:
        found = _find_task(tasks, plans=plans, row=row)
        if found is None:
            outside_window = any(
                (plan, row.obligation, row.reporter, row.period) in history for plan in plans
            )
            ignored.append(
                f"line {row.line}: {row.obligation}/{row.reporter}/{row.period}: "
                + ("due outside the replay window" if outside_window else "no such task")
            )
            continue
        if row.submitted_at >= last_instant:
            ignored.append(f"line {row.line}: submitted after --to")
            continue
        add(max(row.submitted_at, loaded_at), 1, "submit", (row, found))
    day = start
    working_days = 0
    while day <= end:
        if calendar.is_working_day(day):
            working_days += 1
            add(as_of_instant(day, _SWEEP_AT), 2, "sweep", day)
            add(as_of_instant(day, window.start), 3, "dispatch", day)
        day += timedelta(days=1)
    events.sort()

    rows: list[TimelineRow] = []
    channels = RecordingChannels()
    submitted_since_sweep = False
    for event in events:
        clock.set(event.at)
        if event.kind == "compile":
            with db.session_scope(engine_) as session:
                rows.append(
                    _compile_row(
                        session,
                        item=event.data,
                        clock=clock,
                        settings=settings,
                        calendar=calendar,
                        out_dir=out_dir,
                    )
                )
        elif event.kind == "submit":
            row, task_id = event.data
            with db.session_scope(engine_) as session:
                receipt = submit(
                    session,
                    task_id=task_id,
                    clock=clock,
                    values={},
                    at=row.submitted_at,
                    by="pcmd replay",
                    channel="replay",
                )
            d, hm = _hhmm(row.submitted_at)
            rows.append(
                TimelineRow(
                    date=d,
                    time=hm,
                    event="submission",
                    plan=_plan_of(tasks, task_id),
                    reporter=row.reporter,
                    rung="",
                    audience="",
                    channel="",
                    reports=f"{row.obligation}/{row.period}",
                    detail=str(receipt.status),
                )
            )
            submitted_since_sweep = True
        elif event.kind == "sweep":
            as_of = event.data
            with db.session_scope(engine_) as session:
                for province in engine.provinces(session):
                    engine.sweep_province(
                        session,
                        as_of=as_of,
                        clock=clock,
                        province=province,
                        settings=settings,
                        calendar=calendar,
                    )
            if submitted_since_sweep:
                with db.session_scope(engine_) as session:
                    ready = engine.complete_before_deadline(session, now=clock.now())
                for item in ready:
                    with db.session_scope(engine_) as session:
                        rows.append(
                            _compile_row(
                                session,
                                item=item,
                                clock=clock,
                                settings=settings,
                                calendar=calendar,
                                out_dir=out_dir,
                            )
                        )
                submitted_since_sweep = False
        else:
            with db.session_scope(engine_) as session:
                dispatch(
                    session, clock=clock, channels=channels, settings=settings, calendar=calendar
                )
                rows.extend(_sent_rows(session, at=clock.now()))
    rows.sort()
    return ReplayResult(
        start=start,
        end=end,
        plans=plans,
        rows=tuple(rows),
        days=(end - start).days + 1,
        working_days=working_days,
        ignored=tuple(ignored),
    )


def _find_task(
    tasks: dict[tuple[str, str, str, str], int],
    *,
    plans: Sequence[str],
    row: SubmissionRow,
) -> int | None:
    found = [
        tasks[key]
        for plan in plans
        if (key := (plan, row.obligation, row.reporter, row.period)) in tasks
    ]
    if len(found) > 1:
        raise PcmdError(
            f"line {row.line}: {row.obligation}/{row.reporter}/{row.period} names a task of "
            "several plans; replay them separately"
        )
    return found[0] if found else None


def _plan_of(tasks: dict[tuple[str, str, str, str], int], task_id: int) -> str:
    return next(key[0] for key, value in tasks.items() if value == task_id)


def _compile_row(
    session: Session,
    *,
    item: engine.CompileDue,
    clock: FixedClock,
    settings: Settings,
    calendar: WorkingCalendar,
    out_dir: Path,
) -> TimelineRow:
    outcome = engine.compile_after_deadline(
        session,
        plan_id=item.plan_id,
        obligation=item.obligation,
        period=item.period,
        clock=clock,
        out_dir=out_dir,
        settings=settings,
        calendar=calendar,
    )
    c = outcome.completeness
    d, hm = _hhmm(clock.now())
    detail = (
        f"{'figures' if outcome.compiled else 'completeness'}: {c.submitted}/{c.expected} "
        f"reported ({c.on_time} on time, {c.late} late), missing: "
        + (" ".join(c.missing_units) if c.missing_units else "none")
    )
    return TimelineRow(
        date=d,
        time=hm,
        event="compiled",
        plan=item.plan_id,
        reporter="",
        rung="",
        audience="",
        channel="",
        reports=f"{item.obligation}/{item.period}",
        detail=detail,
    )


def _sent_rows(session: Session, *, at: datetime) -> list[TimelineRow]:
    """The notices sent at ``at``, one row per (kind, reporter, rung, audience, channel)."""
    n, t = notices_table, tasks_table
    stmt = (
        select(
            n.c.kind,
            n.c.plan_id,
            n.c.unit,
            n.c.rung,
            n.c.audience,
            n.c.channel,
            n.c.payload,
            t.c.obligation,
            t.c.period,
        )
        .select_from(n.outerjoin(t, t.c.task_id == n.c.task_id))
        .where(n.c.status == NoticeStatus.sent.value, n.c.sent_at == at)
    )
    groups: dict[tuple[str, str, str, str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for (
        kind,
        plan_id,
        unit,
        rung,
        audience,
        channel,
        payload,
        obligation,
        period,
    ) in session.execute(stmt):
        key = (kind, plan_id or "", unit or "", rung or "", audience, channel)
        item = dict(payload or {})
        if obligation is not None:
            item = {**item, "obligation": obligation, "period": period}
        groups[key].append(item)
    d, hm = _hhmm(at)
    rows = []
    for (kind, plan_id, unit, rung, audience, channel), payloads in groups.items():
        reports, detail = _describe(kind, payloads)
        rows.append(
            TimelineRow(
                date=d,
                time=hm,
                event=kind,
                plan=plan_id,
                reporter=unit,
                rung=rung,
                audience=audience,
                channel=channel,
                reports=reports,
                detail=detail,
            )
        )
    return rows


def _describe(kind: str, payloads: list[dict[str, Any]]) -> tuple[str, str]:
    if kind == NoticeKind.coordinator_digest.value:
        p = payloads[0]
        return "", f"due today {p.get('due_today_count', 0)}, overdue {p.get('overdue_count', 0)}"
    if kind == NoticeKind.missing_contacts.value:
        return "", f"{len(payloads[0].get('units', []))} units without a usable contact"
    items = sorted({f"{p.get('obligation')}/{p.get('period')}" for p in payloads})
    if kind == NoticeKind.compilation.value:
        return " ".join(items), f"{len(payloads)} result(s)"
    return " ".join(items), ""
