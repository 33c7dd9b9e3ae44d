"""The plan names the domain package exports to other layers (store, services, CLI)."""

from __future__ import annotations

import pcmd_workflow.domain as domain
from pcmd_workflow.domain import deadlines, plan_loader

PLAN_API = {
    "DEADLINE_COLUMNS",
    "MAX_PLAN_BYTES",
    "CheckResult",
    "DeadlineRow",
    "Group",
    "Obligation",
    "PeriodDeadline",
    "Plan",
    "Target",
    "Unit",
    "check_plan_bytes",
    "check_plan_file",
    "load_plan_file",
    "obligation_deadlines",
    "plan_deadlines",
}


def test_domain_exports_the_plan_api() -> None:
    assert set(domain.__all__) >= PLAN_API
    for name in PLAN_API:
        assert getattr(domain, name) is not None


def test_module_exports() -> None:
    assert set(plan_loader.__all__) == {
        "MAX_PLAN_BYTES",
        "CheckResult",
        "check_plan_bytes",
        "check_plan_file",
        "load_plan_file",
    }
    assert set(deadlines.__all__) == {
        "DEADLINE_COLUMNS",
        "NO_DEADLINE_CADENCES",
        "DeadlineRow",
        "PeriodDeadline",
        "obligation_deadlines",
        "plan_deadlines",
    }
