"""The sweep on the mini plan: rungs, audiences, idempotency, cancellation and restart.

Dates (2024): bc-6-thang is due Monday 17/06 (T-7 06/06, T-2 13/06, T+1 18/06, T+3 20/06,
T+7 26/06); bc-chuyen-de is due Tuesday 18/06 (T-7 07/06, T-2 14/06, T+1 19/06, T+3 21/06).
"""

from __future__ import annotations

from datetime import date

from notify_support import (
    CONG_AN,
    COORDINATOR,
    MTTQ,
    PLAN_ID,
    SO_Y_TE,
    SO_Y_TE_HEAD,
    VP_UBND,
    Store,
    local,
)

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.submissions import excuse, extend, review, submit
from pcmd_workflow.store.db import session_scope

MAILTO = "mailto://127.0.0.1:2525?from=pcmd@mau.gov.vn&mode=insecure"


def _planned(report) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(
        (p.kind, p.reporter or "", p.rung or "", p.audience, p.channel, p.recipient)
        for p in report.planned
    )


def test_t_minus_2_reminds_each_unit_on_its_own_channels(store: Store) -> None:
    store.configure(email_url=MAILTO)
    report = store.sweep(date(2024, 6, 13))
    assert _planned(report) == [
        ("missing_contacts", "", "", "coordinator", "email", COORDINATOR),
        ("reminder", "cong-an-tinh", "T-2", "unit", "email", CONG_AN),
        ("reminder", "mttq-tinh", "T-2", "unit", "email", MTTQ),
        ("reminder", "so-y-te", "T-2", "unit", "email", SO_Y_TE),
        ("reminder", "so-y-te", "T-7", "unit", "email", SO_Y_TE),  # bc-chuyen-de, due 18/06
        ("reminder", "tinh-doan", "T-7", "unit", "sink", "sink:tinh-doan"),  # no Zalo set up
        ("reminder", "ubnd-huyen-a", "T-2", "unit", "sink", "sink:ubnd-huyen-a"),
    ]
    assert report.inserted == 7
    row = next(p for p in report.planned if p.reporter == "so-y-te" and p.rung == "T-2")
    assert row.as_row() == {
        "task_id": store.task_id("bc-6-thang", "so-y-te"),
        "reporter": "so-y-te",
        "rung": "T-2",
        "channel": "email",
        "recipient": SO_Y_TE,
        "reason": (
            "Nhắc hạn nộp báo cáo (mốc T-2, trước hạn 2 ngày làm việc, thang nhắc "
            "«national-default»): Báo cáo 6 tháng đầu năm 2024, kỳ 2024-H1, của Sở Y tế, "
            "hạn nộp Thứ Hai, 17/06/2024"
        ),
        "send_after": "2024-06-13T07:30:00+07:00",
    }
    assert row.reason == (
        f"T-2 of ladder national-default: {PLAN_ID}/bc-6-thang/so-y-te/2024-H1 due 2024-06-17 "
        "(rung day 2024-06-13)"
    )
    missing = next(p for p in report.planned if p.kind == "missing_contacts")
    assert missing.payload["units"] == [
        {
            "slug": "tinh-doan",
            "name": "Tỉnh đoàn Mẫu",
            "why": "chỉ có liên hệ qua Zalo (tin tư vấn OA), Zalo ZNS (tin mẫu), kênh này chưa "
            "được cấu hình",
        },
        {"slug": "ubnd-huyen-a", "name": "UBND huyện A", "why": "chưa có thông tin liên hệ"},
    ]


def test_sweeping_twice_is_harmless(store: Store) -> None:
    store.configure(email_url=MAILTO)
    first = store.sweep(date(2024, 6, 13))
    second = store.sweep(date(2024, 6, 13))
    assert (first.inserted, second.inserted, second.cancelled) == (7, 0, 0)
    assert len(store.notices()) == 7
    assert _planned(first) == _planned(second)


def test_dry_run_writes_nothing(store: Store) -> None:
    report = store.sweep(date(2024, 6, 13), dry_run=True)
    assert len(report.planned) == 7 and report.inserted == 0
    assert store.notices() == []


def test_without_channels_every_unit_goes_to_the_sink_and_only_contactless_units_are_listed(
    store: Store,
) -> None:
    report = store.sweep(date(2024, 6, 13))
    assert {p.recipient for p in report.planned if p.kind == "reminder"} == {
        "sink:so-y-te",
        "sink:cong-an-tinh",
        "sink:mttq-tinh",
        "sink:tinh-doan",
        "sink:ubnd-huyen-a",
    }
    missing = next(p for p in report.planned if p.kind == "missing_contacts")
    assert missing.recipient == "sink:so-ldtbxh"
    assert [u["slug"] for u in missing.payload["units"]] == ["ubnd-huyen-a"]


def test_t_plus_3_escalates_to_heads_and_the_coordinator_but_never_a_requested_units_head(
    store: Store,
) -> None:
    store.configure(email_url=MAILTO)
    report = store.sweep(date(2024, 6, 20))
    task_rows = [r for r in _planned(report) if r[1]]
    assert task_rows == [
        ("escalation", "cong-an-tinh", "T+3", "coordinator", "email", COORDINATOR),
        ("escalation", "mttq-tinh", "T+3", "coordinator", "email", COORDINATOR),
        ("escalation", "so-y-te", "T+3", "coordinator", "email", COORDINATOR),
        ("escalation", "so-y-te", "T+3", "head", "email", SO_Y_TE_HEAD),
        ("escalation", "ubnd-huyen-a", "T+3", "coordinator", "email", COORDINATOR),
        ("overdue", "so-y-te", "T+1", "unit", "email", SO_Y_TE),  # bc-chuyen-de
        ("overdue", "tinh-doan", "T+1", "unit", "sink", "sink:tinh-doan"),
    ]
    digest = next(p for p in report.planned if p.kind == "coordinator_digest")
    assert digest.recipient == COORDINATOR
    assert digest.payload["overdue_count"] == 6 and digest.payload["due_today_count"] == 0
    assert [(i["unit"], i["days_late"]) for i in digest.payload["overdue"]] == [
        ("cong-an-tinh", 3),  # most days late first, then by name (Công, Sở, UBND, Ủy)
        ("so-y-te", 3),
        ("ubnd-huyen-a", 3),
        ("mttq-tinh", 3),
        ("so-y-te", 2),
        ("tinh-doan", 2),
    ]


def test_t_plus_7_goes_to_the_pc_office_and_requested_units_to_the_coordinator(
    store: Store,
) -> None:
    store.configure(email_url=MAILTO)
    report = store.sweep(date(2024, 6, 26))
    rows = [r for r in _planned(report) if r[2] == "T+7"]
    assert rows == [
        ("escalation_pc", "cong-an-tinh", "T+7", "pc_office", "email", VP_UBND),
        ("escalation_pc", "mttq-tinh", "T+7", "coordinator", "email", COORDINATOR),
        ("escalation_pc", "so-y-te", "T+7", "pc_office", "email", VP_UBND),
        ("escalation_pc", "ubnd-huyen-a", "T+7", "pc_office", "email", VP_UBND),
    ]
    assert not any(r[5] == "chutich@mttq.mau.org.vn" for r in _planned(report))


def test_a_later_rung_supersedes_waiting_notices(store: Store) -> None:
    store.configure(email_url=MAILTO)
    store.sweep(date(2024, 6, 13))
    report = store.sweep(date(2024, 6, 17))
    assert report.cancelled == 6  # four T-2 and two T-7 still waiting
    cancelled = store.notices(status="cancelled")
    assert {n.rung for n in cancelled} == {"T-2", "T-7"}
    assert {n.status_reason for n in cancelled} == {"đã có mốc nhắc mới hơn thay thế"}
    pending = store.notices(status="pending")
    assert sorted((n.unit or "", n.rung or "") for n in pending if n.task_id) == [
        ("cong-an-tinh", "T0"),
        ("mttq-tinh", "T0"),
        ("so-y-te", "T-2"),  # bc-chuyen-de: T-2 is 14/06, T0 is 18/06
        ("so-y-te", "T0"),
        ("tinh-doan", "T-2"),
        ("ubnd-huyen-a", "T0"),
    ]


def test_submission_and_excusal_cancel_and_stop_the_rungs(store: Store) -> None:
    store.configure(email_url=MAILTO)
    store.sweep(date(2024, 6, 13))
    so_y_te = store.task_id("bc-6-thang", "so-y-te")
    cong_an = store.task_id("bc-6-thang", "cong-an-tinh")
    with session_scope(store.engine) as session:
        submit(
            session,
            task_id=so_y_te,
            clock=FixedClock(local("2024-06-13 15:00")),
            file=b"%PDF-1.4 bao cao 6 thang",
            file_name="bao-cao.pdf",
            at=local("2024-06-13 15:00"),
        )
        excuse(
            session,
            task_id=cong_an,
            reason="Đã báo cáo chung với Bộ Công an",
            clock=FixedClock(local("2024-06-13 16:00")),
        )
    report = store.sweep(date(2024, 6, 14))
    by_task = {n.task_id: n for n in store.notices() if n.rung == "T-2"}
    assert by_task[so_y_te].status == "cancelled"
    assert by_task[so_y_te].status_reason == "đơn vị đã nộp báo cáo"
    assert by_task[cong_an].status == "cancelled"
    assert by_task[cong_an].status_reason == "đơn vị được miễn báo cáo"
    assert report.cancelled == 4  # and the two T-7 of bc-chuyen-de, superseded by T-2
    later = store.sweep(date(2024, 6, 20))
    assert not any(p.task_id in (so_y_te, cong_an) for p in later.planned)


def test_extension_cancels_the_old_cycle_and_restarts_from_the_new_date(store: Store) -> None:
    store.configure(email_url=MAILTO)
    task = store.task_id("bc-6-thang", "so-y-te")
    store.sweep(date(2024, 6, 17))
    with session_scope(store.engine) as session:
        extend(
            session,
            task_id=task,
            to=date(2024, 6, 28),
            reason="Chờ số liệu của Trung tâm Y tế",
            clock=FixedClock(local("2024-06-17 15:00")),
        )
    report = store.sweep(date(2024, 6, 18))
    old = [n for n in store.notices(task_id=task)]
    assert [(n.rung, n.due_date, n.status) for n in old] == [("T0", date(2024, 6, 17), "cancelled")]
    assert old[0].status_reason is not None and old[0].status_reason.startswith(
        "hạn nộp đã đổi sang Thứ Sáu, 28/06/2024"
    )
    assert not any(p.task_id == task for p in report.planned)  # T-7 of 28/06 is 19/06
    report = store.sweep(date(2024, 6, 19))
    mine = [p for p in report.planned if p.task_id == task]
    assert [(p.rung, p.due_date, p.recipient) for p in mine] == [
        ("T-7", date(2024, 6, 28), SO_Y_TE)
    ]


def test_a_returned_report_restarts_the_rungs_from_its_new_due_date(store: Store) -> None:
    store.configure(email_url=MAILTO)
    task = store.task_id("bc-6-thang", "so-y-te")
    with session_scope(store.engine) as session:
        submit(
            session,
            task_id=task,
            clock=FixedClock(local("2024-06-13 15:00")),
            file=b"%PDF-1.4 ban dau",
            file_name="bao-cao.pdf",
            at=local("2024-06-13 15:00"),
        )
    assert not any(p.task_id == task for p in store.sweep(date(2024, 6, 17)).planned)
    with session_scope(store.engine) as session:
        review(
            session,
            task_id=task,
            accept=False,
            reason="Thiếu số liệu biểu 2",
            clock=FixedClock(local("2024-06-20 09:00")),
            at=local("2024-06-20 09:00"),
        )
    # default: due three working days after the return (21, 24, 25/06); T-2 is 21/06
    report = store.sweep(date(2024, 6, 21))
    mine = [p for p in report.planned if p.task_id == task]
    assert [(p.rung, p.due_date, p.kind, p.recipient) for p in mine] == [
        ("T-2", date(2024, 6, 25), "reminder", SO_Y_TE)
    ]
    report = store.sweep(date(2024, 6, 26))
    mine = [p for p in report.planned if p.task_id == task]
    assert [(p.rung, p.audience) for p in mine] == [("T+1", "unit")]


def test_an_extension_far_ahead_still_cancels_the_old_cycle(store: Store) -> None:
    store.configure(email_url=MAILTO)
    task = store.task_id("bc-6-thang", "so-y-te")
    store.sweep(date(2024, 6, 17))
    with session_scope(store.engine) as session:
        extend(
            session,
            task_id=task,
            to=date(2024, 9, 30),
            reason="Chờ kết quả thanh tra",
            clock=FixedClock(local("2024-06-17 15:00")),
        )
    store.sweep(date(2024, 6, 18))
    assert [(n.rung, n.status) for n in store.notices(task_id=task)] == [("T0", "cancelled")]
