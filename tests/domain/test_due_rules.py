"""Due rules and deadlines: parsing, day-off policies, answer-file cases."""

from __future__ import annotations

from datetime import date

import pytest

from pcmd_workflow.domain.due_rules import compute_deadline, parse_due_rule
from pcmd_workflow.errors import CalendarError


def test_ha_noi_semiannual_2024_moves_off_sunday() -> None:
    deadline = compute_deadline(parse_due_rule("before 17/6"), year=2024)
    assert deadline.nominal_due == date(2024, 6, 16)
    assert deadline.due_date == date(2024, 6, 17)
    assert deadline.moved_because == "16/06/2024 là Chủ nhật"


def test_lao_cai_summary_2020_skips_weekend() -> None:
    deadline = compute_deadline(parse_due_rule("trước ngày 05/7/2020"))
    assert deadline.nominal_due == date(2020, 7, 4)
    assert deadline.due_date == date(2020, 7, 6)
    assert deadline.moved_because == "04/07/2020 là Thứ Bảy, 05/07/2020 là Chủ nhật"


@pytest.mark.parametrize("text", ["before 31/2", "bogus", "before 17/6/2100"])
def test_bad_rules_raise_calendar_error_naming_the_input(text: str) -> None:
    with pytest.raises(CalendarError, match=text.split()[-1]):
        parse_due_rule(text)
