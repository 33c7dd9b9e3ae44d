"""The sweep: which notices the ladder calls for on a day, written into the outbox.

``sweep(session, as_of=D, clock=...)`` is the morning sweep of day D (CONTRACTS: during D at
07:00 local). In the caller's transaction it

1. derives the status and due date in force of every task (set-based, one pass:
   :func:`pcmd_workflow.services.tasks.compute_statuses`);
2. for each task still waiting for a report, finds the current rung of its ladder
   (:mod:`pcmd_workflow.domain.ladder`: obligation ``ladder``, else the plan's
   ``defaults.ladder``, else ``national-default``) and its addresses
   (:mod:`pcmd_workflow.services.addressing`);
3. writes one notice per (task, due date, rung, channel, recipient) with a bulk
   ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``, so running it again is harmless;
4. on working days, adds the coordinator's daily digest of each plan and the list of units
   no channel reaches;
5. cancels the waiting notices that no longer apply: the task was submitted, excused or
   cancelled, its due date moved (extension, return: the rungs restart from the new date
   under new keys), or a later rung superseded them.

Nothing is sent here; ``services.dispatch`` delivers the outbox.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlmodel import Session

from pcmd_workflow.clock import LOCAL_TZ, Clock
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.ladder import (
    DEFAULT_LADDER,
    Audience,
    Ladder,
    LadderBook,
    NoticeKind,
    Rung,
    audiences_for,
    default_ladders,
    reason_en,
    reason_vi,
)
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.domain.statuses import OPEN_STATUSES, TaskStatus
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi
from pcmd_workflow.services.addressing import Address, ChannelAvailability, Directory
from pcmd_workflow.services.tasks import compute_statuses
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store.models import (
    obligations_table,
    plan_versions_table,
    plans_table,
    tasks_table,
)
from pcmd_workflow.store.outbox import ACTIVE_STATUSES, Notice, NoticeStatus

__all__ = [
    "NOTICE_COLUMNS",
    "PlanInfo",
    "PlannedNotice",
    "SweepReport",
    "cancel_task_notices",
    "insert_notices",
    "plan_infos",
    "run_sweep",
    "sweep",
    "task_notice_key",
]

#: Columns of ``pcmd sweep`` (CONTRACTS "Notices").
NOTICE_COLUMNS = ("task_id", "reporter", "rung", "channel", "recipient", "reason", "send_after")

notices_table = Notice.__table__  # type: ignore[attr-defined]

_CADENCE_VI = {
    "monthly": "tháng",
    "quarterly": "quý",
    "semiannual": "6 tháng",
    "ninemonth": "9 tháng",
    "annual": "năm",
    "summary": "sơ kết, tổng kết",
    "adhoc": "đột xuất",
    "flash": "nhanh",
    "unscheduled": "định kỳ",
}
#: Items listed by name in a coordinator digest (the rest are counted).
DIGEST_LIST_MAX = 50
_INSERT_CHUNK = 2000


def task_notice_key(
    *, task_id: int, due_date: date, rung: str, channel: str, recipient: str
) -> str:
    """The idempotency key of a rung notice: task, deadline cycle, rung, channel, recipient."""
    return f"t{task_id}|{due_date.isoformat()}|{rung}|{channel}|{recipient}"


@dataclass(frozen=True, kw_only=True)
class PlannedNotice:
    """One notice the sweep plans (whether or not it was already in the outbox)."""

    key: str
    kind: str
    task_id: int | None
    plan_id: str
    province: str | None
    reporter: str | None
    audience: str
    addressee: str
    rung: str | None
    ladder: str | None
    due_date: date | None
    rung_day: date | None
    channel: str
    recipient: str
    reason: str
    reason_vi: str
    send_after: datetime
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def as_row(self) -> dict[str, Any]:
        """The CLI row (CONTRACTS): the reason in Vietnamese, ``send_after`` in +07:00."""
        return {
            "task_id": self.task_id,
            "reporter": self.reporter,
            "rung": self.rung,
            "channel": self.channel,
            "recipient": self.recipient,
            "reason": self.reason_vi,
            "send_after": self.send_after.astimezone(LOCAL_TZ).isoformat(),
        }

    def values(self, *, now: datetime) -> dict[str, Any]:
        """Column values of the outbox row."""
        return {
            "idempotency_key": self.key,
            "kind": self.kind,
            "task_id": self.task_id,
            "plan_id": self.plan_id,
            "province": self.province,
            "unit": self.reporter,
            "audience": self.audience,
            "addressee": self.addressee,
            "rung": self.rung,
            "ladder": self.ladder,
            "due_date": self.due_date,
            "rung_day": self.rung_day,
            "channel": self.channel,
            "recipient": self.recipient,
            "reason": self.reason,
            "reason_vi": self.reason_vi,
            "payload": dict(self.payload),
            "status": NoticeStatus.pending.value,
            "send_after": self.send_after,
            "attempts": 0,
            "claimed_by": None,
            "lease_until": None,
            "created_at": now,
            "updated_at": now,
            "sent_at": None,
            "last_error": None,
            "status_reason": None,
            "replaces_id": None,
            "replaced_by_id": None,
        }


@dataclass(frozen=True, kw_only=True)
class SweepReport:
    as_of: date
    planned: list[PlannedNotice]
    inserted: int  # new rows in the outbox (0 on a dry run)
    cancelled: int  # waiting notices cancelled because they no longer apply
    tasks: int  # tasks evaluated
    dry_run: bool


@dataclass(frozen=True, kw_only=True)
class PlanInfo:
    plan_id: str
    ref: str  # "Kế hoạch số 255/KH-UBND ngày 16/11/2021 của Ủy ban nhân dân Thành phố Hà Nội"
    ladder: str


def plan_infos(session: Session, plan_ids: Iterable[str] | None = None) -> dict[str, PlanInfo]:
    """Reference text and default ladder of each plan (current version)."""
    p, pv = plans_table, plan_versions_table
    stmt = select(
        p.c.id, p.c.doc_type, p.c.number, p.c.issued, p.c.issuer, pv.c.body["defaults"]
    ).join(pv, (pv.c.plan_id == p.c.id) & (pv.c.version == p.c.current_version))
    if plan_ids is not None:
        stmt = stmt.where(p.c.id.in_(list(plan_ids)))
    out: dict[str, PlanInfo] = {}
    for plan_id, doc_type, number, issued, issuer, defaults in session.execute(stmt):
        ladder = (defaults or {}).get("ladder") if isinstance(defaults, dict) else None
        out[plan_id] = PlanInfo(
            plan_id=plan_id,
            ref=f"{doc_type} số {number} ngày {format_short(issued)} của {issuer}",
            ladder=ladder or DEFAULT_LADDER,
        )
    return out


def _due_vi(day: date) -> str:
    return f"{weekday_vi(day)}, {format_short(day)}"


def _window_start(as_of: date, window: SendingWindow, calendar: WorkingCalendar) -> datetime:
    return window.next_opening(
        datetime.combine(as_of, window.start, tzinfo=LOCAL_TZ), calendar=calendar
    )


@dataclass
class _Context:
    """What one sweep looks up many times (memoised per ladder and due date)."""

    ladders: LadderBook
    calendar: WorkingCalendar
    directory: Directory
    plans: dict[str, PlanInfo]
    obligations: dict[tuple[str, str], tuple[str | None, str | None]]  # title, ladder
    current: dict[tuple[str, date], tuple[Rung, date] | None] = field(default_factory=dict)

    def ladder_for(self, plan_id: str, obligation: str) -> Ladder:
        _title, own = self.obligations.get((plan_id, obligation), (None, None))
        plan = self.plans.get(plan_id)
        return self.ladders[own or (plan.ladder if plan else DEFAULT_LADDER)]

    def current_rung(self, ladder: Ladder, due: date, as_of: date) -> tuple[Rung, date] | None:
        key = (ladder.name, due)
        if key not in self.current:
            self.current[key] = ladder.current(due_date=due, as_of=as_of, calendar=self.calendar)
        return self.current[key]

    def report_of(self, plan_id: str, obligation: str, cadence: str) -> str:
        title, _ladder = self.obligations.get((plan_id, obligation), (None, None))
        if title:
            return title
        return f"Báo cáo {_CADENCE_VI.get(cadence, cadence)} ({obligation})"


def _load_obligations(
    session: Session, plan_ids: Sequence[str]
) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    o = obligations_table
    stmt = select(o.c.plan_id, o.c.obligation, o.c.title, o.c.ladder).where(
        o.c.plan_id.in_(list(plan_ids))
    )
    return {(r.plan_id, r.obligation): (r.title, r.ladder) for r in session.execute(stmt)}


def _task_rows(
    session: Session, task_ids: Sequence[int], *, plan_id: str | None, province: str | None
) -> dict[int, Any]:
    t = tasks_table
    stmt = select(
        t.c.task_id,
        t.c.key,
        t.c.plan_id,
        t.c.obligation,
        t.c.reporter,
        t.c.period,
        t.c.cadence,
        t.c.province,
    )
    if plan_id is not None:
        stmt = stmt.where(t.c.plan_id == plan_id)
    if province is not None:
        stmt = stmt.where(t.c.province == province)
    wanted = set(task_ids)
    return {r.task_id: r for r in session.execute(stmt) if r.task_id in wanted}


def run_sweep(
    session: Session,
    *,
    as_of: date,
    clock: Clock,
    dry_run: bool = False,
    plan_id: str | None = None,
    province: str | None = None,
    settings: Settings | None = None,
    ladders: LadderBook | None = None,
    calendar: WorkingCalendar | None = None,
) -> SweepReport:
    """Evaluate the tasks on ``as_of`` and write the notices they call for (see module doc)."""
    settings = settings or get_settings()
    calendar = calendar or default_calendar()
    window = SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end)
    now = clock.now()
    table = compute_statuses(
        session, as_of=as_of, plan_id=plan_id, province=province, calendar=calendar
    )
    statuses = table.columns.status
    dues = table.columns.due_date
    lates = table.columns.days_late
    open_ids = [
        tid
        for tid, st, due in zip(table.task_ids, statuses, dues, strict=True)
        if st in OPEN_STATUSES and due is not None
    ]
    rows = _task_rows(session, open_ids, plan_id=plan_id, province=province)
    plan_ids = sorted({r.plan_id for r in rows.values()})
    ctx = _Context(
        ladders=ladders or default_ladders(),
        calendar=calendar,
        directory=Directory.load(
            session,
            plan_ids=plan_ids,
            channels=ChannelAvailability.from_settings(settings),
            coordinator_email=settings.coordinator_email,
        ),
        plans=plan_infos(session, plan_ids),
        obligations=_load_obligations(session, plan_ids),
    )
    send_after = _window_start(as_of, window, calendar)
    planned: list[PlannedNotice] = []
    current_by_task: dict[int, tuple[date, date | None]] = {}  # due in force, rung day
    digest: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"due_today": [], "overdue": []}
    )
    unreachable: dict[str, dict[str, str]] = defaultdict(dict)

    for tid, st, due, late in zip(table.task_ids, statuses, dues, lates, strict=True):
        if due is None:
            continue
        if st not in OPEN_STATUSES:
            continue
        row = rows.get(tid)
        if row is None:
            continue
        ladder = ctx.ladder_for(row.plan_id, row.obligation)
        found = ctx.current_rung(ladder, due, as_of)
        current_by_task[tid] = (due, found[1] if found else None)
        unit = ctx.directory.unit(row.plan_id, row.reporter)
        unit_name = unit.name if unit is not None else row.reporter
        report = ctx.report_of(row.plan_id, row.obligation, row.cadence)
        plan = ctx.plans.get(row.plan_id)
        item = {
            "task_key": row.key,
            "report": report,
            "period": row.period,
            "unit": row.reporter,
            "unit_name": unit_name,
            "plan_ref": plan.ref if plan else row.plan_id,
            "due_date": due.isoformat(),
            "requested": bool(unit.requested) if unit else False,
        }
        if st is TaskStatus.due_today or (st is TaskStatus.returned and due == as_of):
            digest[row.plan_id]["due_today"].append(item)
        elif due < as_of:
            digest[row.plan_id]["overdue"].append({**item, "days_late": late})
        if found is None:
            continue
        rung, rung_day = found
        task_text = f"{report}, kỳ {row.period}, của {unit_name}"
        why_vi = reason_vi(ladder=ladder.name, rung=rung, due_date=due, task=task_text)
        why_en = reason_en(
            ladder=ladder.name, rung=rung, due_date=due, rung_day=rung_day, task=row.key
        )
        for audience in audiences_for(rung, requested=bool(unit and unit.requested)):
            for address in ctx.directory.addresses(
                row.plan_id, audience=audience, unit=row.reporter, on=as_of
            ):
                if audience is Audience.unit and address.channel == "sink":
                    why = ctx.directory.unreachable_why(row.plan_id, row.reporter)
                    if why:
                        unreachable[row.plan_id][row.reporter] = why
                planned.append(
                    PlannedNotice(
                        key=task_notice_key(
                            task_id=tid,
                            due_date=due,
                            rung=rung.name,
                            channel=address.channel,
                            recipient=address.recipient,
                        ),
                        kind=rung.kind.value,
                        task_id=tid,
                        plan_id=row.plan_id,
                        province=row.province,
                        reporter=row.reporter,
                        audience=audience.value,
                        addressee=address.addressee,
                        rung=rung.name,
                        ladder=ladder.name,
                        due_date=due,
                        rung_day=rung_day,
                        channel=address.channel,
                        recipient=address.recipient,
                        reason=why_en,
                        reason_vi=why_vi,
                        send_after=send_after,
                        payload={**item, "addressee_name": address.addressee_name},
                    )
                )

    if calendar.is_working_day(as_of):
        planned.extend(
            _plan_reports(
                ctx,
                as_of=as_of,
                send_after=send_after,
                digest=digest,
                unreachable=unreachable,
                provinces={r.plan_id: r.province for r in rows.values()},
            )
        )
    inserted = cancelled = 0
    if not dry_run:
        inserted = insert_notices(session, planned, now=now)
        cancelled = _cancel_stale(
            session,
            now=now,
            status_by_task=dict(zip(table.task_ids, statuses, strict=True)),
            current_by_task=current_by_task,
            plan_id=plan_id,
            province=province,
        )
    return SweepReport(
        as_of=as_of,
        planned=planned,
        inserted=inserted,
        cancelled=cancelled,
        tasks=len(table.task_ids),
        dry_run=dry_run,
    )


def sweep(
    session: Session, *, as_of: date, clock: Clock, dry_run: bool = False
) -> list[PlannedNotice]:
    """The notices the ladder calls for on ``as_of``, written to the outbox unless ``dry_run``."""
    return run_sweep(session, as_of=as_of, clock=clock, dry_run=dry_run).planned


def _plan_reports(
    ctx: _Context,
    *,
    as_of: date,
    send_after: datetime,
    digest: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    unreachable: Mapping[str, Mapping[str, str]],
    provinces: Mapping[str, str],
) -> list[PlannedNotice]:
    """The coordinator's daily digest and missing-contacts list of each plan."""
    out: list[PlannedNotice] = []
    day_vi = f"ngày {format_short(as_of)} ({weekday_vi(as_of)})"
    for plan_id in sorted(set(digest) | set(unreachable)):
        plan = ctx.plans.get(plan_id)
        ref = plan.ref if plan else plan_id
        addresses = ctx.directory.coordinator_addresses(plan_id, on=as_of)
        lists = digest.get(plan_id)
        if lists and (lists["due_today"] or lists["overdue"]):
            due_today = sorted(lists["due_today"], key=lambda i: (i["unit_name"], i["report"]))
            overdue = sorted(lists["overdue"], key=lambda i: (-int(i["days_late"]), i["unit_name"]))
            shown = DIGEST_LIST_MAX
            payload = {
                "plan_ref": ref,
                "day": as_of.isoformat(),
                "day_vi": day_vi,
                "due_today": due_today[:shown],
                "overdue": overdue[:shown],
                "due_today_count": len(due_today),
                "overdue_count": len(overdue),
                "truncated": max(0, len(due_today) - shown) + max(0, len(overdue) - shown),
            }
            reason = (
                f"Tổng hợp hằng ngày gửi cơ quan thường trực {day_vi}: {len(due_today)} báo cáo "
                f"đến hạn, {len(overdue)} báo cáo quá hạn ({ref})"
            )
            out.extend(
                _report_notices(
                    kind=NoticeKind.coordinator_digest,
                    key_prefix=f"digest|{plan_id}|{as_of.isoformat()}",
                    plan_id=plan_id,
                    province=provinces.get(plan_id),
                    addresses=addresses,
                    payload=payload,
                    reason=f"daily digest of {plan_id} for {as_of.isoformat()}",
                    reason_vi=reason,
                    send_after=send_after,
                )
            )
        units = unreachable.get(plan_id)
        if units:
            listed = [
                {"slug": slug, "name": ctx.directory.name_of(plan_id, slug), "why": why}
                for slug, why in sorted(units.items())
            ]
            out.extend(
                _report_notices(
                    kind=NoticeKind.missing_contacts,
                    key_prefix=f"contacts|{plan_id}|{as_of.isoformat()}",
                    plan_id=plan_id,
                    province=provinces.get(plan_id),
                    addresses=addresses,
                    payload={"plan_ref": ref, "units": listed},
                    reason=f"{len(listed)} units of {plan_id} have no usable contact",
                    reason_vi=(
                        f"{len(listed)} đơn vị chưa có thông tin liên hệ dùng được ({ref}); "
                        "thông báo gửi họ chỉ được ghi vào sổ lưu"
                    ),
                    send_after=send_after,
                )
            )
    return out


def _report_notices(
    *,
    kind: NoticeKind,
    key_prefix: str,
    plan_id: str,
    province: str | None,
    addresses: Sequence[Address],
    payload: Mapping[str, Any],
    reason: str,
    reason_vi: str,
    send_after: datetime,
    task_id: int | None = None,
    unit: str | None = None,
) -> list[PlannedNotice]:
    return [
        PlannedNotice(
            key=f"{key_prefix}|{a.channel}|{a.recipient}",
            kind=kind.value,
            task_id=task_id,
            plan_id=plan_id,
            province=province,
            reporter=unit,
            audience=Audience.coordinator.value,
            addressee=a.addressee,
            rung=None,
            ladder=None,
            due_date=None,
            rung_day=None,
            channel=a.channel,
            recipient=a.recipient,
            reason=reason,
            reason_vi=reason_vi,
            send_after=send_after,
            payload={**payload, "addressee_name": a.addressee_name},
        )
        for a in addresses
    ]


# ---- writing -----------------------------------------------------------------------------


_NOTICE_FIELDS = (
    "idempotency_key",
    "kind",
    "task_id",
    "plan_id",
    "province",
    "unit",
    "audience",
    "addressee",
    "rung",
    "ladder",
    "due_date",
    "rung_day",
    "channel",
    "recipient",
    "reason",
    "reason_vi",
    "payload",
    "status",
    "send_after",
    "attempts",
    "created_at",
    "updated_at",
)
_DATE_FIELDS = frozenset({"due_date", "rung_day"})
_INSTANT_FIELDS = frozenset({"send_after", "created_at", "updated_at"})


def _driver_value(name: str, value: Any, *, sqlite: bool) -> Any:
    """A column value as the driver takes it (what the column types would bind)."""
    if value is None:
        return None
    if name == "payload":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if sqlite and name in _DATE_FIELDS:
        return value.isoformat()
    if name in _INSTANT_FIELDS:
        utc = value.astimezone(UTC)
        return (
            utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if sqlite else utc
        )
    return value


def insert_notices(session: Session, planned: Sequence[PlannedNotice], *, now: datetime) -> int:
    """Bulk ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``; the number of new rows.

    Set-based on purpose: one ``executemany`` per chunk through the driver, values bound
    the way the column types bind them (UTC instants, JSON payload), so the national sweep
    stays within seconds.
    """
    if not planned:
        return 0
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    placeholders = ", ".join(
        f"{marker}::jsonb" if (f == "payload" and not sqlite) else marker for f in _NOTICE_FIELDS
    )
    sql = (
        f"INSERT INTO notices ({', '.join(_NOTICE_FIELDS)}) VALUES ({placeholders}) "
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )
    seen: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for notice in planned:
        if notice.key in seen:
            continue
        seen.add(notice.key)
        values = notice.values(now=now)
        rows.append(tuple(_driver_value(f, values[f], sqlite=sqlite) for f in _NOTICE_FIELDS))
    inserted = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        result = conn.exec_driver_sql(sql, rows[start : start + _INSERT_CHUNK])
        inserted += max(0, int(result.rowcount or 0))
    return inserted


def _is_active(status: Any) -> Any:
    """``status IN ('pending', 'failed')`` written without IN (executemany refuses IN lists)."""
    return or_(*(status == s for s in ACTIVE_STATUSES))


_CLOSED_REASON = {
    TaskStatus.submitted_on_time: "đơn vị đã nộp báo cáo",
    TaskStatus.submitted_late: "đơn vị đã nộp báo cáo",
    TaskStatus.excused: "đơn vị được miễn báo cáo",
}


def _cancel_stale(
    session: Session,
    *,
    now: datetime,
    status_by_task: Mapping[int, TaskStatus],
    current_by_task: Mapping[int, tuple[date, date | None]],
    plan_id: str | None,
    province: str | None,
) -> int:
    n = notices_table
    stmt = select(n.c.id, n.c.task_id, n.c.due_date, n.c.rung_day).where(
        n.c.status.in_(ACTIVE_STATUSES), n.c.task_id.is_not(None)
    )
    if plan_id is not None:
        stmt = stmt.where(n.c.plan_id == plan_id)
    if province is not None:
        stmt = stmt.where(n.c.province == province)
    cancels: list[dict[str, Any]] = []
    for notice_id, task_id, due, rung_day in session.execute(stmt):
        status = status_by_task.get(task_id)
        why: str | None
        if status is None:
            why = "nhiệm vụ không còn hiệu lực"
        elif status not in OPEN_STATUSES:
            why = _CLOSED_REASON.get(status, f"nhiệm vụ ở trạng thái {status}")
        else:
            current_due, current_day = current_by_task.get(task_id, (None, None))
            if current_due is not None and due is not None and current_due != due:
                why = (
                    f"hạn nộp đã đổi sang {_due_vi(current_due)} (gia hạn hoặc trả lại báo "
                    "cáo); các mốc nhắc tính lại từ hạn mới"
                )
            elif current_day is not None and rung_day is not None and rung_day < current_day:
                why = "đã có mốc nhắc mới hơn thay thế"
            else:
                why = None
        if why is not None:
            cancels.append({"b_id": notice_id, "b_why": why})
    if cancels:
        stmt_cancel = (
            update(n)
            .where(n.c.id == bindparam("b_id"), _is_active(n.c.status))
            .values(
                status=NoticeStatus.cancelled.value,
                status_reason=bindparam("b_why"),
                updated_at=now,
            )
        )
        session.execute(stmt_cancel, cancels)
    return len(cancels)


def cancel_task_notices(session: Session, *, task_id: int, clock: Clock, reason: str) -> int:
    """Cancel every waiting notice of a task now (for a service that closes the task)."""
    n = notices_table
    result = session.execute(
        update(n)
        .where(n.c.task_id == task_id, n.c.status.in_(ACTIVE_STATUSES))
        .values(status=NoticeStatus.cancelled.value, status_reason=reason, updated_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
