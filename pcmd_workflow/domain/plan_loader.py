"""Read a plan file and report every problem with its line: ``FILE:LINE: field.path: …``.

The file is parsed with ruamel.yaml in round-trip mode, which keeps the line of every key
and list item, then validated with the pydantic schema of :mod:`pcmd_workflow.domain.plan`;
each error's ``loc`` is mapped back to the line of that node. Beyond the schema the loader
checks what needs the whole plan or the calendar (CONTRACTS "Identifiers", "Due-rule
grammar"; DOMAIN §0.1):

- cross references (:func:`~pcmd_workflow.domain.plan.cross_reference_problems`): unknown
  units, groups and forms, duplicate ids, cycles in the unit hierarchy, "of which" rows
  whose parent is missing;
- due rules parse (``before 31/2`` is an error), period labels parse, a dated rule
  (``before 05/7/2020``) only on a one-off duty, deadlines inside the plan's validity;
- the plan id is the file stem (CONTRACTS "Identifiers").

Problems are errors; a plan with any is refused. Warnings are printed and kept: groups
that expand to nothing (a unit list the seeds do not give), overlapping duties of one
reporter (DOMAIN Q4: kept separate), ``unscheduled`` duties that need a decision.

Files larger than :data:`MAX_PLAN_BYTES` are refused before parsing; files that are not
UTF-8, empty, or not YAML get one clear located problem. Nothing here raises anything but
:class:`~pcmd_workflow.errors.PlanValidationError` (from :func:`load_plan_file`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from pcmd_workflow.domain.calendar import WorkingCalendar
from pcmd_workflow.domain.deadlines import NO_DEADLINE_CADENCES, obligation_deadlines
from pcmd_workflow.domain.due_rules import parse_due_rule
from pcmd_workflow.domain.periods import RECURRING_CADENCES, Cadence, parse_period
from pcmd_workflow.domain.plan import (
    Group,
    IndicatorForm,
    Obligation,
    Plan,
    PlanDefaults,
    Target,
    Unit,
    Validity,
    cross_reference_problems,
)
from pcmd_workflow.errors import CalendarError, Located, PlanValidationError

__all__ = [
    "MAX_PLAN_BYTES",
    "CheckResult",
    "check_plan_bytes",
    "check_plan_file",
    "load_plan_file",
]

#: Plan files above this size are refused without parsing (a plan is a few hundred KB).
MAX_PLAN_BYTES = 5 * 1024 * 1024
#: Nodes after alias expansion; guards against "billion laughs" alias bombs.
_MAX_NODES = 1_000_000

Loc = tuple[str | int, ...]

_HINTS: dict[str, str] = {
    "clause": "the verbatim Vietnamese sentence of the document, copied character for character",
    "where": "the location of the clause in the document, e.g. 'V.2' or 'IV.24.b-4'",
    "text": "the verbatim Vietnamese text of the target",
    "id": "an id: lowercase letters, digits and hyphens",
    "slug": "a slug: lowercase letters, digits and hyphens",
    "reporters": "a list of unit or group slugs",
    "recipient": "a unit or group slug",
    "cadence": "one of " + ", ".join(c.value for c in Cadence),
    "validity": "a mapping with start (and end) dates",
    "start": "a date YYYY-MM-DD",
    "units": "a list of units",
    "number": "the document number as written, e.g. '255/KH-UBND'",
    "issued": "the issue date YYYY-MM-DD",
    "jurisdiction": "a slug such as 'ha-noi'",
}


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """What ``pcmd plan check`` says about one file."""

    path: str
    plan: Plan | None  # None when the file does not validate
    problems: tuple[Located, ...]
    warnings: tuple[Located, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---- reading -------------------------------------------------------------------------------


def load_plan_file(path: str | Path, *, calendar: WorkingCalendar | None = None) -> Plan:
    """The validated plan, or PlanValidationError listing every located problem."""
    result = check_plan_file(path, calendar=calendar)
    if result.plan is None or result.problems:
        raise PlanValidationError(result.problems)
    return result.plan


def check_plan_file(path: str | Path, *, calendar: WorkingCalendar | None = None) -> CheckResult:
    """Every problem and warning of one plan file (never raises for a bad file)."""
    name = str(path)
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_PLAN_BYTES:
            return _refused(
                name,
                f"file is {size / 1024 / 1024:.1f} MB; a plan file may be at most "
                f"{MAX_PLAN_BYTES // 1024 // 1024} MB — not parsed",
            )
        data = file.read_bytes()
    except FileNotFoundError:
        return _refused(name, "file not found")
    except IsADirectoryError:
        return _refused(name, "is a directory; expected a plan file (.yaml)")
    except OSError as exc:
        return _refused(name, f"cannot be read: {exc.strerror or exc}")
    return check_plan_bytes(data, name=name, stem=file.stem, calendar=calendar)


def check_plan_bytes(
    data: bytes,
    *,
    name: str,
    stem: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> CheckResult:
    """Check plan text held in memory; ``stem`` (the file stem) must equal the plan id."""
    if len(data) > MAX_PLAN_BYTES:
        return _refused(
            name, f"plan text is larger than {MAX_PLAN_BYTES // 1024 // 1024} MB — not parsed"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _refused(
            name,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            line=line,
        )
    if not _has_content(text):
        return _refused(name, "file is empty; expected a plan (id, number, type, title, issuer, …)")
    try:
        root = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.problem, exc.context) if p) or "invalid YAML"
        what = what.split("\n", 1)[0]
        return _refused(name, f"YAML syntax error: {what}", line=mark.line + 1 if mark else None)
    except (YAMLError, ValueError, TypeError) as exc:  # e.g. a date such as 2021-13-01
        return _refused(name, f"YAML error: {_one_line(exc)}")
    if not isinstance(root, CommentedMap):
        kind = "nothing" if root is None else _show(root)
        return _refused(
            name, f"expected a mapping of plan fields (id: …, number: …), got {kind}", line=1
        )
    try:
        plain = _plain(root, budget=[_MAX_NODES])
    except _TooBig:
        return _refused(name, "too many YAML nodes after expanding aliases — not parsed")
    return _check(root, plain, name=name, stem=stem, calendar=calendar)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps an impossible date (2021-13-01) as text.

    The schema then reports it at its line ("expected a date YYYY-MM-DD") instead of the
    parser failing without a position.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(node.value)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _Constructor
    return yaml


def _has_content(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            return True
    return False


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _refused(name: str, message: str, *, line: int | None = None) -> CheckResult:
    problem = Located(file=name, line=line, field="", message=message)
    return CheckResult(path=name, plan=None, problems=(problem,), warnings=())


class _TooBig(Exception):
    pass


def _plain(node: Any, *, budget: list[int]) -> Any:
    """ruamel's round-trip objects as plain dicts, lists, str, int, float, bool, date."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(node, dict):
        return {_plain(k, budget=budget): _plain(v, budget=budget) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v, budget=budget) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime):
        return datetime(*node.timetuple()[:6], node.microsecond)
    if isinstance(node, date):
        return date(node.year, node.month, node.day)
    return node


# ---- locating --------------------------------------------------------------------------------


def _line_of(root: CommentedMap, loc: Loc) -> int:
    """1-based line of the deepest node of ``loc`` present in the file."""
    line = 1
    node: Any = root
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def _path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _parse_path(path: str) -> Loc:
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(path))


# ---- pydantic errors in words ---------------------------------------------------------------


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value.isoformat() if isinstance(value, date) else value)
    return text if len(text) <= 60 else text[:57] + "…"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that the mapping at ``loc`` is validated with."""
    model: type[BaseModel] | None = Plan
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None or get_args(annotation):
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _error_message(error: Any) -> str:
    kind: str = error["type"]
    loc: Loc = tuple(error["loc"])
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    got = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"required field is missing; expected {_HINTS.get(field, 'a value')}"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = f"; expected one of: {', '.join(_field_names(model))}" if model else ""
        return f"unknown field '{field}'{allowed}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"expected a date YYYY-MM-DD, got {_show(got)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {_show(got)}"
    if kind == "list_type":
        return f"expected a list, got {_show(got)}"
    if kind == "string_type":
        return f"expected text, got {_show(got)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_show(got)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_show(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_show(got)}"
    if kind in ("enum", "literal_error"):
        return f"{_show(got)} is not allowed; expected {ctx.get('expected', 'another value')}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s)"
    if kind == "string_too_short":
        return f"must not be empty; expected {_HINTS.get(field, 'some text')}"
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
    return f"{error['msg']}, got {_show(got)}"


def _error_loc(error: Any) -> Loc:
    """The error's ``loc``, down to the field a whole-model check names first.

    A check such as "end 2021-12-31 is before start 2022-01-10" is raised on the model;
    pointing at ``validity.end`` gives the line a coordinator has to edit.
    """
    loc: Loc = tuple(error["loc"])
    if error["type"] != "value_error":
        return loc
    first = _error_message(error).split(" ", 1)[0]
    model = _model_at(loc)
    if model is not None and first in _field_names(model):
        return (*loc, first)
    return loc


# ---- validation ------------------------------------------------------------------------------

_SECTIONS: dict[str, type[BaseModel]] = {
    "units": Unit,
    "groups": Group,
    "obligations": Obligation,
    "targets": Target,
    "forms": IndicatorForm,
}
_UNKNOWN_REF = re.compile(r"unknown (?:unit or group|unit|form|obligation) '([^']+)'")


@dataclass(frozen=True, kw_only=True)
class _Salvage:
    """The parts of an invalid plan that validate alone, to check them further."""

    plan: Plan
    index: dict[str, list[int]]  # section → original index of each kept item
    dropped: frozenset[str]  # slugs and ids of items that did not validate


def _salvage(data: dict[Any, Any]) -> _Salvage:
    kept: dict[str, list[Any]] = {}
    index: dict[str, list[int]] = {}
    dropped: set[str] = set()
    for section, model in _SECTIONS.items():
        kept[section], index[section] = [], []
        raw = data.get(section)
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            try:
                kept[section].append(model.model_validate(item))
                index[section].append(i)
            except ValidationError:
                if isinstance(item, dict):
                    dropped.update(
                        str(item[key]) for key in ("slug", "id") if isinstance(item.get(key), str)
                    )
    try:
        validity = Validity.model_validate(data.get("validity"))
    except ValidationError:
        validity = None
    try:
        defaults = PlanDefaults.model_validate(data.get("defaults") or {})
    except ValidationError:
        defaults = PlanDefaults()
    values: dict[str, Any] = {
        "id": str(data.get("id") or ""),
        "number": str(data.get("number") or ""),
        "validity": validity,  # None: the checks that need it are skipped
        "defaults": defaults,
        **kept,
    }
    plan = Plan.model_construct(**values)
    return _Salvage(plan=plan, index=index, dropped=frozenset(dropped))


def _check(
    root: CommentedMap,
    data: dict[Any, Any],
    *,
    name: str,
    stem: str | None,
    calendar: WorkingCalendar | None,
) -> CheckResult:
    problems: list[tuple[Loc, str]] = []
    warnings: list[tuple[Loc, str]] = []
    plan: Plan | None
    try:
        plan = Plan.model_validate(data)
        salvage = _Salvage(
            plan=plan,
            index={s: list(range(len(getattr(plan, s)))) for s in _SECTIONS},
            dropped=frozenset(),
        )
    except ValidationError as exc:
        plan = None
        problems.extend((_error_loc(e), _error_message(e)) for e in exc.errors())
        salvage = _salvage(data)

    def remap(loc: Loc) -> Loc:
        if len(loc) >= 2 and loc[0] in salvage.index and isinstance(loc[1], int):
            return (loc[0], salvage.index[str(loc[0])][loc[1]], *loc[2:])
        return loc

    for path, message in cross_reference_problems(salvage.plan):
        ref = _UNKNOWN_REF.search(message)
        if ref is None or ref.group(1) not in salvage.dropped:
            problems.append((remap(_parse_path(path)), message))
    own_problems, own_warnings = _plan_checks(salvage.plan, stem=stem, calendar=calendar)
    problems.extend((remap(loc), m) for loc, m in own_problems)
    warnings.extend((remap(loc), m) for loc, m in own_warnings)

    def located(items: list[tuple[Loc, str]]) -> tuple[Located, ...]:
        out = [
            Located(file=name, line=_line_of(root, loc), field=_path(loc), message=message)
            for loc, message in items
        ]
        out.sort(key=lambda p: (p.line or 0, p.field))
        return tuple(dict.fromkeys(out))

    found = located(problems)
    return CheckResult(
        path=name, plan=plan if not found else None, problems=found, warnings=located(warnings)
    )


def _plan_checks(
    plan: Plan, *, stem: str | None, calendar: WorkingCalendar | None
) -> tuple[list[tuple[Loc, str]], list[tuple[Loc, str]]]:
    problems: list[tuple[Loc, str]] = []
    warnings: list[tuple[Loc, str]] = []
    if stem is not None and plan.id and plan.id != stem:
        problems.append(
            (("id",), f"plan id '{plan.id}' must be the file name stem '{stem}' (CONTRACTS)")
        )
    for i, unit in enumerate(plan.units):
        if unit.active_from and unit.active_until and unit.active_until < unit.active_from:
            problems.append(
                (
                    ("units", i, "active_until"),
                    f"active_until {unit.active_until} is before active_from {unit.active_from}",
                )
            )
    for i, obligation in enumerate(plan.obligations):
        p, w = _obligation_checks(plan, obligation, calendar=calendar)
        problems.extend((("obligations", i, *loc), m) for loc, m in p)
        warnings.extend((("obligations", i, *loc), m) for loc, m in w)
    if plan.validity is not None:
        warnings.extend(_empty_groups(plan))
        warnings.extend(_overlaps(plan))
    return problems, warnings


def _obligation_checks(
    plan: Plan, obligation: Obligation, *, calendar: WorkingCalendar | None
) -> tuple[list[tuple[Loc, str]], list[tuple[Loc, str]]]:
    problems: list[tuple[Loc, str]] = []
    warnings: list[tuple[Loc, str]] = []
    cadence = obligation.cadence
    if cadence is Cadence.unscheduled:
        warnings.append(
            (
                ("cadence",),
                f"obligation '{obligation.id}' is unscheduled: the plan gives no cadence or "
                "day, so no deadline is created; needs a decision (a cadence and due rule, "
                "or keep it tracked only)",
            )
        )
    if obligation.due is not None:
        try:
            rule = parse_due_rule(obligation.due)
        except CalendarError as exc:
            problems.append((("due",), str(exc)))
            rule = None
        if rule is not None and cadence in NO_DEADLINE_CADENCES:
            warnings.append(
                (("due",), f"cadence '{cadence}' creates no deadline; the due rule is not used")
            )
        if rule is not None and rule.year is not None and cadence in RECURRING_CADENCES:
            problems.append(
                (
                    ("due",),
                    f"'{obligation.due}' names one date but cadence '{cadence}' recurs; "
                    "expected a day and month (before DD/MM) or cadence 'summary' with periods",
                )
            )
    if obligation.halves is not None and cadence is not Cadence.semiannual:
        problems.append((("halves",), f"halves apply to cadence 'semiannual', not '{cadence}'"))
    labels_ok = True
    for j, label in enumerate(obligation.periods or []):
        try:
            period = parse_period(label)
        except CalendarError as exc:
            problems.append((("periods", j), str(exc)))
            labels_ok = False
            continue
        if cadence in RECURRING_CADENCES and period.cadence is not cadence:
            problems.append(
                (("periods", j), f"period '{label}' is {period.cadence}; expected a {cadence} one")
            )
            labels_ok = False
    if cadence is Cadence.summary and not obligation.periods:
        warnings.append(
            (
                ("cadence",),
                "a summary without periods creates no deadline; "
                "expected periods such as ['2021-2025']",
            )
        )
    has_cutoff = obligation.cutoff_start is not None or obligation.cutoff_end is not None
    if has_cutoff and obligation.periods is None:
        problems.append(
            (
                ("cutoff_end" if obligation.cutoff_end else "cutoff_start",),
                "a cut-off date applies to explicit periods; expected periods: [...] as well",
            )
        )
    if plan.validity is not None:
        problems.extend(_outside_validity(plan, obligation, labels_ok=labels_ok, cal=calendar))
    return problems, warnings


def _outside_validity(
    plan: Plan, obligation: Obligation, *, labels_ok: bool, cal: WorkingCalendar | None
) -> Iterator[tuple[Loc, str]]:
    validity = plan.validity
    span = f"{validity.start} – {validity.end or 'open-ended'}"

    def outside(day: date) -> bool:
        return day < validity.start or (validity.end is not None and day > validity.end)

    for name in ("starts", "ends"):
        day = getattr(obligation, name)
        if day is not None and outside(day):
            yield (name,), f"{day} is outside the plan's validity {span}"
    if obligation.periods is None or not labels_ok:
        return  # recurring periods are derived inside the validity
    try:
        items = obligation_deadlines(plan, obligation, calendar=cal)
    except CalendarError as exc:
        yield ("due" if obligation.due else "periods",), str(exc)
        return
    for item in items:
        if outside(item.deadline.nominal_due):
            yield (
                ("due" if obligation.due else "periods",),
                f"deadline {item.deadline.nominal_due} (period {item.period.label}) is "
                f"outside the plan's validity {span}",
            )


def _empty_groups(plan: Plan) -> Iterator[tuple[Loc, str]]:
    day = plan.validity.start
    for i, group in enumerate(plan.groups):
        if not plan.expand(group.slug, on=day):
            yield (
                ("groups", i),
                f"group '{group.slug}' expands to nothing on {day} (no member unit known); "
                "its duties create no task until units are listed",
            )


def _overlaps(plan: Plan) -> Iterator[tuple[Loc, str]]:
    """Two duties of one cadence owed by the same unit (DOMAIN Q4: both are kept)."""
    day = plan.validity.start
    scheduled = [
        (i, o) for i, o in enumerate(plan.obligations) if o.cadence not in NO_DEADLINE_CADENCES
    ]
    reporters = {
        o.id: {u.slug for r in o.reporters for u in plan.expand(r, on=day, obligation=o.id)}
        for _, o in scheduled
    }
    for n, (i, later) in enumerate(scheduled):
        for _, earlier in scheduled[:n]:
            if earlier.cadence is not later.cadence:
                continue
            both_dated = earlier.periods is not None and later.periods is not None
            if both_dated and not set(earlier.periods or ()) & set(later.periods or ()):
                continue
            shared = sorted(reporters[earlier.id] & reporters[later.id])
            if not shared:
                continue
            sample = ", ".join(shared[:3]) + (", …" if len(shared) > 3 else "")
            yield (
                ("obligations", i),
                f"obligation '{later.id}' overlaps '{earlier.id}' ({earlier.where}): "
                f"{len(shared)} unit(s) owe both ({sample}) with cadence '{later.cadence}'; "
                "kept as separate duties (decision Q4)",
            )
