"""Submitting, reviewing, extending, excusing: checks before writes, versions, audit."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from store_helpers import TINY, TINY_ID, local

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.errors import AuthError, Conflict, NotFound, SubmissionRejected
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.submissions import (
    accepted_submission,
    audit_for,
    excuse,
    extend,
    review,
    submissions_of,
    submit,
)
from pcmd_workflow.services.tasks import task_status
from pcmd_workflow.settings import get_settings
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.models import audit_table, submissions_table, tasks_table


@pytest.fixture
def ids(engine: Engine, clock: FixedClock) -> dict[str, int]:
    with session_scope(engine) as session:
        load_plans(session, [TINY], clock=clock)
        rows = session.execute(select(tasks_table.c.key, tasks_table.c.task_id)).all()
    clock.set(local("2024-06-17T09:00:00"))
    return {key.removeprefix(f"{TINY_ID}/"): task_id for key, task_id in rows}


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        subs = session.execute(select(func.count()).select_from(submissions_table)).scalar_one()
        audits = session.execute(select(func.count()).select_from(audit_table)).scalar_one()
    return int(subs), int(audits)


def test_rejection_lists_every_problem_and_writes_nothing(
    engine: Engine, clock: FixedClock, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCMD_MAX_UPLOAD_BYTES", "64")
    from pcmd_workflow.settings import reset_settings

    reset_settings()
    before = _counts(engine)
    big = b"%PDF-1.4\n" + b"x" * 100
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(
            session,
            task_id=ids["quarterly/cong-an-tinh/2024-Q2"],
            values={
                "A.1": -1,
                "A.1.1": 5,
                "A.1.2": "nhiều",
                "A.2": 101,
                "A.3": "chưa rõ",
                "A.4": float("inf"),
                "B.9": 1,
            },
            file=big,
            file_name="bao-cao.pdf",
            clock=clock,
        )
    assert caught.value.problems == [
        "A.1: số liệu không được âm, nhận -1",
        "A.1.2: 'nhiều' không phải là số",
        "A.2: tỷ lệ phần trăm phải trong khoảng 0–100, nhận 101",
        "A.3: phải là «có» hoặc «không» (yes/no), nhận 'chưa rõ'",
        "A.4: giá trị inf không hữu hạn (NaN hoặc vô cực)",
        "B.9: không có dòng này trong biểu mẫu «bieu-quy»",
        "bao-cao.pdf: tệp 109 byte vượt giới hạn 64 byte",
    ]
    assert _counts(engine) == before
    assert not (get_settings().data_dir / "submissions").exists()


def test_of_which_above_parent_is_rejected(
    engine: Engine, clock: FixedClock, ids: dict[str, int]
) -> None:
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(
            session,
            task_id=ids["quarterly/cong-an-tinh/2024-Q2"],
            values={"A.1": 3, "A.1.1": 4},
            clock=clock,
        )
    assert caught.value.problems == ["A.1.1: «Trong đó» (4) lớn hơn dòng A.1 (3)"]


def test_files_are_stored_by_content_never_by_name(
    engine: Engine, clock: FixedClock, ids: dict[str, int], tmp_path: Path
) -> None:
    data = b"%PDF-1.7\nreport"
    with session_scope(engine) as session:
        receipt = submit(
            session,
            task_id=ids["annual/ubnd-huyen-a/2024"],
            file=data,
            file_name="../../../etc/passwd.pdf",
            clock=clock,
            by="Nguyễn Văn A",
            channel="portal",
        )
    assert receipt.file_name == "passwd.pdf"
    assert receipt.receipt_no == f"PCMD-20240617-{ids['annual/ubnd-huyen-a/2024']}-1"
    with Session(engine) as session:
        (sub,) = submissions_of(session, ids["annual/ubnd-huyen-a/2024"])
    data_dir = get_settings().data_dir
    stored = (data_dir / sub.file_path).resolve()
    assert stored.is_relative_to(data_dir.resolve())
    assert stored.read_bytes() == data
    assert stored.name == f"{sub.checksum}.pdf"
    assert (sub.submitted_by, sub.channel, sub.file_size) == ("Nguyễn Văn A", "portal", len(data))


def test_file_checks(
    engine: Engine, clock: FixedClock, ids: dict[str, int], tmp_path: Path
) -> None:
    fake = tmp_path / "bao-cao.xlsx"
    fake.write_bytes(b"not a zip")
    exe = tmp_path / "virus.exe"
    exe.write_bytes(b"MZ")
    task = ids["annual/ubnd-huyen-a/2024"]
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(session, task_id=task, file=fake, clock=clock)
    assert caught.value.problems == ["bao-cao.xlsx: nội dung không phải tệp .xlsx hợp lệ"]
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(session, task_id=task, file=exe, clock=clock)
    assert caught.value.problems == [
        "virus.exe: loại tệp «.exe» không được nhận; chỉ nhận .docx, .pdf, .xlsx"
    ]
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(session, task_id=task, file=tmp_path / "missing.pdf", clock=clock)
    assert caught.value.problems == ["missing.pdf: không tìm thấy tệp"]
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(session, task_id=task, clock=clock)
    assert caught.value.problems == ["cần số liệu (--values) hoặc tệp báo cáo (--file)"]
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(
            session,
            task_id=task,
            file=b"%PDF-",
            file_name="a.pdf",
            at=local("2024-06-18T09:00:00"),
            clock=clock,
        )
    assert caught.value.problems == ["thời điểm nhận 2024-06-18T09:00:00+07:00 ở tương lai"]


def test_values_file_problems_and_notices(
    engine: Engine, clock: FixedClock, ids: dict[str, int], tmp_path: Path
) -> None:
    good = tmp_path / "so-lieu.yaml"
    good.write_text("values:\n  A.1: 4\n  A.1.1: 4\nunmapped:\n  ghi chu: 2\n", encoding="utf-8")
    with session_scope(engine) as session:
        receipt = submit(
            session, task_id=ids["quarterly/ubnd-huyen-a/2024-Q2"], values_file=good, clock=clock
        )
    assert receipt.notices == [
        "bỏ qua 1 số liệu trong «unmapped» (không khớp dòng nào của biểu mẫu, không được tính)"
    ]
    assert receipt.warnings == []  # A.1.2 not given: the partition is not checked
    broken = tmp_path / "hong.json"
    broken.write_text('{"values": {"A.1": 4,,}}', encoding="utf-8")
    with pytest.raises(SubmissionRejected) as caught, session_scope(engine) as session:
        submit(
            session, task_id=ids["quarterly/ubnd-huyen-a/2024-Q2"], values_file=broken, clock=clock
        )
    assert caught.value.problems == ["hong.json:1: tệp không đúng cú pháp JSON/YAML"]


def test_unknown_task_and_other_unit(
    engine: Engine, clock: FixedClock, ids: dict[str, int]
) -> None:
    with pytest.raises(NotFound, match="không có nhiệm vụ số 999999"), session_scope(engine) as s:
        submit(s, task_id=999999, values={"A.1": 1}, clock=clock)
    foreign = pytest.raises(AuthError, match="không thuộc đơn vị «ubnd-huyen-b»")
    with foreign, session_scope(engine) as s:
        submit(
            s,
            task_id=ids["quarterly/ubnd-huyen-a/2024-Q2"],
            values={"A.1": 1},
            clock=clock,
            unit="ubnd-huyen-b",
            channel="portal",
        )
    assert _counts(engine)[0] == 0


def test_simultaneous_submissions_are_all_recorded(
    engine: Engine, clock: FixedClock, ids: dict[str, int]
) -> None:
    task = ids["quarterly/ubnd-huyen-b/2024-Q2"]
    workers = 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            barrier.wait()
            with session_scope(engine) as session:
                submit(session, task_id=task, values={"A.1": n}, clock=clock, by=f"w{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with Session(engine) as session:
        subs = submissions_of(session, task)
    assert [s.version for s in subs] == [1, 2, 3, 4]
    assert sorted(s.submitted_by for s in subs) == ["w0", "w1", "w2", "w3"]
    assert sorted(s.values["A.1"] for s in subs if s.values) == [0, 1, 2, 3]


def test_review_cycle_and_audit(engine: Engine, clock: FixedClock, ids: dict[str, int]) -> None:
    task = ids["quarterly/cong-an-tinh/2024-Q2"]
    with pytest.raises(Conflict, match="chưa có báo cáo"), session_scope(engine) as s:
        review(s, task_id=task, accept=True, clock=clock)
    with session_scope(engine) as s:
        submit(s, task_id=task, values={"A.1": 1}, clock=clock, by="ca")
    clock.set(local("2024-06-18T08:00:00"))
    with pytest.raises(Conflict, match="cần nêu lý do"), session_scope(engine) as s:
        review(s, task_id=task, accept=False, reason=" ", clock=clock)
    with session_scope(engine) as s:
        view = review(
            s, task_id=task, accept=False, reason="Sai số liệu", to=date(2024, 6, 28), clock=clock
        )
    assert (str(view.status), view.due_date) == ("returned", date(2024, 6, 28))
    with pytest.raises(Conflict, match="đã được trả lại"), session_scope(engine) as s:
        review(s, task_id=task, accept=True, clock=clock)
    with pytest.raises(Conflict, match="đã nộp báo cáo; không miễn"), session_scope(engine) as s:
        excuse(s, task_id=task, reason="x", clock=clock)
    # the corrected version's due date can be extended
    with session_scope(engine) as s:
        view = extend(s, task_id=task, to=date(2024, 7, 2), reason="Chờ thanh tra", clock=clock)
    assert (str(view.status), view.due_date) == ("returned", date(2024, 7, 2))
    clock.set(local("2024-07-01T10:00:00"))
    with session_scope(engine) as s:
        submit(s, task_id=task, values={"A.1": 2}, clock=clock, by="ca")
    clock.set(local("2024-07-02T10:00:00"))
    with session_scope(engine) as s:
        view = review(s, task_id=task, accept=True, clock=clock, by="so-y-te")
        accepted = accepted_submission(s, task)
    assert (str(view.status), str(view.review), view.versions) == (
        "submitted_on_time",
        "accepted",
        2,
    )
    assert accepted is not None and accepted.version == 2 and accepted.values == {"A.1": 2}
    with pytest.raises(Conflict, match="đã nộp báo cáo; không gia hạn"), session_scope(engine) as s:
        extend(s, task_id=task, to=date(2024, 8, 1), reason="x", clock=clock)
    with Session(engine) as s:
        trail = [(e.entity, e.action, e.actor) for e in audit_for(s, task_id=task)]
    assert trail == [
        ("task", "create", "pcmd plan load"),
        ("submission", "submit", "ca"),
        ("submission", "return", "pcmd"),
        ("task", "extend", "pcmd"),
        ("submission", "submit", "ca"),
        ("submission", "accept", "so-y-te"),
    ]


def test_extend_and_excuse_rules(engine: Engine, clock: FixedClock, ids: dict[str, int]) -> None:
    task = ids["monthly/cong-an-tinh/2024-06"]
    with pytest.raises(Conflict, match="phải sau hạn hiện tại"), session_scope(engine) as s:
        extend(s, task_id=task, to=date(2024, 6, 18), reason="x", clock=clock)
    with session_scope(engine) as s:
        view = extend(s, task_id=task, to=date(2024, 6, 28), reason="Lũ lụt", clock=clock)
    assert view.due_date == date(2024, 6, 28)
    with Session(engine) as s:
        row = s.execute(select(tasks_table).where(tasks_table.c.task_id == task)).mappings().one()
    assert (row["due_date"], row["original_due"]) == (date(2024, 6, 28), date(2024, 6, 18))
    with session_scope(engine) as s:
        view = excuse(s, task_id=task, reason="Không phát sinh", clock=clock)
    assert str(view.status) == "excused"
    with pytest.raises(Conflict, match="đã được miễn"), session_scope(engine) as s:
        excuse(s, task_id=task, reason="again", clock=clock)
    with pytest.raises(Conflict, match="đã được miễn"), session_scope(engine) as s:
        submit(s, task_id=task, values={"x": 1}, clock=clock)
    with pytest.raises(Conflict, match="miễn hoặc đã hủy"), session_scope(engine) as s:
        extend(s, task_id=task, to=date(2024, 7, 28), reason="x", clock=clock)
    with Session(engine) as s:
        assert str(task_status(s, task, as_of=date(2024, 7, 1)).status) == "excused"
