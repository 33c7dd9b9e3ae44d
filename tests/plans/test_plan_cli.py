"""``pcmd plan check|show|deadlines`` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pcmd_workflow.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BROKEN = HERE / "broken"
HA_NOI = ROOT / "calendars" / "ha-noi-255-kh-ubnd-2021.yaml"
PLAN_FILES = sorted((ROOT / "calendars").glob("*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_every_plan_file_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert PLAN_FILES, "calendars/*.yaml holds no plan"
    code, out, err = run(capsys, "plan", "check", *map(str, PLAN_FILES))
    assert (code, err) == (0, "")
    summaries = [line for line in out.splitlines() if ": hợp lệ — " in line]
    assert [s.split(":")[0] for s in summaries] == [str(p) for p in PLAN_FILES]


def test_check_ha_noi_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "check", str(HA_NOI))
    assert code == 0
    assert out.splitlines()[0] == (
        f"{HA_NOI}: hợp lệ — 58 đơn vị, 22 nghĩa vụ báo cáo, 20 chỉ tiêu, 0 dòng biểu mẫu"
    )
    warnings = out.splitlines()[1:]
    assert len(warnings) == 13
    assert all(": cảnh báo: " in line for line in warnings)


def test_check_broken_files_exit_2_with_every_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    names = sorted(p.name for p in BROKEN.glob("*.yaml"))
    code, out, err = run(capsys, "plan", "check", *names)
    expected = [
        line
        for line in (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert code == 2
    assert out == ""
    assert err.splitlines() == expected


def test_check_mixed_good_and_bad(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "check", str(HA_NOI), str(BROKEN / "due-31-2.yaml"))
    assert code == 2
    assert out.startswith(f"{HA_NOI}: hợp lệ")
    assert err.splitlines() == [
        f"{BROKEN / 'due-31-2.yaml'}:33: obligations[0].due: due rule 'before 31/2': 31/02 "
        "is not a date; expected a real day and month (DD/MM)",
        f"{BROKEN / 'due-31-2.yaml'}:40: obligations[1].due: due rule 'trước ngày mười bảy' not "
        "understood; expected one of 'before DD/MM[/YYYY]', 'by DD/MM[/YYYY]', 'fixed "
        "YYYY-MM-DD', 'after-cutoff N days|working-days', 'trước ngày DD/MM[/YYYY]', 'chậm "
        "nhất ngày DD/MM[/YYYY]'",
    ]


def test_check_as_a_process_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe id: x")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pcmd_workflow.cli import main; sys.exit(main())",
            "plan",
            "check",
            str(bad),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"{bad}:1: not UTF-8 text (byte 0xff); save the file as UTF-8\n"
    assert "Traceback" not in proc.stderr


def test_show_ha_noi_in_vietnamese(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "show", str(HA_NOI))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [
        "Kế hoạch 255/KH-UBND ngày 16/11/2021 — Ủy ban nhân dân Thành phố Hà Nội",
        "Kế hoạch Phòng, chống mại dâm trên địa bàn thành phố Hà Nội giai đoạn 2021-2025",
        "Hiệu lực: từ 16/11/2021 đến 31/12/2025",
    ]
    block = out.split("[v2-semiannual]", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block[0] == " Báo cáo 6 tháng kết quả thực hiện Kế hoạch (V.2)"
    assert block[2].startswith("    gồm 50 đơn vị ngày 16/11/2021: Ủy ban Mặt trận Tổ quốc")
    assert block[3] == "    thay đổi: 30 đơn vị thôi hoạt động sau 30/06/2025"
    assert block[4] == (
        "  Gửi: Ủy ban nhân dân Thành phố Hà Nội, qua Sở Lao động-Thương binh và Xã hội "
        "(từ 01/03/2025: Sở Y tế)"
    )
    assert block[5] == "  Kỳ báo cáo: 6 tháng (6 tháng đầu năm)"
    assert block[6] == (
        "  Hạn: trước ngày 17/6 (ngày cuối: 16/6); trùng ngày nghỉ thì chuyển sang ngày làm "
        "việc kế tiếp (theo kế hoạch)"
    )
    assert block[7].startswith("  Trích dẫn (V.2): «Đề nghị Ủy ban Mặt trận")
    assert "  Kỳ báo cáo: hằng năm" in out
    assert "  Kỳ báo cáo: hằng tháng" in out
    assert "  Hạn: 2 ngày làm việc sau ngày chốt số liệu; trùng ngày nghỉ" in out
    assert "[t001-10] > 60% hằng năm (II.1-10)" in out
    assert "[t001-08] từ 3 đến 5% hằng năm (II.1-8)" in out


def test_show_refuses_a_broken_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "show", str(BROKEN / "hierarchy-cycle.yaml"))
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 2


def test_deadlines_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("plan", "deadlines", str(HA_NOI), "--from", "2024-06-17", "--to", "2024-06-17")
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["obligation"] for r in rows} == {"v2-semiannual", "iv24b-4-semiannual"}
    assert len(rows) == 50 + 30
    first = rows[0]
    assert list(first) == [
        "plan",
        "plan_id",
        "obligation",
        "reporter",
        "recipient",
        "via",
        "cadence",
        "period",
        "cutoff_start",
        "cutoff_end",
        "nominal_due",
        "due_date",
        "moved_because",
        "source",
        "clause",
        "verified",  # CONTRACTS: JSON outputs say whether the calendar year was reviewed
    ]
    assert first["verified"] is True
    assert {k: first[k] for k in ("reporter", "period", "nominal_due", "due_date")} == {
        "reporter": "ban-tdkt",
        "period": "2024-H1",
        "nominal_due": "2024-06-16",
        "due_date": "2024-06-17",
    }
    assert first["moved_because"] == "16/06/2024 là Chủ nhật"
    code, out, _ = run(capsys, *args, "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [r["reporter"] for r in table] == [r["reporter"] for r in rows]
    assert table[0]["via"] == "so-ldtbxh"
    district = next(r for r in table if r["obligation"] == "iv24b-4-semiannual")
    assert (district["via"], district["source"]) == ("", "default")


def test_deadlines_several_files_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    args = (
        "plan",
        "deadlines",
        *map(str, PLAN_FILES),
        "--from",
        "2023-12-18",
        "--to",
        "2023-12-18",
    )
    code, out, _ = run(capsys, *args, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {r["due_date"] for r in rows} == {"2023-12-18"}
    assert "ha-noi-255-kh-ubnd-2021" in {r["plan_id"] for r in rows}
    keys = [(r["due_date"], r["reporter"]) for r in rows]
    assert keys == sorted(keys)
    code, out, _ = run(capsys, *args)  # table is the default
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["plan", "plan_id", "obligation"]
    assert len(lines) == len(rows) + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2024-13-01", "--to", "2024-12-31"), "--from: '2024-13-01' is not a date"),
        (("--from", "2024-02-01", "--to", "2024-01-01"), "--to 2024-01-01 is before --from"),
    ],
)
def test_deadlines_bad_range(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "plan", "deadlines", str(HA_NOI), *args)
    assert (code, out) == (2, "")
    assert err.startswith("pcmd: error: " + message)


def test_deadlines_unverified_year_warns(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "plan",
        "deadlines",
        str(ROOT / "calendars" / "tuyen-quang-86-kh-ubnd-2013.yaml"),
        "--from",
        "2040-01-01",
        "--to",
        "2040-12-31",
        "--format",
        "json",
    )
    assert code == 0
    assert err.startswith("pcmd: cảnh báo: lịch ngày làm việc năm 2040 chưa được rà soát")


def test_due_rules_in_words() -> None:
    from pcmd_workflow.cli.plan_cmd import describe_due
    from pcmd_workflow.domain.plan import Plan

    def words(**duty: object) -> str:
        plan = Plan.model_validate(
            {
                "id": "thu",
                "number": "1/KH-UBND",
                "type": "Kế hoạch",
                "title": "Thử",
                "issuer": "UBND tỉnh Thử",
                "issued": "2020-05-14",
                "jurisdiction": "thu",
                "validity": {"start": "2020-05-14"},
                "units": [{"slug": "so-a", "name": "Sở A", "level": "province"}],
                "obligations": [
                    {
                        "id": "bc",
                        "reporters": ["so-a"],
                        "recipient": "so-a",
                        "clause": "x",
                        "where": "V",
                        **duty,
                    }
                ],
            }
        )
        return describe_due(plan, plan.obligations[0])

    assert words(cadence="annual", due="before 1/1") == (
        "trước ngày 1/1 (ngày cuối: 31/12); trùng ngày nghỉ thì chuyển sang ngày làm việc kế "
        "tiếp (theo kế hoạch)"
    )
    assert words(cadence="annual", due="before 17/12", inclusive=True, policy="none") == (
        "trước ngày 17/12, tính cả ngày 17/12; không dời khi trùng ngày nghỉ (theo kế hoạch)"
    )
    assert words(cadence="quarterly", due="chậm nhất ngày 10/1", policy="previous_working_day") == (
        "chậm nhất ngày 10/1; trùng ngày nghỉ thì lùi về ngày làm việc liền trước (theo kế hoạch)"
    )
    assert words(cadence="summary", periods=["2016-2020"], due="fixed 2020-07-15") == (
        "ngày 15/7/2020; trùng ngày nghỉ thì chuyển sang ngày làm việc kế tiếp (theo kế hoạch)"
    )
    assert words(cadence="monthly", due="after-cutoff 5 days", due_source="default") == (
        "5 ngày sau ngày chốt số liệu; trùng ngày nghỉ thì chuyển sang ngày làm việc kế tiếp "
        "(mặc định, kế hoạch không nêu hạn này)"
    )
    assert words(cadence="adhoc") == "theo văn bản yêu cầu báo cáo đột xuất (hạn ghi trong yêu cầu)"
    assert words(cadence="flash") == "24 giờ sau khi có yêu cầu (mặc định)"
    assert words(cadence="unscheduled") == "chưa có hạn — cần quyết định của cơ quan thường trực"
