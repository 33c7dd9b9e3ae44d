"""Pure domain logic: the working-day calendar, periods, due rules (no I/O but data files)."""

from pcmd_workflow.domain.calendar import DayInfo, WorkingCalendar, default_calendar
from pcmd_workflow.domain.defaults import CadenceDefault, NationalDefaults, national_defaults
from pcmd_workflow.domain.due_rules import (
    DayOffPolicy,
    Deadline,
    DueRule,
    compute_deadline,
    parse_due_rule,
)
from pcmd_workflow.domain.periods import (
    Cadence,
    CutoffWindow,
    Period,
    default_cutoff,
    parse_period,
    periods_between,
)

__all__ = [
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
]
