"""Loading plans into the store: plan versions, units, obligations and their tasks.

Loading is idempotent: the same file twice changes nothing (no new version, no task, no
audit row). A revised file (another sha256) becomes a new version; its future tasks are
brought in line with it (due dates, clauses, cut-offs), tasks of obligations or reporters it
no longer names are cancelled (never deleted) when still in the future, and everything
already submitted, excused or past keeps its history. Every change is written to the audit
log with the state before and after (docs/state-diagram.md).

A task is *future* when nothing was submitted or excused for it and its due date in force
is today or later (Asia/Ho_Chi_Minh): an overdue task is history and stays as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from pcmd_workflow.clock import Clock, local_date
from pcmd_workflow.domain.deadlines import DeadlineRow, plan_deadlines
from pcmd_workflow.domain.periods import Cadence
from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.domain.plan_loader import MAX_PLAN_BYTES, check_plan_bytes
from pcmd_workflow.errors import NotFound, PlanError, PlanValidationError
from pcmd_workflow.settings import get_settings
from pcmd_workflow.store.models import (
    Excusal,
    Extension,
    ObligationRecord,
    PlanRecord,
    PlanVersion,
    Submission,
    Task,
    UnitRecord,
    audit_table,
    plan_versions_table,
    plans_table,
    tasks_table,
)

__all__ = [
    "LoadReport",
    "load_plan",
    "load_plans",
    "plan_body",
    "stored_plan",
]

#: Task fields that follow the plan (compared and updated on a revised load).
_PLAN_FIELDS = (
    "cadence",
    "province",
    "cutoff_start",
    "cutoff_end",
    "nominal_due",
    "original_due",
    "moved_because",
    "source",
    "rule",
    "clause",
)
#: Duties whose tasks come from a coordinator's request (DOMAIN Q9), never from the rows.
_REQUEST_CADENCES = frozenset({Cadence.adhoc, Cadence.flash})
_FIRST_DAY = date(2000, 1, 1)
_LAST_DAY = date(2099, 12, 31)


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """What one load did to one plan."""

    plan_id: str
    path: str
    sha256: str
    version: int
    new_version: bool
    created: int
    updated: int
    cancelled: int
    reactivated: int
    kept: int  # past or submitted tasks the revision would have changed, left as history
    unchanged: int
    until_year: int | None

    @property
    def changed(self) -> bool:
        return self.new_version or any((self.created, self.updated, self.cancelled))

    def as_row(self) -> dict[str, Any]:
        return {
            "plan": self.plan_id,
            "version": self.version,
            "sha256": self.sha256,
            "new_version": self.new_version,
            "created": self.created,
            "updated": self.updated,
            "cancelled": self.cancelled,
            "reactivated": self.reactivated,
            "kept": self.kept,
            "unchanged": self.unchanged,
            "until": self.until_year,
            "path": self.path,
        }


def plan_body(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (what a version stores)."""
    return plan.model_dump(mode="json", by_alias=True, exclude_none=True)


def stored_plan(session: Session, plan_id: str, version: int | None = None) -> Plan:
    """The plan as stored (current version by default), validated again from its body."""
    pv, p = plan_versions_table, plans_table
    stmt = select(pv.c.body).where(pv.c.plan_id == plan_id)
    if version is None:
        stmt = stmt.join(p, p.c.id == pv.c.plan_id).where(p.c.current_version == pv.c.version)
    else:
        stmt = stmt.where(pv.c.version == version)
    body = session.execute(stmt).scalar_one_or_none()
    if body is None:
        raise NotFound(f"kế hoạch «{plan_id}» chưa được nạp; chạy `pcmd plan load FILE`")
    return Plan.model_validate(body)


def load_plans(
    session: Session,
    paths: Sequence[Path],
    *,
    clock: Clock,
    until_year: int | None = None,
    actor: str = "pcmd plan load",
) -> list[LoadReport]:
    """Load every file of ``paths`` (see :func:`load_plan`); all or nothing per session.

    Each file is read once: the bytes that are checked are the bytes whose sha256 is kept.
    """
    reports = []
    for path in paths:
        file = Path(path)
        try:
            with file.open("rb") as fh:
                content = fh.read(MAX_PLAN_BYTES + 1)  # a larger file is refused, not read
        except OSError as exc:
            raise PlanError(f"{path}: cannot read the plan file ({exc.strerror})") from None
        result = check_plan_bytes(content, name=str(path), stem=file.stem)
        if result.plan is None or result.problems:
            raise PlanValidationError(result.problems)
        reports.append(
            load_plan(
                session,
                result.plan,
                content=content,
                source_path=str(path),
                clock=clock,
                until_year=until_year,
                actor=actor,
            )
        )
    return reports


def _row_values(row: DeadlineRow, *, province: str) -> dict[str, Any]:
    return {
        "cadence": row.cadence,
        "province": province,
        "cutoff_start": row.cutoff_start,
        "cutoff_end": row.cutoff_end,
        "nominal_due": row.nominal_due,
        "original_due": row.due_date,
        "moved_because": row.moved_because,
        "source": row.source,
        "rule": row.rule,
        "clause": row.clause,
    }


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in values.items()}


def _audit(
    *,
    at: datetime,
    actor: str,
    entity: str,
    entity_id: str,
    action: str,
    plan_id: str,
    task_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": actor,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "plan_id": plan_id,
        "task_id": task_id,
        "before": None if before is None else _jsonable(before),
        "after": None if after is None else _jsonable(after),
    }


def load_plan(
    session: Session,
    plan: Plan,
    *,
    content: bytes,
    clock: Clock,
    source_path: str | None = None,
    until_year: int | None = None,
    actor: str = "pcmd plan load",
) -> LoadReport:
    """Store ``plan`` (read from ``content``) and materialise its tasks.

    Tasks are materialised for the plan's validity; an open-ended plan up to ``until_year``
    (default ``settings.materialise_until``; DOMAIN Q15).
    """
    now = clock.now()
    today = local_date(now)
    sha = hashlib.sha256(content).hexdigest()
    until = None
    if plan.validity.end is None:
        until = until_year if until_year is not None else get_settings().materialise_until
        if until < plan.validity.start.year:
            raise PlanError(
                f"{plan.id}: --until {until} is before the plan starts "
                f"({plan.validity.start.isoformat()})"
            )
    window_end = date(until, 12, 31) if until is not None else _LAST_DAY
    audits: list[dict[str, Any]] = []

    record = session.get(PlanRecord, plan.id)
    new_version = record is None or record.sha256 != sha
    identity: dict[str, Any] = {
        "number": plan.number,
        "doc_type": str(plan.type),
        "title": plan.title,
        "issuer": plan.issuer,
        "issued": plan.issued,
        "jurisdiction": plan.jurisdiction,
        "validity_start": plan.validity.start,
        "validity_end": plan.validity.end,
    }
    if record is None:
        version = 1
        record = PlanRecord(
            id=plan.id,
            current_version=1,
            sha256=sha,
            source_path=source_path,
            loaded_at=now,
            updated_at=now,
            **identity,
        )
        session.add(record)
        session.flush()
        audits.append(
            _audit(
                at=now,
                actor=actor,
                entity="plan",
                entity_id=plan.id,
                action="load",
                plan_id=plan.id,
                after={"version": 1, "sha256": sha, "path": source_path, **identity},
            )
        )
    elif new_version:
        version = record.current_version + 1
        before = {"version": record.current_version, "sha256": record.sha256}
        for name, value in identity.items():
            setattr(record, name, value)
        record.current_version = version
        record.sha256 = sha
        record.source_path = source_path
        record.updated_at = now
        audits.append(
            _audit(
                at=now,
                actor=actor,
                entity="plan",
                entity_id=plan.id,
                action="revise",
                plan_id=plan.id,
                before=before,
                after={"version": version, "sha256": sha, "path": source_path},
            )
        )
    else:
        version = record.current_version
    if new_version:
        session.add(
            PlanVersion(
                plan_id=plan.id,
                version=version,
                sha256=sha,
                loaded_at=now,
                source_path=source_path,
                body=plan_body(plan),
            )
        )
        audits.extend(_sync_units(session, plan, now=now, actor=actor))
        audits.extend(_sync_obligations(session, plan, now=now, actor=actor))
        session.flush()

    rows = plan_deadlines(plan, start=_FIRST_DAY, end=window_end, until_year=until)
    counts = _sync_tasks(
        session,
        plan,
        rows,
        now=now,
        today=today,
        window_end=window_end,
        actor=actor,
        audits=audits,
    )
    if audits:
        session.execute(insert(audit_table), audits)
    session.flush()
    return LoadReport(
        plan_id=plan.id,
        path=source_path or "",
        sha256=sha,
        version=version,
        new_version=new_version,
        until_year=until,
        **counts,
    )


def _unit_fields(plan: Plan) -> dict[str, dict[str, Any]]:
    out = {}
    for u in plan.units:
        out[u.slug] = {
            "name": u.name,
            "level": str(u.level),
            "parent": u.parent,
            "role": str(u.role),
            "requested": u.requested,
            "excluded": u.excluded,
            "tags": list(u.tags),
            "contacts": [c.model_dump(mode="json", exclude_none=True) for c in u.contacts],
            "succession": [
                s.model_dump(mode="json", by_alias=True, exclude_none=True) for s in u.succeeded
            ],
            "active_from": u.active_from,
            "active_until": u.active_until,
        }
    return out


def _obligation_fields(plan: Plan) -> dict[str, dict[str, Any]]:
    out = {}
    for o in plan.obligations:
        out[o.id] = {
            "title": o.title,
            "cadence": str(o.cadence),
            "reporters": list(o.reporters),
            "recipient": o.recipient,
            "via": o.via,
            "due_rule": o.due,
            "form": o.form,
            "ladder": o.ladder,
            "clause": o.clause,
            "location": o.where,
        }
    return out


def _sync_named(
    session: Session,
    *,
    model: type[UnitRecord] | type[ObligationRecord],
    name_column: str,
    entity: str,
    plan_id: str,
    wanted: dict[str, dict[str, Any]],
    now: datetime,
    actor: str,
) -> list[dict[str, Any]]:
    """Upsert the units or obligations of a plan version; mark the missing ones removed."""
    audits: list[dict[str, Any]] = []
    existing = {
        getattr(r, name_column): r
        for r in session.execute(select(model).where(model.plan_id == plan_id)).scalars()  # type: ignore[arg-type]
    }
    for name, fields in wanted.items():
        row = existing.get(name)
        if row is None:
            created: dict[str, Any] = {"plan_id": plan_id, name_column: name, **fields}
            session.add(model(**created))
            audits.append(
                _audit(
                    at=now,
                    actor=actor,
                    entity=entity,
                    entity_id=f"{plan_id}/{name}",
                    action="create",
                    plan_id=plan_id,
                    after=fields,
                )
            )
            continue
        before = {k: getattr(row, k) for k in fields}
        if row.removed_at is not None:
            before["removed_at"] = row.removed_at
        if before != fields:
            for k, v in fields.items():
                setattr(row, k, v)
            row.removed_at = None
            changed = [k for k in before if before.get(k) != fields.get(k)]
            audits.append(
                _audit(
                    at=now,
                    actor=actor,
                    entity=entity,
                    entity_id=f"{plan_id}/{name}",
                    action="update",
                    plan_id=plan_id,
                    before={k: before.get(k) for k in changed},
                    after={k: fields.get(k) for k in changed},
                )
            )
    for name, row in existing.items():
        if name not in wanted and row.removed_at is None:
            row.removed_at = now
            audits.append(
                _audit(
                    at=now,
                    actor=actor,
                    entity=entity,
                    entity_id=f"{plan_id}/{name}",
                    action="remove",
                    plan_id=plan_id,
                    after={"removed_at": now},
                )
            )
    return audits


def _sync_units(session: Session, plan: Plan, *, now: datetime, actor: str) -> list[dict[str, Any]]:
    return _sync_named(
        session,
        model=UnitRecord,
        name_column="slug",
        entity="unit",
        plan_id=plan.id,
        wanted=_unit_fields(plan),
        now=now,
        actor=actor,
    )


def _sync_obligations(
    session: Session, plan: Plan, *, now: datetime, actor: str
) -> list[dict[str, Any]]:
    return _sync_named(
        session,
        model=ObligationRecord,
        name_column="obligation",
        entity="obligation",
        plan_id=plan.id,
        wanted=_obligation_fields(plan),
        now=now,
        actor=actor,
    )


def _task_ids_with(session: Session, model: Any, plan_id: str) -> set[int]:
    stmt = (
        select(model.task_id)
        .join(Task, Task.task_id == model.task_id)  # type: ignore[arg-type]
        .where(Task.plan_id == plan_id)  # type: ignore[arg-type]
        .distinct()
    )
    return set(session.execute(stmt).scalars())


def _sync_tasks(
    session: Session,
    plan: Plan,
    rows: Iterable[DeadlineRow],
    *,
    now: datetime,
    today: date,
    window_end: date,
    actor: str,
    audits: list[dict[str, Any]],
) -> dict[str, int]:
    table = tasks_table
    columns = [
        table.c[name]
        for name in ("task_id", "key", "obligation", "period", "due_date", "cancelled_at")
    ]
    columns += [table.c[name] for name in _PLAN_FIELDS]
    existing = {
        r.key: r
        for r in session.execute(select(*columns).where(table.c.plan_id == plan.id)).mappings()
    }
    settled = _task_ids_with(session, Submission, plan.id) | _task_ids_with(
        session, Excusal, plan.id
    )
    extended = _task_ids_with(session, Extension, plan.id)
    # Tasks of an ad-hoc or flash request (period adhoc-<id>) come from the request, not
    # from the plan's rows: they stay while their duty is still a request-driven one.
    requested = {o.id for o in plan.obligations if o.cadence in _REQUEST_CADENCES}
    wanted: dict[str, DeadlineRow] = {}
    for row in rows:
        wanted.setdefault(row.key, row)

    created = updated = cancelled = reactivated = kept = unchanged = 0
    inserts: list[dict[str, Any]] = []
    for key, row in wanted.items():
        fields = _row_values(row, province=plan.jurisdiction)
        current = existing.get(key)
        if current is None:
            inserts.append(
                {
                    "key": key,
                    "plan_id": plan.id,
                    "obligation": row.obligation,
                    "reporter": row.reporter,
                    "period": row.period,
                    "due_date": row.due_date,
                    "created_at": now,
                    "updated_at": now,
                    **fields,
                }
            )
            continue
        before = {k: current[k] for k in _PLAN_FIELDS}
        was_cancelled = current["cancelled_at"] is not None
        if before == fields and not was_cancelled:
            unchanged += 1
            continue
        task_id = current["task_id"]
        in_force = current["due_date"] or current["original_due"]
        if task_id in settled or (in_force is not None and in_force < today):
            kept += int(before != fields)
            unchanged += int(before == fields)
            continue
        changes = {k: v for k, v in fields.items() if before[k] != v}
        if task_id not in extended and "original_due" in changes:
            changes["due_date"] = fields["original_due"]
        if was_cancelled:
            changes["cancelled_at"] = None
            changes["cancel_reason"] = None
        changes["updated_at"] = now
        session.execute(update(table).where(table.c.task_id == task_id).values(**changes))
        audit_before = {k: current[k] for k in changes if k in current}
        if was_cancelled:
            audit_before["cancelled_at"] = current["cancelled_at"]
            reactivated += 1
        else:
            updated += 1
        audits.append(
            _audit(
                at=now,
                actor=actor,
                entity="task",
                entity_id=key,
                action="reactivate" if was_cancelled else "revise",
                plan_id=plan.id,
                task_id=task_id,
                before=audit_before,
                after={k: v for k, v in changes.items() if k != "updated_at"},
            )
        )
    for key, current in existing.items():
        if key in wanted or current["cancelled_at"] is not None:
            continue
        if current["obligation"] in requested and current["period"].startswith("adhoc-"):
            continue
        task_id = current["task_id"]
        in_force = current["due_date"] or current["original_due"]
        if task_id in settled or in_force is None or in_force < today or in_force > window_end:
            continue
        reason = "kế hoạch sửa đổi không còn nhiệm vụ này"
        session.execute(
            update(table)
            .where(table.c.task_id == task_id)
            .values(cancelled_at=now, cancel_reason=reason, updated_at=now)
        )
        cancelled += 1
        audits.append(
            _audit(
                at=now,
                actor=actor,
                entity="task",
                entity_id=key,
                action="cancel",
                plan_id=plan.id,
                task_id=task_id,
                before={"cancelled_at": None},
                after={"cancelled_at": now, "cancel_reason": reason},
            )
        )
    if inserts:
        session.execute(insert(table), inserts)
        created = len(inserts)
        ids: dict[str, int] = {
            key: task_id
            for key, task_id in session.execute(
                select(table.c.key, table.c.task_id).where(
                    table.c.plan_id == plan.id, table.c.created_at == now
                )
            )
        }
        for item in inserts:
            audits.append(
                _audit(
                    at=now,
                    actor=actor,
                    entity="task",
                    entity_id=item["key"],
                    action="create",
                    plan_id=plan.id,
                    task_id=ids.get(item["key"]),
                    after={
                        "period": item["period"],
                        "nominal_due": item["nominal_due"],
                        "due_date": item["due_date"],
                        "source": item["source"],
                    },
                )
            )
    return {
        "created": created,
        "updated": updated,
        "cancelled": cancelled,
        "reactivated": reactivated,
        "kept": kept,
        "unchanged": unchanged,
    }
