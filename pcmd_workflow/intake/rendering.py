"""The draft as a plan file (YAML with review comments) and as a coverage report.

The YAML follows the plan schema (:mod:`pcmd_workflow.domain.plan`) field for field, so
``pcmd plan check`` reads it and points at what the reviewer must still decide: each
unresolved value is a placeholder (``todo-reporter``, ``todo-recipient``, ``TODO``) that the
check rejects, with a ``# TODO:`` comment beside it saying what is missing. Each duty and
target carries its confidence (0–1) as a comment on its ``id``. Comments are written with
ruamel.yaml's round-trip types (CommentedMap), in Vietnamese for the coordinator.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pcmd_workflow.intake.drafting import Draft

__all__ = ["draft_report", "render_draft"]

PLACEHOLDER = "TODO"


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _plan_map(draft: Draft) -> CommentedMap:
    h = draft.header
    plan = CommentedMap()
    plan["id"] = draft.plan_id
    plan["number"] = h.number or PLACEHOLDER
    plan["type"] = h.doc_type.value if h.doc_type else PLACEHOLDER
    plan["title"] = h.title or PLACEHOLDER
    plan["issuer"] = h.issuer or PLACEHOLDER
    plan["issued"] = h.issued or PLACEHOLDER
    if h.place:
        plan["place"] = h.place
    if h.signer:
        plan["signer"] = h.signer
    plan["source"] = draft.source.name.rsplit("/", 1)[-1]
    plan["jurisdiction"] = h.jurisdiction or "todo-jurisdiction"
    for key, why in draft.todos.items():
        target = {"jurisdiction": "jurisdiction"}.get(key, key)
        if target in plan:
            plan.yaml_add_eol_comment(f"TODO: {why}", target)
    if h.number_where:
        plan.yaml_add_eol_comment(f"nguồn: {h.number_where}", "number")
    if h.issued_where:
        plan.yaml_add_eol_comment(f"nguồn: {h.issued_where}", "issued")
    plan.yaml_add_eol_comment("tên tệp phải là <id>.yaml", "id")
    basis = CommentedSeq()
    for ref in h.legal_basis:
        item = CommentedMap()
        if ref.number:
            item["number"] = ref.number
        if ref.date:
            item["date"] = ref.date
        if ref.issuer:
            item["issuer"] = ref.issuer
        item["title"] = ref.title
        basis.append(item)
    plan["legal_basis"] = basis
    validity = CommentedMap()
    validity["start"] = h.issued or PLACEHOLDER
    if h.period:
        validity["end"] = f"{h.period[1]}-12-31"
        validity.yaml_add_eol_comment(
            f"theo «giai đoạn {h.period[0]}-{h.period[1]}» trong tên văn bản; kiểm tra", "end"
        )
    else:
        validity.yaml_add_eol_comment(
            "văn bản không nêu thời hạn: để mở (end trống) hoặc điền end", "start"
        )
    plan["validity"] = validity
    if isinstance(validity.get("end"), str):
        from datetime import date

        validity["end"] = date.fromisoformat(validity["end"])
    return plan


def render_draft(draft: Draft) -> str:
    """The draft plan file, as text."""
    plan = _plan_map(draft)
    units = CommentedSeq()
    for u in draft.units:
        item = CommentedMap()
        item["slug"] = u.slug
        item["name"] = u.name
        item["level"] = u.level.value
        if u.parent:
            item["parent"] = u.parent
        item["role"] = u.role.value
        if u.requested:
            item["requested"] = True
            item.yaml_add_eol_comment("«Đề nghị …»: không thuộc quyền chỉ đạo (Q10)", "requested")
        if u.where:
            item.yaml_add_eol_comment(f"nêu tại {u.where}", "slug")
        units.append(item)
    plan["units"] = units
    groups = CommentedSeq()
    for g in draft.groups:
        item = CommentedMap()
        item["slug"] = g.slug
        item["name"] = g.name
        select = CommentedMap()
        select["level"] = g.level.value
        if g.parent:
            select["parent"] = g.parent
        item["select"] = select
        item.yaml_add_eol_comment(
            "nhóm: liệt kê các đơn vị thành viên (units) hoặc sửa điều kiện select", "slug"
        )
        groups.append(item)
    plan["groups"] = groups
    obligations = CommentedSeq()
    for o in draft.obligations:
        item = CommentedMap()
        item["id"] = o.id
        item.yaml_add_eol_comment(f"độ tin cậy {o.confidence:.2f}", "id")
        if o.title:
            item["title"] = o.title
        item["reporters"] = _flow(o.reporters)
        item["recipient"] = o.recipient
        if o.via:
            item["via"] = o.via
        item["cadence"] = o.cadence.value
        if o.due:
            item["due"] = o.due
            item.yaml_add_eol_comment(f"«{o.due_phrase}»", "due")
        if o.periods:
            item["periods"] = _flow(o.periods)
        if o.period_label:
            item["period_label"] = o.period_label
        if o.cutoff_start:
            item["cutoff_start"] = o.cutoff_start
        if o.cutoff_end:
            item["cutoff_end"] = o.cutoff_end
            item.yaml_add_eol_comment(f"«{o.cutoff_phrase}»", "cutoff_end")
        item["clause"] = o.clause
        item["where"] = o.where
        if o.notes:
            item["note"] = "; ".join(o.notes)
        for key, why in o.todos.items():
            target = {"due": "where"}.get(key, key)
            if target in item:
                item.yaml_add_eol_comment(f"TODO: {why}", target)
        obligations.append(item)
    plan["obligations"] = obligations
    targets = CommentedSeq()
    for t in draft.targets:
        item = CommentedMap()
        item["id"] = t.id
        item.yaml_add_eol_comment(f"độ tin cậy {t.confidence:.2f}; «{t.phrase}»", "id")
        item["text"] = t.text
        item["where"] = t.where
        item["metric"] = t.metric
        item["comparator"] = t.comparator
        if t.value is not None:
            item["value"] = _number(t.value)
        if t.value_max is not None:
            item["value_max"] = _number(t.value_max)
        if t.year:
            item["year"] = t.year
        if t.yearly:
            item["yearly"] = True
        if t.note:
            item["note"] = t.note
        targets.append(item)
    plan["targets"] = targets
    yaml = YAML()
    yaml.representer.ignore_aliases = lambda *args: True
    yaml.width = 100000
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    buf = io.StringIO()
    header = (
        f"# Bản nháp kế hoạch do `pcmd plan draft` lập từ {plan['source']}: cần rà soát.\n"
        "# Mỗi nghĩa vụ/chỉ tiêu trích nguyên văn (clause/text) và vị trí (where); độ tin cậy\n"
        "# ghi ở chú thích. Giá trị TODO / todo-… là chỗ phải điền: `pcmd plan check` báo lỗi\n"
        "# cho đến khi điền xong.\n"
    )
    yaml.dump(plan, buf)
    return header + buf.getvalue()


def draft_report(draft: Draft) -> dict[str, Any]:
    """What was found, by category, for the reviewer to see coverage at a glance."""
    h = draft.header
    by_cadence = Counter(o.cadence.value for o in draft.obligations)
    todos: list[dict[str, str]] = [
        {"item": "plan", "field": k, "todo": v} for k, v in draft.todos.items()
    ]
    for o in draft.obligations:
        todos.extend({"item": o.id, "field": k, "todo": v} for k, v in o.todos.items())
    return {
        "document": {
            "source": draft.source.name,
            "format": draft.source.kind,
            "encoding": draft.source.encoding,
            "paragraphs": len(draft.source.paragraphs),
            "web_chrome_paragraphs": draft.chrome_paragraphs,
        },
        "header": {
            "id": draft.plan_id,
            "number": h.number,
            "type": h.doc_type.value if h.doc_type else None,
            "issuer": h.issuer,
            "place": h.place,
            "issued": h.issued.isoformat() if h.issued else None,
            "signer": h.signer,
            "title": h.title,
            "legal_basis": [r.number or r.title for r in h.legal_basis],
        },
        "units": [u.slug for u in draft.units],
        "groups": [g.slug for g in draft.groups],
        "obligations_by_cadence": dict(sorted(by_cadence.items())),
        "obligations": [
            {
                "id": o.id,
                "cadence": o.cadence.value,
                "due": o.due,
                "reporters": o.reporters,
                "recipient": o.recipient,
                "where": o.where,
                "confidence": o.confidence,
            }
            for o in draft.obligations
        ],
        "due_clauses": [
            {"id": o.id, "due": o.due, "phrase": o.due_phrase, "where": o.where}
            for o in draft.obligations
            if o.due_phrase
        ],
        "cutoffs": [
            {
                "phrase": c.phrase,
                "start": c.start_date.isoformat() if c.start_date else None,
                "end": c.end_date.isoformat() if c.end_date else None,
                "where": w,
            }
            for c, w in draft.cutoffs
        ],
        "targets": [
            {
                "id": t.id,
                "metric": t.metric,
                "comparator": t.comparator,
                "value": t.value,
                "value_max": t.value_max,
                "where": t.where,
            }
            for t in draft.targets
        ],
        "todos": todos,
    }
