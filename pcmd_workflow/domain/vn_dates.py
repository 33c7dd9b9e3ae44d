"""Vietnamese forms of dates: "ngày 17 tháng 6 năm 2024", "17/06/2024", "Thứ Hai".

pendulum and babel-free Python have no Vietnamese locale, so the few forms pcmd shows are
written here once. Weekday names follow administrative usage ("Thứ Hai" … "Thứ Bảy",
"Chủ nhật").
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "WEEKDAYS_EN",
    "WEEKDAYS_VI",
    "day_is",
    "format_long_vi",
    "format_short",
    "weekday_en",
    "weekday_vi",
]

#: Monday first, as ``date.weekday()`` counts.
WEEKDAYS_VI: tuple[str, ...] = (
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
)
WEEKDAYS_EN: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def weekday_vi(day: date) -> str:
    """``Thứ Hai`` … ``Chủ nhật``."""
    return WEEKDAYS_VI[day.weekday()]


def weekday_en(day: date) -> str:
    return WEEKDAYS_EN[day.weekday()]


def format_short(day: date) -> str:
    """``16/06/2024``: the form used in moved-because texts and tables."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_long_vi(day: date) -> str:
    """``ngày 17 tháng 6 năm 2024``: the form of administrative documents (no leading zeros)."""
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def day_is(day: date, reason_vi: str) -> str:
    """``16/06/2024 là Chủ nhật``: why a day is not a working day."""
    return f"{format_short(day)} là {reason_vi}"
