"""``pcmd replay``: the engine day by day on a simulated clock, against a scratch database.

Expected timelines are worked out by hand from the plans, the national ladder
(T-7, T-2, T0, T+1, T+3 head+coordinator, T+7 People's Committee office; working days) and
the Vietnamese calendar.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from flows_support import ANSWERS, TINH, TINH_ID

from pcmd_workflow.cli import main
from pcmd_workflow.errors import ConfigError
from pcmd_workflow.services.replay import REPLAY_COLUMNS, read_submissions, replay
from pcmd_workflow.settings import reset_settings

HA_NOI = Path(__file__).resolve().parents[2] / "calendars" / "ha-noi-255-kh-ubnd-2021.yaml"
EMAIL = "mailto://127.0.0.1:9?from=pcmd@thu.gov.vn"


@pytest.fixture
def email_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """E-mail configured (never used: a replay records instead of sending)."""
    monkeypatch.setenv("PCMD_EMAIL_URL", EMAIL)
    reset_settings()


def _write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("obligation,reporter,period,submitted_at\n" + "\n".join(rows) + "\n")
    return path


P = TINH_ID
H1 = "bc-6-thang/2024-H1"
CONTACTS = "1 units without a usable contact"

# June 2024 for the 6-month report due Monday 17/06/2024 (no holiday in June):
# T-7 = Thu 06/06, T-2 = Thu 13/06, T0 = Mon 17/06, T+1 = Tue 18/06, T+3 = Thu 20/06,
# T+7 = Wed 26/06. Công an submits on 12/06 (on time), Sở VHTT on 19/06 15:00 (late),
# UBND huyện B never (and has no contact: the sink, and the coordinator is told daily while
# its own notices go to the sink, i.e. while its current rung addresses the unit).


def _contacts(day: str) -> tuple[str, ...]:
    return (day, "07:30", "missing_contacts", P, "", "", "coordinator", "email", "", CONTACTS)


def _digest(day: str, due_today: int, overdue: int) -> tuple[str, ...]:
    detail = f"due today {due_today}, overdue {overdue}"
    return (day, "07:30", "coordinator_digest", P, "", "", "coordinator", "email", "", detail)


def _unit(day: str, event: str, unit: str, rung: str, channel: str) -> tuple[str, ...]:
    return (day, "07:30", event, P, unit, rung, "unit", channel, H1, "")


EXPECTED_JUNE = [
    _contacts("2024-06-06"),
    _unit("2024-06-06", "reminder", "cong-an-tinh", "T-7", "email"),
    _unit("2024-06-06", "reminder", "so-vhtt", "T-7", "email"),
    _unit("2024-06-06", "reminder", "ubnd-huyen-b", "T-7", "sink"),
    _contacts("2024-06-07"),
    _contacts("2024-06-10"),
    _contacts("2024-06-11"),
    _contacts("2024-06-12"),
    ("2024-06-12", "10:00", "submission", P, "cong-an-tinh", "", "", "", H1, "submitted_on_time"),
    _contacts("2024-06-13"),
    _unit("2024-06-13", "reminder", "so-vhtt", "T-2", "email"),
    _unit("2024-06-13", "reminder", "ubnd-huyen-b", "T-2", "sink"),
    _contacts("2024-06-14"),
    _digest("2024-06-17", 2, 0),
    _unit("2024-06-17", "due_today", "so-vhtt", "T0", "email"),
    _unit("2024-06-17", "due_today", "ubnd-huyen-b", "T0", "sink"),
    _contacts("2024-06-17"),
    ("2024-06-18", "00:30", "compiled", P, "", "", "", "", H1,
     "figures: 1/3 reported (1 on time, 0 late), missing: so-vhtt ubnd-huyen-b"),
    ("2024-06-18", "07:30", "compilation", P, "", "", "coordinator", "email", H1, "1 result(s)"),
    _digest("2024-06-18", 0, 2),
    _contacts("2024-06-18"),
    _unit("2024-06-18", "overdue", "so-vhtt", "T+1", "email"),
    _unit("2024-06-18", "overdue", "ubnd-huyen-b", "T+1", "sink"),
    _digest("2024-06-19", 0, 2),
    _contacts("2024-06-19"),
    ("2024-06-19", "15:00", "submission", P, "so-vhtt", "", "", "", H1, "submitted_late"),
    _digest("2024-06-20", 0, 1),
    ("2024-06-20", "07:30", "escalation", P, "ubnd-huyen-b", "T+3", "coordinator", "email", H1, ""),
    _digest("2024-06-21", 0, 1),
    _digest("2024-06-24", 0, 1),
    _digest("2024-06-25", 0, 1),
    _digest("2024-06-26", 0, 1),
    ("2024-06-26", "07:30", "escalation_pc", P, "ubnd-huyen-b", "T+7", "pc_office", "sink", H1, ""),
    _digest("2024-06-27", 0, 1),
    _digest("2024-06-28", 0, 1),
]  # fmt: skip


def _june(tmp_path: Path) -> list[tuple[str, ...]]:
    subs = _write_csv(
        tmp_path / "june.csv",
        [
            "bc-6-thang,cong-an-tinh,2024-H1,2024-06-12T10:00:00+07:00",
            "bc-6-thang,so-vhtt,2024-H1,2024-06-19 15:00",  # no offset: local time
        ],
    )
    result = replay(
        plan_paths=[TINH],
        start=date(2024, 6, 1),
        end=date(2024, 6, 30),
        submissions=read_submissions(subs),
    )
    assert result.working_days == 20 and result.days == 30
    return [tuple(r.as_row()[c] for c in REPLAY_COLUMNS) for r in result.rows]


def test_replay_of_june_matches_the_hand_made_timeline(
    tmp_path: Path, email_configured: None
) -> None:
    assert _june(tmp_path) == EXPECTED_JUNE


def test_replay_is_deterministic(tmp_path: Path, email_configured: None) -> None:
    assert _june(tmp_path) == _june(tmp_path)


def test_replay_cli_prints_the_timeline_and_a_summary(
    tmp_path: Path, email_configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    subs = _write_csv(tmp_path / "s.csv", ["bc-6-thang,cong-an-tinh,2024-H1,2024-06-12T10:00"])
    code = main(
        ["replay", "--plan", str(TINH), "--from", "2024-06-05", "--to", "2024-06-06",
         "--submissions", str(subs), "--format", "csv"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    assert out.splitlines() == [
        ",".join(REPLAY_COLUMNS),
        f"2024-06-06,07:30,missing_contacts,{P},,,coordinator,email,,{CONTACTS}",
        f"2024-06-06,07:30,reminder,{P},cong-an-tinh,T-7,unit,email,{H1},",
        f"2024-06-06,07:30,reminder,{P},so-vhtt,T-7,unit,email,{H1},",
        f"2024-06-06,07:30,reminder,{P},ubnd-huyen-b,T-7,unit,sink,{H1},",
    ]
    assert "2 ngày, 2 ngày làm việc" in err and "4 notice rows" in err
    # the submission of 12/06 is after --to: said on stderr, not replayed
    assert "line 2: submitted after --to" in err

    code = main(["replay", "--plan", str(TINH), "--from", "2024-06-06", "--to", "2024-06-06",
                 "--format", "json"])  # fmt: skip
    out, _err = capsys.readouterr()
    rows = json.loads(out)
    assert code == 0 and len(rows) == 4 and rows[1]["rung"] == "T-7"


def test_bad_submissions_files_name_the_line_and_column(tmp_path: Path) -> None:
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("obligation,unit,period,submitted_at\n")
    with pytest.raises(ConfigError, match=r"h\.csv:1: header: missing column reporter"):
        read_submissions(bad_header)
    bad_instant = _write_csv(tmp_path / "i.csv", ["bc-6-thang,so-vhtt,2024-H1,17/06/2024"])
    with pytest.raises(ConfigError, match=r"i\.csv:2: submitted_at: '17/06/2024' is not an"):
        read_submissions(bad_instant)
    empty = _write_csv(tmp_path / "e.csv", ["bc-6-thang,,2024-H1,2024-06-17T10:00"])
    with pytest.raises(ConfigError, match=r"e\.csv:2: reporter: empty"):
        read_submissions(empty)


def test_replay_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--plan", str(tmp_path / "none.yaml"), "--from", "2024-01-01",
                 "--to", "2024-01-02"]) == 2  # fmt: skip
    assert "no such plan file" in capsys.readouterr().err
    assert main(["replay", "--plan", str(TINH), "--from", "2024-02-01", "--to", "2024-01-02"]) == 2
    assert "--to 2024-01-02 is before --from 2024-02-01" in capsys.readouterr().err


def test_unknown_and_out_of_window_submissions_are_reported(tmp_path: Path) -> None:
    subs = _write_csv(
        tmp_path / "s.csv",
        [
            "bc-6-thang,so-khong-co,2024-H1,2024-06-12T10:00",
            "bc-nam,so-vhtt,2024,2024-06-12T10:00",  # due 16/12: outside June + 31 days
        ],
    )
    result = replay(
        plan_paths=[TINH],
        start=date(2024, 6, 1),
        end=date(2024, 6, 3),
        submissions=read_submissions(subs),
    )
    assert result.ignored == (
        "line 2: bc-6-thang/so-khong-co/2024-H1: no such task",
        "line 3: bc-nam/so-vhtt/2024: due outside the replay window",
    )


@pytest.mark.slow
def test_ha_noi_2024_replay_matches_the_answer_file() -> None:
    """The full Hà Nội year 2024 with ha-noi-2024-submissions.csv (every unit reports three
    working days early at 09:00, except: Hoàn Kiếm and Sở Y tế on the due day at 16:00,
    Ba Đình 2 working days late, Sóc Sơn 5, Sở TT&TT 10, and Mỹ Đức never)."""
    subs = read_submissions(ANSWERS / "ha-noi-2024-submissions.csv")
    result = replay(
        plan_paths=[HA_NOI], start=date(2024, 1, 1), end=date(2024, 12, 31), submissions=subs
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(REPLAY_COLUMNS)
    for row in result.rows:
        writer.writerow([row.as_row()[c] for c in REPLAY_COLUMNS])
    expected = (ANSWERS / "ha-noi-2024-timeline.csv").read_text(encoding="utf-8")
    assert buf.getvalue().splitlines() == expected.splitlines()
    assert result.ignored == ()
