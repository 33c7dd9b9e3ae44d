"""A synthetic national dataset: 34 provinces, each with ~15 departments and ~100 communes.

Every province gets one plan in the shape of the real ones (a People's Committee, a standing
body, departments and communes) whose units report monthly, quarterly, twice a year (H1 and
H2) and yearly: 115 units x 19 periods x 34 provinces = 74,290 tasks a year. The plans are
real :class:`~pcmd_workflow.domain.plan.Plan` values, loaded through the ordinary service,
so materialising them measures the product's own path.

:func:`add_history` then writes what would have happened by a given day (most reports
received, some late, a few returned, extended or excused) with bulk inserts, so that the
status pass has realistic facts to read.

Importable by other benchmarks::

    from benchmarks.synthetic import national_plans, materialise, add_history
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, bindparam, insert, select, update

from pcmd_workflow.clock import LOCAL_TZ, Clock, FixedClock
from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.services.plans import LoadReport, load_plan, plan_body
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import (
    excusals_table,
    extensions_table,
    returns_table,
    submissions_table,
    tasks_table,
)

__all__ = [
    "History",
    "add_history",
    "materialise",
    "national_plans",
    "province_plan",
]

PROVINCES = 34
DEPARTMENTS = 15
COMMUNES = 100


def province_plan(
    index: int, *, year: int = 2024, departments: int = DEPARTMENTS, communes: int = COMMUNES
) -> Plan:
    """The synthetic plan of province number ``index`` (ids ``tinh-NN-...``)."""
    place = f"tinh-{index:02d}"
    units: list[dict[str, object]] = [
        {"slug": "ubnd-tinh", "name": f"Ủy ban nhân dân tỉnh số {index}", "level": "province",
         "role": "recipient"},
        {"slug": "so-y-te", "name": "Sở Y tế", "level": "province", "role": "standing",
         "contacts": [{"kind": "email", "value": f"pcmd@soyte.{place}.gov.vn",
                       "role": "coordinator"}]},
    ]  # fmt: skip
    for d in range(1, departments):
        units.append(
            {
                "slug": f"so-{d:02d}",
                "name": f"Sở, ngành số {d}",
                "level": "province",
                "contacts": [{"kind": "email", "value": f"vp@so{d:02d}.{place}.gov.vn"}],
            }
        )
    for c in range(1, communes + 1):
        units.append(
            {
                "slug": f"xa-{c:03d}",
                "name": f"Ủy ban nhân dân xã số {c}",
                "level": "commune",
                "parent": "ubnd-tinh",
            }
        )
    groups = [
        {"slug": "cac-so", "name": "Các sở, ngành", "select": {"level": "province",
                                                              "roles": ["member", "standing"]}},
        {"slug": "cac-xa", "name": "UBND các xã", "select": {"level": "commune"}},
    ]  # fmt: skip
    clause = "Các sở, ngành và UBND các xã báo cáo định kỳ về Sở Y tế (thử nghiệm hiệu năng)."
    obligations = [
        {"id": "thang", "reporters": ["cac-so", "cac-xa"], "recipient": "so-y-te",
         "cadence": "monthly", "clause": clause, "where": "V.1"},
        {"id": "quy", "reporters": ["cac-so", "cac-xa"], "recipient": "so-y-te",
         "cadence": "quarterly", "clause": clause, "where": "V.1"},
        {"id": "sau-thang", "reporters": ["cac-so", "cac-xa"], "recipient": "ubnd-tinh",
         "via": "so-y-te", "cadence": "semiannual", "halves": ["H1", "H2"],
         "due": "before 17/6", "clause": clause, "where": "V.2"},
        {"id": "nam", "reporters": ["cac-so", "cac-xa"], "recipient": "ubnd-tinh",
         "via": "so-y-te", "cadence": "annual", "due": "before 17/12", "clause": clause,
         "where": "V.2"},
    ]  # fmt: skip
    return Plan.model_validate(
        {
            "id": f"{place}-1-kh-ubnd-{year}",
            "number": "1/KH-UBND",
            "type": "Kế hoạch",
            "title": f"Kế hoạch phòng, chống mại dâm năm {year} (dữ liệu tổng hợp)",
            "issuer": f"Ủy ban nhân dân tỉnh số {index}",
            "issued": date(year, 1, 2),
            "jurisdiction": place,
            "validity": {"start": date(year, 1, 2), "end": date(year, 12, 31)},
            "units": units,
            "groups": groups,
            "obligations": obligations,
        }
    )


def national_plans(
    *,
    provinces: int = PROVINCES,
    year: int = 2024,
    departments: int = DEPARTMENTS,
    communes: int = COMMUNES,
) -> list[Plan]:
    return [
        province_plan(i, year=year, departments=departments, communes=communes)
        for i in range(1, provinces + 1)
    ]


def materialise(engine: Engine, plans: Sequence[Plan], *, clock: Clock) -> list[LoadReport]:
    """Load every plan through :func:`pcmd_workflow.services.plans.load_plan`."""
    reports = []
    for plan in plans:
        content = json.dumps(plan_body(plan), ensure_ascii=False, sort_keys=True).encode()
        with session_scope(engine) as session:
            reports.append(load_plan(session, plan, content=content, clock=clock))
    return reports


@dataclass(frozen=True, kw_only=True)
class History:
    submissions: int
    late: int
    returns: int
    extensions: int
    excusals: int


def _instant(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ).astimezone(UTC)


def add_history(
    engine: Engine,
    *,
    as_of: date,
    seed: int = 20240715,
    received: float = 0.85,
    late: float = 0.12,
    returned: float = 0.02,
    extended: float = 0.01,
    excused: float = 0.005,
) -> History:
    """What happened to the tasks due before ``as_of``: bulk-written facts (reproducible)."""
    rng = random.Random(seed)
    cal = default_calendar()
    with engine.connect() as conn:
        rows = conn.execute(
            select(tasks_table.c.task_id, tasks_table.c.original_due).where(
                tasks_table.c.original_due < as_of
            )
        ).all()
    subs: list[dict[str, object]] = []
    rets: list[dict[str, object]] = []
    exts: list[dict[str, object]] = []
    excs: list[dict[str, object]] = []
    n_late = 0
    for task_id, due in rows:
        roll = rng.random()
        if roll < excused:
            excs.append(
                {"task_id": task_id, "excused_at": _instant(due, 9), "excused_by": "bench",
                 "reason": "Không phát sinh"}
            )  # fmt: skip
            continue
        if roll < excused + extended:
            new_due = cal.add_working_days(due, 5)
            exts.append(
                {"task_id": task_id, "granted_at": _instant(due, 10), "granted_by": "bench",
                 "new_due": new_due, "previous_due": due, "reason": "Gia hạn"}
            )  # fmt: skip
            due = new_due
        if rng.random() > received:
            continue
        is_late = rng.random() < late
        n_late += is_late
        day = (
            cal.add_working_days(due, rng.randint(1, 6))
            if is_late
            else due - timedelta(days=rng.randint(0, 5))
        )
        at = _instant(min(day, as_of - timedelta(days=1)), rng.randint(7, 22), rng.randint(0, 59))
        digest = hashlib.sha256(f"{task_id}".encode()).hexdigest()
        state = "accepted" if rng.random() < 0.7 else "pending"
        subs.append(
            {"task_id": task_id, "version": 1, "received_at": at, "submitted_by": "bench",
             "channel": "portal", "values": None, "checksum": digest, "review_state": state,
             "reviewed_at": at + timedelta(days=1) if state == "accepted" else None,
             "receipt_no": f"PCMD-{task_id}-1"}
        )  # fmt: skip
    with engine.begin() as conn:
        if subs:
            conn.execute(insert(submissions_table), subs)
        if excs:
            conn.execute(insert(excusals_table), excs)
        if exts:
            conn.execute(insert(extensions_table), exts)
        pending = [s for s in subs if s["review_state"] == "pending"]
        chosen = rng.sample(pending, k=min(len(pending), int(len(rows) * returned)))
        if chosen:
            ids = dict(
                conn.execute(
                    select(submissions_table.c.task_id, submissions_table.c.id).where(
                        submissions_table.c.review_state == "pending"
                    )
                ).all()
            )
            for s in chosen:
                at = s["received_at"] + timedelta(days=2)  # type: ignore[operator]
                rets.append(
                    {"task_id": s["task_id"], "submission_id": ids[s["task_id"]],
                     "returned_at": at, "returned_by": "bench", "reason": "Thiếu số liệu",
                     "new_due": cal.add_working_days(at.astimezone(LOCAL_TZ).date(), 3)}
                )  # fmt: skip
            conn.execute(insert(returns_table), rets)
            conn.execute(
                update(submissions_table)
                .where(submissions_table.c.id == bindparam("sid"))
                .values(review_state="returned", reviewed_at=bindparam("at")),
                [{"sid": r["submission_id"], "at": r["returned_at"]} for r in rets],
            )
    return History(
        submissions=len(subs),
        late=n_late,
        returns=len(rets),
        extensions=len(exts),
        excusals=len(excs),
    )


def default_clock(year: int = 2024) -> FixedClock:
    """The instant the synthetic plans are loaded (start of the year)."""
    return FixedClock(datetime(year, 1, 2, 8, 0, tzinfo=LOCAL_TZ))
