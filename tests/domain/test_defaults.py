"""National defaults file (calendars/national/defaults.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcmd_workflow.domain.defaults import DEFAULTS_PATH, national_defaults
from pcmd_workflow.errors import CalendarError


def test_national_defaults_as_decided() -> None:
    defaults = national_defaults()
    for cadence in ("monthly", "quarterly", "semiannual", "ninemonth", "annual", "summary"):
        entry = defaults.for_cadence(cadence)
        assert entry.due_rule == "after-cutoff 2 working-days"
        assert entry.cutoff is not None
        assert (entry.cutoff.start_day, entry.cutoff.start_month_offset) == (15, -1)
        assert (entry.cutoff.end_day, entry.cutoff.end_month_offset) == (14, 0)
        assert "09/2019/NĐ-CP" in entry.cutoff.source
        assert entry.due_source
    for cadence in ("adhoc", "flash", "unscheduled"):
        assert defaults.for_cadence(cadence).cutoff is None
        assert defaults.for_cadence(cadence).due_rule is None
    assert defaults.compile_after_working_days == 5
    assert defaults.flash_due_hours == 24
    assert defaults.compile_source and defaults.flash_source


def test_unknown_cadence() -> None:
    with pytest.raises(CalendarError, match="cadence 'weekly' has no national default"):
        national_defaults().for_cadence("weekly")


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULTS_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "defaults.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("start: {day: 15, month_offset: -1}", "start: {day: 31, month_offset: -1}",
         r"cadences.monthly.cutoff.start.day: expected a whole number from 1 to 28"),
        ("compile_after_working_days: 5", "compile_after_working_days: five",
         "compile_after_working_days: expected a whole number"),
        ("flash_due_hours: 24", "flash_due_hours: 0", "flash_due_hours"),
        ("  unscheduled:\n", "  weekly: {}\n  unscheduled:\n", "unknown weekly"),
        ('due: "after-cutoff 2 working-days"', "due: ''", r"monthly.due: expected a non-empty"),
        ("  monthly:\n    cutoff:\n", "  monthly:\n    cutoff: 3\n    x:\n",
         "monthly.cutoff: expected start, end and source"),
        ("start: {day: 15, month_offset: -1}", "start: 15", "expected start:"),
        ("cadences:\n", "cadence:\n", "expected a mapping with a 'cadences:' mapping"),
        ("  adhoc:\n", "  adhoc: null\n  x_adhoc:\n", "cadences.adhoc: missing"),
        ("version: 1", "version: [", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_defaults_files_name_the_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(CalendarError, match=message):
        national_defaults(_variant(tmp_path, old, new))


def test_missing_defaults_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="not found"):
        national_defaults(tmp_path / "none.yaml")
