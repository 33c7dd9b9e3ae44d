"""Fixtures of the compilation tests: the hand-made province and its answer file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pcmd_workflow.domain.indicators import TaskEntry, UnitValues
from pcmd_workflow.domain.plan import Plan

HERE = Path(__file__).resolve().parent
PROVINCE = HERE / "province.yaml"
ANSWERS = HERE / "answers"


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="session")
def province_data() -> dict[str, Any]:
    return load_yaml(PROVINCE)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def province_plan(province_data: dict[str, Any]) -> Plan:
    return Plan.model_validate(province_data["plan"])


@pytest.fixture(scope="session")
def province_submissions(province_data: dict[str, Any]) -> list[UnitValues]:
    return [UnitValues(unit=u, values=v) for u, v in province_data["submissions"].items()]


@pytest.fixture(scope="session")
def province_tasks(province_data: dict[str, Any], province_plan: Plan) -> list[TaskEntry]:
    out = []
    for t in province_data["tasks"]:
        unit = province_plan.unit(t["unit"])
        assert unit is not None
        out.append(
            TaskEntry(
                unit=t["unit"],
                name=unit.name,
                status=t["status"],
                review=t.get("review"),
                days_late=t.get("days_late", 0),
            )
        )
    return out


@pytest.fixture(scope="session")
def province_answers() -> dict[str, Any]:
    return load_yaml(ANSWERS / "province_totals.yaml")  # type: ignore[no-any-return]
