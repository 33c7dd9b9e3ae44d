"""Vietnamese date forms."""

from __future__ import annotations

from datetime import date

from pcmd_workflow.domain.vn_dates import (
    day_is,
    format_long_vi,
    format_short,
    weekday_en,
    weekday_vi,
)


def test_forms() -> None:
    assert format_long_vi(date(2024, 6, 17)) == "ngày 17 tháng 6 năm 2024"
    assert format_short(date(2020, 7, 5)) == "05/07/2020"
    assert day_is(date(2024, 6, 16), "Chủ nhật") == "16/06/2024 là Chủ nhật"
    week = [date(2024, 6, 17 + i) for i in range(7)]  # Monday 17/06/2024 … Sunday 23/06
    assert [weekday_vi(d) for d in week] == [
        "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật",
    ]  # fmt: skip
    assert weekday_en(week[0]) == "Monday" and weekday_en(week[-1]) == "Sunday"
