"""The engine service the flows and the replay call (no Prefect here).

Hand-worked facts (tests/flows/plans, national ladder, no channel configured so every
address is the sink): the 6-month report is due Monday 17/06/2024, so on Tuesday 18/06
(T+1) each of the three reporters gets an ``overdue`` notice and the coordinator (Sở Y tế,
standing body) the daily digest plus the list of units without a contact (UBND huyện B);
on Thursday 20/06 (T+3) the escalation goes to the coordinator (no head contact exists).
The compilation runs at 00:30 on 18/06 (the day after the last due date).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flows_support import LOADED_AT, THANH_PHO, THANH_PHO_ID, TINH, TINH_ID, FlowStore, local
from sqlalchemy import select

from pcmd_workflow.clock import FixedClock, as_of_instant
from pcmd_workflow.errors import CompilationError, ConfigError
from pcmd_workflow.services import engine
from pcmd_workflow.services.dispatch import dispatch
from pcmd_workflow.services.submissions import extend, review, submit
from pcmd_workflow.settings import get_settings, reset_settings
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import Task
from pcmd_workflow.store.outbox import Notice


def _task_id(store: FlowStore, plan: str, obligation: str, reporter: str, period: str) -> int:
    with session_scope(store.engine) as s:
        task_id = s.execute(
            select(Task.task_id).where(  # type: ignore[call-overload]
                Task.plan_id == plan,
                Task.obligation == obligation,
                Task.reporter == reporter,
                Task.period == period,
            )
        ).scalar_one()
    return int(task_id)


def _submit(store: FlowStore, reporter: str, at: str, values: dict, *, accept: bool = True) -> None:
    task_id = _task_id(store, TINH_ID, "bc-6-thang", reporter, "2024-H1")
    clock = FixedClock(local(at))
    with session_scope(store.engine) as s:
        submit(s, task_id=task_id, clock=clock, values=values, at=local(at))
        if accept:
            review(s, task_id=task_id, accept=True, clock=clock)


def _notices(store: FlowStore) -> list[tuple]:
    with session_scope(store.engine) as s:
        rows = s.execute(
            select(
                Notice.province, Notice.kind, Notice.unit, Notice.rung, Notice.recipient
            ).order_by(Notice.id)  # type: ignore[call-overload]
        ).all()
    return [tuple(r) for r in rows]


def test_day_info_follows_the_vietnamese_calendar() -> None:
    assert engine.day_info(date(2024, 6, 18)).working
    assert not engine.day_info(date(2024, 6, 15)).working  # Saturday
    assert engine.day_info(date(2024, 5, 4)).working  # make-up Saturday for 29/04/2024
    tet = engine.day_info(date(2024, 2, 12))
    assert not tet.working and tet.kind == "holiday"


def test_plan_files_are_the_enabled_plans(
    flow_store: FlowStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert engine.plan_files() == [THANH_PHO, TINH]
    monkeypatch.setenv("PCMD_ENABLED_PLANS", f'["{TINH_ID}"]')
    reset_settings()
    assert engine.plan_files() == [TINH]
    monkeypatch.setenv("PCMD_ENABLED_PLANS", '["ha-noi-khong-co"]')
    reset_settings()
    with pytest.raises(ConfigError, match=r"no plan file ha-noi-khong-co in .*expected one of"):
        engine.plan_files()


def test_materialise_is_idempotent_and_follows_the_partition(flow_store: FlowStore) -> None:
    clock = FixedClock(LOADED_AT)
    with session_scope(flow_store.engine) as s:
        first = engine.materialise(s, paths=[THANH_PHO, TINH], clock=clock, provinces=["tinh-thu"])
    assert [(r.plan_id, r.created) for r in first] == [(TINH_ID, 6)]
    with session_scope(flow_store.engine) as s:
        again = engine.materialise(s, paths=[THANH_PHO, TINH], clock=clock)
        assert engine.provinces(s) == ["thanh-pho-thu", "tinh-thu"]
        assert engine.plans_of(s, ["tinh-thu"]) == [TINH_ID]
    assert [(r.plan_id, r.created, r.unchanged, r.new_version) for r in again] == [
        (THANH_PHO_ID, 6, 0, True),
        (TINH_ID, 0, 6, False),
    ]


def test_the_sweep_of_one_province_writes_only_its_notices(loaded_store: FlowStore) -> None:
    with session_scope(loaded_store.engine) as s:
        t1 = engine.sweep_province(
            s, as_of=date(2024, 6, 18), clock=FixedClock(as_of_instant(date(2024, 6, 18))),
            province="tinh-thu",
        )  # fmt: skip
    assert t1.as_row() == {
        "province": "tinh-thu",
        "tasks": 6,
        "planned": 5,
        "inserted": 5,
        "cancelled": 0,
        "escalations": 0,
    }
    assert sorted(_notices(loaded_store), key=str) == sorted(
        [
            ("tinh-thu", "overdue", "cong-an-tinh", "T+1", "sink:cong-an-tinh"),
            ("tinh-thu", "overdue", "so-vhtt", "T+1", "sink:so-vhtt"),
            ("tinh-thu", "overdue", "ubnd-huyen-b", "T+1", "sink:ubnd-huyen-b"),
            ("tinh-thu", "coordinator_digest", None, None, "sink:so-y-te"),
            ("tinh-thu", "missing_contacts", None, None, "sink:so-y-te"),
        ],
        key=str,
    )
    with session_scope(loaded_store.engine) as s:
        t3 = engine.sweep_province(
            s, as_of=date(2024, 6, 20), clock=FixedClock(as_of_instant(date(2024, 6, 20))),
            province="tinh-thu",
        )  # fmt: skip
    # T+3: three escalations to the coordinator, the digest; the T+1 notices still waiting
    # are superseded
    assert (t3.inserted, t3.escalations, t3.cancelled) == (4, 3, 3)


def test_due_compilations_follow_the_due_dates_in_force(loaded_store: FlowStore) -> None:
    with session_scope(loaded_store.engine) as s:
        due = engine.due_compilations(s, now=local("2024-06-01T00:00"))
        soon = engine.due_compilations(s, now=local("2024-06-01T00:00"), horizon_days=30)
        after = engine.due_compilations(s, now=local("2024-06-18T00:30"))
    assert [c.as_row() for c in due] == [
        {"plan": THANH_PHO_ID, "obligation": "bc-6-thang", "period": "2024-H1",
         "due_date": "2024-06-17", "scheduled_at": "2024-06-18T00:30:00+07:00", "tasks": 3},
        {"plan": TINH_ID, "obligation": "bc-6-thang", "period": "2024-H1",
         "due_date": "2024-06-17", "scheduled_at": "2024-06-18T00:30:00+07:00", "tasks": 3},
        {"plan": THANH_PHO_ID, "obligation": "bc-nam", "period": "2024",
         "due_date": "2024-12-16", "scheduled_at": "2024-12-17T00:30:00+07:00", "tasks": 3},
        {"plan": TINH_ID, "obligation": "bc-nam", "period": "2024",
         "due_date": "2024-12-16", "scheduled_at": "2024-12-17T00:30:00+07:00", "tasks": 3},
    ]  # fmt: skip
    assert due[1].scheduled_at == datetime(2024, 6, 17, 17, 30, tzinfo=UTC)
    assert due[1].tags == [
        "pcmd-compile",
        f"plan:{TINH_ID}",
        "obligation:bc-6-thang",
        "period:2024-H1",
    ]
    assert due[1].idempotency_key == f"pcmd-compile/{TINH_ID}/bc-6-thang/2024-H1/2024-06-17"
    assert [c.key for c in soon] == [
        f"{THANH_PHO_ID}/bc-6-thang/2024-H1",
        f"{TINH_ID}/bc-6-thang/2024-H1",
    ]
    assert [c.obligation for c in after] == ["bc-nam", "bc-nam"]

    # an extension for one reporter moves the whole period's compilation
    task_id = _task_id(loaded_store, TINH_ID, "bc-6-thang", "so-vhtt", "2024-H1")
    with session_scope(loaded_store.engine) as s:
        extend(s, task_id=task_id, to=date(2024, 6, 21), reason="Chờ số liệu công an",
               clock=FixedClock(local("2024-06-10T09:00")))  # fmt: skip
    with session_scope(loaded_store.engine) as s:
        moved = engine.due_compilations(s, now=local("2024-06-11T00:00"), plan_id=TINH_ID)
    assert [(c.period, c.due_date, c.scheduled_at) for c in moved] == [
        ("2024-H1", date(2024, 6, 21), datetime(2024, 6, 21, 17, 30, tzinfo=UTC)),
        ("2024", date(2024, 12, 16), datetime(2024, 12, 16, 17, 30, tzinfo=UTC)),
    ]


def test_compile_after_deadline_compiles_and_tells_the_coordinator_once(
    loaded_store: FlowStore,
) -> None:
    _submit(loaded_store, "cong-an-tinh", "2024-06-12T10:00", {"A.1": 5, "A.2": 2})
    out_dir = loaded_store.data_dir / "compilations"
    clock = FixedClock(local("2024-06-18T00:30"))
    with session_scope(loaded_store.engine) as s:
        first = engine.compile_after_deadline(
            s, plan_id=TINH_ID, obligation="bc-6-thang", period="2024-H1", clock=clock,
            out_dir=out_dir,
        )  # fmt: skip
    row = first.as_row()
    assert {k: row[k] for k in ("compiled", "expected", "submitted", "on_time", "late",
                                "missing", "missing_units", "notices", "due_date")} == {
        "compiled": True, "expected": 3, "submitted": 1, "on_time": 1, "late": 0, "missing": 2,
        "missing_units": ["so-vhtt", "ubnd-huyen-b"], "notices": 1, "due_date": "2024-06-17",
    }  # fmt: skip
    assert first.missing_names == ("Sở Văn hóa, Thể thao và Du lịch", "UBND huyện B")
    assert sorted(p.rsplit(".", 1)[1] for p in first.files.values()) == ["docx", "json", "xlsx"]
    assert "1/3 đơn vị đã nộp (1 đúng hạn, 0 muộn), 2 chưa nộp" in first.summary()

    # the same result again: nothing new for the coordinator (safe to re-run after a crash)
    with session_scope(loaded_store.engine) as s:
        again = engine.compile_after_deadline(
            s, plan_id=TINH_ID, obligation="bc-6-thang", period="2024-H1", clock=clock,
            out_dir=out_dir,
        )  # fmt: skip
    assert again.notices == 0

    # the coordinator's message, rendered by the dispatcher into the sink
    with session_scope(loaded_store.engine) as s:
        report = dispatch(s, clock=FixedClock(local("2024-06-18T07:30")))
    assert report.sent == 1
    sink = get_settings().effective_sink_path.read_text(encoding="utf-8")
    assert "KẾT QUẢ TỔNG HỢP BÁO CÁO" in sink
    assert "Sở Văn hóa, Thể thao và Du lịch; UBND huyện B" in sink

    # a late report changes the result: a new notice
    _submit(loaded_store, "so-vhtt", "2024-06-19T15:00", {"A.1": 3, "A.2": 0})
    with session_scope(loaded_store.engine) as s:
        later = engine.compile_after_deadline(
            s, plan_id=TINH_ID, obligation="bc-6-thang", period="2024-H1",
            clock=FixedClock(local("2024-06-20T09:00")), out_dir=out_dir,
        )  # fmt: skip
    c = later.completeness
    assert (c.submitted, c.on_time, c.late, c.missing_units, later.notices) == (
        2, 1, 1, ("ubnd-huyen-b",), 1,
    )  # fmt: skip


def test_an_obligation_without_a_form_compiles_its_completeness(loaded_store: FlowStore) -> None:
    with session_scope(loaded_store.engine) as s:
        outcome = engine.compile_after_deadline(
            s, plan_id=TINH_ID, obligation="bc-nam", period="2024",
            clock=FixedClock(local("2024-12-17T00:30")), out_dir=loaded_store.data_dir,
        )  # fmt: skip
    assert (outcome.compiled, outcome.files, outcome.notices) == (False, {}, 1)
    assert outcome.completeness.missing_units == ("cong-an-tinh", "so-vhtt", "ubnd-huyen-b")
    assert "đã tổng hợp tình hình nộp, 0/3" in outcome.summary()


def test_periods_complete_before_their_deadline_are_compiled_at_once(
    loaded_store: FlowStore,
) -> None:
    for unit, at in (("cong-an-tinh", "2024-06-10T09:00"), ("so-vhtt", "2024-06-11T09:00")):
        _submit(loaded_store, unit, at, {"A.1": 1}, accept=False)
    now = local("2024-06-14T07:00")
    with session_scope(loaded_store.engine) as s:
        assert engine.complete_before_deadline(s, now=now) == []  # UBND huyện B missing
    _submit(loaded_store, "ubnd-huyen-b", "2024-06-13T16:00", {"A.1": 0}, accept=False)
    with session_scope(loaded_store.engine) as s:
        ready = engine.complete_before_deadline(s, now=now)
        assert [(c.key, c.due_date) for c in ready] == [
            (f"{TINH_ID}/bc-6-thang/2024-H1", date(2024, 6, 17))
        ]
        assert engine.complete_before_deadline(s, now=now, province="thanh-pho-thu") == []
        engine.compile_after_deadline(
            s, plan_id=TINH_ID, obligation="bc-6-thang", period="2024-H1",
            clock=FixedClock(now), out_dir=loaded_store.data_dir,
        )  # fmt: skip
    with session_scope(loaded_store.engine) as s:
        assert engine.complete_before_deadline(s, now=now) == []  # the coordinator knows


def test_compiling_something_unknown_says_what(loaded_store: FlowStore) -> None:
    clock = FixedClock(local("2024-06-18T00:30"))
    with session_scope(loaded_store.engine) as s:
        with pytest.raises(CompilationError, match="không có nhiệm vụ báo cáo 'bc-quy'"):
            engine.compile_after_deadline(
                s, plan_id=TINH_ID, obligation="bc-quy", period="2024-Q2", clock=clock,
                out_dir=loaded_store.data_dir,
            )  # fmt: skip
        with pytest.raises(CompilationError, match=r"không có nhiệm vụ nào .* kỳ 2023"):
            engine.compile_after_deadline(
                s, plan_id=TINH_ID, obligation="bc-nam", period="2023", clock=clock,
                out_dir=loaded_store.data_dir,
            )  # fmt: skip
