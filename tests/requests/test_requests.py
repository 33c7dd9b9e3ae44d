"""Ad-hoc and flash requests: tasks per reporter, request ids, deadlines, refusals, statuses.

Expected dates are worked out by hand on the 2024 calendar: 18/06/2024 is a Tuesday;
22–23/06 a weekend; 27/04–01/05/2024 five days off in a row (weekend, 29/04 swapped for
Saturday 04/05 by Công văn 2450/VPCP-KGVX, 30/4 and 1/5).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from requests_support import PLAN, PLAN_ID, PLAN_V2, local
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.errors import CalendarError, Conflict, NotFound, PcmdError
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.requests import issue_request
from pcmd_workflow.services.submissions import audit_for, submit
from pcmd_workflow.services.tasks import TaskView, list_tasks
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import audit_table, tasks_table


def _request(engine: Engine, clock: FixedClock, **kwargs: Any) -> list[TaskView]:
    kwargs.setdefault("plan_id", PLAN_ID)
    kwargs.setdefault("reason", "Công văn 123/SLĐTBXH-PCTNXH ngày 18/6/2024")
    kwargs.setdefault("by", "dau-moi")
    with session_scope(engine) as session:
        return issue_request(session, clock=clock, **kwargs)


def _short(view: TaskView) -> tuple[Any, ...]:
    return (view.key.removeprefix(PLAN_ID + "/"), view.due_date, view.moved_because)


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        tasks = session.execute(select(func.count()).select_from(tasks_table)).scalar_one()
        audits = session.execute(select(func.count()).select_from(audit_table)).scalar_one()
    return int(tasks), int(audits)


def test_flash_request_is_due_24_hours_after_it(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T14:35:00"))
    (task,) = _request(engine, clock, obligation="flash-vu-an", at=local("2024-06-18T14:30:00"))
    row = task.as_row()
    assert {k: row[k] for k in row if k not in ("task_id",)} == {
        "key": f"{PLAN_ID}/flash-vu-an/cong-an-tinh/adhoc-20240618-1",
        "plan": PLAN_ID,
        "obligation": "flash-vu-an",
        "reporter": "cong-an-tinh",
        "period": "adhoc-20240618-1",
        "due_date": "2024-06-19",
        "status": "due_soon",
        "submitted_at": None,
        "days_late": 0,
        "review": None,
        "nominal_due": "2024-06-19",
        "original_due": "2024-06-19",
        "due_at": "2024-06-19T14:30:00+07:00",
        "moved_because": None,
        "source": "default",
        "cadence": "flash",
        "province": "thu-nghiem",
        "cutoff_start": "2024-06-18",
        "cutoff_end": "2024-06-18",
        "last_submitted_at": None,
        "versions": 0,
        "clause": (
            "Công an tỉnh báo cáo nhanh kết quả triệt xóa các vụ án mại dâm về Sở Lao động - "
            "Thương binh và Xã hội."
        ),
        "cancelled": False,
    }
    assert task.rule == "within 24 hours"


def test_flash_status_follows_the_instant(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T14:30:00"))
    (task,) = _request(engine, clock, obligation="flash-vu-an")

    def status(at: str) -> tuple[str, int]:
        with Session(engine) as session:
            (view,) = list_tasks(session, as_of=local(at), task_ids=[task.task_id])
        return str(view.status), view.days_late

    assert status("2024-06-19T07:00:00") == ("due_today", 0)
    assert status("2024-06-19T14:30:00") == ("due_today", 0)
    assert status("2024-06-19T14:30:01") == ("overdue", 0)
    assert status("2024-06-20T08:00:00") == ("overdue", 1)

    # received exactly at due_at: on time; a second later (another request): late
    clock.set(local("2024-06-19T14:30:00"))
    with session_scope(engine) as session:
        submit(
            session,
            task_id=task.task_id,
            clock=clock,
            file=b"%PDF-1.4\nbao cao nhanh\n",
            file_name="bao-cao-nhanh.pdf",
            by="cong-an-tinh",
        )
    assert status("2024-06-20T08:00:00") == ("submitted_on_time", 0)

    clock.set(local("2024-06-18T16:00:00"))
    (second,) = _request(engine, clock, obligation="flash-vu-an")
    assert second.period == "adhoc-20240618-2"
    assert second.due_at == datetime(2024, 6, 19, 9, 0, tzinfo=UTC)
    clock.set(local("2024-06-19T16:00:01"))
    with session_scope(engine) as session:
        submit(
            session,
            task_id=second.task_id,
            clock=clock,
            file=b"%PDF-1.4\nbao cao nhanh\n",
            file_name="bao-cao-nhanh.pdf",
            by="cong-an-tinh",
        )
    with Session(engine) as session:
        (view,) = list_tasks(session, as_of=local("2024-06-19T17:00:00"), task_ids=[second.task_id])
    assert (str(view.status), view.days_late) == ("submitted_late", 0)


def test_flash_request_with_its_own_delay(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-21T20:00:00"))
    (task,) = _request(
        engine,
        clock,
        obligation="flash-vu-an",
        due_at=local("2024-06-22T08:00:00"),
    )
    assert (task.due_date, task.due_at, task.source, task.rule, task.moved_because) == (
        date(2024, 6, 22),
        datetime(2024, 6, 22, 1, 0, tzinfo=UTC),
        "plan",
        "within 12 hours",
        None,  # an instant is not moved by the weekend: the hours run from the request
    )


def test_adhoc_request_over_a_weekend_goes_to_the_districts_of_the_day(
    engine: Engine, clock: FixedClock
) -> None:
    clock.set(local("2024-06-18T10:00:00"))
    tasks = _request(engine, clock, obligation="adhoc-huyen", due=date(2024, 6, 22))
    weekend = "22/06/2024 là Thứ Bảy, 23/06/2024 là Chủ nhật"
    assert [_short(t) for t in tasks] == [
        ("adhoc-huyen/ubnd-huyen-a/adhoc-20240618-1", date(2024, 6, 24), weekend),
        ("adhoc-huyen/ubnd-huyen-b/adhoc-20240618-1", date(2024, 6, 24), weekend),
    ]
    assert {(t.nominal_due, t.due_at, t.source, t.rule, str(t.status)) for t in tasks} == {
        (date(2024, 6, 22), None, "plan", "fixed 2024-06-22", "due_soon")
    }

    # a second request the same day is -2; another duty counts its own requests
    again = _request(
        engine, clock, obligation="adhoc-huyen", due=date(2024, 6, 20), reporters=["ubnd-huyen-b"]
    )
    assert [_short(t) for t in again] == [
        ("adhoc-huyen/ubnd-huyen-b/adhoc-20240618-2", date(2024, 6, 20), None)
    ]
    police = _request(engine, clock, obligation="adhoc-cong-an", due=date(2024, 6, 18))
    assert [(_short(t), str(t.status)) for t in police] == [
        (("adhoc-cong-an/cong-an-tinh/adhoc-20240618-1", date(2024, 6, 18), None), "due_today")
    ]

    # in July huyện B has ended and huyện C has started
    clock.set(local("2024-07-02T09:00:00"))
    july = _request(engine, clock, obligation="adhoc-huyen", due=date(2024, 7, 5))
    assert [_short(t) for t in july] == [
        ("adhoc-huyen/ubnd-huyen-a/adhoc-20240702-1", date(2024, 7, 5), None),
        ("adhoc-huyen/ubnd-huyen-c/adhoc-20240702-1", date(2024, 7, 5), None),
    ]


def test_adhoc_due_dates_follow_the_day_off_policy(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-04-25T09:00:00"))
    (long_run,) = _request(
        engine, clock, obligation="adhoc-huyen", due=date(2024, 4, 27), reporters=["ubnd-huyen-a"]
    )
    assert _short(long_run) == (
        "adhoc-huyen/ubnd-huyen-a/adhoc-20240425-1",
        date(2024, 5, 2),
        "27/04/2024 là Thứ Bảy, 28/04/2024 là Chủ nhật, 29/04/2024 là Ngày nghỉ hoán đổi "
        "(làm bù Thứ Bảy 04/05/2024); 5 ngày nghỉ liên tiếp từ 27/04/2024 đến 01/05/2024",
    )
    # the police duty moves its deadline back to the working day before
    clock.set(local("2024-06-18T10:00:00"))
    (police,) = _request(engine, clock, obligation="adhoc-cong-an", due=date(2024, 6, 22))
    assert _short(police) == (
        "adhoc-cong-an/cong-an-tinh/adhoc-20240618-1",
        date(2024, 6, 21),
        "22/06/2024 là Thứ Bảy",
    )


def test_request_writes_an_audit_row_per_task(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T10:05:00"))
    tasks = _request(
        engine,
        clock,
        obligation="adhoc-huyen",
        due=date(2024, 6, 22),
        at=local("2024-06-18T10:00:00"),
        reason="  Công văn 123/SLĐTBXH-PCTNXH  ",
    )
    with Session(engine) as session:
        trails = [audit_for(session, task_id=t.task_id) for t in tasks]
    assert [[(e.actor, e.entity, e.action) for e in trail] for trail in trails] == [
        [("dau-moi", "task", "request")],
        [("dau-moi", "task", "request")],
    ]
    entry = trails[0][0]
    assert entry.entity_id == f"{PLAN_ID}/adhoc-huyen/ubnd-huyen-a/adhoc-20240618-1"
    assert entry.at == datetime(2024, 6, 18, 3, 5, tzinfo=UTC)
    assert entry.after == {
        "request_id": "20240618-1",
        "period": "adhoc-20240618-1",
        "requested_at": "2024-06-18T10:00:00+07:00",
        "reason": "Công văn 123/SLĐTBXH-PCTNXH",
        "reporters": ["ubnd-huyen-a", "ubnd-huyen-b"],
        "nominal_due": "2024-06-22",
        "due_date": "2024-06-24",
        "due_at": None,
        "moved_because": "22/06/2024 là Thứ Bảy, 23/06/2024 là Chủ nhật",
        "source": "plan",
        "rule": "fixed 2024-06-22",
    }


def test_reporters_given_twice_count_once(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T10:00:00"))
    tasks = _request(
        engine,
        clock,
        obligation="adhoc-huyen",
        due=date(2024, 6, 21),
        reporters=["ubnd-huyen-b", "ubnd-huyen-a", "ubnd-huyen-b"],
    )
    assert [t.reporter for t in tasks] == ["ubnd-huyen-a", "ubnd-huyen-b"]


REFUSALS: list[tuple[dict[str, Any], type[PcmdError], str]] = [
    (
        {"obligation": "monthly", "due": date(2024, 6, 21)},
        Conflict,
        f"{PLAN_ID}/monthly là nghĩa vụ định kỳ (monthly): nhiệm vụ lấy từ kế hoạch; chỉ yêu cầu "
        "được nghĩa vụ adhoc (đột xuất) hoặc flash (báo cáo nhanh)",
    ),
    (
        {"plan_id": "khong-co-kh-2024", "obligation": "adhoc-huyen", "due": date(2024, 6, 21)},
        NotFound,
        "kế hoạch «khong-co-kh-2024» chưa được nạp; chạy `pcmd plan load FILE`",
    ),
    (
        {"obligation": "adhoc-xa", "due": date(2024, 6, 21)},
        NotFound,
        f"kế hoạch {PLAN_ID} không có nghĩa vụ «adhoc-xa»; các nghĩa vụ đột xuất và báo cáo "
        "nhanh: flash-vu-an, adhoc-huyen, adhoc-cong-an",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2024, 6, 21), "reporters": ["so-y-te"]},
        NotFound,
        "--reporter so-y-te: đơn vị không có trong kế hoạch nhưng không phải đơn vị báo cáo của "
        "adhoc-huyen ngày 2024-06-18; cần một trong: ubnd-huyen-a, ubnd-huyen-b",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2024, 6, 21), "reporters": ["ubnd-huyen-c"]},
        NotFound,
        "--reporter ubnd-huyen-c: đơn vị có trong kế hoạch nhưng không phải đơn vị báo cáo của "
        "adhoc-huyen ngày 2024-06-18; cần một trong: ubnd-huyen-a, ubnd-huyen-b",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2024, 6, 17)},
        CalendarError,
        "--due 2024-06-17: hạn nộp đã qua, trước ngày yêu cầu 2024-06-18; cần từ ngày yêu cầu "
        "trở đi",
    ),
    (
        {"obligation": "adhoc-huyen"},
        CalendarError,
        "adhoc-huyen: yêu cầu báo cáo đột xuất cần hạn nộp (--due YYYY-MM-DD)",
    ),
    (
        {"obligation": "adhoc-huyen", "due_at": local("2024-06-19T10:00:00")},
        CalendarError,
        "adhoc-huyen: báo cáo đột xuất có hạn là một ngày, không phải một thời điểm; "
        "dùng --due YYYY-MM-DD",
    ),
    (
        {"obligation": "flash-vu-an", "due": date(2024, 6, 19)},
        CalendarError,
        "flash-vu-an: báo cáo nhanh có hạn là một thời điểm, không phải một ngày; dùng "
        "--within-hours N (mặc định 24 giờ sau khi yêu cầu)",
    ),
    (
        {"obligation": "flash-vu-an", "due_at": local("2024-06-18T10:00:00")},
        CalendarError,
        "hạn nộp 2024-06-18T10:00:00+07:00 không sau thời điểm yêu cầu (2024-06-18T10:00:00+07:00)",
    ),
    (
        {"obligation": "flash-vu-an", "due_at": local("2024-07-18T10:00:01")},
        CalendarError,
        "báo cáo nhanh phải có hạn trong vòng 720 giờ sau khi yêu cầu; hạn dài hơn thì dùng "
        "nhiệm vụ báo cáo đột xuất",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2024, 6, 21), "reason": "   "},
        PcmdError,
        "yêu cầu báo cáo cần nêu lý do hoặc số văn bản yêu cầu (--reason TEXT)",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2024, 6, 21), "at": local("2024-06-18T10:06")},
        CalendarError,
        "--at 2024-06-18T10:06:00+07:00: thời điểm yêu cầu ở tương lai; yêu cầu chỉ được ghi "
        "khi đã ban hành",
    ),
    (
        {"obligation": "adhoc-huyen", "due": date(2025, 1, 6), "at": local("2024-01-04T10:00")},
        Conflict,
        f"{PLAN_ID}/adhoc-huyen: ngày yêu cầu 2024-01-04 nằm ngoài thời gian hiệu lực của "
        "nhiệm vụ (2024-01-05 – 2024-12-31)",
    ),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), REFUSALS)
def test_refused_requests_write_nothing(
    engine: Engine,
    clock: FixedClock,
    kwargs: dict[str, Any],
    error: type[PcmdError],
    message: str,
) -> None:
    clock.set(local("2024-06-18T10:00:00"))
    before = _counts(engine)
    with pytest.raises(error) as caught:
        _request(engine, clock, **kwargs)
    assert str(caught.value) == message
    assert _counts(engine) == before


def test_previous_working_day_before_the_request_is_refused(
    engine: Engine, clock: FixedClock
) -> None:
    clock.set(local("2024-06-22T09:00:00"))  # a Saturday
    with pytest.raises(CalendarError) as caught:
        _request(engine, clock, obligation="adhoc-cong-an", due=date(2024, 6, 23))
    assert str(caught.value) == (
        "--due 2024-06-23: 23/06/2024 là Chủ nhật, 22/06/2024 là Thứ Bảy; theo quy tắc "
        "previous_working_day hạn lùi về 2024-06-21, trước ngày yêu cầu 2024-06-22; cần hạn "
        "muộn hơn"
    )


def test_reloading_the_plan_keeps_request_tasks(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T10:00:00"))
    districts = _request(engine, clock, obligation="adhoc-huyen", due=date(2024, 6, 21))
    (police,) = _request(engine, clock, obligation="adhoc-cong-an", due=date(2024, 6, 21))
    ids = [t.task_id for t in [*districts, police]]

    with session_scope(engine) as session:
        (report,) = load_plans(session, [PLAN], clock=clock)
    assert (report.new_version, report.cancelled, report.created) == (False, 0, 0)

    # the revision drops the districts' ad-hoc duty: its pending requests are cancelled
    with session_scope(engine) as session:
        (report,) = load_plans(session, [PLAN_V2], clock=clock)
    assert (report.new_version, report.cancelled) == (True, 2)
    with Session(engine) as session:
        views = list_tasks(
            session, as_of=local("2024-06-18T11:00:00"), task_ids=ids, include_cancelled=True
        )
    assert sorted((v.obligation, v.reporter, v.cancelled) for v in views) == [
        ("adhoc-cong-an", "cong-an-tinh", False),
        ("adhoc-huyen", "ubnd-huyen-a", True),
        ("adhoc-huyen", "ubnd-huyen-b", True),
    ]


def test_simultaneous_requests_get_consecutive_ids(engine: Engine, clock: FixedClock) -> None:
    clock.set(local("2024-06-18T10:00:00"))
    barrier = threading.Barrier(3)
    periods: list[str] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            barrier.wait(timeout=10)
            tasks = _request(engine, clock, obligation="flash-vu-an")
            periods.extend(t.period for t in tasks)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(periods) == ["adhoc-20240618-1", "adhoc-20240618-2", "adhoc-20240618-3"]
