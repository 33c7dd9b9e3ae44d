"""Pure domain logic: the working-day calendar, periods, due rules (no I/O but data files)."""

from pcmd_workflow.domain.calendar import DayInfo, WorkingCalendar, default_calendar
from pcmd_workflow.domain.deadlines import (
    DEADLINE_COLUMNS,
    DeadlineRow,
    PeriodDeadline,
    obligation_deadlines,
    plan_deadlines,
)
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
from pcmd_workflow.domain.plan import Group, Obligation, Plan, Target, Unit
from pcmd_workflow.domain.plan_loader import (
    MAX_PLAN_BYTES,
    CheckResult,
    check_plan_bytes,
    check_plan_file,
    load_plan_file,
)

__all__ = [
    "DEADLINE_COLUMNS",
    "MAX_PLAN_BYTES",
    "Cadence",
    "CadenceDefault",
    "CheckResult",
    "CutoffWindow",
    "DayInfo",
    "DayOffPolicy",
    "Deadline",
    "DeadlineRow",
    "DueRule",
    "Group",
    "NationalDefaults",
    "Obligation",
    "Period",
    "PeriodDeadline",
    "Plan",
    "Target",
    "Unit",
    "WorkingCalendar",
    "check_plan_bytes",
    "check_plan_file",
    "compute_deadline",
    "default_calendar",
    "default_cutoff",
    "load_plan_file",
    "national_defaults",
    "obligation_deadlines",
    "parse_due_rule",
    "parse_period",
    "periods_between",
    "plan_deadlines",
]
