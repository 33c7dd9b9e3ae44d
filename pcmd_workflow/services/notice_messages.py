"""One message per recipient and channel: the notices due for them, rendered in Vietnamese.

The dispatcher groups the notices waiting for one (channel, recipient) into a digest
(CONTRACTS "Notices"; design decision Q4: nobody is spammed) and renders it with the Jinja2
templates of ``notifications/templates/``: ``digest.txt.j2`` / ``digest.html.j2`` wrap one
section per notice kind (``sections/<kind>.txt.j2`` / ``.html.j2``). HTML is autoescaped;
dates are shown the Vietnamese way ("Thứ Hai, 17/06/2024"); every task the recipient must
act on carries its portal link (:func:`pcmd_workflow.services.tokens.portal_link`).

Rendering reads only the notices' own fields and payloads (what the sweep recorded), the
clock and the calendar: no query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.calendar import WorkingCalendar
from pcmd_workflow.domain.ladder import NoticeKind
from pcmd_workflow.domain.vn_dates import format_short, weekday_vi
from pcmd_workflow.services.addressing import CHANNEL_VI
from pcmd_workflow.services.tokens import portal_link

__all__ = [
    "KIND_ORDER",
    "TEMPLATES_DIR",
    "NoticeLike",
    "RenderedMessage",
    "due_vi",
    "kind_vi",
    "message_key",
    "render_message",
    "template_environment",
]

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "notifications" / "templates"

#: Sections in the order a reader needs them: the most serious first.
KIND_ORDER: tuple[NoticeKind, ...] = (
    NoticeKind.escalation_pc,
    NoticeKind.escalation,
    NoticeKind.overdue,
    NoticeKind.due_today,
    NoticeKind.reminder,
    NoticeKind.receipt,
    NoticeKind.dead_letter,
    NoticeKind.fallback,
    NoticeKind.compilation,
    NoticeKind.missing_contacts,
    NoticeKind.coordinator_digest,
)
_TASK_KINDS = frozenset(
    {
        NoticeKind.reminder,
        NoticeKind.due_today,
        NoticeKind.overdue,
        NoticeKind.escalation,
        NoticeKind.escalation_pc,
    }
)
_HEADLINE = {
    NoticeKind.escalation_pc: "Danh sách đơn vị chậm nộp báo cáo",
    NoticeKind.escalation: "Báo cáo quá hạn chưa nộp",
    NoticeKind.overdue: "Báo cáo đã quá hạn",
    NoticeKind.due_today: "Hôm nay là hạn nộp báo cáo",
    NoticeKind.reminder: "Nhắc hạn nộp báo cáo",
    NoticeKind.dead_letter: "Thông báo không gửi được",
    NoticeKind.fallback: "Thông báo đã chuyển kênh gửi",
    NoticeKind.compilation: "Kết quả tổng hợp báo cáo",
    NoticeKind.receipt: "Biên nhận báo cáo đã gửi",
    NoticeKind.missing_contacts: "Đơn vị chưa có thông tin liên hệ",
    NoticeKind.coordinator_digest: "Tổng hợp tình hình nộp báo cáo",
}
_KIND_VI = {
    NoticeKind.reminder: "Nhắc hạn nộp",
    NoticeKind.due_today: "Thông báo đến hạn",
    NoticeKind.overdue: "Thông báo quá hạn",
    NoticeKind.escalation: "Báo cáo chậm nộp (lãnh đạo, cơ quan thường trực)",
    NoticeKind.escalation_pc: "Báo cáo chậm nộp (Văn phòng UBND)",
    NoticeKind.coordinator_digest: "Tổng hợp hằng ngày",
    NoticeKind.missing_contacts: "Danh sách đơn vị thiếu liên hệ",
    NoticeKind.dead_letter: "Báo cáo thông báo không gửi được",
    NoticeKind.fallback: "Báo cáo chuyển kênh",
    NoticeKind.compilation: "Kết quả tổng hợp",
    NoticeKind.receipt: "Biên nhận báo cáo",
}
_INTRO = {
    "unit": (
        "Hệ thống theo dõi chế độ báo cáo công tác phòng, chống mại dâm xin thông báo tình hình "
        "các báo cáo của quý đơn vị như sau:"
    ),
    "head": (
        "Xin báo cáo lãnh đạo đơn vị: các báo cáo công tác phòng, chống mại dâm sau của đơn vị "
        "đã quá hạn nhưng chưa được gửi."
    ),
    "coordinator": (
        "Tổng hợp các nội dung cơ quan thường trực cần theo dõi, đôn đốc về chế độ báo cáo "
        "công tác phòng, chống mại dâm:"
    ),
    "pc_office": (
        "Kính báo cáo tình hình chậm nộp báo cáo công tác phòng, chống mại dâm của các đơn vị:"
    ),
}


class NoticeLike(Protocol):
    """The notice fields rendering uses (``store.outbox.Notice`` has them)."""

    id: int | None
    idempotency_key: str
    kind: str
    task_id: int | None
    plan_id: str | None
    unit: str | None
    audience: str
    rung: str | None
    due_date: date | None
    channel: str
    recipient: str
    reason_vi: str
    payload: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    key: str
    #: ZNS template data (fields every approved pcmd template uses)
    template_data: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=4)
def template_environment(directory: Path = TEMPLATES_DIR) -> Environment:
    """Jinja2 with autoescape for ``*.html.j2`` and strict undefined variables."""
    return Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=False,
    )


def due_vi(day: date) -> str:
    """``Thứ Hai, 17/06/2024``."""
    return f"{weekday_vi(day)}, {format_short(day)}"


def kind_vi(kind: str) -> str:
    try:
        return _KIND_VI[NoticeKind(kind)]
    except ValueError:
        return kind


def message_key(notices: Sequence[NoticeLike]) -> str:
    """A stable key for the digest of these notices (same set, same key: ZNS deduplicates)."""
    joined = "\n".join(sorted(n.idempotency_key for n in notices))
    return "m-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:40]


def _note(kind: NoticeKind, due: date, today: date, calendar: WorkingCalendar) -> str | None:
    if due > today:
        return f"còn {calendar.working_days_between(today, due)} ngày làm việc"
    if due == today:
        return "hạn cuối là 24 giờ hôm nay"
    return f"đã quá hạn {calendar.working_days_between(due, today)} ngày làm việc"


def _task_item(
    notice: NoticeLike, *, today: date, now: datetime, calendar: WorkingCalendar
) -> dict[str, Any]:
    payload = notice.payload or {}
    due = notice.due_date or date.fromisoformat(str(payload.get("due_date")))
    link = None
    if notice.audience in ("unit", "head") and notice.task_id is not None and notice.plan_id:
        link = portal_link(
            plan_id=notice.plan_id,
            unit=str(payload.get("unit") or notice.unit),
            task_id=notice.task_id,
            now=now,
        )
    return {
        "report": payload.get("report", ""),
        "period": payload.get("period", ""),
        "unit_name": payload.get("unit_name", notice.unit or ""),
        "plan_ref": payload.get("plan_ref", notice.plan_id or ""),
        "due_vi": due_vi(due),
        "note": _note(NoticeKind(notice.kind), due, today, calendar),
        "link": link,
        "reason_vi": notice.reason_vi,
        "task_id": notice.task_id,
    }


def _listed(items: Sequence[Mapping[str, Any]], today: date, calendar: WorkingCalendar) -> list:
    out = []
    for item in items:
        due = date.fromisoformat(str(item["due_date"]))
        out.append(
            {
                **item,
                "due_vi": due_vi(due),
                "note": _note(NoticeKind.overdue, due, today, calendar) if due < today else None,
            }
        )
    return out


def _report_item(notice: NoticeLike, *, today: date, calendar: WorkingCalendar) -> dict:
    payload = dict(notice.payload or {})
    kind = NoticeKind(notice.kind)
    if kind is NoticeKind.coordinator_digest:
        payload["due_today"] = _listed(payload.get("due_today", []), today, calendar)
        payload["overdue"] = _listed(payload.get("overdue", []), today, calendar)
        payload.setdefault("truncated", 0)
    return payload


def _greeting(notice: NoticeLike) -> str:
    name = str((notice.payload or {}).get("addressee_name") or notice.recipient)
    if notice.audience == "head":
        return f"Lãnh đạo {name}"
    if notice.audience == "coordinator":
        return f"Bộ phận đầu mối công tác phòng, chống mại dâm, {name}"
    return name


def render_message(
    notices: Sequence[NoticeLike],
    *,
    now: datetime,
    calendar: WorkingCalendar,
    environment: Environment | None = None,
) -> RenderedMessage:
    """The digest of ``notices`` (one recipient, one channel): subject, text and HTML."""
    if not notices:
        raise ValueError("render_message needs at least one notice")
    env = environment or template_environment()
    local_now = now.astimezone(LOCAL_TZ)
    today = local_now.date()
    by_kind: dict[NoticeKind, list[NoticeLike]] = {}
    for notice in sorted(notices, key=lambda n: (n.due_date or date.min, n.id or 0)):
        by_kind.setdefault(NoticeKind(notice.kind), []).append(notice)
    sections: list[dict[str, Any]] = []
    for kind in KIND_ORDER:
        group = by_kind.get(kind)
        if not group:
            continue
        if kind in _TASK_KINDS:
            items = [_task_item(n, today=today, now=now, calendar=calendar) for n in group]
        else:
            items = [_report_item(n, today=today, calendar=calendar) for n in group]
        sections.append(
            {
                "kind": kind.value,
                "title": _HEADLINE[kind],
                "entries": items,
                "show_unit": group[0].audience in ("coordinator", "pc_office"),
                "audience": group[0].audience,
            }
        )
    first = sections[0]
    lead = NoticeKind(first["kind"])
    tasks = sum(len(s["entries"]) for s in sections if NoticeKind(s["kind"]) in _TASK_KINDS)
    subject = f"[PCMD] {_HEADLINE[lead]}"
    if lead in _TASK_KINDS and tasks > 1:
        subject += f" ({tasks} báo cáo)"
    subject += f" - {format_short(today)}"
    head = min(notices, key=lambda n: (KIND_ORDER.index(NoticeKind(n.kind)), n.id or 0))
    context = {
        "subject": subject,
        "greeting": _greeting(head),
        "intro": _INTRO.get(head.audience, _INTRO["unit"]),
        "sections": sections,
        "sent_on": f"lúc {local_now:%H:%M} {weekday_vi(today)}, ngày {format_short(today)}",
    }
    text = env.get_template("digest.txt.j2").render(context) + "\n"
    html = env.get_template("digest.html.j2").render(context) + "\n"
    dues = sorted(n.due_date for n in notices if n.due_date is not None)
    links = [
        i["link"] for s in sections for i in s["entries"] if isinstance(i, dict) and i.get("link")
    ]
    template_data = {
        "unit_name": _greeting(head)[:100],
        "count": str(max(tasks, len(notices))),
        "due_date": format_short(dues[0]) if dues else format_short(today),
        "content": _HEADLINE[lead],
        "link": links[0] if links else "",
    }
    return RenderedMessage(
        subject=subject,
        text=text,
        html=html,
        key=message_key(notices),
        template_data=template_data,
    )


def channel_vi(channel: str) -> str:
    return CHANNEL_VI.get(channel, channel)
