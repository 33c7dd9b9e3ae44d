"""Submissions, reviews, returns, extensions and excusals: the facts that move a task.

Each action runs in the caller's transaction, takes the task's write lock first
(:func:`pcmd_workflow.store.db.lock_task`), checks everything before writing anything, and
writes its audit entry with the state before and after. Two submissions for the same task
at the same moment both end up recorded, as consecutive versions.

Rules (CONTRACTS "Tasks, submissions, review"): timeliness is decided by the first
submission's receipt time; a return gives a new due date (default three working days after
the return) and restarts reminders; the latest accepted submission is the one that counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

import yaml
from sqlalchemy import func, insert, select
from sqlmodel import Session

from pcmd_workflow.clock import LOCAL_TZ, Clock, local_date, to_utc
from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.form_values import check_values, values_of_document
from pcmd_workflow.domain.plan import IndicatorForm
from pcmd_workflow.domain.statuses import (
    OPEN_STATUSES,
    SUBMITTED_STATUSES,
    ReviewState,
    TaskStatus,
    WorkingDays,
)
from pcmd_workflow.errors import Conflict, NotFound, SubmissionRejected
from pcmd_workflow.services.plans import stored_plan
from pcmd_workflow.services.tasks import TaskView, get_task, task_status
from pcmd_workflow.settings import get_settings
from pcmd_workflow.store.db import lock_task
from pcmd_workflow.store.models import (
    AuditEntry,
    Excusal,
    Extension,
    ReturnRecord,
    Submission,
    Task,
    audit_table,
    excusals_table,
    obligations_table,
    submissions_table,
)

__all__ = [
    "ALLOWED_FILE_TYPES",
    "DEFAULT_RETURN_DAYS",
    "AuditView",
    "Receipt",
    "accepted_submission",
    "audit_for",
    "excuse",
    "extend",
    "form_of_task",
    "read_values_file",
    "review",
    "submissions_of",
    "submit",
]

#: A returned report is due three working days after the return unless the reviewer says.
DEFAULT_RETURN_DAYS = 3
#: File types a unit may submit, with the bytes their content starts with.
ALLOWED_FILE_TYPES: dict[str, bytes] = {
    ".xlsx": b"PK\x03\x04",
    ".docx": b"PK\x03\x04",
    ".pdf": b"%PDF-",
}
_UPLOADS = "submissions"
_FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """What the sender gets back: the receipt number and the task as it now stands."""

    task_id: int
    key: str
    version: int
    receipt_no: str
    received_at: datetime
    checksum: str
    file_name: str | None
    status: TaskStatus
    due_date: date | None
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "key": self.key,
            "version": self.version,
            "receipt_no": self.receipt_no,
            "received_at": self.received_at.astimezone(LOCAL_TZ).isoformat(),
            "checksum": self.checksum,
            "file_name": self.file_name,
            "status": str(self.status),
            "due_date": None if self.due_date is None else self.due_date.isoformat(),
            "notices": self.notices,
            "warnings": self.warnings,
        }


@dataclass(frozen=True, kw_only=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    entity: str
    entity_id: str
    action: str
    task_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.astimezone(LOCAL_TZ).isoformat(),
            "actor": self.actor,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "task_id": self.task_id,
            "before": self.before,
            "after": self.after,
        }


# ---- helpers ------------------------------------------------------------------------------


def _json(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, datetime):
            out[k] = v.astimezone(LOCAL_TZ).isoformat()
        elif isinstance(v, date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def _audit(
    session: Session,
    *,
    at: datetime,
    actor: str,
    task: Task,
    entity: str,
    entity_id: str,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    session.execute(
        insert(audit_table),
        [
            {
                "at": at,
                "actor": actor,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "plan_id": task.plan_id,
                "task_id": task.task_id,
                "before": None if before is None else _json(before),
                "after": None if after is None else _json(after),
            }
        ],
    )


def _locked_task(session: Session, task_id: int, *, unit: str | None) -> Task:
    if not lock_task(session, task_id):
        raise NotFound(f"không có nhiệm vụ số {task_id} (unknown task)")
    task = get_task(session, task_id, unit=unit)
    session.refresh(task)
    return task


def _current(session: Session, task: Task, *, at: datetime) -> TaskView:
    assert task.task_id is not None
    return task_status(session, task.task_id, as_of=at)


def _latest_submission(session: Session, task_id: int) -> Submission | None:
    stmt = (
        select(Submission)
        .where(Submission.task_id == task_id)  # type: ignore[arg-type]
        .order_by(Submission.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def _instant(at: datetime | None, clock: Clock) -> datetime:
    return clock.now() if at is None else to_utc(at)


def form_of_task(session: Session, task: Task) -> IndicatorForm | None:
    """The indicator form of the task's obligation, from the stored plan version."""
    ob = obligations_table
    form_id = session.execute(
        select(ob.c.form).where(ob.c.plan_id == task.plan_id, ob.c.obligation == task.obligation)
    ).scalar_one_or_none()
    if form_id is None:
        return None
    return stored_plan(session, task.plan_id).form(form_id)


class _DuplicateKey(ValueError):
    def __init__(self, key: object) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (the last of two would win silently)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that names a key twice."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=True) for k, _ in node.value]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise _DuplicateKey(key)
        return super().construct_mapping(node, deep=deep)


def read_values_file(path: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    """``(values, problems, notices)`` of a JSON or YAML file ``{"values": {...}}``."""
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, [f"{name}: không tìm thấy tệp"], []
    except UnicodeDecodeError:
        return {}, [f"{name}: tệp không phải văn bản UTF-8"], []
    except OSError as exc:
        return {}, [f"{name}: không đọc được tệp ({exc.strerror})"], []
    try:
        if path.suffix.lower() == ".json":
            document = json.loads(text, object_pairs_hook=_unique_pairs)
        else:
            document = yaml.load(text, Loader=_UniqueKeyLoader)
    except _DuplicateKey as exc:
        return {}, [f"{name}: khóa «{exc.key}» xuất hiện hai lần (duplicate key)"], []
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = getattr(exc, "lineno", None) or (mark.line + 1 if mark is not None else None)
        where = f"{name}:{line}" if line else name
        return {}, [f"{where}: tệp không đúng cú pháp JSON/YAML"], []
    values, problems, notices = values_of_document(document)
    return values, [f"{name}: {p}" for p in problems], notices


def _file_problems(data: bytes | None, *, name: str, limit: int) -> list[str]:
    problems: list[str] = []
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_FILE_TYPES:
        allowed = ", ".join(sorted(ALLOWED_FILE_TYPES))
        problems.append(f"{name}: loại tệp «{suffix or '?'}» không được nhận; chỉ nhận {allowed}")
    if data is None:
        return problems
    if len(data) > limit:
        problems.append(f"{name}: tệp {len(data)} byte vượt giới hạn {limit} byte")
    elif suffix in ALLOWED_FILE_TYPES and not data.startswith(ALLOWED_FILE_TYPES[suffix]):
        problems.append(f"{name}: nội dung không phải tệp {suffix} hợp lệ")
    if not data:
        problems.append(f"{name}: tệp rỗng")
    return problems


def _read_upload(path: Path, *, limit: int) -> tuple[bytes | None, list[str]]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None, [f"{path.name}: không tìm thấy tệp"]
    if size > limit:
        return None, [f"{path.name}: tệp {size} byte vượt giới hạn {limit} byte"]
    return path.read_bytes(), []


def _store_file(data: bytes, *, suffix: str, data_dir: Path) -> tuple[str, str]:
    """Copy into the data dir under its sha256 (never the sender's name): (relative path, sha)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = Path(_UPLOADS) / sha[:2] / f"{sha}{suffix}"
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return relative.as_posix(), sha


def _display_name(name: str) -> str:
    """The sender's file name without any directory part, for display only."""
    base = PurePath(name.replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[:200] or "tệp"


def _checksum(values: Mapping[str, Any] | None, file_sha: str | None) -> str:
    canonical = json.dumps(values or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if file_sha is not None and values is None:
        return file_sha
    return hashlib.sha256((canonical + (file_sha or "")).encode("utf-8")).hexdigest()


# ---- actions ------------------------------------------------------------------------------


def submit(
    session: Session,
    *,
    task_id: int,
    clock: Clock,
    values: Mapping[str, Any] | None = None,
    values_file: Path | None = None,
    file: Path | bytes | None = None,
    file_name: str | None = None,
    at: datetime | None = None,
    by: str = "pcmd",
    channel: str = "cli",
    unit: str | None = None,
) -> Receipt:
    """Record a new version for the task: figures (checked against the form) and/or a file.

    ``at`` is the receipt instant (default: now; a naive value means Asia/Ho_Chi_Minh).
    Raises SubmissionRejected listing every problem; nothing is written then.
    """
    settings = get_settings()
    task = _locked_task(session, task_id, unit=unit)
    received_at = _instant(at, clock)
    if task.cancelled_at is not None:
        raise Conflict(
            f"nhiệm vụ số {task_id} đã bị hủy ({task.cancel_reason}); không nhận báo cáo"
        )
    if _excusal_id(session, task_id) is not None:
        raise Conflict(f"nhiệm vụ số {task_id} đã được miễn; không cần nộp báo cáo")

    problems: list[str] = []
    notices: list[str] = []
    figures: dict[str, Any] | None = None
    if values is None and values_file is None and file is None:
        problems.append("cần số liệu (--values) hoặc tệp báo cáo (--file)")
    if received_at > clock.now() + _FUTURE_TOLERANCE:
        problems.append(
            f"thời điểm nhận {received_at.astimezone(LOCAL_TZ).isoformat()} ở tương lai"
        )
    if values_file is not None:
        raw, file_problems, file_notices = read_values_file(values_file)
        problems.extend(file_problems)
        notices.extend(file_notices)
        figures = dict(raw)
    if values is not None:
        figures = {**(figures or {}), **values}
    warnings: list[str] = []
    if figures is not None:
        checked = check_values(form_of_task(session, task), figures)
        problems.extend(checked.problems)
        warnings.extend(checked.warnings)
        notices.extend(checked.notices)
        figures = dict(checked.values)
    data: bytes | None = None
    shown_name: str | None = None
    if file is not None:
        limit = settings.max_upload_bytes
        if isinstance(file, bytes):
            data, read_problems = file, list[str]()
            shown_name = _display_name(file_name or "tệp")
        else:
            data, read_problems = _read_upload(file, limit=limit)
            shown_name = _display_name(file_name or file.name)
        problems.extend(read_problems)
        if not read_problems:
            problems.extend(_file_problems(data, name=shown_name, limit=limit))
    if problems:
        raise SubmissionRejected(problems)

    file_path = file_sha = None
    if data is not None and shown_name is not None:
        file_path, file_sha = _store_file(
            data, suffix=PurePath(shown_name).suffix.lower(), data_dir=settings.ensure_data_dir()
        )
    subs = submissions_table
    last = session.execute(
        select(func.max(subs.c.version)).where(subs.c.task_id == task_id)
    ).scalar()
    version = (last or 0) + 1
    receipt_no = f"PCMD-{local_date(received_at):%Y%m%d}-{task_id}-{version}"
    checksum = _checksum(figures, file_sha)
    submission = Submission(
        task_id=task_id,
        version=version,
        received_at=received_at,
        submitted_by=by,
        channel=channel,
        values=figures,
        file_path=file_path,
        file_name=shown_name,
        file_size=None if data is None else len(data),
        checksum=checksum,
        review_state=ReviewState.pending.value,
        receipt_no=receipt_no,
    )
    session.add(submission)
    session.flush()
    now = clock.now()
    _audit(
        session,
        at=now,
        actor=by,
        task=task,
        entity="submission",
        entity_id=receipt_no,
        action="submit",
        after={
            "version": version,
            "received_at": received_at,
            "channel": channel,
            "checksum": checksum,
            "file_name": shown_name,
            "values": figures,
        },
    )
    view = _current(session, task, at=max(now, received_at))
    return Receipt(
        task_id=task_id,
        key=task.key,
        version=version,
        receipt_no=receipt_no,
        received_at=received_at,
        checksum=checksum,
        file_name=shown_name,
        status=view.status,
        due_date=view.due_date,
        notices=notices,
        warnings=warnings,
    )


def _excusal_id(session: Session, task_id: int) -> int | None:
    found: int | None = session.execute(
        select(excusals_table.c.id).where(excusals_table.c.task_id == task_id)
    ).scalar_one_or_none()
    return found


def review(
    session: Session,
    *,
    task_id: int,
    accept: bool,
    clock: Clock,
    reason: str | None = None,
    to: date | None = None,
    at: datetime | None = None,
    by: str = "pcmd",
    calendar: WorkingDays | None = None,
) -> TaskView:
    """Accept or return the latest version. A return needs a reason and gives a new due date
    (``to``, default three working days after the return)."""
    task = _locked_task(session, task_id, unit=None)
    when = _instant(at, clock)
    latest = _latest_submission(session, task_id)
    if latest is None:
        raise Conflict(f"nhiệm vụ số {task_id} chưa có báo cáo nào để duyệt")
    if latest.review_state != ReviewState.pending.value:
        raise Conflict(
            f"phiên bản {latest.version} của nhiệm vụ số {task_id} đã được "
            f"{'chấp nhận' if latest.review_state == 'accepted' else 'trả lại'}; "
            "chỉ duyệt được phiên bản đang chờ"
        )
    before = {"version": latest.version, "review_state": latest.review_state}
    latest.reviewed_at = when
    latest.reviewed_by = by
    latest.review_reason = reason
    if accept:
        latest.review_state = ReviewState.accepted.value
        after: dict[str, Any] = {
            "version": latest.version,
            "review_state": "accepted",
            "reviewed_at": when,
        }
        if reason:
            after["reason"] = reason
        action = "accept"
    else:
        if not reason or not reason.strip():
            raise Conflict("trả lại báo cáo cần nêu lý do (--reason)")
        today = local_date(when)
        new_due = to or (calendar or default_calendar()).add_working_days(
            today, DEFAULT_RETURN_DAYS
        )
        if new_due < today:
            raise Conflict(f"hạn nộp lại {new_due.isoformat()} đã qua (trước ngày trả lại)")
        latest.review_state = ReviewState.returned.value
        assert latest.id is not None
        session.add(
            ReturnRecord(
                task_id=task_id,
                submission_id=latest.id,
                returned_at=when,
                returned_by=by,
                reason=reason,
                new_due=new_due,
            )
        )
        after = {
            "version": latest.version,
            "review_state": "returned",
            "reviewed_at": when,
            "reason": reason,
            "new_due": new_due,
        }
        action = "return"
    session.add(latest)
    session.flush()
    _audit(
        session,
        at=clock.now(),
        actor=by,
        task=task,
        entity="submission",
        entity_id=latest.receipt_no,
        action=action,
        before=before,
        after=after,
    )
    return _current(session, task, at=max(when, clock.now()))


def extend(
    session: Session,
    *,
    task_id: int,
    to: date,
    reason: str,
    clock: Clock,
    at: datetime | None = None,
    by: str = "pcmd",
) -> TaskView:
    """Grant a new due date: for the task, or for the corrected version after a return."""
    task = _locked_task(session, task_id, unit=None)
    when = _instant(at, clock)
    view = _current(session, task, at=when)
    if not reason.strip():
        raise Conflict("gia hạn cần nêu lý do (--reason)")
    if view.status is TaskStatus.excused or view.cancelled:
        raise Conflict(f"nhiệm vụ số {task_id} đã được miễn hoặc đã hủy; không gia hạn")
    if view.status in SUBMITTED_STATUSES:
        raise Conflict(f"nhiệm vụ số {task_id} đã nộp báo cáo; không gia hạn")
    if view.due_date is not None and to <= view.due_date:
        raise Conflict(
            f"hạn mới {to.isoformat()} phải sau hạn hiện tại {view.due_date.isoformat()}"
        )
    session.add(
        Extension(
            task_id=task_id,
            granted_at=when,
            granted_by=by,
            new_due=to,
            previous_due=view.due_date,
            reason=reason,
        )
    )
    if view.status is not TaskStatus.returned:
        task.due_date = to
        task.updated_at = clock.now()
        session.add(task)
    session.flush()
    _audit(
        session,
        at=clock.now(),
        actor=by,
        task=task,
        entity="task",
        entity_id=task.key,
        action="extend",
        before={"due_date": view.due_date},
        after={"due_date": to, "reason": reason, "granted_at": when},
    )
    return _current(session, task, at=max(when, clock.now()))


def excuse(
    session: Session,
    *,
    task_id: int,
    reason: str,
    clock: Clock,
    at: datetime | None = None,
    by: str = "pcmd",
) -> TaskView:
    """Excuse the task: nothing is expected from the unit any more, reminders stop."""
    task = _locked_task(session, task_id, unit=None)
    when = _instant(at, clock)
    view = _current(session, task, at=when)
    if not reason.strip():
        raise Conflict("miễn báo cáo cần nêu lý do (--reason)")
    if view.status is TaskStatus.excused:
        raise Conflict(f"nhiệm vụ số {task_id} đã được miễn")
    if view.status not in OPEN_STATUSES or view.versions:
        raise Conflict(f"nhiệm vụ số {task_id} đã nộp báo cáo; không miễn được")
    session.add(Excusal(task_id=task_id, excused_at=when, excused_by=by, reason=reason))
    session.flush()
    _audit(
        session,
        at=clock.now(),
        actor=by,
        task=task,
        entity="task",
        entity_id=task.key,
        action="excuse",
        before={"status": str(view.status)},
        after={"status": "excused", "reason": reason, "excused_at": when},
    )
    return _current(session, task, at=max(when, clock.now()))


# ---- reading -----------------------------------------------------------------------------


def submissions_of(session: Session, task_id: int, *, unit: str | None = None) -> list[Submission]:
    """Every version of the task's submissions, oldest first."""
    get_task(session, task_id, unit=unit)
    stmt = (
        select(Submission)
        .where(Submission.task_id == task_id)  # type: ignore[arg-type]
        .order_by(Submission.version)  # type: ignore[arg-type]
    )
    return list(session.execute(stmt).scalars())


def accepted_submission(session: Session, task_id: int) -> Submission | None:
    """The latest accepted version (the one that counts), or None."""
    stmt = (
        select(Submission)
        .where(
            Submission.task_id == task_id,  # type: ignore[arg-type]
            Submission.review_state == ReviewState.accepted.value,  # type: ignore[arg-type]
        )
        .order_by(Submission.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def audit_for(
    session: Session,
    *,
    task_id: int | None = None,
    plan_id: str | None = None,
    unit: str | None = None,
) -> list[AuditView]:
    """The audit trail of a task (or of a plan), oldest first."""
    stmt = select(AuditEntry)
    if task_id is not None:
        get_task(session, task_id, unit=unit)
        stmt = stmt.where(AuditEntry.task_id == task_id)  # type: ignore[arg-type]
    if plan_id is not None:
        stmt = stmt.where(AuditEntry.plan_id == plan_id)  # type: ignore[arg-type]
    stmt = stmt.order_by(AuditEntry.at, AuditEntry.id)  # type: ignore[arg-type]
    return [
        AuditView(
            id=e.id or 0,
            at=e.at,
            actor=e.actor,
            entity=e.entity,
            entity_id=e.entity_id,
            action=e.action,
            task_id=e.task_id,
            before=e.before,
            after=e.after,
        )
        for e in session.execute(stmt).scalars()
    ]
