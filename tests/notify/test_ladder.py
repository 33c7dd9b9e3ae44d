"""The ladder as data: rung days on the Vietnamese calendar, the current rung, Q10, errors."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from pcmd_workflow.domain.calendar import default_calendar
from pcmd_workflow.domain.ladder import (
    DEFAULT_LADDER,
    Audience,
    NoticeKind,
    Rung,
    audiences_for,
    default_ladders,
    load_ladders,
    parse_rung_name,
    reason_en,
    reason_vi,
    rung_name,
)
from pcmd_workflow.errors import ConfigError

ANSWERS = Path(__file__).parent / "answers"


def _rows(name: str) -> list[dict[str, str]]:
    with (ANSWERS / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.parametrize(
    "row", _rows("rung_days.csv"), ids=lambda r: f"{r['ladder']}-{r['due_date']}-{r['rung']}"
)
def test_rung_days_match_the_hand_worked_answers(row: dict[str, str]) -> None:
    ladder = default_ladders()[row["ladder"]]
    rung = ladder.rung(row["rung"])
    day = rung.day(due_date=date.fromisoformat(row["due_date"]), calendar=default_calendar())
    assert day == date.fromisoformat(row["day"])


@pytest.mark.parametrize("row", _rows("current_rung.csv"), ids=lambda r: r["as_of"])
def test_current_rung_on_each_day(row: dict[str, str]) -> None:
    ladder = default_ladders()[DEFAULT_LADDER]
    found = ladder.current(
        due_date=date(2024, 6, 17),
        as_of=date.fromisoformat(row["as_of"]),
        calendar=default_calendar(),
    )
    assert (found[0].name if found else "") == row["rung"]


def test_national_default_ladder_has_the_contract_rungs_and_audiences() -> None:
    ladder = default_ladders()[DEFAULT_LADDER]
    assert [(r.name, r.kind.value, [a.value for a in r.audiences]) for r in ladder.rungs] == [
        ("T-7", "reminder", ["unit"]),
        ("T-2", "reminder", ["unit"]),
        ("T0", "due_today", ["unit"]),
        ("T+1", "overdue", ["unit"]),
        ("T+3", "escalation", ["head", "coordinator"]),
        ("T+7", "escalation_pc", ["pc_office"]),
    ]
    assert sorted(default_ladders()) == [
        "national-default",
        "reminders-only",
        "short-cycle",
        "strict",
    ]


def test_requested_units_escalate_to_the_coordinator_only() -> None:
    """Decision Q10: «Đề nghị» units are never escalated to their head nor the PC office."""
    ladder = default_ladders()[DEFAULT_LADDER]
    assert audiences_for(ladder.rung("T+3"), requested=True) == (Audience.coordinator,)
    assert audiences_for(ladder.rung("T+7"), requested=True) == (Audience.coordinator,)
    assert audiences_for(ladder.rung("T-2"), requested=True) == (Audience.unit,)
    assert audiences_for(ladder.rung("T+3"), requested=False) == (
        Audience.head,
        Audience.coordinator,
    )


def test_rung_names_round_trip() -> None:
    assert [rung_name(n) for n in (-7, 0, 3)] == ["T-7", "T0", "T+3"]
    assert [parse_rung_name(s) for s in ("T-7", "T0", "T+12")] == [-7, 0, 12]
    with pytest.raises(ConfigError, match="T7"):
        parse_rung_name("T7")


def test_reasons_say_rung_ladder_task_and_due_date() -> None:
    rung = Rung(offset=-2, kind=NoticeKind.reminder, audiences=(Audience.unit,))
    vi = reason_vi(
        ladder="national-default", rung=rung, due_date=date(2024, 6, 17), task="Báo cáo X"
    )
    assert vi == (
        "Nhắc hạn nộp báo cáo (mốc T-2, trước hạn 2 ngày làm việc, thang nhắc "
        "«national-default»): Báo cáo X, hạn nộp Thứ Hai, 17/06/2024"
    )
    en = reason_en(
        ladder="national-default",
        rung=rung,
        due_date=date(2024, 6, 17),
        rung_day=date(2024, 6, 13),
        task="p/o/u/2024-H1",
    )
    assert (
        en == "T-2 of ladder national-default: p/o/u/2024-H1 due 2024-06-17 (rung day 2024-06-13)"
    )


def test_unknown_ladder_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown ladder 'gentle'.*national-default"):
        default_ladders()["gentle"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "ladders:\n  national-default:\n    title: t\n    source: s\n    rungs:\n"
            "      - {offset: two, kind: reminder, to: [unit]}\n",
            r"ladders.yaml:6: ladders.national-default.rungs\[0\].offset: expected an integer",
        ),
        (
            "ladders:\n  national-default:\n    title: t\n    source: s\n    rungs:\n"
            "      - {offset: -2, kind: nag, to: [unit]}\n",
            r"ladders.yaml:6: ladders.national-default.rungs\[0\].kind: 'nag' is not one of",
        ),
        (
            "ladders:\n  national-default:\n    title: t\n    source: s\n    rungs:\n"
            "      - {offset: -2, kind: reminder, to: [boss]}\n",
            r"ladders.yaml:6: ladders.national-default.rungs\[0\].to\[0\]: 'boss' is not one of",
        ),
        (
            "ladders:\n  national-default:\n    title: t\n    source: s\n    rungs:\n"
            "      - {offset: 1, kind: overdue, to: [unit]}\n"
            "      - {offset: -2, kind: reminder, to: [unit]}\n",
            r"ladders.yaml:6: ladders.national-default.rungs: rungs must be ordered by offset",
        ),
        (
            "ladders:\n  strict:\n    title: t\n    source: s\n    rungs:\n"
            "      - {offset: 1, kind: overdue, to: [unit]}\n",
            r"the 'national-default' ladder is required",
        ),
        ("ladders: [1, 2\n", r"not valid YAML"),
    ],
)
def test_bad_ladder_files_are_located(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "ladders.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_ladders(path)


def test_missing_ladder_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the ladders file"):
        load_ladders(tmp_path / "absent.yaml")


def test_every_notice_kind_has_its_templates_and_a_place_in_the_digest() -> None:
    from pcmd_workflow.services.notice_messages import KIND_ORDER, TEMPLATES_DIR

    for kind in NoticeKind:
        for suffix in ("txt", "html"):
            assert (TEMPLATES_DIR / "sections" / f"{kind.value}.{suffix}.j2").is_file(), kind
    assert sorted(KIND_ORDER) == sorted(NoticeKind)
