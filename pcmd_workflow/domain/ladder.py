"""The reminder and escalation ladder: which notice a task deserves on a given day, and why.

A :class:`Ladder` is a named list of :class:`Rung` values read from
``calendars/national/ladders.yaml``; a plan picks one in ``defaults.ladder`` and an
obligation may pick another in ``ladder:``. Each rung fires a number of *working days*
from the task's effective due date (after extensions and returns), counted on the
Vietnamese calendar (Labour Code 2019 Art. 112 holidays plus the announced swaps):
``T-7`` is seven working days before, ``T0`` the due day, ``T+3`` three working days after
(CONTRACTS "Notices"; design decision Q1: rungs count back from the final due date).

On a day D the *current* rung of a task is the last rung whose day is on or before D. A
daily sweep therefore plans every rung once; a rung whose days all passed without a sweep
is superseded by the next one instead of arriving late, and a notice of an earlier rung
still waiting in the outbox no longer applies.

Units addressed with «Đề nghị» (``requested``: outside the People's Committee's command)
get reminders and overdue notices like everyone, but their escalations go to the standing
body's coordinator only, never to their head nor to the People's Committee office
(design decision Q10, DOMAIN.md §0.1).

This module is pure: no database, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from pcmd_workflow.domain.calendar import WorkingCalendar
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi
from pcmd_workflow.errors import ConfigError

__all__ = [
    "DEFAULT_LADDER",
    "LADDERS_PATH",
    "RUNG_KINDS",
    "Audience",
    "Ladder",
    "LadderBook",
    "NoticeKind",
    "Rung",
    "audiences_for",
    "default_ladders",
    "load_ladders",
    "parse_rung_name",
    "reason_en",
    "reason_vi",
    "rung_name",
]

LADDERS_PATH = Path(__file__).resolve().parents[2] / "calendars" / "national" / "ladders.yaml"
DEFAULT_LADDER = "national-default"

_RUNG_RE = re.compile(r"^T(0|[+-][1-9][0-9]*)$")


class Audience(StrEnum):
    """Who a rung addresses."""

    unit = "unit"  # the reporting unit itself
    head = "head"  # the unit's head (thủ trưởng), when a head contact exists
    coordinator = "coordinator"  # the standing body's PCMD coordinator
    pc_office = "pc_office"  # Văn phòng UBND of the issuing People's Committee


class NoticeKind(StrEnum):
    """Every kind of notice the outbox holds; each has its Vietnamese template."""

    reminder = "reminder"  # T-7, T-2: the deadline is coming
    due_today = "due_today"  # T0
    overdue = "overdue"  # T+1
    escalation = "escalation"  # T+3: to the head and the coordinator
    escalation_pc = "escalation_pc"  # T+7: to the People's Committee office, late units listed
    coordinator_digest = "coordinator_digest"  # the coordinator's daily summary
    missing_contacts = "missing_contacts"  # units no channel can reach
    dead_letter = "dead_letter"  # notices given up after the retry limit
    fallback = "fallback"  # a Zalo notice went by e-mail or the sink instead
    compilation = "compilation"  # a period compiled after its deadline: result, missing units
    receipt = "receipt"  # a submission received through the portal: its receipt number


#: Kinds a ladder rung may carry (the others are reports the engine writes itself).
RUNG_KINDS: frozenset[NoticeKind] = frozenset(
    {
        NoticeKind.reminder,
        NoticeKind.due_today,
        NoticeKind.overdue,
        NoticeKind.escalation,
        NoticeKind.escalation_pc,
    }
)

_ESCALATION_AUDIENCES = frozenset({Audience.head, Audience.pc_office})


def rung_name(offset: int) -> str:
    """``-7`` → ``T-7``, ``0`` → ``T0``, ``3`` → ``T+3``."""
    return "T0" if offset == 0 else f"T{offset:+d}"


def parse_rung_name(name: str) -> int:
    """``T-2`` → ``-2``; a ConfigError for anything else."""
    match = _RUNG_RE.match(name)
    if match is None:
        raise ConfigError(f"rung '{name}': expected T0, T-<n> or T+<n>")
    return int(match.group(1))


@dataclass(frozen=True, kw_only=True)
class Rung:
    offset: int  # working days from the due date
    kind: NoticeKind
    audiences: tuple[Audience, ...]

    @cached_property
    def name(self) -> str:
        return rung_name(self.offset)

    def day(self, *, due_date: date, calendar: WorkingCalendar) -> date:
        """The working day on which this rung fires for a task due on ``due_date``."""
        return calendar.add_working_days(due_date, self.offset)


@dataclass(frozen=True, kw_only=True)
class Ladder:
    name: str
    title: str
    source: str
    rungs: tuple[Rung, ...]  # ordered by offset

    def rung(self, name: str) -> Rung:
        for rung in self.rungs:
            if rung.name == name:
                return rung
        raise ConfigError(f"ladder '{self.name}' has no rung '{name}'")

    def schedule(self, *, due_date: date, calendar: WorkingCalendar) -> list[tuple[Rung, date]]:
        """Every rung with the day it fires for a task due on ``due_date``."""
        return [(r, r.day(due_date=due_date, calendar=calendar)) for r in self.rungs]

    def current(
        self, *, due_date: date, as_of: date, calendar: WorkingCalendar
    ) -> tuple[Rung, date] | None:
        """The last rung whose day is on or before ``as_of``, with its day (None: none yet)."""
        found: tuple[Rung, date] | None = None
        for rung, day in self.schedule(due_date=due_date, calendar=calendar):
            if day <= as_of:
                found = (rung, day)
        return found


def audiences_for(rung: Rung, *, requested: bool) -> tuple[Audience, ...]:
    """The audiences of ``rung`` for a unit; «Đề nghị» units escalate to the coordinator only.

    Design decision Q10 (DOMAIN.md §0.1): reminders and overdue notices go to a requested
    unit as to any other; its escalation goes to the standing body's coordinator only, never
    to its head (nor to the People's Committee office, whose command it is not under).
    """
    if not requested:
        return rung.audiences
    out: list[Audience] = []
    for audience in rung.audiences:
        target = Audience.coordinator if audience in _ESCALATION_AUDIENCES else audience
        if target not in out:
            out.append(target)
    return tuple(out)


class LadderBook(Mapping[str, Ladder]):
    """Ladders by name, read from one file."""

    def __init__(self, ladders: Mapping[str, Ladder], *, path: Path) -> None:
        self._ladders = dict(ladders)
        self.path = path

    def __getitem__(self, name: str) -> Ladder:
        try:
            return self._ladders[name]
        except KeyError:
            known = ", ".join(sorted(self._ladders))
            raise ConfigError(
                f"unknown ladder '{name}'; {self.path.name} defines: {known}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ladders)

    def __len__(self) -> int:
        return len(self._ladders)


# ---- loading ------------------------------------------------------------------------------


def _where(path: Path, node: yaml.Node | None, field: str) -> str:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return f"{path}{line}: {field}:"


def _mapping_items(node: yaml.Node) -> list[tuple[str, yaml.Node]]:
    assert isinstance(node, yaml.MappingNode)
    return [(str(k.value), v) for k, v in node.value]


def _rung_from(node: yaml.Node, *, path: Path, field: str) -> Rung:
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{_where(path, node, field)} expected a mapping with offset, kind, to")
    items = dict(_mapping_items(node))
    unknown = sorted(set(items) - {"offset", "kind", "to"})
    if unknown:
        raise ConfigError(f"{_where(path, node, field)} unknown keys {unknown}")
    offset_node = items.get("offset")
    try:
        offset = int(offset_node.value) if isinstance(offset_node, yaml.ScalarNode) else None
    except ValueError:
        offset = None
    if offset is None:
        raise ConfigError(
            f"{_where(path, offset_node or node, field + '.offset')} expected an integer"
        )
    kind_node = items.get("kind")
    kind_value = kind_node.value if isinstance(kind_node, yaml.ScalarNode) else None
    if kind_value not in {k.value for k in RUNG_KINDS}:
        raise ConfigError(
            f"{_where(path, kind_node or node, field + '.kind')} '{kind_value}' is not one of "
            f"{sorted(k.value for k in RUNG_KINDS)}"
        )
    to_node = items.get("to")
    if not isinstance(to_node, yaml.SequenceNode) or not to_node.value:
        raise ConfigError(
            f"{_where(path, to_node or node, field + '.to')} expected a non-empty list of "
            f"{[a.value for a in Audience]}"
        )
    audiences: list[Audience] = []
    for j, item in enumerate(to_node.value):
        try:
            audiences.append(Audience(item.value))
        except ValueError:
            raise ConfigError(
                f"{_where(path, item, f'{field}.to[{j}]')} '{item.value}' is not one of "
                f"{[a.value for a in Audience]}"
            ) from None
    return Rung(offset=offset, kind=NoticeKind(kind_value), audiences=tuple(audiences))


def _ladder_from(name: str, node: yaml.Node, *, path: Path) -> Ladder:
    field = f"ladders.{name}"
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"{_where(path, node, field)} expected a mapping")
    items = dict(_mapping_items(node))
    rungs_node = items.get("rungs")
    if not isinstance(rungs_node, yaml.SequenceNode) or not rungs_node.value:
        raise ConfigError(f"{_where(path, rungs_node or node, field + '.rungs')} expected a list")
    rungs = [
        _rung_from(item, path=path, field=f"{field}.rungs[{i}]")
        for i, item in enumerate(rungs_node.value)
    ]
    offsets = [r.offset for r in rungs]
    if len(set(offsets)) != len(offsets):
        raise ConfigError(f"{_where(path, rungs_node, field + '.rungs')} two rungs share an offset")
    if offsets != sorted(offsets):
        raise ConfigError(
            f"{_where(path, rungs_node, field + '.rungs')} rungs must be ordered by offset"
        )
    scalars = {
        k: str(v.value) for k, v in items.items() if isinstance(v, yaml.ScalarNode) and v.value
    }
    for required in ("title", "source"):
        if required not in scalars:
            raise ConfigError(f"{_where(path, node, field + '.' + required)} missing")
    return Ladder(name=name, title=scalars["title"], source=scalars["source"], rungs=tuple(rungs))


def load_ladders(path: Path | None = None) -> LadderBook:
    """Read a ladders file; a ConfigError names the file, line and field of any problem."""
    path = path or LADDERS_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the ladders file ({exc.strerror})") from None
    try:
        root: Any = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}: expected a mapping with 'ladders'")
    ladders_node = dict(_mapping_items(root)).get("ladders")
    if not isinstance(ladders_node, yaml.MappingNode):
        raise ConfigError(f"{_where(path, ladders_node or root, 'ladders')} expected a mapping")
    ladders = {
        name: _ladder_from(name, node, path=path) for name, node in _mapping_items(ladders_node)
    }
    if DEFAULT_LADDER not in ladders:
        raise ConfigError(f"{path}: ladders: the '{DEFAULT_LADDER}' ladder is required")
    return LadderBook(ladders, path=path)


@lru_cache(maxsize=1)
def default_ladders() -> LadderBook:
    """The ladders of ``calendars/national/ladders.yaml`` (read once)."""
    return load_ladders()


# ---- why a notice exists ---------------------------------------------------------------------

_KIND_VI: dict[NoticeKind, str] = {
    NoticeKind.reminder: "Nhắc hạn nộp báo cáo",
    NoticeKind.due_today: "Hôm nay là hạn nộp báo cáo",
    NoticeKind.overdue: "Báo cáo đã quá hạn",
    NoticeKind.escalation: "Báo cáo quá hạn, báo cáo lãnh đạo đơn vị và cơ quan thường trực",
    NoticeKind.escalation_pc: "Báo cáo quá hạn, báo cáo Văn phòng Ủy ban nhân dân",
}


def _offset_vi(offset: int) -> str:
    if offset < 0:
        return f"trước hạn {-offset} ngày làm việc"
    if offset == 0:
        return "đúng ngày hạn nộp"
    return f"sau hạn {offset} ngày làm việc"


def reason_vi(*, ladder: str, rung: Rung, due_date: date, task: str) -> str:
    """``Nhắc hạn nộp báo cáo (mốc T-2, trước hạn 2 ngày làm việc, thang nhắc «…»): …``."""
    return (
        f"{_KIND_VI[rung.kind]} (mốc {rung.name}, {_offset_vi(rung.offset)}, "
        f"thang nhắc «{ladder}»): {task}, hạn nộp {weekday_vi(due_date)}, "
        f"{format_short(due_date)}"
    )


def reason_en(*, ladder: str, rung: Rung, due_date: date, rung_day: date, task: str) -> str:
    """``T-2 of ladder national-default: <task key> due 2024-06-17 (rung day 2024-06-13)``."""
    return (
        f"{rung.name} of ladder {ladder}: {task} due {due_date.isoformat()} "
        f"(rung day {rung_day.isoformat()})"
    )
