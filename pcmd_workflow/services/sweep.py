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

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy import text as sql_text
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
    "address_notices",
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
#: tasks read by id lists up to this many (beyond, one scan of the scope)
_IN_LIST_MAX = 30_000
_IN_CHUNK = 5_000


def task_notice_key(
    *, task_id: int, due_date: date, rung: str, channel: str, recipient: str
) -> str:
    """The idempotency key of a rung notice: task, deadline cycle, rung, channel, recipient."""
    return f"t{task_id}|{due_date.isoformat()}|{rung}|{channel}|{recipient}"


_NO_PAYLOAD: Mapping[str, Any] = MappingProxyType({})


class PlannedNotice(NamedTuple):
    """One notice the sweep plans (whether or not it was already in the outbox).

    An immutable named tuple rather than a frozen dataclass: the national sweep makes tens of
    thousands of them and a tuple is several times cheaper to build. ``payload_json``, when
    given, is ``payload`` already encoded (the sweep assembles it from cached fragments).
    """

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
    payload: Mapping[str, Any] = _NO_PAYLOAD
    payload_json: str | None = None

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


class _Texts:
    """JSON fragments encoded once and assembled per notice (the payload of rung notices)."""

    def __init__(self) -> None:
        self._json: dict[str, str] = {}

    def enc(self, value: str) -> str:
        found = self._json.get(value)
        if found is None:
            found = self._json[value] = json.dumps(value, ensure_ascii=False)
        return found


class _LazyPayload(Mapping[str, Any]):
    """The payload of a rung notice as a mapping, decoded from its JSON only when read."""

    __slots__ = ("_base", "_data", "_name")

    def __init__(self, base: str, name: str) -> None:
        self._base, self._name = base, name
        self._data: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = {**json.loads(self._base + "}"), "addressee_name": self._name}
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())


@dataclass
class _Digest:
    """Tasks of one plan due today and overdue: (unit name, report, period, due, late, slug)."""

    due_today: list[tuple[str, str, str, date, int, str]] = field(default_factory=list)
    overdue: list[tuple[str, str, str, date, int, str]] = field(default_factory=list)


@dataclass
class _Context:
    """What one sweep looks up many times (memoised per ladder and due date)."""

    ladders: LadderBook
    calendar: WorkingCalendar
    directory: Directory
    plans: dict[str, PlanInfo]
    obligations: dict[tuple[str, str], tuple[str | None, str | None]]  # title, ladder
    firings: dict[tuple[str, date], _Firing | None] = field(default_factory=dict)
    duties: dict[tuple[str, str], tuple[Ladder, str, str]] = field(default_factory=dict)
    units: dict[tuple[str, str], tuple[str, bool, str]] = field(default_factory=dict)
    plan_refs: dict[str, str] = field(default_factory=dict)
    target_memo: dict[
        tuple[str, str, tuple[Audience, ...]], tuple[tuple[str, Address, str, str | None], ...]
    ] = field(default_factory=dict)
    why: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def ladder_for(self, plan_id: str, obligation: str) -> Ladder:
        _title, own = self.obligations.get((plan_id, obligation), (None, None))
        plan = self.plans.get(plan_id)
        return self.ladders[own or (plan.ladder if plan else DEFAULT_LADDER)]

    def report_of(self, plan_id: str, obligation: str, cadence: str) -> str:
        title, _ladder = self.obligations.get((plan_id, obligation), (None, None))
        if title:
            return title
        return f"Báo cáo {_CADENCE_VI.get(cadence, cadence)} ({obligation})"

    def duty(self, plan_id: str, obligation: str, cadence: str) -> tuple[Ladder, str, str]:
        """The ladder, the Vietnamese name and its payload fragment of a duty (memoised)."""
        key = (plan_id, obligation)
        found = self.duties.get(key)
        if found is None:
            report = self.report_of(plan_id, obligation, cadence)
            found = self.duties[key] = (
                self.ladder_for(plan_id, obligation),
                report,
                f'{{"report":{json.dumps(report, ensure_ascii=False)},',
            )
        return found

    def unit_of(self, plan_id: str, slug: str) -> tuple[str, bool, str]:
        """The unit's name, «Đề nghị» or not, and its payload fragment (memoised)."""
        key = (plan_id, slug)
        found = self.units.get(key)
        if found is None:
            unit = self.directory.unit(plan_id, slug)
            name, requested = (unit.name, unit.requested) if unit is not None else (slug, False)
            found = self.units[key] = (
                name,
                requested,
                f'"unit":{json.dumps(slug)},"unit_name":{json.dumps(name, ensure_ascii=False)},',
            )
        return found

    def firing(self, ladder: Ladder, due: date, as_of: date) -> _Firing | None:
        key = (ladder.name, due)
        if key not in self.firings:
            found = ladder.current(due_date=due, as_of=as_of, calendar=self.calendar)
            self.firings[key] = (
                None if found is None else _firing(ladder, found[0], due=due, day=found[1])
            )
        return self.firings[key]

    def targets(
        self,
        plan_id: str,
        unit: str,
        audiences: tuple[Audience, ...],
        *,
        on: date,
        text: _Texts,
    ) -> tuple[tuple[str, Address, str, str | None], ...]:
        """(audience, address, payload tail, why unreachable) for a unit's audiences (memoised)."""
        key = (plan_id, unit, audiences)
        found = self.target_memo.get(key)
        if found is None:
            out = []
            for audience in audiences:
                for address in self.directory.addresses(
                    plan_id, audience=audience, unit=unit, on=on
                ):
                    contactless = None
                    if audience is Audience.unit and address.channel == "sink":
                        contactless = self.unreachable_why(plan_id, unit)
                    tail = f',"addressee_name":{text.enc(address.addressee_name)}}}'
                    out.append((audience.value, address, tail, contactless))
            found = self.target_memo[key] = tuple(out)
        return found

    def plan_json(self, plan_id: str, text: _Texts) -> str:
        found = self.plan_refs.get(plan_id)
        if found is None:
            found = self.plan_refs[plan_id] = f'"plan_ref":{text.enc(self.plan_ref(plan_id))},'
        return found

    def plan_ref(self, plan_id: str) -> str:
        plan = self.plans.get(plan_id)
        return plan.ref if plan is not None else plan_id

    def unreachable_why(self, plan_id: str, slug: str) -> str | None:
        key = (plan_id, slug)
        if key not in self.why:
            self.why[key] = self.directory.unreachable_why(plan_id, slug)
        return self.why[key]


def _load_obligations(
    session: Session, plan_ids: Sequence[str]
) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    o = obligations_table
    stmt = select(o.c.plan_id, o.c.obligation, o.c.title, o.c.ladder).where(
        o.c.plan_id.in_(list(plan_ids))
    )
    return {(r.plan_id, r.obligation): (r.title, r.ladder) for r in session.execute(stmt)}


class _TaskRow(NamedTuple):
    task_id: int
    plan_id: str
    obligation: str
    reporter: str
    period: str
    cadence: str
    province: str


def _task_rows(
    session: Session, task_ids: Sequence[int], *, plan_id: str | None, province: str | None
) -> dict[int, _TaskRow]:
    t = tasks_table
    stmt = select(
        t.c.task_id,
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
    if len(task_ids) > _IN_LIST_MAX:  # most tasks of the scope: one scan is cheaper
        wanted = set(task_ids)
        return {r[0]: _TaskRow(*r) for r in session.execute(stmt).all() if r[0] in wanted}
    out: dict[int, _TaskRow] = {}
    for start in range(0, len(task_ids), _IN_CHUNK):
        chunk = stmt.where(t.c.task_id.in_(task_ids[start : start + _IN_CHUNK]))
        out.update((r[0], _TaskRow(*r)) for r in session.execute(chunk).all())
    return out


@dataclass(frozen=True, kw_only=True)
class _Firing:
    """A rung firing for one due date: the texts every task of that date shares."""

    rung: Rung
    day: date
    kind: str
    key_mid: str  # "|2024-06-17|T-2|"
    due_iso: str
    vi_prefix: str
    vi_suffix: str
    en_prefix: str
    en_suffix: str
    audiences: tuple[tuple[Audience, ...], tuple[Audience, ...]]  # (not requested, requested)


def _firing(ladder: Ladder, rung: Rung, *, due: date, day: date) -> _Firing:
    """Split the domain's reason texts around the task (so that both stay one definition)."""
    marker = "\x00"
    vi = reason_vi(ladder=ladder.name, rung=rung, due_date=due, task=marker)
    en = reason_en(ladder=ladder.name, rung=rung, due_date=due, rung_day=day, task=marker)
    vi_prefix, vi_suffix = vi.split(marker)
    en_prefix, en_suffix = en.split(marker)
    return _Firing(
        rung=rung,
        day=day,
        kind=rung.kind.value,
        key_mid=f"|{due.isoformat()}|{rung.name}|",
        due_iso=due.isoformat(),
        vi_prefix=vi_prefix,
        vi_suffix=vi_suffix,
        en_prefix=en_prefix,
        en_suffix=en_suffix,
        audiences=(audiences_for(rung, requested=False), audiences_for(rung, requested=True)),
    )


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
    if not dry_run and session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock first, while the busy timeout still applies: a transaction
        # that reads, then writes, fails at once ("database is locked") when another writer
        # got in between, instead of waiting for it.
        session.execute(sql_text("UPDATE plans SET id = id WHERE 0 = 1"))
    calendar = calendar or default_calendar()
    window = SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end)
    now = clock.now()
    table = compute_statuses(
        session, as_of=as_of, plan_id=plan_id, province=province, calendar=calendar
    )
    statuses = table.columns.status
    dues = table.columns.due_date
    lates = table.columns.days_late
    ladders = ladders or default_ladders()
    # a task can only be on a rung once its earliest rung has come: read only those tasks
    lead = max(0, *(-r.offset for ladder in ladders.values() for r in ladder.rungs))
    horizon = calendar.add_working_days(as_of, lead)
    open_ids = [
        tid
        for tid, st, due in zip(table.task_ids, statuses, dues, strict=True)
        if due is not None and due <= horizon and st in OPEN_STATUSES
    ]
    rows = _task_rows(session, open_ids, plan_id=plan_id, province=province)
    plan_ids = sorted({r.plan_id for r in rows.values()})
    ctx = _Context(
        ladders=ladders,
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
    rung_days: dict[int, date] = {}  # the current rung's day of each task on a rung
    digest: dict[str, _Digest] = defaultdict(_Digest)
    unreachable: dict[str, dict[str, str]] = defaultdict(dict)
    text = _Texts()
    append = planned.append

    for tid, st, due, late in zip(table.task_ids, statuses, dues, lates, strict=True):
        if due is None or st not in OPEN_STATUSES:
            continue
        row = rows.get(tid)
        if row is None:
            continue
        plan_id, reporter, period = row.plan_id, row.reporter, row.period
        ladder, report, duty_json = ctx.duty(plan_id, row.obligation, row.cadence)
        unit_name, requested, unit_json = ctx.unit_of(plan_id, reporter)
        if st is TaskStatus.due_today or (st is TaskStatus.returned and due == as_of):
            digest[plan_id].due_today.append((unit_name, report, period, due, 0, reporter))
        elif due < as_of:
            digest[plan_id].overdue.append((unit_name, report, period, due, late, reporter))
        fire = ctx.firing(ladder, due, as_of)
        if fire is None:
            continue
        rung_days[tid] = fire.day
        why_vi = f"{fire.vi_prefix}{report}, kỳ {period}, của {unit_name}{fire.vi_suffix}"
        why_en = f"{fire.en_prefix}{plan_id}/{row.obligation}/{reporter}/{period}{fire.en_suffix}"
        base_json = (
            f'{duty_json}"period":{text.enc(period)},{unit_json}{ctx.plan_json(plan_id, text)}'
            f'"due_date":"{fire.due_iso}"'
        )
        key_prefix = f"t{tid}{fire.key_mid}"
        for audience, address, tail, contactless in ctx.targets(
            plan_id, reporter, fire.audiences[requested], on=as_of, text=text
        ):
            if contactless:
                unreachable[plan_id][reporter] = contactless
            append(
                PlannedNotice(
                    f"{key_prefix}{address.channel}|{address.recipient}",
                    fire.kind,
                    tid,
                    plan_id,
                    row.province,
                    reporter,
                    audience,
                    address.addressee,
                    fire.rung.name,
                    ladder.name,
                    due,
                    fire.day,
                    address.channel,
                    address.recipient,
                    why_en,
                    why_vi,
                    send_after,
                    _LazyPayload(base_json, address.addressee_name),
                    base_json + tail,
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
            due_by_task=dict(zip(table.task_ids, dues, strict=True)),
            rung_days=rung_days,
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
    digest: Mapping[str, _Digest],
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
        if lists and (lists.due_today or lists.overdue):
            shown = DIGEST_LIST_MAX
            due_today = heapq.nsmallest(shown, lists.due_today, key=lambda i: (i[0], i[1]))
            overdue = heapq.nsmallest(shown, lists.overdue, key=lambda i: (-i[4], i[0], i[1]))
            n_today, n_late = len(lists.due_today), len(lists.overdue)
            payload = {
                "plan_ref": ref,
                "day": as_of.isoformat(),
                "day_vi": day_vi,
                "due_today": [_digest_item(i) for i in due_today],
                "overdue": [_digest_item(i) for i in overdue],
                "due_today_count": n_today,
                "overdue_count": n_late,
                "truncated": max(0, n_today - shown) + max(0, n_late - shown),
            }
            reason = (
                f"Tổng hợp hằng ngày gửi cơ quan thường trực {day_vi}: {n_today} báo cáo "
                f"đến hạn, {n_late} báo cáo quá hạn ({ref})"
            )
            out.extend(
                address_notices(
                    kind=NoticeKind.coordinator_digest,
                    key_prefix=f"digest|{plan_id}|{as_of.isoformat()}",
                    plan_id=plan_id,
                    province=provinces.get(plan_id),
                    audience=Audience.coordinator,
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
                address_notices(
                    kind=NoticeKind.missing_contacts,
                    key_prefix=f"contacts|{plan_id}|{as_of.isoformat()}",
                    plan_id=plan_id,
                    province=provinces.get(plan_id),
                    audience=Audience.coordinator,
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


def _digest_item(item: tuple[str, str, str, date, int, str]) -> dict[str, Any]:
    unit_name, report, period, due, late, slug = item
    return {
        "unit": slug,
        "unit_name": unit_name,
        "report": report,
        "period": period,
        "due_date": due.isoformat(),
        "days_late": late,
    }


def address_notices(
    *,
    kind: NoticeKind,
    key_prefix: str,
    plan_id: str,
    province: str | None,
    audience: Audience,
    addresses: Iterable[Address],
    payload: Mapping[str, Any],
    reason: str,
    reason_vi: str,
    send_after: datetime,
    task_id: int | None = None,
    reporter: str | None = None,
    due_date: date | None = None,
) -> list[PlannedNotice]:
    """One notice outside the reminder ladder (no rung) per address, keyed ``prefix|channel|to``.

    Serves the coordinator digest and missing-contacts notices of the sweep, the compilation
    result notices and the manual reminders and receipts of the portal alike.
    """
    return [
        PlannedNotice(
            key=f"{key_prefix}|{a.channel}|{a.recipient}",
            kind=kind.value,
            task_id=task_id,
            plan_id=plan_id,
            province=province,
            reporter=reporter,
            audience=audience.value,
            addressee=a.addressee,
            rung=None,
            ladder=None,
            due_date=due_date,
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


_NOTICE_COLUMNS = (
    "idempotency_key, kind, task_id, plan_id, province, unit, audience, addressee, rung, "
    "ladder, due_date, rung_day, channel, recipient, reason, reason_vi, payload, status, "
    "send_after, attempts, created_at, updated_at"
)


def insert_notices(session: Session, planned: Sequence[PlannedNotice], *, now: datetime) -> int:
    """Bulk ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING``; the number of new rows.

    Set-based on purpose: keys already in the outbox for the same deadline cycles are read
    first and skipped, the rest go in one ``executemany`` per chunk through the driver, with
    values bound the way the column types bind them (UTC instants, JSON payload), so that the
    national sweep stays within seconds.
    """
    if not planned:
        return 0
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    marks = [marker] * 22
    if not sqlite:
        marks[16] = "%s::jsonb"
    sql = (
        f"INSERT INTO notices ({_NOTICE_COLUMNS}) VALUES ({', '.join(marks)}) "
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )
    existing = _existing_keys(session, planned)
    instants: dict[datetime, Any] = {}
    days: dict[date, Any] = {}

    def instant(value: datetime) -> Any:
        found = instants.get(value)
        if found is None:
            utc = value.astimezone(UTC)
            found = instants[value] = (
                utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                if sqlite
                else utc
            )
        return found

    def day(value: date | None) -> Any:
        if value is None or not sqlite:
            return value
        found = days.get(value)
        if found is None:
            found = days[value] = value.isoformat()
        return found

    created = instant(now)
    pending = NoticeStatus.pending.value
    rows: list[tuple[Any, ...]] = []
    for n in planned:
        if n.key in existing:
            continue
        existing.add(n.key)
        payload = n.payload_json
        if payload is None:
            payload = json.dumps(dict(n.payload), ensure_ascii=False, separators=(",", ":"))
        rows.append(
            (
                n.key,
                n.kind,
                n.task_id,
                n.plan_id,
                n.province,
                n.reporter,
                n.audience,
                n.addressee,
                n.rung,
                n.ladder,
                day(n.due_date),
                day(n.rung_day),
                n.channel,
                n.recipient,
                n.reason,
                n.reason_vi,
                payload,
                pending,
                instant(n.send_after),
                0,
                created,
                created,
            )
        )
    inserted = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        result = conn.exec_driver_sql(sql, rows[start : start + _INSERT_CHUNK])
        inserted += max(0, int(result.rowcount or 0))
    return inserted


def _existing_keys(session: Session, planned: Sequence[PlannedNotice]) -> set[str]:
    """Keys of the outbox for the deadline cycles of ``planned`` (rung notices only)."""
    n = notices_table
    plans = sorted({p.plan_id for p in planned if p.task_id is not None and p.due_date})
    dues = sorted({p.due_date for p in planned if p.task_id is not None and p.due_date})
    if not plans or not dues or len(planned) < 100:
        return set()
    stmt = select(n.c.idempotency_key).where(n.c.plan_id.in_(plans), n.c.due_date.in_(dues))
    return {row[0] for row in session.execute(stmt).all()}


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
    due_by_task: Mapping[int, date | None],
    rung_days: Mapping[int, date],
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
    for notice_id, task_id, due, rung_day in session.execute(stmt).all():
        status = status_by_task.get(task_id)
        why: str | None
        if status is None:
            why = "nhiệm vụ không còn hiệu lực"
        elif status not in OPEN_STATUSES:
            why = _CLOSED_REASON.get(status, f"nhiệm vụ ở trạng thái {status}")
        else:
            current_due, current_day = due_by_task.get(task_id), rung_days.get(task_id)
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
