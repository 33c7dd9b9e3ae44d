"""Ad-hoc (đột xuất) and flash (báo cáo nhanh) requests: the tasks a coordinator's request creates.

Duties with the cadence ``adhoc`` or ``flash`` have no deadline of their own: they create
tasks only when a coordinator issues a request with its due date (DOMAIN decision Q9).
One request gives one task per reporter, all with the period label ``adhoc-<request id>``
(CONTRACTS "Identifiers"); the request id is the request's local date and a counter,
``20240618-1``, ``20240618-2`` …, unique per plan and obligation.

- Ad-hoc: the request names a due date. Like any other deadline it goes through the day-off
  policy of the obligation (else of the plan): a time limit whose last day is a day off ends
  at the end of the next working day (Bộ luật Dân sự 2015, Điều 148 khoản 5), and
  ``moved_because`` names the days skipped.
- Flash: the report is due at an instant, ``due_at`` = the request + 24 hours by default
  (``calendars/national/defaults.yaml`` ``flash_due_hours``, decision Q9), or the instant the
  request names; ``due_date`` is the local day of ``due_at``. An instant is not moved by
  days off: the hours run from the request.

Reporters are the obligation's reporters expanded on the request day (groups, units in
force that day, successors), or a subset of them. Everything is checked before anything is
written; the tasks and one audit row per task are written in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlmodel import Session

from pcmd_workflow.clock import LOCAL_TZ, Clock, local_date, to_utc
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.due_rules import DayOffPolicy, compute_deadline, flash_due_at
from pcmd_workflow.domain.periods import Cadence, CutoffWindow, parse_period
from pcmd_workflow.domain.plan import Obligation, Plan
from pcmd_workflow.errors import CalendarError, Conflict, NotFound, PcmdError
from pcmd_workflow.services.plans import stored_plan
from pcmd_workflow.services.tasks import TaskView, list_tasks
from pcmd_workflow.store.models import audit_table, tasks_table

__all__ = [
    "MAX_FLASH_HOURS",
    "REQUEST_CADENCES",
    "RequestDeadline",
    "issue_request",
    "request_deadline",
]

#: Cadences whose tasks come from requests only (DOMAIN Q9).
REQUEST_CADENCES = frozenset({Cadence.adhoc, Cadence.flash})
#: The longest delay a flash request may give (30 days, as ``flash_due_hours`` allows).
MAX_FLASH_HOURS = 720
#: A request may be recorded a little ahead of the clock (clocks of two machines differ).
_FUTURE_TOLERANCE = timedelta(minutes=5)
_PREFIX = "adhoc-"


@dataclass(frozen=True, kw_only=True)
class RequestDeadline:
    """The deadline a request gives its tasks."""

    rule: str  # "fixed 2024-06-22" (ad-hoc) or "within 24 hours" (flash)
    nominal_due: date
    due_date: date
    due_at: datetime | None  # flash only, aware UTC
    moved_because: str | None
    source: str  # "plan" (named by the request) | "default" (flash: 24 hours, Q9)


def request_deadline(
    *,
    obligation: Obligation,
    plan: Plan,
    requested_at: datetime,
    due: date | None = None,
    due_at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> RequestDeadline:
    """The deadline of a request for ``obligation`` made at ``requested_at``.

    Ad-hoc: ``due`` is required and goes through the day-off policy (Civil Code 2015
    Art. 148 cl. 5 by default). Flash: ``due_at``, else the request + 24 hours (Q9).
    CalendarError for a due date or instant that is not after the request.
    """
    requested_at = to_utc(requested_at)
    day = local_date(requested_at)
    cadence = Cadence(obligation.cadence)
    if cadence is Cadence.adhoc:
        if due_at is not None:
            raise CalendarError(
                f"{obligation.id}: báo cáo đột xuất có hạn là một ngày, không phải một thời điểm; "
                "dùng --due YYYY-MM-DD"
            )
        if due is None:
            raise CalendarError(
                f"{obligation.id}: yêu cầu báo cáo đột xuất cần hạn nộp (--due YYYY-MM-DD)"
            )
        if due < day:
            raise CalendarError(
                f"--due {due.isoformat()}: hạn nộp đã qua, trước ngày yêu cầu {day.isoformat()}; "
                "cần từ ngày yêu cầu trở đi"
            )
        policy = DayOffPolicy(obligation.policy or plan.defaults.policy)
        deadline = compute_deadline(
            f"fixed {due.isoformat()}", policy=policy, source="plan", calendar=calendar
        )
        if deadline.due_date < day:
            raise CalendarError(
                f"--due {due.isoformat()}: {deadline.moved_because}; theo quy tắc "
                f"{policy.value} hạn lùi về {deadline.due_date.isoformat()}, trước ngày "
                f"yêu cầu {day.isoformat()}; cần hạn muộn hơn"
            )
        return RequestDeadline(
            rule=deadline.rule,
            nominal_due=deadline.nominal_due,
            due_date=deadline.due_date,
            due_at=None,
            moved_because=deadline.moved_because,
            source=deadline.source,
        )
    if due is not None:
        raise CalendarError(
            f"{obligation.id}: báo cáo nhanh có hạn là một thời điểm, không phải một ngày; "
            "dùng --within-hours N (mặc định 24 giờ sau khi yêu cầu)"
        )
    source = "plan"
    if due_at is None:
        due_at, source = flash_due_at(requested_at), "default"
    due_at = to_utc(due_at)
    if due_at <= requested_at:
        raise CalendarError(
            f"hạn nộp {due_at.astimezone(LOCAL_TZ).isoformat()} không sau thời điểm yêu cầu "
            f"({requested_at.astimezone(LOCAL_TZ).isoformat()})"
        )
    if due_at - requested_at > timedelta(hours=MAX_FLASH_HOURS):
        raise CalendarError(
            f"báo cáo nhanh phải có hạn trong vòng {MAX_FLASH_HOURS} giờ sau khi yêu cầu; "
            "hạn dài hơn thì dùng nhiệm vụ báo cáo đột xuất"
        )
    seconds = int((due_at - requested_at).total_seconds())
    if seconds % 3600 == 0:
        rule = f"within {seconds // 3600} hours"
    else:
        rule = f"until {due_at.astimezone(LOCAL_TZ).isoformat()}"
    local_due = local_date(due_at)
    return RequestDeadline(
        rule=rule,
        nominal_due=local_due,
        due_date=local_due,
        due_at=due_at,
        moved_because=None,
        source=source,
    )


def _lock_obligation(session: Session, *, plan_id: str, obligation: str) -> bool:
    """Serialise requests for one obligation (their ids are counted); False when unknown.

    PostgreSQL locks the obligation's row; SQLite takes its database write lock.
    """
    params = {"plan": plan_id, "obligation": obligation}
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(
            text(
                "SELECT id FROM obligations WHERE plan_id = :plan AND obligation = :obligation "
                "FOR UPDATE"
            ),
            params,
        ).first()
        return row is not None
    result = session.execute(
        text("UPDATE obligations SET id = id WHERE plan_id = :plan AND obligation = :obligation"),
        params,
    )
    return bool(getattr(result, "rowcount", 0))


def _next_request_id(session: Session, *, plan_id: str, obligation: str, day: date) -> str:
    """``YYYYMMDD-N``: one more than the requests of that day for this obligation."""
    stem = day.strftime("%Y%m%d")
    t = tasks_table
    periods = session.execute(
        select(t.c.period)
        .where(
            t.c.plan_id == plan_id,
            t.c.obligation == obligation,
            t.c.period.like(f"{_PREFIX}{stem}-%"),
        )
        .distinct()
    ).scalars()
    pattern = re.compile(rf"^{_PREFIX}{stem}-(\d+)$")
    used = [int(m[1]) for p in periods if (m := pattern.match(p))]
    return f"{stem}-{max(used, default=0) + 1}"


def _reporters(
    plan: Plan, obligation: Obligation, *, day: date, wanted: Sequence[str] | None
) -> list[str]:
    expanded: list[str] = []
    for entry in obligation.reporters:
        for unit in plan.expand(entry, on=day, obligation=obligation.id):
            if unit.slug not in expanded:
                expanded.append(unit.slug)
    if not expanded:
        raise Conflict(
            f"{obligation.id}: không có đơn vị báo cáo nào còn hoạt động ngày {day.isoformat()}; "
            "không có gì để yêu cầu"
        )
    if not wanted:
        return expanded
    chosen: list[str] = []
    for slug in wanted:
        if slug in chosen:
            continue
        if slug not in expanded:
            known = "có trong kế hoạch" if plan.unit(slug) else "không có trong kế hoạch"
            raise NotFound(
                f"--reporter {slug}: đơn vị {known} nhưng không phải đơn vị báo cáo của "
                f"{obligation.id} ngày {day.isoformat()}; cần một trong: {', '.join(expanded)}"
            )
        chosen.append(slug)
    return chosen


def _in_force(plan: Plan, obligation: Obligation, *, day: date) -> None:
    first = obligation.starts or plan.validity.start
    last = obligation.ends or plan.validity.end
    if day < first or (last is not None and day > last):
        span = f"{first.isoformat()} – {last.isoformat() if last else '…'}"
        raise Conflict(
            f"{plan.id}/{obligation.id}: ngày yêu cầu {day.isoformat()} nằm ngoài thời gian "
            f"hiệu lực của nhiệm vụ ({span})"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def issue_request(
    session: Session,
    *,
    plan_id: str,
    obligation: str,
    reason: str,
    by: str,
    clock: Clock,
    due: date | None = None,
    due_at: datetime | None = None,
    reporters: list[str] | None = None,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> list[TaskView]:
    """Create the tasks of one ad-hoc or flash request; returns them (by due date, key).

    ``at`` is the request instant (default: now). Refused before anything is written:
    an unknown plan, obligation or reporter (NotFound), a duty that is not adhoc/flash or
    not in force on the request day (Conflict), a due date before the request day or a
    due instant not after the request (CalendarError), an empty reason.
    """
    now = clock.now()
    requested_at = now if at is None else to_utc(at)
    if requested_at > now + _FUTURE_TOLERANCE:
        raise CalendarError(
            f"--at {requested_at.astimezone(LOCAL_TZ).isoformat()}: thời điểm yêu cầu ở tương "
            "lai; yêu cầu chỉ được ghi khi đã ban hành"
        )
    if not reason.strip():
        raise PcmdError("yêu cầu báo cáo cần nêu lý do hoặc số văn bản yêu cầu (--reason TEXT)")
    # the lock first: SQLite cannot turn a reader into the writer while another one writes
    locked = _lock_obligation(session, plan_id=plan_id, obligation=obligation)
    plan = stored_plan(session, plan_id)
    duty = plan.obligation(obligation)
    if duty is None:
        known = ", ".join(o.id for o in plan.obligations if o.cadence in REQUEST_CADENCES)
        raise NotFound(
            f"kế hoạch {plan_id} không có nghĩa vụ «{obligation}»; các nghĩa vụ đột xuất và "
            f"báo cáo nhanh: {known or 'không có'}"
        )
    cadence = Cadence(duty.cadence)
    if cadence not in REQUEST_CADENCES:
        raise Conflict(
            f"{plan_id}/{obligation} là nghĩa vụ định kỳ ({cadence.value}): nhiệm vụ lấy từ kế "
            "hoạch; chỉ yêu cầu được nghĩa vụ adhoc (đột xuất) hoặc flash (báo cáo nhanh)"
        )
    day = local_date(requested_at)
    _in_force(plan, duty, day=day)
    units = _reporters(plan, duty, day=day, wanted=reporters)
    cal = calendar or default_calendar()
    deadline = request_deadline(
        obligation=duty,
        plan=plan,
        requested_at=requested_at,
        due=due,
        due_at=due_at,
        calendar=cal,
    )
    if not locked:  # pragma: no cover - a stored plan version stores its obligations
        raise NotFound(f"kế hoạch {plan_id}: nghĩa vụ «{obligation}» chưa có trong cơ sở dữ liệu")

    request_id = _next_request_id(session, plan_id=plan_id, obligation=obligation, day=day)
    cutoff = None
    if duty.cutoff_start is not None and duty.cutoff_end is not None:
        cutoff = CutoffWindow(start=duty.cutoff_start, end=duty.cutoff_end)
    period = parse_period(_PREFIX + request_id, requested_on=day, cadence=cadence, cutoff=cutoff)
    rows: list[dict[str, Any]] = [
        {
            "key": f"{plan_id}/{obligation}/{unit}/{period.label}",
            "plan_id": plan_id,
            "obligation": obligation,
            "reporter": unit,
            "period": period.label,
            "cadence": cadence.value,
            "province": plan.jurisdiction,
            "cutoff_start": period.cutoff.start,
            "cutoff_end": period.cutoff.end,
            "nominal_due": deadline.nominal_due,
            "original_due": deadline.due_date,
            "due_date": deadline.due_date,
            "due_at": deadline.due_at,
            "moved_because": deadline.moved_because,
            "source": deadline.source,
            "rule": deadline.rule,
            "clause": duty.clause,
            "created_at": now,
            "updated_at": now,
        }
        for unit in units
    ]
    t = tasks_table
    session.execute(insert(t), rows)
    ids: dict[str, int] = {
        key: task_id
        for key, task_id in session.execute(
            select(t.c.key, t.c.task_id).where(t.c.key.in_([r["key"] for r in rows]))
        )
    }
    audits = [
        {
            "at": now,
            "actor": by,
            "entity": "task",
            "entity_id": row["key"],
            "action": "request",
            "plan_id": plan_id,
            "task_id": ids[row["key"]],
            "before": None,
            "after": {
                key: _jsonable(value)
                for key, value in {
                    "request_id": request_id,
                    "period": period.label,
                    "requested_at": requested_at,
                    "reason": reason.strip(),
                    "reporters": units,
                    "nominal_due": deadline.nominal_due,
                    "due_date": deadline.due_date,
                    "due_at": deadline.due_at,
                    "moved_because": deadline.moved_because,
                    "source": deadline.source,
                    "rule": deadline.rule,
                }.items()
            },
        }
        for row in rows
    ]
    session.execute(insert(audit_table), audits)
    session.flush()
    return list_tasks(
        session,
        as_of=max(requested_at, now),
        task_ids=list(ids.values()),
        include_cancelled=True,
        calendar=cal,
    )
