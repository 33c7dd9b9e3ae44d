"""Constants and helpers of the flow tests (imported by name: ``from flows_support import``).

The plans (``plans/``) are the same duties in two jurisdictions (``tinh-thu`` and
``thanh-pho-thu``): a 6-month report due Monday 17/06/2024 with a two-row form, and an
annual report due «before 17/12» (Monday 16/12/2024) without one; three reporters each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from pcmd_workflow.clock import LOCAL_TZ

__all__ = [
    "ANSWERS",
    "LOADED_AT",
    "PLANS",
    "THANH_PHO",
    "THANH_PHO_ID",
    "TINH",
    "TINH_ID",
    "FlowStore",
    "local",
]

HERE = Path(__file__).resolve().parent
PLANS = HERE / "plans"
ANSWERS = HERE / "answers"
TINH = PLANS / "tinh-thu-02-kh-ubnd-2024.yaml"
THANH_PHO = PLANS / "thanh-pho-thu-03-kh-ubnd-2024.yaml"
TINH_ID = "tinh-thu-02-kh-ubnd-2024"
THANH_PHO_ID = "thanh-pho-thu-03-kh-ubnd-2024"
LOADED_AT = datetime(2024, 1, 10, 9, 0, tzinfo=LOCAL_TZ)


def local(text: str) -> datetime:
    """An instant written in Vietnam's local time."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


@dataclass
class FlowStore:
    engine: Engine
    url: str
    data_dir: Path
