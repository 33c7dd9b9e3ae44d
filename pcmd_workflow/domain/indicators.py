"""Roll-up arithmetic: accepted figures of many units compiled into one report.

Pure: no database, no files. The service (:mod:`pcmd_workflow.services.compile`) reads the
accepted submissions and the task statuses, calls :func:`rollup`, :func:`evaluate_targets`,
:func:`summarize_completeness` and :func:`compare_totals`, and renders the outputs.

Rules (DOMAIN §0.1):

- The tree follows the plan's ``parent`` links as in force at the period's cut-off end
  (a parent that is no longer active or has been succeeded is replaced by its single
  successor, else skipped to its own parent). Every node's total is the unit's own
  submission plus the totals of its children: communes into their district, districts and
  departments into the province, at any depth the plan defines.
- Q14: counts and amounts add up; a percent row is recomputed as
  100 × Σ numerator / Σ denominator where the form names both rows, otherwise it is shown
  per unit and never summed or averaged; a yes/no row rolls up as "Có: n/m" (n units
  answered yes among the m that answered).
- Q13: an «Trong đó» row above its parent is a hard error for that unit. The decision here:
  the unit's whole submission is **rejected** from the compilation (a partial set would make
  the unit's rows disagree with each other, e.g. a ratio whose numerator counts and whose
  denominator does not); the error is listed with the unit and rows, the unit is shown as
  ``rejected`` (not as missing) so the coordinator returns it for correction. A value that
  is not a number (or not Có/Không) is treated the same way. A partition whose parts do not
  add up to the parent is a warning; the figures still count.
- Every total keeps its provenance: the unit's own figure and each child's total, so a
  province figure can be traced to the district and commune that gave it.
- Q19: a target's stored comparator decides met / not met ("ít nhất" ≥, "trên" >).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

from pcmd_workflow.domain.plan import FormRow, IndicatorForm, Plan, RowKind, Target
from pcmd_workflow.errors import CompilationError

__all__ = [
    "Change",
    "Completeness",
    "Contribution",
    "Issue",
    "NodeTotals",
    "Rollup",
    "RollupUnit",
    "RowTotal",
    "TargetResult",
    "TaskEntry",
    "UnitValues",
    "compare_totals",
    "evaluate_targets",
    "format_number",
    "rollup",
    "rollup_tree",
    "row_display",
    "summarize_completeness",
]

Number = int | float
Severity = Literal["error", "warning", "info"]
_EPS = 1e-9
_YES = {"có", "co", "yes", "true", "x", "1"}
_NO = {"không", "khong", "no", "false", "0", ""}


# ---- inputs ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, slots=True)
class RollupUnit:
    """A unit as a node of the roll-up tree (``parent`` as in force for the period)."""

    slug: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class UnitValues:
    """One unit's accepted figures: ``{row id: value}`` (latest accepted version)."""

    unit: str
    values: Mapping[str, Any]
    version: int | None = None


# ---- outputs -----------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, slots=True)
class Issue:
    """A finding of the compilation, worded in Vietnamese for the report."""

    severity: Severity
    code: str  # of_which_exceeds | partition_mismatch | invalid_value | unknown_row | missing
    unit: str | None
    row: str | None
    message: str


class Contribution(NamedTuple):
    """Where part of a total comes from: a unit's own figure or a child's compiled total.

    A named tuple rather than a frozen dataclass: a national roll-up makes ~300 000 of them
    and a tuple is built five times faster (benchmarks/compile_rollup.py).
    """

    unit: str
    value: Number | bool | None
    own: bool
    yes: int | None = None
    answered: int | None = None


class RowTotal(NamedTuple):
    """One row of one node: the figure and its provenance (a named tuple, see Contribution)."""

    row: str
    kind: RowKind
    #: sum (count, amount), percent, or True/False for one unit's yes/no; None when no figure
    value: Number | bool | None
    yes: int | None = None
    answered: int | None = None
    recomputed: bool = False
    sources: tuple[Contribution, ...] = ()
    #: percent rows that cannot be recomputed: each reporting unit's own percentage
    per_unit: tuple[Contribution, ...] = ()

    @property
    def has_data(self) -> bool:
        if self.kind is RowKind.boolean:
            return bool(self.answered)
        return self.value is not None

    @property
    def shown(self) -> bool:
        """Worth a line in the outputs: a figure or per-unit percentages."""
        return self.has_data or bool(self.per_unit)


@dataclass(frozen=True, kw_only=True)
class NodeTotals:
    unit: str
    name: str
    level: str
    parent: str | None
    rows: dict[str, RowTotal]
    reporters: tuple[str, ...]  # expected reporters in this subtree
    reported: tuple[str, ...]  # those with accepted figures
    missing: tuple[str, ...]
    rejected: tuple[str, ...] = ()  # accepted figures left out for a hard error (Q13)

    def value(self, row_id: str) -> Number | bool | None:
        """The compiled figure of a row, None when nobody gave one."""
        total = self.rows.get(row_id)
        return None if total is None else total.value


@dataclass(frozen=True, kw_only=True)
class Rollup:
    form_id: str
    root: str
    nodes: dict[str, NodeTotals]  # pre-order: root first
    issues: tuple[Issue, ...]
    names: dict[str, str]

    @property
    def root_totals(self) -> NodeTotals:
        return self.nodes[self.root]

    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def values_by_node(self) -> dict[str, dict[str, Any]]:
        """``{unit: {row: comparable value}}`` (booleans as ``"n/m"``), for change detection."""
        return {
            slug: {r: _comparable(t) for r, t in node.rows.items() if t.has_data}
            for slug, node in self.nodes.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "form": self.form_id,
            "root": self.root,
            "nodes": [_node_dict(n) for n in self.nodes.values()],
            "issues": [_issue_dict(i) for i in self.issues],
        }


@dataclass(frozen=True, kw_only=True)
class Change:
    unit: str
    row: str
    before: Any
    after: Any


# ---- the tree ----------------------------------------------------------------------------
def rollup_tree(plan: Plan, *, reporters: Iterable[str], on: date) -> list[RollupUnit]:
    """The nodes needed to compile ``reporters``: each reporter and its ancestors on ``on``.

    A parent that is inactive or succeeded on ``on`` is replaced by its single successor, or
    else skipped for its own parent (a district abolished in 2025 hands its communes to the
    province). Units without a common ancestor hang under a synthetic root named after the
    plan's issuer, slug ``toan-dia-ban``.
    """
    order = {u.slug: i for i, u in enumerate(plan.units)}
    units = {u.slug: u for u in plan.units}

    def effective_parent(slug: str) -> str | None:
        parent = units[slug].parent
        seen: set[str] = set()
        while parent is not None and parent not in seen:
            seen.add(parent)
            p = units.get(parent)
            if p is None:
                return None
            successors = p.successors_on(on)
            if successors is not None and len(successors) == 1 and successors[0] != parent:
                parent = successors[0]
            elif successors is not None or not p.active_on(on):
                parent = p.parent
            else:
                return parent
        return parent

    parents: dict[str, str | None] = {}
    pending = list(dict.fromkeys(reporters))
    for slug in pending:
        if slug not in units:
            raise CompilationError(f"đơn vị '{slug}' không có trong kế hoạch {plan.id}")
    while pending:
        slug = pending.pop()
        if slug in parents:
            continue
        parents[slug] = effective_parent(slug)
        if parents[slug] is not None:
            pending.append(parents[slug])  # type: ignore[arg-type]
    tops = [s for s, p in parents.items() if p is None]
    synthetic = None
    if len(tops) > 1:
        synthetic = RollupUnit(
            slug="toan-dia-ban", name=f"Toàn địa bàn ({plan.issuer})", level="root", parent=None
        )
        parents = {s: (p if p is not None else synthetic.slug) for s, p in parents.items()}
    nodes = []
    for slug in sorted(parents, key=lambda s: order[s]):
        unit = units[slug]
        nodes.append(
            RollupUnit(slug=slug, name=unit.name, level=unit.level.value, parent=parents[slug])
        )
    return ([synthetic] if synthetic else []) + nodes


# ---- value parsing -----------------------------------------------------------------------
def _parse(row: FormRow, raw: Any) -> Number | bool | None:
    """A submitted value as a number or a bool; ValueError with a Vietnamese reason."""
    if raw is None:
        return None
    if row.kind is RowKind.boolean:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int | float) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
            text = raw.strip().lower()
            return None if text == "" else text in _YES
        raise ValueError(f"giá trị '{raw}' không phải Có/Không")
    if isinstance(raw, bool):
        raise ValueError(f"giá trị '{raw}' không phải là số")
    if isinstance(raw, str):
        text = raw.strip().replace(" ", "")
        if not text:
            return None
        try:
            raw = float(text.replace(",", ".")) if "," in text or "." in text else int(text)
        except ValueError:
            raise ValueError(f"giá trị '{raw}' không phải là số") from None
    if not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"giá trị '{raw}' không phải là số")
    if raw < 0:
        raise ValueError(f"giá trị {raw} âm")
    if row.kind is RowKind.percent and raw > 100:
        raise ValueError(f"tỷ lệ {raw}% lớn hơn 100%")
    return raw


def _label(row: FormRow) -> str:
    label = row.label.strip()
    return label[:80] + "…" if len(label) > 80 else label


@dataclass(frozen=True, kw_only=True)
class _FormIndex:
    """Lookups prepared once per compilation (forms are scanned 100 000s of times)."""

    rows: dict[str, FormRow]
    value_ids: dict[str, FormRow]  # rows that take a figure
    value_rows: tuple[FormRow, ...]
    of_which: tuple[tuple[FormRow, FormRow], ...]  # (child, parent) of the same kind
    partitions: tuple[tuple[FormRow, tuple[str, ...]], ...]

    @classmethod
    def of(cls, form: IndicatorForm) -> _FormIndex:
        rows = {r.id: r for r in form.rows}
        pairs = []
        for r in form.rows:
            parent = rows.get(r.of_which) if r.of_which else None
            if parent is not None and parent.kind is r.kind and r.kind is not RowKind.boolean:
                pairs.append((r, parent))
        partitions = tuple(
            (r, tuple(c.id for c, p in pairs if p.id == r.id)) for r in form.rows if r.partition
        )
        value_rows = tuple(r for r in form.rows if r.has_value)
        return cls(
            rows=rows,
            value_ids={r.id: r for r in value_rows},
            value_rows=value_rows,
            of_which=tuple(pairs),
            partitions=partitions,
        )


def _clean_unit(
    *, form_id: str, index: _FormIndex, submission: UnitValues, name: str, issues: list[Issue]
) -> dict[str, Number | bool] | None:
    """The unit's figures, or None when a hard error rejects the whole submission (Q13)."""
    values: dict[str, Number | bool] = {}
    rejected = False
    rows = index.value_ids
    for row_id, raw in submission.values.items():
        row = rows.get(row_id)
        if row is not None and type(raw) is int and raw >= 0 and row.kind is RowKind.count:
            values[row_id] = raw  # the common case, checked without the general parser
            continue
        if row is None:
            issues.append(
                Issue(
                    severity="warning",
                    code="unknown_row",
                    unit=submission.unit,
                    row=row_id,
                    message=f"{name}: dòng '{row_id}' không thuộc biểu {form_id}, bỏ qua",
                )
            )
            continue
        try:
            value = _parse(row, raw)
        except ValueError as exc:
            rejected = True
            issues.append(
                Issue(
                    severity="error",
                    code="invalid_value",
                    unit=submission.unit,
                    row=row_id,
                    message=f"{name}: dòng {row_id} «{_label(row)}»: {exc}{_REJECTED}",
                )
            )
            continue
        if value is not None:
            values[row_id] = value
    for row, parent in index.of_which:
        child_v, parent_v = values.get(row.id), values.get(parent.id)
        if child_v is None or parent_v is None or child_v <= parent_v + _EPS:
            continue
        rejected = True
        issues.append(
            Issue(
                severity="error",
                code="of_which_exceeds",
                unit=submission.unit,
                row=row.id,
                message=(
                    f"{name}: dòng {row.id} «{_label(row)}» = {format_number(child_v)} lớn hơn "
                    f"dòng {parent.id} = {format_number(parent_v)}; phần «Trong đó» không được "
                    f"vượt tổng{_REJECTED}"
                ),
            )
        )
    if rejected:
        return None
    for row, parts in index.partitions:
        present = [values[p] for p in parts if p in values]
        if row.id not in values or not present:
            continue
        total = _tidy(sum(present))  # type: ignore[arg-type]
        if abs(total - values[row.id]) > _EPS:  # type: ignore[operator]
            issues.append(
                Issue(
                    severity="warning",
                    code="partition_mismatch",
                    unit=submission.unit,
                    row=row.id,
                    message=(
                        f"{name}: tổng các dòng chi tiết của {row.id} «{_label(row)}» là "
                        f"{format_number(total)}, khác {format_number(values[row.id])}"
                    ),
                )
            )
    return values


_REJECTED = "; số liệu của đơn vị không được đưa vào tổng hợp, cần trả lại để chỉnh sửa"


# ---- the roll-up -------------------------------------------------------------------------
def rollup(
    *,
    form: IndicatorForm,
    tree: Sequence[RollupUnit],
    submissions: Iterable[UnitValues],
    reporters: Iterable[str],
) -> Rollup:
    """Compile ``submissions`` up ``tree`` (see the module docstring for the rules)."""
    nodes = {u.slug: u for u in tree}
    children: dict[str, list[str]] = {s: [] for s in nodes}
    roots = []
    for u in tree:
        if u.parent is None:
            roots.append(u.slug)
        elif u.parent not in nodes:
            raise CompilationError(f"đơn vị '{u.slug}' có cấp trên '{u.parent}' không có trong cây")
        else:
            children[u.parent].append(u.slug)
    if len(roots) != 1:
        raise CompilationError(f"cây tổng hợp cần đúng một gốc, có {len(roots)}: {roots}")
    paused = gc.isenabled()
    gc.disable()  # ~600 000 small immutable objects, no cycles: skip the collector's passes
    try:
        return _rollup(
            form=form,
            nodes=nodes,
            children=children,
            roots=roots,
            submissions=submissions,
            reporters=reporters,
        )
    finally:
        if paused:
            gc.enable()


def _rollup(
    *,
    form: IndicatorForm,
    nodes: Mapping[str, RollupUnit],
    children: Mapping[str, list[str]],
    roots: Sequence[str],
    submissions: Iterable[UnitValues],
    reporters: Iterable[str],
) -> Rollup:
    index = _FormIndex.of(form)
    issues: list[Issue] = []
    own: dict[str, dict[str, Number | bool]] = {}
    rejected: set[str] = set()
    for sub in submissions:
        if sub.unit not in nodes:
            raise CompilationError(f"đơn vị '{sub.unit}' có số liệu nhưng không có trong cây")
        if sub.unit in own or sub.unit in rejected:
            raise CompilationError(f"đơn vị '{sub.unit}' có hơn một bộ số liệu được chấp nhận")
        values = _clean_unit(
            form_id=form.id,
            index=index,
            submission=sub,
            name=nodes[sub.unit].name,
            issues=issues,
        )
        if values is None:
            rejected.add(sub.unit)
        else:
            own[sub.unit] = values
    expected = set(reporters)
    out: dict[str, NodeTotals] = {}

    def visit(slug: str) -> None:
        for child in children[slug]:
            visit(child)
        kids = [out[c] for c in children[slug]]
        u = nodes[slug]
        out[slug] = NodeTotals(
            unit=slug,
            name=u.name,
            level=u.level,
            parent=u.parent,
            rows=_node_rows(rows=index.value_rows, own=own.get(slug), slug=slug, children=kids),
            reporters=_gather(slug in expected, slug, kids, "reporters"),
            reported=_gather(slug in own, slug, kids, "reported"),
            missing=_gather(
                slug in expected and slug not in own and slug not in rejected,
                slug,
                kids,
                "missing",
            ),
            rejected=_gather(slug in rejected, slug, kids, "rejected"),
        )

    visit(roots[0])
    root = out[roots[0]]
    for slug in root.missing:
        issues.append(
            Issue(
                severity="warning",
                code="missing",
                unit=slug,
                row=None,
                message=f"{nodes[slug].name}: chưa có số liệu được chấp nhận",
            )
        )
    ordered: dict[str, NodeTotals] = {}
    stack = [roots[0]]
    while stack:
        slug = stack.pop()
        ordered[slug] = out[slug]
        stack.extend(reversed(children[slug]))
    return Rollup(
        form_id=form.id,
        root=roots[0],
        nodes=ordered,
        issues=tuple(issues),
        names={s: u.name for s, u in nodes.items()},
    )


def _gather(include: bool, slug: str, kids: Sequence[NodeTotals], attr: str) -> tuple[str, ...]:
    found = [slug] if include else []
    for kid in kids:
        found.extend(getattr(kid, attr))
    return tuple(found)


def _node_rows(
    *,
    rows: Sequence[FormRow],
    own: Mapping[str, Number | bool] | None,
    slug: str,
    children: Sequence[NodeTotals],
) -> dict[str, RowTotal]:
    """The node's totals, only for rows with a figure (or per-unit percentages)."""
    result: dict[str, RowTotal] = {}
    percents: list[FormRow] = []
    for row in rows:
        row_id, kind = row.id, row.kind
        if kind is RowKind.percent:
            percents.append(row)
            continue
        mine = own.get(row_id) if own is not None else None
        if not children:  # a reporting unit's own figures: the bulk of every compilation
            if mine is None:
                continue
            if kind is RowKind.boolean:
                flag = int(mine)
                mine_src = Contribution(slug, mine, True, flag, 1)
                result[row_id] = RowTotal(row_id, kind, mine, flag, 1, False, (mine_src,))
            else:  # positional arguments: this runs once per submitted figure
                mine_src = Contribution(slug, mine, True, None, None)
                result[row_id] = RowTotal(row_id, kind, mine, None, None, False, (mine_src,))
            continue
        sources: list[Contribution] = []
        if kind is RowKind.boolean:
            if mine is not None:
                sources.append(
                    Contribution(unit=slug, value=mine, own=True, yes=int(mine), answered=1)
                )
            for node in children:
                t = node.rows.get(row_id)
                if t is not None and t.answered:
                    sources.append(
                        Contribution(
                            unit=node.unit, value=t.value, own=False, yes=t.yes, answered=t.answered
                        )
                    )
            if sources:
                alone = len(sources) == 1 and sources[0].own
                result[row_id] = RowTotal(
                    row=row_id,
                    kind=kind,
                    value=sources[0].value if alone else None,
                    yes=sum(c.yes or 0 for c in sources),
                    answered=sum(c.answered or 0 for c in sources),
                    sources=tuple(sources),
                )
            continue
        total: float = 0
        if mine is not None:
            sources.append(Contribution(unit=slug, value=mine, own=True))
            total += mine
        for node in children:
            t = node.rows.get(row_id)
            if t is not None and t.value is not None:
                sources.append(Contribution(unit=node.unit, value=t.value, own=False))
                total += t.value  # type: ignore[operator]
        if sources:
            result[row_id] = RowTotal(
                row=row_id, kind=kind, value=_tidy(total), sources=tuple(sources)
            )
    for row in percents:
        total_row = _percent_row(row=row, own=own, slug=slug, children=children, result=result)
        if total_row is not None:
            result[row.id] = total_row
    return result


def _percent_row(
    *,
    row: FormRow,
    own: Mapping[str, Number | bool] | None,
    slug: str,
    children: Sequence[NodeTotals],
    result: Mapping[str, RowTotal],
) -> RowTotal | None:
    """Q14: 100 × Σ numerator / Σ denominator, else each unit's own figure, never averaged.

    ``per_unit`` keeps the reporting units' own percentages only where they are needed,
    i.e. where the node cannot recompute the row.
    """
    mine = own.get(row.id) if own is not None else None
    sources = [Contribution(unit=slug, value=mine, own=True)] if mine is not None else []
    for node in children:
        t = node.rows.get(row.id)
        if t is not None and t.value is not None:
            sources.append(Contribution(unit=node.unit, value=t.value, own=False))
    num = result.get(row.numerator) if row.numerator else None
    den = result.get(row.denominator) if row.denominator else None
    if num is not None and den is not None and num.value is not None and den.value:
        return RowTotal(
            row=row.id,
            kind=row.kind,
            value=round(100.0 * num.value / den.value, 2),
            recomputed=True,
            sources=tuple(sources),
        )
    per_unit = sources[:1] if mine is not None else []
    for node in children:  # a recomputed child makes this node recomputable too
        t = node.rows.get(row.id)
        if t is not None:
            per_unit.extend(t.per_unit)
    if not sources and not per_unit:
        return None
    alone = len(per_unit) == 1 and per_unit[0].unit == slug
    return RowTotal(
        row=row.id,
        kind=row.kind,
        value=mine if alone else None,
        sources=tuple(sources),
        per_unit=tuple(per_unit),
    )


def _tidy(value: float) -> Number:
    """Integral sums as int; others rounded to 6 decimals (no float noise in reports)."""
    if isinstance(value, int):
        return value
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


# ---- display -----------------------------------------------------------------------------
def format_number(value: Number | bool | None) -> str:
    """Vietnamese number format: ``1.234,5`` (dot thousands, comma decimals)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float) and not value.is_integer():
        whole, _, frac = f"{value:,.2f}".rstrip("0").partition(".")
        text = whole.replace(",", ".")
        return f"{text},{frac}" if frac else text
    return f"{int(value):,}".replace(",", ".")


def row_display(total: RowTotal | None) -> str:
    """The figure as shown in reports: a number, «Có»/«Không», «Có: n/m», or empty."""
    if total is None or not total.has_data:
        return ""
    if total.kind is RowKind.boolean:
        if total.value is not None:
            return format_number(total.value)
        return f"Có: {total.yes}/{total.answered}"
    return format_number(total.value)


def _comparable(total: RowTotal) -> Any:
    if total.kind is RowKind.boolean:
        return f"{total.yes}/{total.answered}"
    return total.value


def _contribution_dict(c: Contribution) -> dict[str, Any]:
    d: dict[str, Any] = {"unit": c.unit, "value": c.value, "own": c.own}
    if c.answered is not None:
        d["yes"] = c.yes
        d["answered"] = c.answered
    return d


def _row_dict(t: RowTotal) -> dict[str, Any]:
    d: dict[str, Any] = {"row": t.row, "kind": t.kind.value, "value": t.value}
    if t.kind is RowKind.boolean:
        d["yes"] = t.yes
        d["answered"] = t.answered
    if t.recomputed:
        d["recomputed"] = True
    d["sources"] = [_contribution_dict(c) for c in t.sources]
    if t.per_unit:
        d["per_unit"] = [_contribution_dict(c) for c in t.per_unit]
    return d


def _node_dict(n: NodeTotals) -> dict[str, Any]:
    return {
        "unit": n.unit,
        "name": n.name,
        "level": n.level,
        "parent": n.parent,
        "reporters": list(n.reporters),
        "reported": list(n.reported),
        "missing": list(n.missing),
        "rejected": list(n.rejected),
        "rows": [_row_dict(t) for t in n.rows.values() if t.shown],
    }


def _issue_dict(i: Issue) -> dict[str, Any]:
    return {
        "severity": i.severity,
        "code": i.code,
        "unit": i.unit,
        "row": i.row,
        "message": i.message,
    }


# ---- changes since the last compilation --------------------------------------------------
def compare_totals(
    previous: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> list[Change]:
    """Figures that differ from the previous compilation of the same obligation and period.

    Both sides are :meth:`Rollup.values_by_node` maps; a figure that appears or disappears
    is a change too (``None`` on the missing side).
    """
    changes: list[Change] = []
    for unit in dict.fromkeys([*current, *previous]):
        before = previous.get(unit, {})
        after = current.get(unit, {})
        for row in dict.fromkeys([*after, *before]):
            b, a = before.get(row), after.get(row)
            if b != a:
                changes.append(Change(unit=unit, row=row, before=b, after=a))
    return changes


# ---- targets -----------------------------------------------------------------------------
TargetStatus = Literal["met", "not_met", "no_data", "not_set"]
_COMPARATOR_VI = {">=": "≥", ">": ">", "=": "=", "<=": "≤", "range": "trong khoảng"}
_STATUS_VI = {
    "met": "Đạt",
    "not_met": "Chưa đạt",
    "no_data": "Chưa có số liệu",
    "not_set": "Kế hoạch không đặt mức",
}


@dataclass(frozen=True, kw_only=True)
class TargetResult:
    target: str
    text: str
    metric: str
    comparator: str
    goal: str  # «≥ 60%»; empty when the plan sets no value
    actual: Number | None
    actual_text: str  # «68,89%», «Có: 6/8»
    status: TargetStatus
    reason: str | None  # for no_data: which figure is missing, and why
    missing_row: str | None = None

    @property
    def status_vi(self) -> str:
        return _STATUS_VI[self.status]


def _goal_text(t: Target) -> str:
    unit = "%" if t.metric == "percent" else ""
    if t.value is None:
        return ""
    if t.comparator == "range":
        return f"{format_number(t.value)}{unit} – {format_number(t.value_max)}{unit}"
    return f"{_COMPARATOR_VI[t.comparator]} {format_number(t.value)}{unit}"


def _compare(t: Target, actual: float) -> bool:
    goal = t.value if t.value is not None else 0.0
    if t.comparator == ">=":
        return actual >= goal - _EPS
    if t.comparator == ">":
        return actual > goal + _EPS
    if t.comparator == "=":
        return abs(actual - goal) <= _EPS
    if t.comparator == "<=":
        return actual <= goal + _EPS
    high = t.value_max if t.value_max is not None else math.inf
    return goal - _EPS <= actual <= high + _EPS


def evaluate_targets(
    *, targets: Sequence[Target], form: IndicatorForm, totals: NodeTotals
) -> list[TargetResult]:
    """Each target with an indicator on ``form``, judged on ``totals`` by its comparator (Q19).

    Percent: 100 × numerator / denominator; a yes/no numerator without a denominator gives
    the share of units answering «Có»; a percent row is taken as it stands. A ``yes_no``
    target is 1 when every unit that answered said «Có», else 0. Other metrics take the
    numerator row (or the ratio when a denominator is named). A missing figure gives
    ``no_data`` naming the row; a target without a value is shown as ``not_set``.
    """
    results: list[TargetResult] = []
    for t in targets:
        if t.indicator is None or t.indicator.form != form.id:
            continue
        actual, text, reason = _target_actual(t, form=form, totals=totals)
        status: TargetStatus
        if actual is None:
            status = "no_data"
        elif t.value is None:
            status = "not_set"
        else:
            status = "met" if _compare(t, actual) else "not_met"
        results.append(
            TargetResult(
                target=t.id,
                text=t.text,
                metric=t.metric,
                comparator=t.comparator,
                goal=_goal_text(t),
                actual=actual,
                actual_text=text,
                status=status,
                reason=reason,
                missing_row=None if reason is None else reason.split(" ", 2)[1],
            )
        )
    return results


def _missing_figure(form: IndicatorForm, row_id: str, why: str = "chưa có số liệu") -> str:
    row = form.row(row_id)
    label = f" «{_label(row)}»" if row else ""
    return f"dòng {row_id}{label} {why}"


def _target_actual(
    t: Target, *, form: IndicatorForm, totals: NodeTotals
) -> tuple[float | None, str, str | None]:
    """``(actual, shown, reason)`` of a target on ``totals``."""
    assert t.indicator is not None
    unit = "%" if t.metric == "percent" else ""
    num = totals.rows.get(t.indicator.numerator)
    if num is not None and num.kind is RowKind.percent and num.value is None and num.per_unit:
        why = "không tổng hợp được (thiếu tử số, mẫu số)"
        return None, "", _missing_figure(form, t.indicator.numerator, why)
    if num is None or not num.has_data:
        return None, "", _missing_figure(form, t.indicator.numerator)
    if num.kind is RowKind.boolean:
        yes, answered = num.yes or 0, num.answered or 0
        if t.metric == "percent":
            share = round(100.0 * yes / answered, 2)
            return share, f"{format_number(share)}% (Có: {yes}/{answered})", None
        if t.metric == "yes_no":
            return (1.0 if yes == answered else 0.0), f"Có: {yes}/{answered}", None
        return float(yes), f"Có: {yes}/{answered}", None
    assert isinstance(num.value, int | float)
    if t.indicator.denominator is None or num.kind is RowKind.percent:
        return float(num.value), f"{format_number(num.value)}{unit}", None
    den = totals.rows.get(t.indicator.denominator)
    if den is None or not den.has_data:
        return None, "", _missing_figure(form, t.indicator.denominator)
    assert isinstance(den.value, int | float)
    if den.value == 0:
        return None, "", _missing_figure(form, t.indicator.denominator, "bằng 0")
    ratio = num.value / den.value
    actual = round(100.0 * ratio if t.metric == "percent" else ratio, 2)
    return actual, f"{format_number(actual)}{unit}", None


# ---- completeness and timeliness ---------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class TaskEntry:
    """One expected report: the task of one reporter (statuses as in CONTRACTS)."""

    unit: str
    name: str
    status: str
    due_date: date | None = None
    received_at: datetime | None = None
    days_late: int = 0
    review: str | None = None  # pending | accepted | returned
    task_id: int | None = None


_STATUS_LABEL_VI = {
    "upcoming": "Chưa đến hạn",
    "due_soon": "Sắp đến hạn",
    "due_today": "Đến hạn hôm nay",
    "overdue": "Quá hạn, chưa nộp",
    "submitted_on_time": "Đã nộp đúng hạn",
    "submitted_late": "Đã nộp muộn",
    "returned": "Trả lại để chỉnh sửa",
    "excused": "Được miễn",
}


@dataclass(frozen=True, kw_only=True)
class Completeness:
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    excused: int
    returned: int
    accepted: int
    pending_review: int
    missing_units: tuple[str, ...]
    entries: tuple[TaskEntry, ...] = field(default_factory=tuple)

    @staticmethod
    def status_vi(status: str) -> str:
        return _STATUS_LABEL_VI.get(status, status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "submitted": self.submitted,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "excused": self.excused,
            "returned": self.returned,
            "accepted": self.accepted,
            "pending_review": self.pending_review,
            "missing_units": list(self.missing_units),
            "tasks": [
                {
                    "unit": e.unit,
                    "name": e.name,
                    "task_id": e.task_id,
                    "status": e.status,
                    "due_date": e.due_date.isoformat() if e.due_date else None,
                    "received_at": e.received_at.isoformat() if e.received_at else None,
                    "days_late": e.days_late,
                    "review": e.review,
                }
                for e in self.entries
            ],
        }


def summarize_completeness(entries: Sequence[TaskEntry]) -> Completeness:
    """Counts by status: timeliness is the first receipt's (CONTRACTS: review does not change it).

    ``submitted`` = on time + late; ``missing`` = every other task not excused (including
    those returned for correction and not yet resubmitted).
    """
    on_time = [e for e in entries if e.status == "submitted_on_time"]
    late = [e for e in entries if e.status == "submitted_late"]
    excused = [e for e in entries if e.status == "excused"]
    returned = [e for e in entries if e.status == "returned"]
    missing = [e for e in entries if e.status not in {"submitted_on_time", "submitted_late"}]
    missing = [e for e in missing if e.status != "excused"]
    return Completeness(
        expected=len(entries) - len(excused),
        submitted=len(on_time) + len(late),
        on_time=len(on_time),
        late=len(late),
        missing=len(missing),
        excused=len(excused),
        returned=len(returned),
        accepted=sum(1 for e in entries if e.review == "accepted"),
        pending_review=sum(1 for e in entries if e.review == "pending"),
        missing_units=tuple(e.unit for e in missing),
        entries=tuple(entries),
    )
