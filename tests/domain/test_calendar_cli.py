"""``pcmd calendar days|check`` and ``pcmd due`` through the real entry point."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pcmd_workflow.cli import main

ANSWERS = Path(__file__).parent / "answers"
ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_days_json_2025_matches_the_answer_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calendar", "days", "--year", "2025", "--format", "json")
    assert (code, err) == (0, "")
    with (ANSWERS / "non_working_days.csv").open(encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(line for line in handle if not line.startswith("#"))
            if r["date"].startswith("2025")
        ]
    got = json.loads(out)
    assert [(d["date"], d["reason"], d["working"]) for d in got] == [
        (r["date"], r["reason"], r["working"] == "true") for r in rows
    ]
    assert got[0] == {
        "date": "2025-01-01",
        "weekday": "Thứ Tư",
        "working": False,
        "kind": "holiday",
        "reason": "Tết Dương lịch",
        "reason_en": "New Year's Day",
        "source": "Bộ luật Lao động 2019 (45/2019/QH14), Điều 112",
        "verified": True,
    }
    saturday = next(d for d in got if d["date"] == "2025-04-26")
    assert saturday["working"] is True and saturday["kind"] == "make_up_working"


def test_days_unverified_year_warns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calendar", "days", "--year", "2027", "--format", "json")
    assert code == 0
    assert err.count("\n") == 1 and "2027" in err and "chưa được rà soát" in err
    assert {d["verified"] for d in json.loads(out)} == {False}


def test_days_csv_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "days", "--year", "2024", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "date,weekday,working,kind,reason,reason_en,source,verified"
    assert lines[1].startswith("2024-01-01,Thứ Hai,False,holiday,Tết Dương lịch,")
    assert len(lines) == 1 + 13
    code, out, _ = run(capsys, "calendar", "days", "--year", "2024")
    assert out.splitlines()[0].split() == [
        "date", "weekday", "working", "kind", "reason", "reason_en", "source", "verified",
    ]  # fmt: skip
    assert "2024-05-04  Thứ Bảy" in out


def test_check_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "calendar", "check", "2024-06-16")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "16/06/2024 (Chủ nhật) không phải ngày làm việc: Chủ nhật",
        "2024-06-16 (Sunday) is not a working day: Sunday",
    ]
    code, out, _ = run(capsys, "calendar", "check", "2024-04-29")
    assert out.splitlines() == [
        "29/04/2024 (Thứ Hai) không phải ngày làm việc: "
        "Ngày nghỉ hoán đổi (làm bù Thứ Bảy 04/05/2024)",
        "2024-04-29 (Monday) is not a working day: Swapped day off, worked on Saturday 2024-05-04",
        "Căn cứ / source: Công văn 2450/VPCP-KGVX ngày 12/4/2024 của Văn phòng Chính phủ",
    ]
    code, out, _ = run(capsys, "calendar", "check", "2024-06-17")
    assert out.splitlines() == [
        "17/06/2024 (Thứ Hai) là ngày làm việc",
        "2024-06-17 (Monday) is a working day",
    ]
    code, out, _ = run(capsys, "calendar", "check", "2024-05-04", "--format", "json")
    data = json.loads(out)
    assert (data["working"], data["kind"], data["verified"]) == (True, "make_up_working", True)
    code, out, _ = run(capsys, "calendar", "check", "2024-05-04")
    assert (
        out.splitlines()[0]
        == "04/05/2024 (Thứ Bảy) là ngày làm việc: Làm bù cho ngày nghỉ 29/04/2024"
    )


def test_due_json_is_exactly_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "due", "--rule", "before 17/6", "--year", "2024", "--format", "json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "rule": "before 17/6",
        "nominal_due": "2024-06-16",
        "due_date": "2024-06-17",
        "moved_because": "16/06/2024 là Chủ nhật",
        "source": "plan",
        "verified": True,
    }


@pytest.mark.parametrize(
    ("args", "due_date"),
    [
        (["--rule", "after-cutoff 2 working-days", "--period", "2024-Q2"], "2024-06-18"),
        (["--rule", "before 17/6", "--year", "2024", "--policy", "previous_working_day"],
         "2024-06-14"),
        (["--rule", "trước ngày 17/6", "--year", "2024", "--inclusive"], "2024-06-17"),
        (["--rule", "trước ngày 05/7/2020"], "2020-07-06"),
        (["--rule", "after-cutoff 1 working-days", "--period", "adhoc-9",
          "--requested-on", "2024-03-08"], "2024-03-11"),
        (["--rule", "by 1/6/2024", "--source", "default"], "2024-06-03"),
    ],
)  # fmt: skip
def test_due_options(capsys: pytest.CaptureFixture[str], args: list[str], due_date: str) -> None:
    code, out, _ = run(capsys, "due", *args, "--format", "json")
    assert code == 0
    assert json.loads(out)["due_date"] == due_date


def test_due_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "due", "--rule", "before 17/12", "--year", "2023")
    assert code == 0
    header, row = out.splitlines()
    assert header.split() == [
        "rule", "nominal_due", "due_date", "moved_because", "source", "verified",
    ]  # fmt: skip
    assert "2023-12-16   2023-12-18  16/12/2023 là Thứ Bảy, 17/12/2023 là Chủ nhật" in row


def test_due_unverified_year_warns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "due", "--rule", "before 17/6", "--year", "2030", "--format", "json"
    )
    assert code == 0 and json.loads(out)["verified"] is False
    assert "2030" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["due", "--rule", "before 31/2", "--year", "2024"], "31/02 is not a date"),
        (["due", "--rule", "before 29/2", "--year", "2023"], "2023 is not a leap year"),
        (["due", "--rule", "whenever", "--year", "2024"], "'whenever' not understood"),
        (["due", "--rule", "before 17/6", "--year", "2100"], "2100 is outside"),
        (["due", "--rule", "before 17/6"], "has no year"),
        (["due", "--rule", "after-cutoff 2 days", "--period", "2024-Q9"], "'2024-Q9'"),
        (["calendar", "days", "--year", "1999"], "1999 is outside"),
        (["calendar", "check", "2024-02-30"], "'2024-02-30' is not a date"),
        (["calendar", "check", "2100-01-01"], "2100 is outside"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("pcmd: error: ") and needle in err


# -- the machine's timezone changes nothing ---------------------------------------------------

COMMANDS = [
    ["calendar", "days", "--year", "2024", "--format", "json"],
    ["calendar", "check", "2024-06-16", "--format", "json"],
    ["due", "--rule", "before 17/6", "--year", "2024", "--format", "json"],
    ["due", "--rule", "after-cutoff 2 working-days", "--period", "2025", "--format", "json"],
]
PROGRAM = (
    "import sys\n"
    "from pcmd_workflow.cli import main\n"
    "for args in {commands!r}:\n"
    "    code = main(args)\n"
    "    print('exit', code)\n"
)


def _run_with_tz(tz: str) -> str:
    env = {**os.environ, "TZ": tz}
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(commands=COMMANDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stderr == ""
    return result.stdout


def test_outputs_identical_in_any_machine_timezone() -> None:
    outputs = {tz: _run_with_tz(tz) for tz in ("UTC", "Pacific/Kiritimati", "America/St_Johns")}
    reference = outputs["UTC"]
    assert reference.count("exit 0") == len(COMMANDS)
    assert '"due_date": "2024-06-17"' in reference
    assert all(output == reference for output in outputs.values())


def test_pcmd_script_in_a_subprocess() -> None:
    pcmd = Path(sys.executable).with_name("pcmd")
    result = subprocess.run(
        [str(pcmd), "due", "--rule", "trước ngày 05/7/2020", "--format", "json"],
        env={**os.environ, "TZ": "Pacific/Kiritimati"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["due_date"] == "2020-07-06"
    bad = subprocess.run(
        [str(pcmd), "due", "--rule", "before 31/2", "--year", "2024"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "31/02" in bad.stderr
