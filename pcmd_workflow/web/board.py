"""The dashboard's data: every task of a scope with its status, cached, and the views on it.

A :class:`Snapshot` is the status of every task a coordinator may see (one province, or the
whole country for an administrator) at one instant, with the names of their plans, units
and duties: one set-based pass (:func:`pcmd_workflow.services.tasks.list_tasks`). The
:class:`Board` keeps one snapshot per scope and builds a new one when the facts change (a
cheap query on the largest ids of the fact tables), when the day changes, or after
``ttl_seconds``; concurrent requests for the same scope wait for one build instead of
building it each. Overview counts, the matrix and the charts are computed from a snapshot
in memory and memoised per filter.

Timeliness rate (shown everywhere the same way): reports submitted on time divided by the
reports whose deadline has passed or that were submitted (on time + late + overdue);
returned and excused tasks and tasks not yet due do not count.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select
from sqlmodel import Session

from pcmd_workflow.clock import Clock, local_date
from pcmd_workflow.errors import PcmdError
from pcmd_workflow.services.tasks import TaskView, list_tasks
from pcmd_workflow.store.models import (
    obligations_table,
    plans_table,
    units_table,
)
from pcmd_workflow.web.labels import CADENCE_VI, LEVEL_VI, STATUS_ORDER, STATUS_VI

__all__ = [
    "Board",
    "Counts",
    "DutyInfo",
    "Filters",
    "Matrix",
    "MatrixCell",
    "MatrixRow",
    "PeriodRow",
    "PlanInfo",
    "Snapshot",
    "UnitInfo",
    "build_matrix",
    "counts_of",
    "fold",
    "overview_by_period",
    "overview_by_plan",
    "timeliness_by_unit",
    "timeliness_over_time",
]

#: Which status a matrix cell shows when a unit has several tasks in one period.
_SEVERITY = {s: i for i, s in enumerate(STATUS_ORDER)}
_MEMO_LIMIT = 512


def fold(text: str) -> str:
    """Lower case without diacritics (``Lào Cai`` → ``lao cai``): search without accents."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


@dataclass(frozen=True, kw_only=True)
class PlanInfo:
    id: str
    number: str
    doc_type: str
    title: str
    issuer: str
    issued: date
    jurisdiction: str

    @property
    def label(self) -> str:
        """``Kế hoạch số 255/KH-UBND``."""
        return f"{self.doc_type} số {self.number}"


@dataclass(frozen=True, kw_only=True)
class UnitInfo:
    plan_id: str
    slug: str
    name: str
    level: str
    parent: str | None
    folded: str


@dataclass(frozen=True, kw_only=True)
class DutyInfo:
    plan_id: str
    obligation: str
    title: str | None
    cadence: str
    form: str | None
    ladder: str | None
    location: str
    clause: str

    @property
    def label(self) -> str:
        return self.title or f"Báo cáo {CADENCE_VI.get(self.cadence, self.cadence).lower()}"


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The dashboard's filters (query parameters), checked against the known values."""

    plan: str | None = None
    cadence: str | None = None
    level: str | None = None
    status: str | None = None
    period: str | None = None
    year: int | None = None
    unit: str | None = None
    q: str = ""

    @classmethod
    def parse(cls, params: Any) -> Filters:
        """From request query parameters; a PcmdError names a value that is not known."""

        def pick(name: str, known: Iterable[str] | None = None) -> str | None:
            value = (params.get(name) or "").strip()
            if not value:
                return None
            if known is not None and value not in known:
                raise PcmdError(f"bộ lọc «{name}»: giá trị «{value[:60]}» không hợp lệ")
            if len(value) > 200:
                raise PcmdError(f"bộ lọc «{name}» quá dài")
            return value

        year_text = pick("year")
        year = None
        if year_text is not None and year_text != "all":
            if not year_text.isdigit() or not 2000 <= int(year_text) <= 2099:
                raise PcmdError(f"bộ lọc «year»: «{year_text[:20]}» không phải là năm 2000–2099")
            year = int(year_text)
        return cls(
            plan=pick("plan"),
            cadence=pick("cadence", CADENCE_VI),
            level=pick("level", LEVEL_VI),
            status=pick("status", STATUS_ORDER),
            period=pick("period"),
            year=year,
            unit=pick("unit"),
            q=(params.get("q") or "").strip()[:100],
        )

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes`` (None drops a parameter)."""
        data = {
            "plan": self.plan,
            "cadence": self.cadence,
            "level": self.level,
            "status": self.status,
            "period": self.period,
            "year": "all" if self.year is None else self.year,
            "unit": self.unit,
            "q": self.q or None,
        }
        data.update(changes)
        return urlencode({k: v for k, v in data.items() if v not in (None, "")})

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class Counts:
    by_status: dict[str, int]
    total: int

    @property
    def on_time(self) -> int:
        return self.by_status.get("submitted_on_time", 0)

    @property
    def late(self) -> int:
        return self.by_status.get("submitted_late", 0)

    @property
    def overdue(self) -> int:
        return self.by_status.get("overdue", 0)

    @property
    def due(self) -> int:
        """Reports whose timeliness is known: on time + late + overdue."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """On-time share of the reports that were due (None when none was)."""
        return None if self.due == 0 else self.on_time / self.due

    def rate_text(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def counts_of(views: Iterable[TaskView]) -> Counts:
    counter = Counter(str(v.status) for v in views)
    return Counts(
        by_status={s: counter.get(s, 0) for s in STATUS_ORDER}, total=sum(counter.values())
    )


@dataclass
class Snapshot:
    """Every task of a scope with its status at ``as_of``, and the names around them."""

    as_of: datetime
    today: date
    scope: str | None
    version: tuple[Any, ...]
    tasks: list[TaskView]
    plans: dict[str, PlanInfo]
    units: dict[tuple[str, str], UnitInfo]
    duties: dict[tuple[str, str], DutyInfo]
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: Any, build: Any) -> Any:
        """``build()``, computed once per snapshot and key (the oldest half is dropped when
        the memo grows past its limit)."""
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) > _MEMO_LIMIT:
                for old in list(self._memo)[: _MEMO_LIMIT // 2]:
                    self._memo.pop(old, None)
            found = self._memo[key] = build()
        return found

    def peek(self, key: Any) -> Any:
        """What :meth:`memo` keeps under ``key`` (None when nothing yet)."""
        return self._memo.get(key)

    def unit(self, plan_id: str, slug: str) -> UnitInfo | None:
        return self.units.get((plan_id, slug))

    def unit_name(self, plan_id: str, slug: str) -> str:
        found = self.units.get((plan_id, slug))
        return found.name if found else slug

    def duty(self, plan_id: str, obligation: str) -> DutyInfo | None:
        return self.duties.get((plan_id, obligation))

    def report_label(self, plan_id: str, obligation: str) -> str:
        duty = self.duties.get((plan_id, obligation))
        return duty.label if duty else obligation

    def plan_list(self) -> list[PlanInfo]:
        return sorted(self.plans.values(), key=lambda p: (p.jurisdiction, p.issued, p.id))

    def years(self, plan: str | None = None) -> list[int]:
        def build() -> list[int]:
            found = {
                v.due_date.year
                for v in self.tasks
                if v.due_date is not None and (plan is None or v.plan == plan)
            }
            return sorted(found)

        result: list[int] = self.memo(("years", plan), build)
        return result

    def default_year(self, plan: str | None = None) -> int | None:
        """This year when it has tasks, else the closest year that has."""
        years = self.years(plan)
        if not years:
            return None
        this = self.today.year
        return min(years, key=lambda y: (abs(y - this), -y))

    def periods_of(self, plan: str | None, cadence: str | None) -> list[str]:
        def build() -> list[str]:
            first_due: dict[str, date] = {}
            for v in self.tasks:
                if (plan and v.plan != plan) or (cadence and v.cadence != cadence):
                    continue
                due = v.due_date or date.max
                if v.period not in first_due or due < first_due[v.period]:
                    first_due[v.period] = due
            return sorted(first_due, key=lambda p: (first_due[p], p))

        result: list[str] = self.memo(("periods", plan, cadence), build)
        return result

    def select(self, filters: Filters) -> list[TaskView]:
        """The tasks matching every filter (memoised per filter)."""

        def build() -> list[TaskView]:
            q = fold(filters.q) if filters.q else ""
            out = []
            for v in self.tasks:
                if filters.plan and v.plan != filters.plan:
                    continue
                if filters.cadence and v.cadence != filters.cadence:
                    continue
                if filters.status and v.status != filters.status:
                    continue
                if filters.period and v.period != filters.period:
                    continue
                if filters.unit and v.reporter != filters.unit:
                    continue
                if filters.year and (v.due_date is None or v.due_date.year != filters.year):
                    continue
                if filters.level or q:
                    unit = self.units.get((v.plan, v.reporter))
                    if filters.level and (unit is None or unit.level != filters.level):
                        continue
                    if q and (unit is None or q not in unit.folded) and q not in v.reporter:
                        continue
                out.append(v)
            return out

        result: list[TaskView] = self.memo(("select", filters), build)
        return result


# ---- views on a snapshot ------------------------------------------------------------------


def overview_by_plan(snapshot: Snapshot, filters: Filters) -> list[tuple[PlanInfo, Counts]]:
    """One row per plan: counts by status and the timeliness rate."""

    def build() -> list[tuple[PlanInfo, Counts]]:
        by_plan: dict[str, list[TaskView]] = defaultdict(list)
        for v in snapshot.select(filters.with_(plan=None)):
            by_plan[v.plan].append(v)
        return [(p, counts_of(by_plan.get(p.id, []))) for p in snapshot.plan_list()]

    result: list[tuple[PlanInfo, Counts]] = snapshot.memo(("by_plan", filters), build)
    return result


@dataclass(frozen=True, kw_only=True)
class PeriodRow:
    plan: PlanInfo
    period: str
    cadences: tuple[str, ...]
    due_date: date | None  # the latest due date of the period's tasks
    counts: Counts
    compilable: tuple[DutyInfo, ...]  # duties of the period with an indicator form


def overview_by_period(snapshot: Snapshot, filters: Filters) -> list[PeriodRow]:
    """One row per plan and period (latest due first within a plan)."""

    def build() -> list[PeriodRow]:
        groups: dict[tuple[str, str], list[TaskView]] = defaultdict(list)
        for v in snapshot.select(filters):
            groups[(v.plan, v.period)].append(v)
        rows = []
        for (plan_id, period), views in groups.items():
            plan = snapshot.plans.get(plan_id)
            if plan is None:
                continue
            dues = [v.due_date for v in views if v.due_date is not None]
            duties = {v.obligation: snapshot.duty(plan_id, v.obligation) for v in views}
            rows.append(
                PeriodRow(
                    plan=plan,
                    period=period,
                    cadences=tuple(sorted({v.cadence for v in views})),
                    due_date=max(dues) if dues else None,
                    counts=counts_of(views),
                    compilable=tuple(
                        d for _, d in sorted(duties.items()) if d is not None and d.form
                    ),
                )
            )
        rows.sort(key=lambda r: (r.plan.jurisdiction, r.plan.id, r.due_date or date.max, r.period))
        return rows

    result: list[PeriodRow] = snapshot.memo(("by_period", filters), build)
    return result


@dataclass(frozen=True, kw_only=True)
class MatrixCell:
    status: str
    count: int
    task_id: int | None  # when the cell holds one task
    title: str


@dataclass(frozen=True, kw_only=True)
class MatrixRow:
    unit: UnitInfo
    cells: list[MatrixCell | None]


@dataclass(frozen=True, kw_only=True)
class Matrix:
    periods: list[str]
    rows: list[MatrixRow]
    hidden_rows: int


def build_matrix(snapshot: Snapshot, filters: Filters, *, max_rows: int = 400) -> Matrix:
    """Units × periods of one plan, each cell coloured by its most urgent status."""

    def build() -> Matrix:
        views = snapshot.select(filters)
        cells: dict[tuple[str, str], list[TaskView]] = defaultdict(list)
        for v in views:
            cells[(v.reporter, v.period)].append(v)
        wanted = {p for _, p in cells}
        periods = [p for p in snapshot.periods_of(filters.plan, filters.cadence) if p in wanted]
        reporters = sorted(
            {r for r, _ in cells},
            key=lambda slug: _unit_order(snapshot, filters.plan, slug),
        )
        rows = []
        for slug in reporters[:max_rows]:
            unit = snapshot.unit(filters.plan or "", slug) or UnitInfo(
                plan_id=filters.plan or "", slug=slug, name=slug, level="", parent=None, folded=slug
            )
            row_cells: list[MatrixCell | None] = []
            for period in periods:
                found = cells.get((slug, period))
                if not found:
                    row_cells.append(None)
                    continue
                worst = min(found, key=lambda v: _SEVERITY.get(str(v.status), 99))
                titles = [
                    f"{snapshot.report_label(v.plan, v.obligation)}: {STATUS_VI[str(v.status)]}"
                    for v in found
                ]
                row_cells.append(
                    MatrixCell(
                        status=str(worst.status),
                        count=len(found),
                        task_id=found[0].task_id if len(found) == 1 else None,
                        title="; ".join(titles),
                    )
                )
            rows.append(MatrixRow(unit=unit, cells=row_cells))
        return Matrix(periods=periods, rows=rows, hidden_rows=max(0, len(reporters) - max_rows))

    result: Matrix = snapshot.memo(("matrix", filters, max_rows), build)
    return result


_LEVEL_RANK = {"central": 0, "province": 1, "body": 2, "district": 3, "commune": 4}


def _unit_order(snapshot: Snapshot, plan: str | None, slug: str) -> tuple[int, str]:
    unit = snapshot.unit(plan or "", slug)
    if unit is None:
        return (9, slug)
    return (_LEVEL_RANK.get(unit.level, 5), fold(unit.name))


def timeliness_by_unit(
    snapshot: Snapshot, filters: Filters, *, limit: int = 30
) -> list[tuple[str, Counts]]:
    """The units with the lowest timeliness rate first (only units with reports due)."""

    def build() -> list[tuple[str, Counts]]:
        groups: dict[tuple[str, str], list[TaskView]] = defaultdict(list)
        for v in snapshot.select(filters):
            groups[(v.plan, v.reporter)].append(v)
        rows = []
        for (plan_id, slug), views in groups.items():
            counts = counts_of(views)
            if counts.due:
                rows.append((snapshot.unit_name(plan_id, slug), counts))
        rows.sort(key=lambda r: (r[1].rate if r[1].rate is not None else 2.0, fold(r[0])))
        return rows[:limit]

    result: list[tuple[str, Counts]] = snapshot.memo(("by_unit", filters, limit), build)
    return result


def timeliness_over_time(snapshot: Snapshot, filters: Filters) -> list[tuple[str, Counts]]:
    """The timeliness rate per month of the due date, up to this month."""

    def build() -> list[tuple[str, Counts]]:
        groups: dict[tuple[int, int], list[TaskView]] = defaultdict(list)
        limit = (snapshot.today.year, snapshot.today.month)
        for v in snapshot.select(filters):
            if v.due_date is None:
                continue
            key = (v.due_date.year, v.due_date.month)
            if key <= limit:
                groups[key].append(v)
        out = []
        for key in sorted(groups):
            counts = counts_of(groups[key])
            if counts.due:
                out.append((f"{key[1]:02d}/{key[0]}", counts))
        return out

    result: list[tuple[str, Counts]] = snapshot.memo(("over_time", filters), build)
    return result


# ---- building and caching -------------------------------------------------------------------


_VERSION_SQL = (
    "SELECT (SELECT max(id) FROM audit_log), (SELECT max(id) FROM submissions), "
    "(SELECT max(id) FROM extensions), (SELECT max(id) FROM returns), "
    "(SELECT max(id) FROM excusals), (SELECT max(task_id) FROM tasks)"
)


def data_version(engine: Engine) -> tuple[Any, ...]:
    """The largest ids of the fact tables: any new fact (or plan load) changes it.

    Every change pcmd makes writes one of these rows (CONTRACTS: every state change has its
    audit entry); one statement on a Core connection, since it runs on every request.
    """
    with engine.connect() as conn:
        return tuple(conn.exec_driver_sql(_VERSION_SQL).one())


def _names(
    session: Session, scope: str | None
) -> tuple[dict[str, PlanInfo], dict[tuple[str, str], UnitInfo], dict[tuple[str, str], DutyInfo]]:
    p, u, o = plans_table, units_table, obligations_table
    stmt = select(
        p.c.id, p.c.number, p.c.doc_type, p.c.title, p.c.issuer, p.c.issued, p.c.jurisdiction
    )
    if scope is not None:
        stmt = stmt.where(p.c.jurisdiction == scope)
    plans = {
        r.id: PlanInfo(
            id=r.id,
            number=r.number,
            doc_type=r.doc_type,
            title=r.title,
            issuer=r.issuer,
            issued=r.issued,
            jurisdiction=r.jurisdiction,
        )
        for r in session.execute(stmt)
    }
    ids = list(plans)
    units = {
        (r.plan_id, r.slug): UnitInfo(
            plan_id=r.plan_id,
            slug=r.slug,
            name=r.name,
            level=r.level,
            parent=r.parent,
            folded=fold(f"{r.name} {r.slug}"),
        )
        for r in session.execute(
            select(u.c.plan_id, u.c.slug, u.c.name, u.c.level, u.c.parent).where(
                u.c.plan_id.in_(ids)
            )
        )
    }
    duties = {
        (r.plan_id, r.obligation): DutyInfo(
            plan_id=r.plan_id,
            obligation=r.obligation,
            title=r.title,
            cadence=r.cadence,
            form=r.form,
            ladder=r.ladder,
            location=r.location,
            clause=r.clause,
        )
        for r in session.execute(
            select(
                o.c.plan_id,
                o.c.obligation,
                o.c.title,
                o.c.cadence,
                o.c.form,
                o.c.ladder,
                o.c.location,
                o.c.clause,
            ).where(o.c.plan_id.in_(ids))
        )
    }
    return plans, units, duties


def build_snapshot(
    session: Session, *, scope: str | None, now: datetime, version: tuple[Any, ...]
) -> Snapshot:
    plans, units, duties = _names(session, scope)
    tasks = list_tasks(session, as_of=now, province=scope)
    if scope is None:
        tasks = [t for t in tasks if t.plan in plans]
    return Snapshot(
        as_of=now,
        today=local_date(now),
        scope=scope,
        version=version,
        tasks=tasks,
        plans=plans,
        units=units,
        duties=duties,
    )


class Board:
    """One cached :class:`Snapshot` per scope (see module doc).

    The facts' version is read at most once per ``check_seconds`` (a monotonic interval):
    between two checks, requests are served from memory without touching the database.
    Writes made through this application call :meth:`note_write`, so that their effect is
    seen at once; writes by other processes are seen within ``check_seconds``.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        ttl_seconds: float = 300.0,
        check_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl_seconds = ttl_seconds
        self.check_seconds = check_seconds
        self._monotonic = monotonic
        self._snapshots: dict[str | None, Snapshot] = {}
        self._locks: dict[str | None, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")

    def _lock(self, scope: str | None) -> threading.Lock:
        with self._guard:
            return self._locks[scope]

    def _fresh(self, found: Snapshot | None, *, now: datetime, version: tuple[Any, ...]) -> bool:
        return (
            found is not None
            and found.version == version
            and found.today == local_date(now)
            and 0 <= (now - found.as_of).total_seconds() < self.ttl_seconds
        )

    def version(self) -> tuple[Any, ...]:
        """The facts' version, read again when the last check is older than the interval."""
        if self._version is None or self._monotonic() - self._checked_at >= self.check_seconds:
            self._version = data_version(self.engine)
            self._checked_at = self._monotonic()
        return self._version

    def note_write(self) -> None:
        """A write was committed: the next request reads the version again."""
        self._checked_at = float("-inf")

    def cached(self, scope: str | None) -> Snapshot | None:
        """The snapshot of ``scope`` when it can be served without any database access."""
        if self._version is None or self._monotonic() - self._checked_at >= self.check_seconds:
            return None
        found = self._snapshots.get(scope)
        if self._fresh(found, now=self.clock.now(), version=self._version):
            return found
        return None

    def snapshot(self, scope: str | None) -> Snapshot:
        """The snapshot of ``scope`` (a jurisdiction, or None for every plan)."""
        now = self.clock.now()
        version = self.version()
        found = self._snapshots.get(scope)
        if self._fresh(found, now=now, version=version):
            assert found is not None
            return found
        with self._lock(scope):
            found = self._snapshots.get(scope)
            now = self.clock.now()
            if self._fresh(found, now=now, version=version):
                assert found is not None
                return found
            with Session(self.engine) as session:
                built = build_snapshot(session, scope=scope, now=now, version=version)
            self._snapshots[scope] = built
            return built

    def invalidate(self) -> None:
        self._snapshots.clear()
