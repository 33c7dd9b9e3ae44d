"""One day of the engine, composed from the services: materialise, sweep, compile, dispatch.

The Prefect flows (``flows/``) and ``pcmd replay`` call these functions and nothing else, so
what runs on a schedule and what a replay shows are the same code:

- :func:`materialise` loads the plan files again (idempotent: an unchanged file changes
  nothing; a revised one becomes a new version and its future tasks follow it; an
  open-ended plan is materialised up to next year, DOMAIN Q15);
- :func:`sweep_province` is the morning sweep of one jurisdiction
  (:func:`pcmd_workflow.services.sweep.run_sweep`), the unit of work several workers share;
- :func:`due_compilations` lists, for every plan, obligation and period still to come, the
  latest due date in force among its tasks (extensions included) and the instant its
  compilation is scheduled at: 00:30 local the day after, when the deadline (24:00 at the
  end of the due date, CONTRACTS) has passed;
- :func:`compile_after_deadline` compiles one obligation period (the figures when the
  obligation has a form, the completeness in every case) and tells the standing body's
  coordinator the result and the missing units through the outbox;
- :func:`complete_before_deadline` finds the periods every unit has already reported for
  before the deadline, so that they are compiled at once.

Working days follow the Vietnamese calendar (Labour Code 2019 Art. 112, the announced swaps):
cron cannot express lunar holidays, so the daily sweep asks :func:`day_info` first.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from pcmd_workflow.clock import LOCAL_TZ, Clock, local_date
from pcmd_workflow.domain.calendar import DayInfo, WorkingCalendar, default_calendar
from pcmd_workflow.domain.indicators import Completeness, summarize_completeness
from pcmd_workflow.domain.ladder import Audience, NoticeKind
from pcmd_workflow.domain.plan_loader import load_plan_file
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.domain.statuses import TaskStatus
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi
from pcmd_workflow.errors import CompilationError, ConfigError
from pcmd_workflow.services.addressing import ChannelAvailability, Directory
from pcmd_workflow.services.compile import compile_period, period_tasks, task_entries
from pcmd_workflow.services.plans import LoadReport, load_plan, stored_plan
from pcmd_workflow.services.sweep import address_notices, insert_notices, plan_infos, run_sweep
from pcmd_workflow.services.tasks import compute_statuses, list_tasks
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store.models import (
    excusals_table,
    plans_table,
    submissions_table,
    tasks_table,
)
from pcmd_workflow.store.outbox import Notice

__all__ = [
    "COMPILE_AT",
    "COMPILE_TAG",
    "CompileDue",
    "CompileOutcome",
    "ProvinceSweep",
    "compile_after_deadline",
    "compile_instant",
    "complete_before_deadline",
    "day_info",
    "due_compilations",
    "escalations_written",
    "materialise",
    "plan_files",
    "plans_of",
    "provinces",
    "sweep_province",
]

#: Local time the compilation of a period runs, the day after its last due date.
COMPILE_AT = time(0, 30)
#: Tag of every scheduled compilation run (with ``plan:``, ``obligation:``, ``period:``).
COMPILE_TAG = "pcmd-compile"
#: How far ahead compilation runs are scheduled.
COMPILE_HORIZON_DAYS = 400
_ESCALATION_KINDS = (NoticeKind.escalation.value, NoticeKind.escalation_pc.value)
_CLOSED = frozenset({TaskStatus.submitted_on_time, TaskStatus.submitted_late, TaskStatus.excused})
notices_table = Notice.__table__  # type: ignore[attr-defined]


# ---- the calendar ---------------------------------------------------------------------------


def day_info(day: date, *, calendar: WorkingCalendar | None = None) -> DayInfo:
    """Working day or not, and why (the daily sweep skips days off: cron cannot know Tết)."""
    return (calendar or default_calendar()).day_info(day)


# ---- plans ---------------------------------------------------------------------------------


def plan_files(settings: Settings | None = None) -> list[Path]:
    """The plan files ``pcmd serve`` runs: ``calendars/*.yaml``, or those of ``enabled_plans``.

    An enabled plan without its file is a ConfigError naming it (CONTRACTS "Files": plan id =
    file stem).
    """
    settings = settings or get_settings()
    directory = Path(settings.calendars_dir)
    if not directory.is_dir():
        raise ConfigError(f"PCMD_CALENDARS_DIR: {directory} is not a directory of plan files")
    found = sorted(p for p in directory.glob("*.yaml") if p.is_file())
    if not settings.enabled_plans:
        return found
    by_stem = {p.stem: p for p in found}
    missing = [plan_id for plan_id in settings.enabled_plans if plan_id not in by_stem]
    if missing:
        raise ConfigError(
            f"PCMD_ENABLED_PLANS: no plan file {', '.join(missing)} in {directory}; "
            f"expected one of {', '.join(sorted(by_stem)) or '(none)'}"
        )
    return [by_stem[plan_id] for plan_id in settings.enabled_plans]


def materialise(
    session: Session,
    *,
    paths: Sequence[Path],
    clock: Clock,
    provinces: Iterable[str] | None = None,
    until_year: int | None = None,
    actor: str = "pcmd daily-sweep",
) -> list[LoadReport]:
    """Load the plan files again so that new periods get their tasks (idempotent).

    Only plans whose jurisdiction is in ``provinces`` (all when None). An open-ended plan is
    materialised up to ``until_year``, by default the later of ``settings.materialise_until``
    and next year (DOMAIN Q15), so that a plan in force keeps getting periods.
    """
    wanted = None if provinces is None else set(provinces)
    until = until_year
    if until is None:
        until = max(get_settings().materialise_until, local_date(clock.now()).year + 1)
    reports = []
    for path in paths:
        content = Path(path).read_bytes()
        plan = load_plan_file(Path(path))
        if wanted is not None and plan.jurisdiction not in wanted:
            continue
        reports.append(
            load_plan(
                session,
                plan,
                content=content,
                source_path=str(path),
                clock=clock,
                until_year=until,
                actor=actor,
            )
        )
    return reports


def plans_of(session: Session, provinces: Iterable[str]) -> list[str]:
    """The plan ids of these jurisdictions, sorted."""
    p = plans_table
    stmt = select(p.c.id).where(p.c.jurisdiction.in_(list(provinces)))
    return sorted(session.execute(stmt).scalars())


def provinces(session: Session) -> list[str]:
    """Every jurisdiction that has tasks (the partitions of the daily sweep), sorted."""
    t = tasks_table
    stmt = select(t.c.province).where(t.c.cancelled_at.is_(None)).distinct()
    return sorted(p for p in session.execute(stmt).scalars() if p)


# ---- the sweep -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProvinceSweep:
    """What the morning sweep of one jurisdiction did."""

    province: str
    tasks: int
    planned: int
    inserted: int
    cancelled: int
    escalations: int  # new escalation notices (T+3, T+7 by default)

    def as_row(self) -> dict[str, Any]:
        return {
            "province": self.province,
            "tasks": self.tasks,
            "planned": self.planned,
            "inserted": self.inserted,
            "cancelled": self.cancelled,
            "escalations": self.escalations,
        }


def escalations_written(session: Session, *, at: datetime, province: str | None = None) -> int:
    """Escalation notices written at the instant ``at`` (by the sweep that ran then)."""
    n = notices_table
    stmt = (
        select(func.count())
        .select_from(n)
        .where(n.c.kind.in_(_ESCALATION_KINDS), n.c.created_at == at)
    )
    if province is not None:
        stmt = stmt.where(n.c.province == province)
    return int(session.execute(stmt).scalar_one())


def sweep_province(
    session: Session,
    *,
    as_of: date,
    clock: Clock,
    province: str,
    settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
) -> ProvinceSweep:
    """The morning sweep of ``as_of`` for one jurisdiction (idempotent: keys are unique)."""
    report = run_sweep(
        session,
        as_of=as_of,
        clock=clock,
        province=province,
        settings=settings,
        calendar=calendar,
    )
    return ProvinceSweep(
        province=province,
        tasks=report.tasks,
        planned=len(report.planned),
        inserted=report.inserted,
        cancelled=report.cancelled,
        escalations=escalations_written(session, at=clock.now(), province=province),
    )


# ---- compilations ----------------------------------------------------------------------------


def compile_instant(due: date) -> datetime:
    """When the compilation of a period whose last due date is ``due`` runs: 00:30 local
    the day after (the deadline is 24:00 at the end of the due date, CONTRACTS)."""
    return datetime.combine(due + timedelta(days=1), COMPILE_AT, tzinfo=LOCAL_TZ).astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class CompileDue:
    """One obligation period and when it is compiled."""

    plan_id: str
    obligation: str
    period: str
    due_date: date  # the latest due date in force among its tasks
    province: str
    tasks: int

    @property
    def scheduled_at(self) -> datetime:
        return compile_instant(self.due_date)

    @property
    def key(self) -> str:
        return f"{self.plan_id}/{self.obligation}/{self.period}"

    @property
    def idempotency_key(self) -> str:
        """Unique per period and deadline: a moved deadline is a new cycle."""
        return f"pcmd-compile/{self.key}/{self.due_date.isoformat()}"

    @property
    def tags(self) -> list[str]:
        return [
            COMPILE_TAG,
            f"plan:{self.plan_id}",
            f"obligation:{self.obligation}",
            f"period:{self.period}",
        ]

    @property
    def parameters(self) -> dict[str, str]:
        return {"plan_id": self.plan_id, "obligation": self.obligation, "period": self.period}

    def as_row(self) -> dict[str, Any]:
        return {
            "plan": self.plan_id,
            "obligation": self.obligation,
            "period": self.period,
            "due_date": self.due_date.isoformat(),
            "scheduled_at": self.scheduled_at.astimezone(LOCAL_TZ).isoformat(),
            "tasks": self.tasks,
        }


def _period_groups(
    session: Session,
    *,
    now: datetime,
    plan_id: str | None = None,
    province: str | None = None,
) -> dict[tuple[str, str, str], list[tuple[int, date | None, TaskStatus, str]]]:
    """Tasks (id, due in force, status, province) per (plan, obligation, period) at ``now``."""
    table = compute_statuses(session, as_of=now, plan_id=plan_id, province=province)
    t = tasks_table
    stmt = select(t.c.task_id, t.c.plan_id, t.c.obligation, t.c.period, t.c.province)
    if plan_id is not None:
        stmt = stmt.where(t.c.plan_id == plan_id)
    if province is not None:
        stmt = stmt.where(t.c.province == province)
    meta = {r.task_id: r for r in session.execute(stmt)}
    groups: dict[tuple[str, str, str], list[tuple[int, date | None, TaskStatus, str]]] = (
        defaultdict(list)
    )
    cols = table.columns
    for tid, due, status in zip(table.task_ids, cols.due_date, cols.status, strict=True):
        row = meta.get(tid)
        if row is None:
            continue
        groups[(row.plan_id, row.obligation, row.period)].append((tid, due, status, row.province))
    return groups


def due_compilations(
    session: Session,
    *,
    now: datetime,
    horizon_days: int = COMPILE_HORIZON_DAYS,
    plan_id: str | None = None,
    province: str | None = None,
) -> list[CompileDue]:
    """Every obligation period whose compilation instant is after ``now`` and within the
    horizon, from the due dates in force (extensions and returns included), sorted by
    instant then key."""
    last = local_date(now) + timedelta(days=horizon_days)
    out = []
    for (plan, obligation, period), items in _period_groups(
        session, now=now, plan_id=plan_id, province=province
    ).items():
        dues = [due for _tid, due, _st, _p in items if due is not None]
        if not dues:
            continue
        due = max(dues)
        if compile_instant(due) <= now or due > last:
            continue
        out.append(
            CompileDue(
                plan_id=plan,
                obligation=obligation,
                period=period,
                due_date=due,
                province=items[0][3],
                tasks=len(items),
            )
        )
    out.sort(key=lambda c: (c.scheduled_at, c.key))
    return out


def _compile_prefix(plan_id: str, obligation: str, period: str) -> str:
    return f"compile|{plan_id}|{obligation}|{period}|"


#: How far back a report or an excusal may make a period complete before its deadline.
RECENT_DAYS = 14


def complete_before_deadline(
    session: Session,
    *,
    now: datetime,
    province: str | None = None,
    since: datetime | None = None,
) -> list[CompileDue]:
    """Periods whose every task is settled (submitted or excused) before their deadline
    passed and whose result the coordinator has not been told yet: compile them now.

    Only periods with a report or an excusal recorded after ``since`` (default: the last
    ``RECENT_DAYS`` days) can have become complete; the others are not looked at, so the
    daily check stays cheap at national scale. A period missed here is still compiled by
    its scheduled run after the deadline.
    """
    since = since or now - timedelta(days=RECENT_DAYS)
    t, sub, exc = tasks_table, submissions_table, excusals_table
    recent = (
        select(t.c.plan_id, t.c.obligation, t.c.period)
        .join(sub, sub.c.task_id == t.c.task_id)
        .where(sub.c.received_at > since, sub.c.received_at <= now)
        .union(
            select(t.c.plan_id, t.c.obligation, t.c.period)
            .join(exc, exc.c.task_id == t.c.task_id)
            .where(exc.c.excused_at > since, exc.c.excused_at <= now)
        )
    )
    candidates = {tuple(r) for r in session.execute(recent)}
    if not candidates:
        return []
    done = {
        tuple(key.split("|")[1:4])
        for key in session.execute(
            select(notices_table.c.idempotency_key).where(
                notices_table.c.kind == NoticeKind.compilation.value
            )
        ).scalars()
    }
    wanted = sorted(c for c in candidates if c not in done)
    if not wanted:
        return []
    stmt = select(t.c.task_id, t.c.plan_id, t.c.obligation, t.c.period).where(
        t.c.plan_id.in_(sorted({c[0] for c in wanted}))
    )
    if province is not None:
        stmt = stmt.where(t.c.province == province)
    wanted_set = set(wanted)
    ids = [r.task_id for r in session.execute(stmt) if (r[1], r[2], r[3]) in wanted_set]
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for view in list_tasks(session, as_of=now, task_ids=ids):
        groups[(view.plan, view.obligation, view.period)].append(view)
    out = []
    for (plan, obligation, period), views in sorted(groups.items()):
        dues = [v.due_date for v in views if v.due_date is not None]
        if not dues or any(v.status not in _CLOSED for v in views):
            continue
        if all(v.status is TaskStatus.excused for v in views):
            continue
        due = max(dues)
        if compile_instant(due) <= now:
            continue  # the scheduled compilation after the deadline handles it
        out.append(
            CompileDue(
                plan_id=plan,
                obligation=obligation,
                period=period,
                due_date=due,
                province=views[0].province,
                tasks=len(views),
            )
        )
    out.sort(key=lambda c: (c.scheduled_at, c.key))
    return out


@dataclass(frozen=True, kw_only=True)
class CompileOutcome:
    """What compiling one obligation period did."""

    plan_id: str
    obligation: str
    period: str
    as_of: datetime
    due_date: date | None
    compiled: bool  # figures rolled up (the obligation has a form)
    compilation_id: int | None
    checksum: str | None
    completeness: Completeness
    missing_names: tuple[str, ...]
    notices: int  # new notices to the coordinator (0 when the same result was already sent)
    files: dict[str, str] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        c = self.completeness
        return {
            "plan": self.plan_id,
            "obligation": self.obligation,
            "period": self.period,
            "as_of": self.as_of.astimezone(LOCAL_TZ).isoformat(),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "compiled": self.compiled,
            "compilation_id": self.compilation_id,
            "expected": c.expected,
            "submitted": c.submitted,
            "on_time": c.on_time,
            "late": c.late,
            "missing": c.missing,
            "excused": c.excused,
            "missing_units": list(c.missing_units),
            "notices": self.notices,
            "files": dict(self.files),
        }

    def summary(self) -> str:
        """One line, Vietnamese then English."""
        c = self.completeness
        what_vi = "đã tổng hợp số liệu" if self.compiled else "đã tổng hợp tình hình nộp"
        what_en = "figures compiled" if self.compiled else "completeness compiled"
        return (
            f"{self.plan_id}/{self.obligation} kỳ {self.period}: {what_vi}, {c.submitted}/"
            f"{c.expected} đơn vị đã nộp ({c.on_time} đúng hạn, {c.late} muộn), "
            f"{c.missing} chưa nộp | {what_en}: {c.submitted}/{c.expected} reported "
            f"({c.on_time} on time, {c.late} late), {c.missing} missing"
        )


def compile_after_deadline(
    session: Session,
    *,
    plan_id: str,
    obligation: str,
    period: str,
    clock: Clock,
    out_dir: Path,
    settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
) -> CompileOutcome:
    """Compile one obligation period at ``clock.now()`` and tell the coordinator.

    With a form, :func:`pcmd_workflow.services.compile.compile_period` rolls the accepted
    figures up and writes the XLSX, DOCX and JSON files; without one, the completeness
    (who reported, on time or late, who is missing) is the result. Either way one
    ``compilation`` notice per coordinator address goes into the outbox, keyed by the
    result: running again with nothing changed adds nothing (safe after a crash), and a
    changed result (a late report arrived) is a new notice.
    """
    settings = settings or get_settings()
    calendar = calendar or default_calendar()
    now = clock.now()
    plan = stored_plan(session, plan_id)
    duty = plan.obligation(obligation)
    if duty is None:
        known = ", ".join(o.id for o in plan.obligations)
        raise CompilationError(
            f"kế hoạch {plan_id} không có nhiệm vụ báo cáo '{obligation}' (có: {known})"
        )
    views = period_tasks(session, plan_id=plan_id, obligation=obligation, period=period, at=now)
    dues = [v.due_date for v in views if v.due_date is not None]
    due = max(dues) if dues else None
    names = {u.slug: u.name for u in plan.units}
    compiled = duty.form is not None
    files: dict[str, str] = {}
    compilation_id = checksum = None
    targets: dict[str, int] = {}
    if compiled:
        result = compile_period(
            session,
            plan_id=plan_id,
            obligation=obligation,
            period=period,
            as_of=now,
            out_dir=out_dir,
            clock=clock,
        )
        completeness = result.report.completeness
        compilation_id, checksum = result.compilation_id, result.checksum
        files = {k: str(v) for k, v in result.files.items()}
        statuses = [t.status for t in result.report.targets]
        targets = {s: statuses.count(s) for s in ("met", "not_met", "no_data")}
    else:
        completeness = summarize_completeness(task_entries(plan, views))
    missing_names = tuple(names.get(slug, slug) for slug in completeness.missing_units)
    notices = _notify_coordinator(
        session,
        plan_id=plan_id,
        obligation=obligation,
        period=period,
        title=duty.title,
        due=due,
        now=now,
        compiled=compiled,
        completeness=completeness,
        missing_names=missing_names,
        checksum=checksum,
        files=files,
        targets=targets,
        settings=settings,
        calendar=calendar,
    )
    return CompileOutcome(
        plan_id=plan_id,
        obligation=obligation,
        period=period,
        as_of=now,
        due_date=due,
        compiled=compiled,
        compilation_id=compilation_id,
        checksum=checksum,
        completeness=completeness,
        missing_names=missing_names,
        notices=notices,
        files=files,
    )


def _notify_coordinator(
    session: Session,
    *,
    plan_id: str,
    obligation: str,
    period: str,
    title: str | None,
    due: date | None,
    now: datetime,
    compiled: bool,
    completeness: Completeness,
    missing_names: Sequence[str],
    checksum: str | None,
    files: dict[str, str],
    targets: dict[str, int],
    settings: Settings,
    calendar: WorkingCalendar,
) -> int:
    """One ``compilation`` notice per coordinator address, keyed by the result."""
    c = completeness
    fingerprint = hashlib.sha256(
        json.dumps(
            [checksum, c.submitted, c.on_time, c.late, list(c.missing_units), c.excused],
            separators=(",", ":"),
        ).encode("utf-8")
    ).hexdigest()[:16]
    window = SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end)
    send_after = window.next_opening(now, calendar=calendar)
    directory = Directory.load(
        session,
        plan_ids=[plan_id],
        channels=ChannelAvailability.from_settings(settings),
        coordinator_email=settings.coordinator_email,
    )
    info = plan_infos(session, [plan_id]).get(plan_id)
    province = session.execute(
        select(tasks_table.c.province).where(tasks_table.c.plan_id == plan_id).limit(1)
    ).scalar_one_or_none()
    ref = info.ref if info is not None else plan_id
    report = title or obligation
    due_text = "" if due is None else f"{weekday_vi(due)}, {format_short(due)}"
    missing = [
        {"slug": slug, "name": name}
        for slug, name in zip(c.missing_units, missing_names, strict=True)
    ]
    payload: dict[str, Any] = {
        "plan_ref": ref,
        "report": report,
        "obligation": obligation,
        "period": period,
        "due_vi": due_text,
        "compiled": compiled,
        "expected": c.expected,
        "submitted": c.submitted,
        "on_time": c.on_time,
        "late": c.late,
        "missing_count": c.missing,
        "excused": c.excused,
        "missing": missing,
        "files": sorted(Path(p).name for p in files.values()),
        "targets": targets,
        "compiled_at": now.astimezone(LOCAL_TZ).isoformat(),
    }
    reason_vi = (
        f"Kết quả tổng hợp {report}, kỳ {period} ({ref}): {c.submitted}/{c.expected} đơn vị "
        f"đã nộp, {c.missing} đơn vị chưa nộp"
    )
    reason = (
        f"compilation of {plan_id}/{obligation} {period}: {c.submitted}/{c.expected} "
        f"reported, {c.missing} missing"
    )
    on = local_date(now)
    planned = address_notices(
        kind=NoticeKind.compilation,
        key_prefix=f"{_compile_prefix(plan_id, obligation, period)}{fingerprint}",
        plan_id=plan_id,
        province=province,
        audience=Audience.coordinator,
        addresses=directory.coordinator_addresses(plan_id, on=on),
        payload=payload,
        reason=reason,
        reason_vi=reason_vi,
        send_after=send_after,
        due_date=due,
    )
    return insert_notices(session, planned, now=now)
