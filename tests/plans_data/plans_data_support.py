"""Shared helpers for the tests of the plan data files (calendars/*.yaml and companions).

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.domain.plan_loader import load_plan_file

ROOT = Path(__file__).resolve().parents[2]
CALENDARS = ROOT / "calendars"
SEEDS = ROOT.parent / "shared" / "seeds"
ANSWERS = Path(__file__).resolve().parent / "answers"

#: The plan files these tests cover, by id.
PLAN_IDS = (
    "lao-cai-142-kh-ubnd-2020",
    "tuyen-quang-86-kh-ubnd-2013",
    "quang-ngai-1736-qd-ubnd-2021",
)
LAO_CAI = "lao-cai-142-kh-ubnd-2020"
TUYEN_QUANG = "tuyen-quang-86-kh-ubnd-2013"
QUANG_NGAI = "quang-ngai-1736-qd-ubnd-2021"
FORM_ID = "bieu-tong-hop-05-nam"


def plan_path(plan_id: str) -> Path:
    return CALENDARS / f"{plan_id}.yaml"


@cache
def load(plan_id: str) -> Plan:
    """The plan, loaded once per test session (plans are frozen values)."""
    return load_plan_file(plan_path(plan_id))


def seed_text(name: str) -> str:
    """The text of a seed document; the test is skipped when the seeds are not present."""
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"seed documents not available ({path})")
    return path.read_text(encoding="utf-8")


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
