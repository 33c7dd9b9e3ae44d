"""The calendar, period and due-rule names the domain package exports to other layers."""

from __future__ import annotations

import pcmd_workflow.domain as domain

CALENDAR_API = {
    "Cadence",
    "CadenceDefault",
    "CutoffWindow",
    "DayInfo",
    "DayOffPolicy",
    "Deadline",
    "DueRule",
    "NationalDefaults",
    "Period",
    "WorkingCalendar",
    "compute_deadline",
    "default_calendar",
    "default_cutoff",
    "national_defaults",
    "parse_due_rule",
    "parse_period",
    "periods_between",
}


def test_domain_exports_the_calendar_api() -> None:
    assert set(domain.__all__) >= CALENDAR_API
    for name in CALENDAR_API:
        assert getattr(domain, name) is not None
