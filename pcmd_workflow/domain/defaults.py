"""National defaults for cadence-only duties: ``calendars/national/defaults.yaml``.

For each cadence: the data cut-off window (Decree 09/2019/NĐ-CP Art. 12) and the default
due rule (``after-cutoff 2 working-days``, design decision Q2); plus the derived
compile-and-forward deadline of the standing body (latest input + 5 working days, Q6) and
the flash-report delay (24 hours after the request, Q9). A plan's own window or rule wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pcmd_workflow.errors import CalendarError

__all__ = [
    "DEFAULTS_PATH",
    "CadenceDefault",
    "CutoffRule",
    "NationalDefaults",
    "national_defaults",
]

DEFAULTS_PATH = Path(__file__).resolve().parents[2] / "calendars" / "national" / "defaults.yaml"

_CADENCES = (
    "monthly",
    "quarterly",
    "semiannual",
    "ninemonth",
    "annual",
    "summary",
    "adhoc",
    "flash",
    "unscheduled",
)


@dataclass(frozen=True, kw_only=True)
class CutoffRule:
    """A cut-off window relative to a period.

    Starts on ``start_day`` of the month ``start_month_offset`` months from the period's
    first month; ends on ``end_day`` of the month ``end_month_offset`` months from its
    last month.
    """

    start_day: int
    start_month_offset: int
    end_day: int
    end_month_offset: int
    source: str


@dataclass(frozen=True, kw_only=True)
class CadenceDefault:
    cadence: str
    cutoff: CutoffRule | None  # None: the request or the plan sets the window
    due_rule: str | None  # e.g. "after-cutoff 2 working-days"; None: set per request
    due_source: str


@dataclass(frozen=True, kw_only=True)
class NationalDefaults:
    cadences: Mapping[str, CadenceDefault]
    compile_after_working_days: int
    compile_source: str
    flash_due_hours: int
    flash_source: str

    def for_cadence(self, cadence: str) -> CadenceDefault:
        try:
            return self.cadences[str(cadence)]
        except KeyError:
            raise CalendarError(
                f"cadence '{cadence}' has no national default; expected one of "
                f"{', '.join(self.cadences)}"
            ) from None


def _int(value: Any, *, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CalendarError(f"{where}: expected a whole number from {low} to {high}")
    return value


def _text(value: Any, *, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CalendarError(f"{where}: expected a non-empty text")
    return value


def _cutoff(raw: Any, *, where: str) -> CutoffRule | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CalendarError(f"{where}: expected start, end and source, or null")
    start, end = raw.get("start"), raw.get("end")
    if not isinstance(start, dict) or not isinstance(end, dict):
        raise CalendarError(f"{where}: expected start: {{day, month_offset}} and end: {{...}}")
    return CutoffRule(
        start_day=_int(start.get("day"), where=f"{where}.start.day", low=1, high=28),
        start_month_offset=_int(
            start.get("month_offset"), where=f"{where}.start.month_offset", low=-12, high=12
        ),
        end_day=_int(end.get("day"), where=f"{where}.end.day", low=1, high=28),
        end_month_offset=_int(
            end.get("month_offset"), where=f"{where}.end.month_offset", low=-12, high=12
        ),
        source=_text(raw.get("source"), where=f"{where}.source"),
    )


@lru_cache(maxsize=4)
def national_defaults(path: Path | None = None) -> NationalDefaults:
    """The national defaults file, read and checked once (CalendarError names the field)."""
    path = path or DEFAULTS_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"{path}: national defaults file not found") from None
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cadences"), dict):
        raise CalendarError(f"{path}: expected a mapping with a 'cadences:' mapping")
    cadences: dict[str, CadenceDefault] = {}
    for name in _CADENCES:
        where = f"{path}: cadences.{name}"
        body = raw["cadences"].get(name)
        if not isinstance(body, dict):
            raise CalendarError(f"{where}: missing; expected cutoff, due and due_source")
        due = body.get("due")
        cadences[name] = CadenceDefault(
            cadence=name,
            cutoff=_cutoff(body.get("cutoff"), where=f"{where}.cutoff"),
            due_rule=None if due is None else _text(due, where=f"{where}.due"),
            due_source=_text(body.get("due_source"), where=f"{where}.due_source"),
        )
    unknown = set(raw["cadences"]) - set(_CADENCES)
    if unknown:
        raise CalendarError(
            f"{path}: cadences: unknown {', '.join(sorted(unknown))}; "
            f"expected {', '.join(_CADENCES)}"
        )
    return NationalDefaults(
        cadences=cadences,
        compile_after_working_days=_int(
            raw.get("compile_after_working_days"),
            where=f"{path}: compile_after_working_days",
            low=0,
            high=60,
        ),
        compile_source=_text(raw.get("compile_source"), where=f"{path}: compile_source"),
        flash_due_hours=_int(
            raw.get("flash_due_hours"), where=f"{path}: flash_due_hours", low=1, high=720
        ),
        flash_source=_text(raw.get("flash_source"), where=f"{path}: flash_source"),
    )
