"""The dispatcher: delivers the outbox, one digest per recipient and channel, crash-safe.

``dispatch(session, clock=...)`` sends every waiting notice (``pending``, or ``failed`` and
due for a retry) whose ``send_after`` has come:

* **Sending window** (CONTRACTS "Notices"): working days, ``send_window_start`` to
  ``send_window_end`` local, every channel. Outside it nothing is sent: the due notices'
  ``send_after`` moves to the next opening.
* **Digest**: the due notices of one (channel, recipient) become ONE message per run
  (design decision Q4), rendered by :mod:`pcmd_workflow.services.notice_messages`.
* **Claim, send, record**: a group is claimed in its own committed transaction
  (``claimed_by`` = this process, ``lease_until`` = now + lease); then the message is sent;
  then the result is recorded (one ``DeliveryAttempt`` per notice, new statuses) in a second
  transaction. A crash between the two leaves the group leased: when the lease expires —
  at once when its owner process is gone from this host — the notices are claimable again.
  Nothing is lost; at most the notices in flight at the crash go out twice (ZNS deduplicates
  them on the message's tracking id).
* **Outcomes** (``channels.base.Outcome``): ``ok`` → ``sent``; ``transient`` → ``failed``
  with exponential backoff (2 min, 8 min, 30 min, 2 h, 8 h by default), ``dead`` after
  ``max_attempts``; ``permanent`` → ``dead``; ``reschedule`` (Zalo night or quota) → a new
  ``send_after`` at the provider's time, moved into the window; ``unreachable`` or
  ``disabled`` on Zalo, and a Zalo quota refusal close to the deadline → ``replaced``: the
  notice falls back (CS → ZNS → e-mail → sink) as a new notice, and the coordinator is
  told. Every dead notice is reported to the coordinator (a ``dead_letter`` notice).
* **Still needed?** Just before sending, the tasks of the claimed notices are checked
  again: a report submitted, a task excused or a due date moved since the sweep cancels the
  notices that no longer apply.

Recipients are masked in logs (``channels.base.mask_recipient``); secrets never leave the
channel objects.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import psutil
from sqlalchemy import bindparam, func, insert, or_, select, tuple_, update
from sqlmodel import Session

from pcmd_workflow.channels.base import DeliveryResult, Outcome, OutgoingMessage, Reason
from pcmd_workflow.channels.base import mask_recipient as _mask
from pcmd_workflow.clock import LOCAL_TZ, Clock
from pcmd_workflow.domain.calendar import WorkingCalendar, default_calendar
from pcmd_workflow.domain.ladder import NoticeKind
from pcmd_workflow.domain.sending_window import SendingWindow
from pcmd_workflow.domain.statuses import OPEN_STATUSES
from pcmd_workflow.services.addressing import CHANNEL_VI, Address, ChannelAvailability, Directory
from pcmd_workflow.services.notice_messages import kind_vi, render_message
from pcmd_workflow.services.sweep import PlannedNotice, insert_notices
from pcmd_workflow.services.tasks import TaskView, list_tasks
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store.outbox import ACTIVE_STATUSES, DeliveryAttempt, Notice, NoticeStatus

__all__ = [
    "DEFAULT_BACKOFF",
    "ChannelSender",
    "DispatchPolicy",
    "DispatchReport",
    "dispatch",
    "owner_id",
    "release_orphaned_leases",
    "status_counts",
]

_log = logging.getLogger("pcmd.dispatch")

notices_table = Notice.__table__  # type: ignore[attr-defined]
attempts_table = DeliveryAttempt.__table__  # type: ignore[attr-defined]

DEFAULT_BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=2),
    timedelta(minutes=8),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)
_TASK_KINDS = frozenset(
    {
        NoticeKind.reminder.value,
        NoticeKind.due_today.value,
        NoticeKind.overdue.value,
        NoticeKind.escalation.value,
        NoticeKind.escalation_pc.value,
    }
)
#: Reports about the outbox itself never produce reports of their own (no loops).
_SELF_REPORTS = frozenset({NoticeKind.dead_letter.value, NoticeKind.fallback.value})
_ZALO = frozenset({"zalo", "zns"})


class ChannelSender(Protocol):
    """What the dispatcher needs from ``channels.ChannelSet``: ``send`` and ``close``."""

    def send(self, message: OutgoingMessage) -> DeliveryResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class DispatchPolicy:
    """Retry, lease and fallback settings of one dispatcher."""

    backoff: tuple[timedelta, ...] = DEFAULT_BACKOFF
    max_attempts: int = 6
    lease: timedelta = timedelta(minutes=5)
    #: a Zalo quota refusal falls back to e-mail when the due date is this close (working days)
    quota_fallback_days: int = 2
    #: groups (one message each) reserved per transaction
    claim_groups: int = 25

    def delay_after(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed try (the last step repeats)."""
        return self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]


@dataclass
class DispatchReport:
    """What one run did (``pending``: notices still waiting after the run)."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    replaced: int = 0
    cancelled: int = 0
    pending: int = 0
    rescheduled: int = 0
    messages: int = 0
    released: int = 0
    window_open: bool = True
    by_channel: dict[str, int] = field(default_factory=dict)

    def as_row(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dead": self.dead,
            "replaced": self.replaced,
            "cancelled": self.cancelled,
            "pending": self.pending,
            "rescheduled": self.rescheduled,
            "messages": self.messages,
        }


# ---- leases ------------------------------------------------------------------------------


def owner_id() -> str:
    """``host/pid/start-time/nonce``: who holds a lease, checkable after a crash."""
    proc = psutil.Process(os.getpid())
    return f"{socket.gethostname()}/{os.getpid()}/{proc.create_time():.2f}/{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str) -> bool:
    try:
        host, pid_text, started, _nonce = owner.split("/")
        pid, start_time = int(pid_text), float(started)
    except ValueError:
        return True  # not ours to judge: wait for the lease to expire
    if host != socket.gethostname():
        return True
    try:
        return abs(psutil.Process(pid).create_time() - start_time) < 0.02
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return False


def release_orphaned_leases(session: Session, *, now: datetime) -> int:
    """Free the leases whose owner process died on this host (a crash); commits."""
    n = notices_table
    owners = session.execute(
        select(n.c.claimed_by)
        .where(n.c.claimed_by.is_not(None), n.c.lease_until > now)
        .group_by(n.c.claimed_by)
    ).scalars()
    released = 0
    for owner in list(owners):
        if _owner_alive(owner):
            continue
        result = session.execute(
            update(n)
            .where(n.c.claimed_by == owner)
            .values(claimed_by=None, lease_until=None, updated_at=now)
        )
        released += int(getattr(result, "rowcount", 0) or 0)
        _log.warning("Giải phóng %s thông báo do tiến trình đã dừng giữ (%s)", released, owner)
    session.commit()
    return released


def _active(status: Any) -> Any:
    return or_(*(status == s for s in ACTIVE_STATUSES))


def _due(now: datetime) -> Any:
    n = notices_table
    return (
        _active(n.c.status),
        n.c.send_after <= now,
        or_(n.c.lease_until.is_(None), n.c.lease_until < now),
    )


def status_counts(session: Session) -> dict[str, int]:
    """Notices per status in the whole outbox."""
    n = notices_table
    rows = session.execute(select(n.c.status, func.count()).group_by(n.c.status))
    out = {s.value: 0 for s in NoticeStatus}
    out.update({status: int(count) for status, count in rows})
    return out


# ---- the run -----------------------------------------------------------------------------


@dataclass
class _Run:
    session: Session
    clock: Clock
    channels: ChannelSender
    settings: Settings
    policy: DispatchPolicy
    calendar: WorkingCalendar
    window: SendingWindow
    owner: str
    report: DispatchReport
    zns_template: str | None
    directories: dict[str, Directory] = field(default_factory=dict)

    def directory(self, plan_id: str | None) -> Directory:
        key = plan_id or ""
        found = self.directories.get(key)
        if found is None:
            found = self.directories[key] = Directory.load(
                self.session,
                plan_ids=[plan_id] if plan_id else [],
                channels=ChannelAvailability.from_settings(self.settings),
                coordinator_email=self.settings.coordinator_email,
            )
        return found


def dispatch(
    session: Session,
    *,
    clock: Clock,
    limit: int | None = None,
    channels: ChannelSender | None = None,
    policy: DispatchPolicy | None = None,
    settings: Settings | None = None,
    calendar: WorkingCalendar | None = None,
) -> DispatchReport:
    """Send what is due now (see the module doc); ``limit``: at most that many messages.

    Commits as it goes (claims and results are separate transactions on purpose).
    """
    settings = settings or get_settings()
    own_channels = channels is None
    if channels is None:
        from pcmd_workflow.channels import open_channels

        sender: ChannelSender = open_channels(settings, clock=clock)
    else:
        sender = channels
    zns_template = None
    if settings.zalo_url:
        from pcmd_workflow.channels.zalo import NotifyZalo

        zns_template = (NotifyZalo.parse_url(settings.zalo_url) or {}).get("template")
    run = _Run(
        session=session,
        clock=clock,
        channels=sender,
        settings=settings,
        policy=policy or DispatchPolicy(),
        calendar=calendar or default_calendar(),
        window=SendingWindow.parse(start=settings.send_window_start, end=settings.send_window_end),
        owner=owner_id(),
        report=DispatchReport(),
        zns_template=zns_template,
    )
    try:
        _run(run, limit=limit)
    finally:
        if own_channels:
            sender.close()
    run.report.pending = int(
        session.execute(
            select(func.count()).select_from(notices_table).where(_active(notices_table.c.status))
        ).scalar_one()
    )
    return run.report


def _run(run: _Run, *, limit: int | None) -> None:
    session, report = run.session, run.report
    report.released = release_orphaned_leases(session, now=run.clock.now())
    tried: set[tuple[str, str]] = set()
    while limit is None or report.messages < limit:
        now = run.clock.now()
        if not run.window.is_open(now, calendar=run.calendar):
            report.window_open = False
            report.rescheduled += _defer_to_window(run, now=now)
            return
        n = notices_table
        wanted = run.policy.claim_groups
        if limit is not None:
            wanted = min(wanted, limit - report.messages)
        groups = [
            (c, r)
            for c, r in session.execute(
                select(n.c.channel, n.c.recipient)
                .where(*_due(now))
                .group_by(n.c.channel, n.c.recipient)
                .order_by(func.min(n.c.send_after), n.c.channel, n.c.recipient)
                .limit(wanted + len(tried))
            )
            if (c, r) not in tried
        ][:wanted]
        session.commit()
        if not groups:
            return
        tried.update(groups)
        _deliver_chunk(run, groups=groups, now=now)


def _defer_to_window(run: _Run, *, now: datetime) -> int:
    opening = run.window.next_opening(now, calendar=run.calendar)
    n = notices_table
    result = run.session.execute(
        update(n).where(*_due(now)).values(send_after=opening, updated_at=now)
    )
    run.session.commit()
    moved = int(getattr(result, "rowcount", 0) or 0)
    if moved:
        _log.info(
            "Ngoài khung giờ gửi: %s thông báo dời đến %s",
            moved,
            opening.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y"),
        )
    return moved


@dataclass
class _Claim:
    """Notices this process reserved, by (channel, recipient), and until when."""

    token: str
    until: datetime
    groups: dict[tuple[str, str], list[Notice]]


def _claim(run: _Run, *, groups: Sequence[tuple[str, str]], now: datetime) -> _Claim:
    """Reserve the due notices of ``groups`` in one committed transaction."""
    n = notices_table
    token = f"{run.owner}#{uuid.uuid4().hex[:8]}"
    until = now + run.policy.lease
    run.session.execute(
        update(n)
        .where(tuple_(n.c.channel, n.c.recipient).in_(list(groups)), *_due(now))
        .values(claimed_by=token, lease_until=until, updated_at=now)
    )
    run.session.commit()
    claimed: dict[tuple[str, str], list[Notice]] = {}
    for notice in run.session.execute(
        select(Notice)
        .where(Notice.claimed_by == token)  # type: ignore[arg-type]
        .order_by(Notice.id)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    ).scalars():
        claimed.setdefault((notice.channel, notice.recipient), []).append(notice)
    return _Claim(token=token, until=until, groups=claimed)


def _renew(run: _Run, claim: _Claim, *, now: datetime) -> None:
    """Extend the lease of what is still reserved when half of it has gone by."""
    if claim.until - now > run.policy.lease / 2:
        return
    claim.until = now + run.policy.lease
    n = notices_table
    run.session.execute(
        update(n).where(n.c.claimed_by == claim.token).values(lease_until=claim.until)
    )
    run.session.commit()


def _release(run: _Run, claim: _Claim) -> None:
    """Give back what this process reserved but did not send."""
    n = notices_table
    run.session.execute(
        update(n).where(n.c.claimed_by == claim.token).values(claimed_by=None, lease_until=None)
    )
    run.session.commit()


def _task_views(run: _Run, notices: Iterable[Notice], *, now: datetime) -> dict[int, TaskView]:
    task_ids = sorted(
        {x.task_id for x in notices if x.task_id is not None and x.kind in _TASK_KINDS}
    )
    views: dict[int, TaskView] = {}
    for start in range(0, len(task_ids), 500):
        for view in list_tasks(
            run.session,
            as_of=now,
            task_ids=task_ids[start : start + 500],
            include_cancelled=True,
            calendar=run.calendar,
        ):
            views[view.task_id] = view
    return views


def _still_needed(
    run: _Run, notices: list[Notice], *, views: Mapping[int, TaskView], now: datetime
) -> list[Notice]:
    """Cancel the claimed notices whose task was closed or moved since the sweep."""
    keep: list[Notice] = []
    for notice in notices:
        if notice.task_id is None or notice.kind not in _TASK_KINDS:
            keep.append(notice)
            continue
        view = views.get(notice.task_id)
        why = None
        if view is None or view.cancelled:
            why = "nhiệm vụ không còn hiệu lực"
        elif view.status not in OPEN_STATUSES:
            why = (
                "đơn vị được miễn báo cáo"
                if view.status.value == "excused"
                else "đơn vị đã nộp báo cáo"
            )
        elif view.due_date != notice.due_date:
            why = "hạn nộp đã đổi (gia hạn hoặc trả lại báo cáo)"
        if why is None:
            keep.append(notice)
            continue
        notice.status = NoticeStatus.cancelled.value
        notice.status_reason = why
        notice.claimed_by = None
        notice.lease_until = None
        notice.updated_at = now
        run.session.add(notice)
        run.report.cancelled += 1
    return keep


def _deliver_chunk(run: _Run, *, groups: Sequence[tuple[str, str]], now: datetime) -> None:
    """Claim a chunk of groups at once, then send and record them one message at a time.

    Claiming ahead costs no duplicates: a crash can only repeat the message being sent
    when it happened (sent, result not yet recorded); reserved messages not yet sent go
    out once after the lease is released.
    """
    claim = _claim(run, groups=groups, now=now)
    try:
        views = _task_views(run, (x for g in claim.groups.values() for x in g), now=now)
        for group in groups:
            notices = claim.groups.get(group)
            if not notices:
                continue
            _renew(run, claim, now=run.clock.now())
            _deliver_group(run, notices, channel=group[0], recipient=group[1], views=views)
    except BaseException:
        run.session.rollback()
        raise
    finally:
        with suppress(Exception):  # a broken connection: the lease expires instead
            _release(run, claim)


def _deliver_group(
    run: _Run,
    notices: list[Notice],
    *,
    channel: str,
    recipient: str,
    views: Mapping[int, TaskView],
) -> None:
    now = run.clock.now()
    notices = _still_needed(run, notices, views=views, now=now)
    if not notices:
        run.session.commit()
        return
    try:
        rendered = render_message(notices, now=now, calendar=run.calendar)
    except Exception as exc:  # a template fault must not stop the outbox: retry later
        _log.exception("Không dựng được nội dung thông báo gửi %s", _mask(recipient))
        result = DeliveryResult(
            outcome=Outcome.transient,
            channel=channel,
            reason=Reason.payload,
            detail=f"Không dựng được nội dung thông báo: {type(exc).__name__}",
        )
        _record(run, notices, result=result, message_key="render-failed", started=now)
        return
    started = run.clock.now()
    template_id = run.zns_template if channel == "zns" else None
    if channel == "zns" and template_id is None:
        result = DeliveryResult(
            outcome=Outcome.unreachable,
            channel="zns",
            reason=Reason.not_configured,
            detail="Chưa cấu hình mẫu tin ZNS (tham số template của PCMD_ZALO_URL)",
        )
    else:
        message = OutgoingMessage(
            channel=channel,
            recipient=recipient,
            subject=rendered.subject,
            body=rendered.text,
            html=rendered.html if channel in ("email", "sink") else None,
            key=rendered.key,
            template_id=template_id,
            template_data=dict(rendered.template_data) if channel == "zns" else None,
        )
        try:
            result = run.channels.send(message)
        except Exception as exc:  # a channel bug must not stop the outbox
            _log.exception("Kênh %s lỗi bất ngờ khi gửi %s", channel, _mask(recipient))
            result = DeliveryResult(
                outcome=Outcome.transient,
                channel=channel,
                reason=Reason.unknown,
                detail=f"Lỗi bất ngờ của kênh: {type(exc).__name__}",
            )
    _record(run, notices, result=result, message_key=rendered.key, started=started)
    run.report.messages += 1
    _log.info(
        "Gửi %s thông báo (%s) → %s: %s",
        len(notices),
        channel,
        _mask(recipient),
        result.outcome.value,
    )


# ---- recording -----------------------------------------------------------------------------


def _record(
    run: _Run,
    notices: Sequence[Notice],
    *,
    result: DeliveryResult,
    message_key: str,
    started: datetime,
) -> None:
    session, report, policy = run.session, run.report, run.policy
    now = run.clock.now()
    updates: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    dead: list[Notice] = []
    fallback: list[Notice] = []
    for notice in notices:
        tries = notice.attempts + 1
        values: dict[str, Any] = {
            "b_id": notice.id,
            "b_owner": notice.claimed_by,
            "status": notice.status,
            "attempts": tries,
            "send_after": notice.send_after,
            "sent_at": None,
            "last_error": None,
            "status_reason": notice.status_reason,
        }
        action = _action(run, notice, result=result, today=now.astimezone(LOCAL_TZ).date())
        if action == "sent":
            values.update(status=NoticeStatus.sent.value, sent_at=now)
            report.sent += 1
            report.by_channel[result.channel] = report.by_channel.get(result.channel, 0) + 1
        elif action == "retry":
            wait = now + policy.delay_after(tries)
            if result.retry_after is not None and result.retry_after > wait:
                wait = result.retry_after
            values.update(
                status=NoticeStatus.failed.value, send_after=wait, last_error=result.detail
            )
            report.failed += 1
        elif action == "rescheduled":
            at = result.retry_after or (now + policy.delay_after(1))
            values.update(
                attempts=notice.attempts,
                send_after=run.window.next_opening(at, calendar=run.calendar),
                last_error=result.detail,
            )
            report.rescheduled += 1
        elif action == "dead":
            values.update(
                status=NoticeStatus.dead.value,
                last_error=result.detail,
                status_reason=f"dừng gửi sau {tries} lần thử: {result.detail}",
            )
            dead.append(notice)
            report.dead += 1
        else:  # replaced
            values.update(
                status=NoticeStatus.replaced.value,
                last_error=result.detail,
                status_reason=f"không gửi được qua {CHANNEL_VI.get(notice.channel)}: "
                f"{result.detail}",
            )
            fallback.append(notice)
            report.replaced += 1
        updates.append(values)
        attempts.append(
            {
                "notice_id": notice.id,
                "message_id": message_key,
                "attempt_no": tries,
                "started_at": started,
                "finished_at": now,
                "channel": result.channel,
                "outcome": result.outcome.value,
                "reason": result.reason.value,
                "detail": result.detail[:2000],
                "provider_code": result.provider_code,
                "provider_message_id": result.provider_message_id,
                "uncertain": result.uncertain,
                "action": action,
            }
        )
    n = notices_table
    session.execute(
        update(n)
        .where(n.c.id == bindparam("b_id"), n.c.claimed_by == bindparam("b_owner"))
        .values(
            status=bindparam("status"),
            attempts=bindparam("attempts"),
            send_after=bindparam("send_after"),
            sent_at=bindparam("sent_at"),
            last_error=bindparam("last_error"),
            status_reason=bindparam("status_reason"),
            claimed_by=None,
            lease_until=None,
            updated_at=now,
        ),
        updates,
    )
    session.execute(insert(attempts_table), attempts)
    for notice in fallback:
        _fall_back(run, notice, result=result, now=now)
    for notice in dead:
        if notice.kind not in _SELF_REPORTS:
            _report_dead(run, notice, result=result, now=now)
    session.commit()


def _action(run: _Run, notice: Notice, *, result: DeliveryResult, today: date) -> str:
    """sent | retry | rescheduled | dead | replaced."""
    outcome = result.outcome
    zalo = notice.channel in _ZALO
    if outcome is Outcome.ok:
        return "sent"
    if outcome is Outcome.permanent:
        return "dead"
    if zalo and outcome in (Outcome.unreachable, Outcome.disabled):
        return "replaced"
    if outcome is Outcome.unreachable:
        return "dead"
    if outcome is Outcome.reschedule:
        if zalo and result.reason is Reason.quota and _deadline_close(run, notice, today=today):
            return "replaced"
        return "rescheduled"
    # transient, or a disabled e-mail/sink channel: retry until the limit
    return "dead" if notice.attempts + 1 >= run.policy.max_attempts else "retry"


def _deadline_close(run: _Run, notice: Notice, *, today: date) -> bool:
    if notice.due_date is None:
        return True  # reports to the coordinator: send them today by another channel
    if notice.due_date <= today:
        return True
    return run.calendar.working_days_between(today, notice.due_date) <= (
        run.policy.quota_fallback_days
    )


def _copy(
    notice: Notice,
    *,
    key: str,
    kind: str,
    address: Address,
    audience: str,
    reason: str,
    reason_vi: str,
    payload: dict[str, Any],
    now: datetime,
    task_id: int | None,
    carry: bool,
) -> PlannedNotice:
    return PlannedNotice(
        key=key,
        kind=kind,
        task_id=task_id,
        plan_id=notice.plan_id or "",
        province=notice.province,
        reporter=notice.unit,
        audience=audience,
        addressee=address.addressee,
        rung=notice.rung if carry else None,
        ladder=notice.ladder if carry else None,
        due_date=notice.due_date if carry else None,
        rung_day=notice.rung_day if carry else None,
        channel=address.channel,
        recipient=address.recipient,
        reason=reason,
        reason_vi=reason_vi,
        send_after=now,
        payload={**payload, "addressee_name": address.addressee_name},
    )


def _fall_back(run: _Run, notice: Notice, *, result: DeliveryResult, now: datetime) -> None:
    """The same notice on the next channel, then a word to the coordinator."""
    directory = run.directory(notice.plan_id)
    addresses = directory.fallback_addresses(
        notice.plan_id,
        addressee=notice.addressee or notice.unit or "",
        channel=notice.channel,
        recipient=notice.recipient,
        skip=_ZALO if result.outcome is Outcome.disabled else frozenset(),
    )
    prefix = notice.idempotency_key.rsplit("|", 2)[0]
    copies = [
        _copy(
            notice,
            key=f"{prefix}|{a.channel}|{a.recipient}",
            kind=notice.kind,
            address=a,
            audience=notice.audience,
            reason=f"{notice.reason} (fallback from {notice.channel})",
            reason_vi=notice.reason_vi,
            payload=dict(notice.payload or {}),
            now=now,
            task_id=notice.task_id,
            carry=True,
        )
        for a in addresses
    ]
    insert_notices(run.session, copies, now=now)
    n = notices_table
    keys = [c.key for c in copies]
    ids = run.session.execute(
        select(n.c.id).where(n.c.idempotency_key.in_(keys)).order_by(n.c.id)
    ).scalars()
    first = next(iter(ids), None)
    run.session.execute(
        update(n)
        .where(n.c.replaces_id.is_(None), n.c.idempotency_key.in_(keys))
        .values(replaces_id=notice.id)
    )
    run.session.execute(update(n).where(n.c.id == notice.id).values(replaced_by_id=first))
    if notice.kind in _SELF_REPORTS:
        return
    payload = dict(notice.payload or {})
    to_channel = addresses[0].channel if addresses else "sink"
    _report(
        run,
        notice,
        kind=NoticeKind.fallback,
        key_prefix=f"fallback|{notice.id}",
        payload={
            "unit_name": payload.get("addressee_name") or payload.get("unit_name") or "",
            "report": payload.get("report"),
            "period": payload.get("period"),
            "from_channel_vi": CHANNEL_VI.get(notice.channel, notice.channel),
            "to_channel_vi": CHANNEL_VI.get(to_channel, to_channel),
            "recipient": notice.recipient,
            "why": result.detail,
        },
        reason=f"notice {notice.id} fell back from {notice.channel} to {to_channel}",
        reason_vi=(
            f"Thông báo gửi {payload.get('addressee_name', '')} không gửi được qua "
            f"{CHANNEL_VI.get(notice.channel)}, đã chuyển sang {CHANNEL_VI.get(to_channel)}"
        ),
        now=now,
    )


def _report_dead(run: _Run, notice: Notice, *, result: DeliveryResult, now: datetime) -> None:
    payload = dict(notice.payload or {})
    _report(
        run,
        notice,
        kind=NoticeKind.dead_letter,
        key_prefix=f"dead|{notice.id}",
        payload={
            "unit_name": payload.get("addressee_name") or payload.get("unit_name") or "",
            "report": payload.get("report"),
            "period": payload.get("period"),
            "kind_vi": kind_vi(notice.kind),
            "channel_vi": CHANNEL_VI.get(notice.channel, notice.channel),
            "recipient": notice.recipient,
            "attempts": notice.attempts + 1,
            "last_error": result.detail,
        },
        reason=f"notice {notice.id} is dead after {notice.attempts + 1} attempts",
        reason_vi=(
            f"Thông báo «{kind_vi(notice.kind)}» gửi {payload.get('addressee_name', '')} "
            f"qua {CHANNEL_VI.get(notice.channel)} không gửi được, đã dừng gửi"
        ),
        now=now,
    )


def _report(
    run: _Run,
    notice: Notice,
    *,
    kind: NoticeKind,
    key_prefix: str,
    payload: dict[str, Any],
    reason: str,
    reason_vi: str,
    now: datetime,
) -> None:
    today = now.astimezone(LOCAL_TZ).date()
    addresses = run.directory(notice.plan_id).coordinator_addresses(notice.plan_id or "", on=today)
    reports = [
        _copy(
            notice,
            key=f"{key_prefix}|{a.channel}|{a.recipient}",
            kind=kind.value,
            address=a,
            audience="coordinator",
            reason=reason,
            reason_vi=reason_vi,
            payload=payload,
            now=now,
            task_id=notice.task_id,
            carry=False,
        )
        for a in addresses
    ]
    insert_notices(run.session, reports, now=now)
