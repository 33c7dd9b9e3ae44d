"""The plan schema: one issued document (Kế hoạch, Quyết định, Chỉ thị) as validated data.

A plan file (``calendars/<place>-<number>-<type>-<year>.yaml``) holds the document's identity,
the units it assigns duties to, unit groups ("UBND các huyện, thị xã, thành phố"), the
reporting obligations (each citing its verbatim clause and location), the quantitative
targets and the indicator forms. This module is pure: it validates shapes and cross
references; :mod:`pcmd_workflow.domain.plan_loader` reads files and locates errors by line.

Groups expand from the unit hierarchy in force on a given day, so a province without a
district level (the two-tier local government in force from 1/7/2025) is a data change only;
units may be succeeded from a date (agency mergers of 2025) by one or several units.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pcmd_workflow.domain.periods import Cadence

__all__ = [
    "SLUG_RE",
    "Contact",
    "DocType",
    "FormRow",
    "Group",
    "GroupSelect",
    "IndicatorForm",
    "LegalRef",
    "Level",
    "Obligation",
    "Plan",
    "PlanDefaults",
    "Role",
    "RowKind",
    "Succession",
    "Target",
    "TargetIndicator",
    "Unit",
    "Validity",
    "cross_reference_problems",
]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ROW_ID_RE = re.compile(r"^[A-Z](?:\.[0-9A-Za-z]+)*$")
EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DocType(StrEnum):
    ke_hoach = "Kế hoạch"
    quyet_dinh = "Quyết định"
    chi_thi = "Chỉ thị"
    cong_van = "Công văn"


class Level(StrEnum):
    central = "central"
    province = "province"
    district = "district"
    commune = "commune"
    body = "body"


class Role(StrEnum):
    lead = "lead"
    standing = "standing"
    member = "member"
    coordinating = "coordinating"
    subordinate = "subordinate"
    recipient = "recipient"


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' is not a slug; expected lowercase letters, digits and hyphens")
    return value


class LegalRef(_Strict):
    """A document the plan cites as its basis ("Căn cứ ...", "Thực hiện ...")."""

    number: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    title: str


class Validity(_Strict):
    start: date
    end: date | None = None  # None: open-ended, materialised up to a chosen year

    @model_validator(mode="after")
    def _ordered(self) -> Validity:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Contact(_Strict):
    """How to reach a unit, its head or its PCMD coordinator."""

    kind: Literal["email", "zalo", "phone"]
    value: str
    name: str | None = None
    role: Literal["unit", "head", "coordinator"] = "unit"

    @model_validator(mode="after")
    def _valid_value(self) -> Contact:
        if self.kind == "email" and not EMAIL_RE.match(self.value):
            raise ValueError(f"'{self.value}' is not an email address")
        if self.kind == "phone":
            digits = re.sub(r"\D", "", self.value)
            if digits.startswith("0"):
                digits = "84" + digits[1:]
            if not re.fullmatch(r"84\d{9}", digits):
                raise ValueError(
                    f"'{self.value}' is not a Vietnamese phone number; "
                    "expected 0xxxxxxxxx or 84xxxxxxxxx (9 digits after the prefix)"
                )
        if self.kind == "zalo" and not re.fullmatch(r"[0-9A-Za-z_-]{4,64}", self.value):
            raise ValueError(f"'{self.value}' is not a Zalo user id")
        return self


class Succession(_Strict):
    """From ``from_`` on, the unit's duties (or the named ones) go to ``to``."""

    from_: date = Field(alias="from")
    to: list[str] = Field(min_length=1)
    obligations: list[str] | None = None  # None: every duty
    source: str | None = None

    @field_validator("to")
    @classmethod
    def _slugs(cls, v: list[str]) -> list[str]:
        return [_check_slug(s) for s in v]


class Unit(_Strict):
    slug: str
    name: str
    level: Level
    parent: str | None = None
    role: Role = Role.member
    tags: list[str] = Field(default_factory=list)
    requested: bool = False  # addressed with «Đề nghị»: not under the PC's command (Q10)
    excluded: bool = False  # named but not bound by reporting duties (Q12)
    contacts: list[Contact] = Field(default_factory=list)
    active_from: date | None = None
    active_until: date | None = None
    succeeded: list[Succession] = Field(default_factory=list)
    outside_seeds: bool = False  # encoded from general knowledge, not from the document
    note: str | None = None

    @field_validator("slug", "parent")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        return v if v is None else _check_slug(v)

    def active_on(self, day: date) -> bool:
        if self.active_from is not None and day < self.active_from:
            return False
        return self.active_until is None or day <= self.active_until

    def successors_on(self, day: date, obligation: str | None = None) -> list[str] | None:
        """The units that carry this unit's duty on ``day``, or None when it is still its own."""
        current: list[str] | None = None
        for step in sorted(self.succeeded, key=lambda s: s.from_):
            if step.from_ <= day and (
                step.obligations is None or obligation is None or obligation in step.obligations
            ):
                current = list(step.to)
        return current


class GroupSelect(_Strict):
    """Members chosen from the hierarchy: every unit matching all given conditions."""

    level: Level | None = None
    tags: list[str] = Field(default_factory=list)
    parent: str | None = None
    roles: list[Role] = Field(default_factory=list)


class Group(_Strict):
    slug: str
    name: str
    members: list[str] = Field(default_factory=list)  # units or other groups
    select: GroupSelect | None = None
    note: str | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_slug(v)

    @model_validator(mode="after")
    def _has_rule(self) -> Group:
        if not self.members and self.select is None:
            raise ValueError("a group needs 'members' or 'select'")
        return self


class Obligation(_Strict):
    """One reporting duty with one cadence (a clause naming four cadences gives four)."""

    id: str
    title: str | None = None
    reporters: list[str] = Field(min_length=1)
    recipient: str
    via: str | None = None
    cadence: Cadence
    #: due rule text in the grammar of ``pcmd due`` (None: the national default for the cadence)
    due: str | None = None
    #: ``default`` when ``due`` is a decision applied to the plan (DOMAIN Q2, Q17), not its word
    due_source: Literal["plan", "default"] = "plan"
    inclusive: bool = False
    policy: Literal["next_working_day", "previous_working_day", "none"] | None = None
    #: explicit period labels (summaries: ["2016-2020"]); recurring cadences derive them
    periods: list[str] | None = None
    #: semiannual only: which halves are due (None: ["H1"]; the annual report covers the year)
    halves: list[Literal["H1", "H2"]] | None = None
    #: data cut-off override ("số liệu tính đến hết ngày 30/6/2020")
    cutoff_start: date | None = None
    cutoff_end: date | None = None
    #: first and last day on which a deadline of this duty may fall (default: plan validity)
    starts: date | None = None
    ends: date | None = None
    form: str | None = None
    ladder: str | None = None
    clause: str = Field(min_length=1)
    where: str = Field(min_length=1)
    period_label: str | None = None  # verbatim period wording when defective ("2021 - 2026")
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_slug(v)

    @model_validator(mode="after")
    def _cutoff_order(self) -> Obligation:
        if self.cutoff_start and self.cutoff_end and self.cutoff_end < self.cutoff_start:
            raise ValueError(
                f"cutoff_end {self.cutoff_end} is before cutoff_start {self.cutoff_start}"
            )
        if self.starts and self.ends and self.ends < self.starts:
            raise ValueError(f"ends {self.ends} is before starts {self.starts}")
        return self


class TargetIndicator(_Strict):
    """Which form rows measure a target: value = numerator / denominator (x100 for percent)."""

    form: str
    numerator: str
    denominator: str | None = None


class Target(_Strict):
    id: str
    text: str = Field(min_length=1)  # verbatim
    where: str
    metric: Literal["percent", "count", "frequency", "yes_no", "increase_rate", "zero_count"]
    comparator: Literal[">=", ">", "=", "<=", "range"] = ">="
    value: float | None = Field(default=None, allow_inf_nan=False)
    value_max: float | None = Field(default=None, allow_inf_nan=False)
    numerator: str | None = None  # description of what is counted
    denominator: str | None = None
    indicator: TargetIndicator | None = None
    year: int | None = None
    yearly: bool = False
    responsible: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_slug(v)


class RowKind(StrEnum):
    heading = "heading"  # no value
    group = "group"  # no value; its sub-rows are separate measures
    count = "count"  # type: ignore[assignment]  # shadows str.count on purpose
    amount = "amount"  # money, e.g. «Triệu đồng»
    percent = "percent"
    boolean = "boolean"  # «Có hoặc không»


class FormRow(_Strict):
    id: str
    number: str | None = None  # as printed ("1.1.", "-", "+", "*")
    label: str
    unit: str | None = None
    kind: RowKind = RowKind.count
    #: «Trong đó»: this row is part of ``of_which`` (value must not exceed it)
    of_which: str | None = None
    #: the of-which rows of this row should add up to it (a warning when not)
    partition: bool = False
    #: stock (snapshot at the cut-off) or flow (total over the period)
    stock: bool = False
    #: for percent rows: rows whose ratio recomputes the percentage on roll-up
    numerator: str | None = None
    denominator: str | None = None
    note: str | None = None

    @field_validator("id", "of_which", "numerator", "denominator")
    @classmethod
    def _row_id(cls, v: str | None) -> str | None:
        if v is not None and not ROW_ID_RE.match(v):
            raise ValueError(f"'{v}' is not a row id; expected forms like 'A.1' or 'B.2.1bis.a'")
        return v

    @property
    def has_value(self) -> bool:
        return self.kind not in (RowKind.heading, RowKind.group)


class IndicatorForm(_Strict):
    id: str
    title: str
    where: str | None = None
    cutoff_note: str | None = None
    columns: list[str] = Field(default_factory=list)
    rows: list[FormRow] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_slug(v)

    def row(self, row_id: str) -> FormRow | None:
        return next((r for r in self.rows if r.id == row_id), None)

    def children(self, row_id: str) -> list[FormRow]:
        return [r for r in self.rows if r.of_which == row_id]


class PlanDefaults(_Strict):
    policy: Literal["next_working_day", "previous_working_day", "none"] = "next_working_day"
    inclusive: bool = False
    ladder: str = "national-default"


class Plan(_Strict):
    id: str
    number: str
    type: DocType
    title: str
    issuer: str
    issued: date
    place: str | None = None  # "Lào Cai", as in «Lào Cai, ngày 14 tháng 05 năm 2020»
    signer: str | None = None
    source: str | None = None  # source document (file name of the original text)
    jurisdiction: str
    legal_basis: list[LegalRef] = Field(default_factory=list)
    validity: Validity
    defaults: PlanDefaults = Field(default_factory=PlanDefaults)
    units: list[Unit] = Field(min_length=1)
    groups: list[Group] = Field(default_factory=list)
    obligations: list[Obligation] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    forms: list[IndicatorForm] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id", "jurisdiction")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_slug(v)

    # ---- lookups -------------------------------------------------------------------------
    def unit(self, slug: str) -> Unit | None:
        return next((u for u in self.units if u.slug == slug), None)

    def group(self, slug: str) -> Group | None:
        return next((g for g in self.groups if g.slug == slug), None)

    def obligation(self, obligation_id: str) -> Obligation | None:
        return next((o for o in self.obligations if o.id == obligation_id), None)

    def form(self, form_id: str) -> IndicatorForm | None:
        return next((f for f in self.forms if f.id == form_id), None)

    def standing_body(self) -> Unit | None:
        return next((u for u in self.units if u.role is Role.standing), None)

    def children_of(self, slug: str) -> list[Unit]:
        return [u for u in self.units if u.parent == slug]

    # ---- group expansion -----------------------------------------------------------------
    def expand(self, slug: str, *, on: date, obligation: str | None = None) -> list[Unit]:
        """Units that a reporter entry (unit or group) stands for on ``on``.

        Groups expand recursively; units not active on that day drop out; a succeeded unit is
        replaced by its successors for the obligation; excluded units never report.
        """
        seen: set[str] = set()
        out: list[Unit] = []
        for unit in self._expand_raw(slug, on=on, stack=()):
            for final in self._resolve_succession(unit, on=on, obligation=obligation, depth=0):
                if final.slug not in seen and not final.excluded:
                    seen.add(final.slug)
                    out.append(final)
        return out

    def _expand_raw(self, slug: str, *, on: date, stack: tuple[str, ...]) -> list[Unit]:
        if slug in stack:
            return []
        unit = self.unit(slug)
        if unit is not None:
            return [unit] if _in_force(unit, on) else []
        group = self.group(slug)
        if group is None:
            return []
        found: list[Unit] = []
        for member in group.members:
            found.extend(self._expand_raw(member, on=on, stack=(*stack, slug)))
        if group.select is not None:
            found.extend(u for u in self.units if _in_force(u, on) and _matches(u, group.select))
        return found

    def _resolve_succession(
        self, unit: Unit, *, on: date, obligation: str | None, depth: int
    ) -> list[Unit]:
        successors = unit.successors_on(on, obligation)
        if successors is None or depth > 8:
            return [unit]
        out: list[Unit] = []
        for slug in successors:
            nxt = self.unit(slug)
            if nxt is not None:
                out.extend(
                    self._resolve_succession(nxt, on=on, obligation=obligation, depth=depth + 1)
                )
        return out


def _in_force(unit: Unit, day: date) -> bool:
    """Active on ``day``, or ended but handed over to successors (who then carry its duties)."""
    if unit.active_on(day):
        return True
    started = unit.active_from is None or day >= unit.active_from
    return started and unit.successors_on(day) is not None


def _matches(unit: Unit, select: GroupSelect) -> bool:
    if select.level is not None and unit.level is not select.level:
        return False
    if select.parent is not None and unit.parent != select.parent:
        return False
    if select.roles and unit.role not in select.roles:
        return False
    return all(tag in unit.tags for tag in select.tags)


def cross_reference_problems(plan: Plan) -> list[tuple[str, str]]:
    """Problems a single model cannot see: ``(field.path, message)`` pairs.

    Unknown units and groups, duplicate ids, cycles in the unit hierarchy, of-which rows whose
    parent is missing, targets pointing at unknown rows. Due rules are checked by the loader,
    which knows the calendar.
    """
    problems: list[tuple[str, str]] = []
    unit_slugs = [u.slug for u in plan.units]
    group_slugs = [g.slug for g in plan.groups]
    names = set(unit_slugs) | set(group_slugs)

    def dupes(kind: str, path: str, values: list[str]) -> None:
        seen: set[str] = set()
        for i, v in enumerate(values):
            if v in seen:
                key = "slug" if kind.endswith("slug") else "id"
                problems.append((f"{path}[{i}].{key}", f"duplicate {kind} '{v}'"))
            seen.add(v)

    dupes("unit slug", "units", unit_slugs)
    dupes("group slug", "groups", group_slugs)
    for i, g in enumerate(plan.groups):
        if g.slug in unit_slugs:
            problems.append((f"groups[{i}].slug", f"'{g.slug}' is already a unit slug"))
    dupes("obligation id", "obligations", [o.id for o in plan.obligations])
    dupes("target id", "targets", [t.id for t in plan.targets])
    dupes("form id", "forms", [f.id for f in plan.forms])

    def known(path: str, slug: str | None, *, groups_ok: bool = True) -> None:
        if slug is None:
            return
        pool = names if groups_ok else set(unit_slugs)
        if slug not in pool:
            what = "unit or group" if groups_ok else "unit"
            problems.append((path, f"unknown {what} '{slug}'; declare it under units or groups"))

    for i, u in enumerate(plan.units):
        known(f"units[{i}].parent", u.parent, groups_ok=False)
        for j, step in enumerate(u.succeeded):
            for k, slug in enumerate(step.to):
                known(f"units[{i}].succeeded[{j}].to[{k}]", slug, groups_ok=False)
    for i, g in enumerate(plan.groups):
        for j, m in enumerate(g.members):
            known(f"groups[{i}].members[{j}]", m)
        if g.select and g.select.parent:
            known(f"groups[{i}].select.parent", g.select.parent, groups_ok=False)
    form_ids = {f.id for f in plan.forms}
    obligation_ids = {o.id for o in plan.obligations}
    for i, o in enumerate(plan.obligations):
        for j, r in enumerate(o.reporters):
            known(f"obligations[{i}].reporters[{j}]", r)
        known(f"obligations[{i}].recipient", o.recipient)
        known(f"obligations[{i}].via", o.via)
        if o.form is not None and o.form not in form_ids:
            problems.append((f"obligations[{i}].form", f"unknown form '{o.form}'"))
    for i, u in enumerate(plan.units):
        for j, step in enumerate(u.succeeded):
            for k, ob in enumerate(step.obligations or []):
                if ob not in obligation_ids:
                    problems.append(
                        (
                            f"units[{i}].succeeded[{j}].obligations[{k}]",
                            f"unknown obligation '{ob}'",
                        )
                    )
    for i, t in enumerate(plan.targets):
        for j, r in enumerate(t.responsible):
            known(f"targets[{i}].responsible[{j}]", r)
        if t.indicator is not None:
            form = plan.form(t.indicator.form)
            if form is None:
                problems.append(
                    (f"targets[{i}].indicator.form", f"unknown form '{t.indicator.form}'")
                )
            else:
                for part in ("numerator", "denominator"):
                    row_id = getattr(t.indicator, part)
                    if row_id is not None and form.row(row_id) is None:
                        problems.append(
                            (
                                f"targets[{i}].indicator.{part}",
                                f"unknown row '{row_id}' in form '{form.id}'",
                            )
                        )
    for i, f in enumerate(plan.forms):
        row_ids = [r.id for r in f.rows]
        dupes("row id", f"forms[{i}].rows", row_ids)
        for j, row in enumerate(f.rows):
            for part in ("of_which", "numerator", "denominator"):
                ref = getattr(row, part)
                if ref is not None and ref not in row_ids:
                    problems.append(
                        (
                            f"forms[{i}].rows[{j}].{part}",
                            f"row '{ref}' does not exist in form '{f.id}'",
                        )
                    )
    # cycles in the unit hierarchy
    parents = {u.slug: u.parent for u in plan.units}
    for i, u in enumerate(plan.units):
        seen_chain = {u.slug}
        cur = u.parent
        while cur is not None and cur in parents:
            if cur in seen_chain:
                problems.append(
                    (f"units[{i}].parent", f"cycle in the unit hierarchy through '{cur}'")
                )
                break
            seen_chain.add(cur)
            cur = parents[cur]
    return problems
