"""``pcmd request`` as a coordinator runs it, on both engines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from requests_support import PLAN_ID
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from pcmd_workflow.cli import main
from pcmd_workflow.store.models import tasks_table


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _tasks(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(tasks_table)).scalar_one())


def test_adhoc_request_prints_its_tasks(
    use_database: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "request",
        "--plan",
        PLAN_ID,
        "--obligation",
        "adhoc-huyen",
        "--due",
        "2024-06-22",
        "--reason",
        "Công văn 123/SLĐTBXH-PCTNXH",
        "--by",
        "dau-moi",
        "--at",
        "2024-06-18T10:00",
        "--format",
        "json",
    )
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    assert [
        {k: r[k] for k in ("key", "due_date", "nominal_due", "moved_because", "due_at", "source")}
        for r in rows
    ] == [
        {
            "key": f"{PLAN_ID}/adhoc-huyen/{unit}/adhoc-20240618-1",
            "due_date": "2024-06-24",
            "nominal_due": "2024-06-22",
            "moved_because": "22/06/2024 là Thứ Bảy, 23/06/2024 là Chủ nhật",
            "due_at": None,
            "source": "plan",
        }
        for unit in ("ubnd-huyen-a", "ubnd-huyen-b")
    ]
    # statuses are those of now: the deadline of June 2024 has passed
    assert {r["status"] for r in rows} == {"overdue"}


def test_flash_request_within_hours_as_a_table(
    use_database: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "request",
        "--plan",
        PLAN_ID,
        "--obligation",
        "flash-vu-an",
        "--within-hours",
        "6",
        "--reporter",
        "cong-an-tinh",
        "--reason",
        "Vụ án ngày 18/6",
        "--at",
        "2024-06-18T20:15:00+07:00",
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "task_id",
        "key",
        "reporter",
        "period",
        "due_date",
        "due_at",
        "moved_because",
        "status",
    ]
    assert lines[1].split()[1:] == [
        f"{PLAN_ID}/flash-vu-an/cong-an-tinh/adhoc-20240618-1",
        "cong-an-tinh",
        "adhoc-20240618-1",
        "2024-06-19",
        "2024-06-19T02:15:00+07:00",
        "overdue",
    ]
    assert len(lines) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--obligation", "adhoc-huyen", "--due", "2024-06-22", "--within-hours", "4"],
            "pcmd: error: request: give --due DATE (đột xuất) or --within-hours N (báo cáo nhanh)",
        ),
        (
            ["--obligation", "flash-vu-an", "--within-hours", "0"],
            "pcmd: error: --within-hours 0: cần từ 1 đến 720 giờ",
        ),
        (
            ["--obligation", "adhoc-huyen", "--due", "22/06/2024"],
            "pcmd: error: --due: '22/06/2024' is not a date; expected YYYY-MM-DD",
        ),
        (
            ["--obligation", "adhoc-huyen", "--due", "2024-06-22", "--at", "hôm qua"],
            "pcmd: error: --at: 'hôm qua' is not an instant; expected "
            "YYYY-MM-DDTHH:MM[:SS][+07:00]",
        ),
        (
            ["--obligation", "monthly", "--due", "2024-06-22"],
            f"pcmd: error: {PLAN_ID}/monthly là nghĩa vụ định kỳ (monthly): nhiệm vụ lấy từ kế "
            "hoạch; chỉ yêu cầu được nghĩa vụ adhoc (đột xuất) hoặc flash (báo cáo nhanh)",
        ),
        (
            ["--obligation", "adhoc-huyen", "--due", "2024-06-22", "--reporter", "cong-an-tinh"],
            "pcmd: error: --reporter cong-an-tinh: đơn vị có trong kế hoạch nhưng không phải đơn "
            "vị báo cáo của adhoc-huyen ngày 2024-06-18; cần một trong: ubnd-huyen-a, "
            "ubnd-huyen-b",
        ),
    ],
)
def test_bad_requests_exit_2_with_one_line(
    use_database: str,
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    before = _tasks(engine)
    code, out, err = run(
        capsys,
        "request",
        "--plan",
        PLAN_ID,
        "--reason",
        "Công văn 123",
        "--at",
        "2024-06-18T10:00",
        *args,
    )
    assert (code, out, err) == (2, "", message + "\n")
    assert _tasks(engine) == before
