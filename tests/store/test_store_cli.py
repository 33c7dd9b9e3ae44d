"""The store commands end to end, through ``pcmd`` as a user runs it, on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from store_helpers import TINY, TINY_ID

from pcmd_workflow.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def values_file(tmp_path: Path) -> Path:
    path = tmp_path / "so-lieu.yaml"
    path.write_text(
        "values:\n  A.1: 5\n  A.1.1: 2\n  A.1.2: 3\n  A.3: có\nunmapped:\n  Số đối tượng: 7\n",
        encoding="utf-8",
    )
    return path


def test_store_commands_end_to_end(
    use_database: str, capsys: pytest.CaptureFixture[str], values_file: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and out.startswith("schema at revision ")

    (loaded,) = run_json(capsys, "plan", "load", str(TINY))
    assert (loaded["plan"], loaded["created"], loaded["new_version"]) == (TINY_ID, 29, True)
    (again,) = run_json(capsys, "plan", "load", str(TINY))
    assert (again["created"], again["new_version"], again["unchanged"]) == (0, False, 29)

    due = run_json(
        capsys, "tasks", "list", "--plan", TINY_ID, "--as-of", "2024-06-18", "--status", "due_today"
    )
    assert [r["key"].removeprefix(TINY_ID + "/") for r in due] == [
        "monthly/cong-an-tinh/2024-06",
        "quarterly/cong-an-tinh/2024-Q2",
        "quarterly/ubnd-huyen-a/2024-Q2",
        "quarterly/ubnd-huyen-b/2024-Q2",
    ]
    ids = {r["key"].removeprefix(TINY_ID + "/"): r["task_id"] for r in due}
    assert set(due[0]) >= {
        "task_id",
        "key",
        "plan",
        "obligation",
        "reporter",
        "period",
        "due_date",
        "status",
        "submitted_at",
        "days_late",
        "review",
        "nominal_due",
        "source",
    }

    receipt = run_json(
        capsys,
        "submit",
        "--task",
        str(ids["quarterly/ubnd-huyen-a/2024-Q2"]),
        "--values",
        str(values_file),
        "--at",
        "2024-06-18T23:59:59",
        "--by",
        "UBND huyện A",
    )
    assert (receipt["version"], receipt["status"]) == (1, "submitted_on_time")
    assert receipt["received_at"] == "2024-06-18T23:59:59+07:00"
    assert receipt["notices"] == [
        "bỏ qua 1 số liệu trong «unmapped» (không khớp dòng nào của biểu mẫu, không được tính)"
    ]
    late = run_json(
        capsys,
        "submit",
        "--task",
        str(ids["quarterly/cong-an-tinh/2024-Q2"]),
        "--values",
        str(values_file),
        "--at",
        "2024-06-19T00:00:00+07:00",
    )
    assert late["status"] == "submitted_late"

    rows = run_json(
        capsys, "tasks", "list", "--as-of", "2024-06-19", "--status", "submitted_late",
        "--status", "submitted_on_time",
    )  # fmt: skip
    assert [(r["reporter"], r["status"], r["submitted_at"], r["days_late"]) for r in rows] == [
        ("cong-an-tinh", "submitted_late", "2024-06-19T00:00:00+07:00", 1),
        ("ubnd-huyen-a", "submitted_on_time", "2024-06-18T23:59:59+07:00", 0),
    ]

    task_a = str(ids["quarterly/ubnd-huyen-a/2024-Q2"])
    returned = run_json(
        capsys, "review", "--task", task_a, "--return", "--reason", "Thiếu số liệu dòng A.2",
        "--to", "2024-06-28", "--at", "2024-06-20T09:00",
    )  # fmt: skip
    assert (returned["status"], returned["due_date"], returned["review"]) == (
        "returned",
        "2024-06-28",
        "returned",
    )
    extended = run_json(
        capsys, "extend", "--task", str(ids["monthly/cong-an-tinh/2024-06"]), "--to",
        "2024-06-25", "--reason", "Chờ số liệu", "--at", "2024-06-17T10:00",
    )  # fmt: skip
    assert extended["due_date"] == "2024-06-25"
    excused = run_json(
        capsys, "excuse", "--task", str(ids["quarterly/ubnd-huyen-b/2024-Q2"]), "--reason",
        "Huyện B sáp nhập", "--at", "2024-06-12T10:00",
    )  # fmt: skip
    assert excused["status"] == "excused"

    trail = run_json(capsys, "audit", "--task", task_a)
    assert [(e["entity"], e["action"]) for e in trail] == [
        ("task", "create"),
        ("submission", "submit"),
        ("submission", "return"),
    ]
    assert trail[2]["after"]["reason"] == "Thiếu số liệu dòng A.2"

    code, out, _ = run(capsys, "tasks", "list", "--as-of", "2024-06-21", "--unit", "ubnd-huyen-a")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == [
        "task_id",
        "key",
        "plan",
        "obligation",
        "reporter",
        "period",
        "due_date",
        "status",
        "submitted_at",
        "days_late",
        "review",
    ]


def test_errors_are_one_line_and_exit_2(
    use_database: str, capsys: pytest.CaptureFixture[str], values_file: Path, tmp_path: Path
) -> None:
    assert run(capsys, "plan", "load", str(TINY))[0] == 0
    code, _, err = run(capsys, "submit", "--task", "999999", "--values", str(values_file))
    assert (code, err) == (2, "pcmd: error: không có nhiệm vụ số 999999 (unknown task)\n")

    (first,) = run_json(capsys, "tasks", "list", "--as-of", "2024-06-18", "--status", "due_today")[
        1:2
    ]
    bad = tmp_path / "sai.json"
    bad.write_text('{"values": {"A.1": -2, "A.2": 300, "X.1": 1}}', encoding="utf-8")
    code, _, err = run(capsys, "submit", "--task", str(first["task_id"]), "--values", str(bad))
    assert code == 2
    assert err == (
        "pcmd: error: A.1: số liệu không được âm, nhận -2; "
        "A.2: tỷ lệ phần trăm phải trong khoảng 0–100, nhận 300; "
        "X.1: không có dòng này trong biểu mẫu «bieu-quy»\n"
    )
    code, _, err = run(capsys, "review", "--task", str(first["task_id"]), "--accept", "--return")
    assert (code, err) == (2, "pcmd: error: review: give exactly one of --accept or --return\n")
    code, _, err = run(
        capsys, "submit", "--task", str(first["task_id"]), "--values", str(values_file),
        "--at", "hôm qua",
    )  # fmt: skip
    assert code == 2 and err.startswith("pcmd: error: --at: 'hôm qua' is not an instant")
    code, _, err = run(capsys, "tasks", "list", "--as-of", "18/06/2024")
    assert code == 2 and "--as-of" in err and err[-1] == "\n" and err.count("\n") == 1


def test_a_fresh_data_directory_gets_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "tasks", "list", "--as-of", "2024-06-18", "--format", "json")
    assert (code, json.loads(out), err) == (0, [], "")
