"""From a read document to a draft plan: units, groups, reporting duties and targets.

A draft is a proposal for a coordinator to review, never a decision: every duty and target
cites its clause verbatim and its location, carries a confidence, and what the text does
not settle (who reports, to whom, which period) is a ``TODO`` with a placeholder slug that
``pcmd plan check`` flags, never a silent guess. Readings follow DOMAIN §0.1: one obligation
per cadence (a clause naming four cadences gives four sharing the clause); «Đề nghị …»
marks a requested unit (Q10); «qua Sở …» is the via body; «sơ kết» and «tổng kết» are
one-off summaries (Q17).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from pcmd_workflow.domain.periods import Cadence
from pcmd_workflow.domain.plan import Level, Role
from pcmd_workflow.intake.gazetteer import UnitMatcher, UnitMention, default_matcher
from pcmd_workflow.intake.header import Header, read_header
from pcmd_workflow.intake.matching import fold, slugify
from pcmd_workflow.intake.phrases import (
    CutoffFound,
    DueFound,
    find_cadences,
    find_cutoffs,
    find_dues,
    find_periods,
    find_targets,
)
from pcmd_workflow.intake.reading import Paragraph, SourceDocument
from pcmd_workflow.intake.structure import Block, Segment, body_blocks, split_segments

__all__ = [
    "TODO_RECIPIENT",
    "TODO_REPORTER",
    "Draft",
    "DraftGroup",
    "DraftObligation",
    "DraftTarget",
    "DraftUnit",
    "build_draft",
]

TODO_REPORTER = "todo-reporter"
TODO_RECIPIENT = "todo-recipient"


@dataclass(kw_only=True)
class DraftUnit:
    slug: str
    name: str
    level: Level
    role: Role = Role.member
    parent: str | None = None
    requested: bool = False
    where: str | None = None
    mentions: int = 0


@dataclass(kw_only=True)
class DraftGroup:
    slug: str
    name: str
    level: Level
    parent: str | None = None
    where: str | None = None


@dataclass(kw_only=True)
class DraftObligation:
    id: str
    reporters: list[str]
    recipient: str
    via: str | None
    cadence: Cadence
    due: str | None
    due_phrase: str | None
    clause: str
    where: str
    confidence: float
    periods: list[str] | None = None
    period_label: str | None = None
    cutoff_start: date | None = None
    cutoff_end: date | None = None
    cutoff_phrase: str | None = None
    title: str | None = None
    todos: dict[str, str] = field(default_factory=dict)  # field -> what to do
    notes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class DraftTarget:
    id: str
    text: str
    where: str
    metric: str
    comparator: str
    value: float | None
    value_max: float | None
    phrase: str
    confidence: float
    year: int | None = None
    yearly: bool = False
    note: str | None = None


@dataclass(kw_only=True)
class Draft:
    source: SourceDocument
    header: Header
    plan_id: str
    units: list[DraftUnit]
    groups: list[DraftGroup]
    obligations: list[DraftObligation]
    targets: list[DraftTarget]
    cutoffs: list[tuple[CutoffFound, str]]  # (cut-off, where)
    todos: dict[str, str]  # plan-level field -> what to do
    chrome_paragraphs: int


# ---- reporting duties -------------------------------------------------------------------

_REPORT = re.compile(r"\bbáo cáo\b(?! viên)")
_REPORT_EXCLUDED = re.compile(
    r"(?:thông tin|trao đổi), báo cáo\b|xây dựng chế độ báo cáo|đề cương báo cáo|báo cáo viên"
)
_REPORT_CONTENT = re.compile(
    r"\bbáo cáo\s+(?:kết quả|tình hình|số\b|định kỳ|nhanh|đột xuất|tổng kết|sơ kết|thống kê"
    r"|tiến độ)|\bchế độ (?:thông tin )?báo cáo"
    r"|\b(?:định kỳ|hoàn thành|có)\s+(?:tổng hợp\s+)?báo cáo"
)
_SEND = re.compile(r"\b(?:gửi|trình)\b")
_REVIEW_DUTY = re.compile(r"\btổ chức\s+(?:sơ kết|tổng kết)")
_PERIODIC = re.compile(r"\bđịnh kỳ\b")
#: words after which a named unit is not the one acting
_NOT_ACTOR = re.compile(
    r"(?:với|của|cho|qua|gửi|gửi về|về|đến|tới|trình|tại|đối với|chỉ đạo|giúp|"
    r"thuộc|trước|báo cáo|phối hợp|cùng)\s*$"
)
_TO_RECIPIENT = re.compile(r"(?:gửi(?: về)?|về|với|lên|báo cáo|trình|đến|tới)\s*$")
_VIA = re.compile(r"(?:\(\s*|\b)qua\s*$")
_HEAD_PREFIX = re.compile(r"^\s*(?:cấp (?:tỉnh|huyện|xã)\s*:\s*|đề nghị\s+|giao\s+|yêu cầu\s+)*")


def _is_report_segment(folded: str) -> bool:
    if _REVIEW_DUTY.search(folded):
        return True
    if not _REPORT.search(folded):
        return False
    cleaned = _REPORT_EXCLUDED.sub(" ", folded)
    if not _REPORT.search(cleaned):
        return False
    if _REPORT_CONTENT.search(cleaned) or _SEND.search(cleaned):
        return True
    if find_cadences(cleaned) or find_dues(cleaned):
        return True
    # «báo cáo UBND Thành phố», «báo cáo Huyện ủy»: reporting to a named body
    return bool(
        re.search(r"\bbáo cáo\s+(?:uỷ ban|bộ|sở|trung ương|huyện uỷ|thành uỷ|tỉnh uỷ)", cleaned)
    )


@dataclass(frozen=True, kw_only=True)
class _Context:
    matcher: UnitMatcher
    header: Header


def _slug_for(mention: UnitMention, folded: str, matcher: UnitMatcher) -> str:
    """«các thành viên Ban Chỉ đạo …» is the members' group, not the committee."""
    before = folded[max(0, mention.start - 25) : mention.start]
    if re.search(r"thành viên\s*$", before):
        candidate = f"thanh-vien-{mention.slug}"
        if candidate in matcher.entries:
            return candidate
    return mention.slug


_CHAIN = re.compile(r"^[\s,;]*(?:và\s+)?$")


def _actors(
    folded: str, mentions: list[UnitMention], matcher: UnitMatcher, *, limit: int
) -> list[str]:
    """Units acting in a clause: named before ``limit``, not after «với», «của», «qua» …

    A unit listed right after an excluded one («của các Sở, ban, ngành và UBND các quận»)
    is excluded with it; units in brackets («(gọi tắt là Ban Chỉ đạo cấp tỉnh)») are not
    actors.
    """
    out: list[str] = []
    prev_end = -1
    prev_excluded = False
    for m in mentions:
        if m.start >= limit:
            break
        chained = prev_end >= 0 and bool(_CHAIN.match(folded[prev_end : m.start]))
        excluded = (
            bool(_NOT_ACTOR.search(folded[max(0, m.start - 14) : m.start]))
            or _inside_brackets(folded, m.start)
            or (chained and prev_excluded)
        )
        prev_end, prev_excluded = m.end, excluded
        if excluded:
            continue
        slug = _slug_for(m, folded, matcher)
        if slug not in out:
            out.append(slug)
    return out


def _inside_brackets(folded: str, pos: int) -> bool:
    return folded.count("(", 0, pos) > folded.count(")", 0, pos)


def _inside_qua(folded: str, pos: int) -> bool:
    opened = folded.rfind("(", 0, pos)
    if opened < 0 or folded.rfind(")", 0, pos) > opened:
        return False
    return folded[opened + 1 : pos].strip().startswith("qua")


def _lead(block: Block) -> str:
    """The part of a heading that names who acts: up to «:» or the first clause."""
    text = block.paragraph.text[block.content_start :]
    cut = len(text)
    for sep in (":", ";", "."):
        i = text.find(sep)
        if 0 <= i < cut:
            cut = i
    return text[:cut]


def _heading_actors(block: Block, ctx: _Context) -> list[str]:
    """Units a heading starts with («2. Công an Tỉnh: …», «24. UBND các quận, huyện, thị xã»)."""
    chain: list[Block | Paragraph] = [*reversed(block.headings)]
    if block.is_heading:
        chain.insert(0, block)
    for head in chain:
        if isinstance(head, Block):
            lead = _lead(head)
        else:
            text = head.text
            m = re.match(r"^\s*(?:[IVX]+\.|\d{1,2}(?:\.\d{1,2})*\.?|[a-zđ]\)|Điều \d+\.)\s*", text)
            lead = text[m.end() if m else 0 :]
            for sep in (":", ";", "."):
                i = lead.find(sep)
                if i >= 0:
                    lead = lead[:i]
        folded = fold(lead)
        prefix = _HEAD_PREFIX.match(folded)
        start = prefix.end() if prefix else 0
        mentions = ctx.matcher.find(folded)
        if mentions and mentions[0].start <= start + 2 and not folded.startswith("chỉ đạo"):
            # the units listed one after another at the start of the heading
            out: list[str] = []
            prev_end = -1
            for mention in mentions:
                if prev_end >= 0 and not _CHAIN.match(folded[prev_end : mention.start]):
                    break
                prev_end = mention.end
                slug = _slug_for(mention, folded, ctx.matcher)
                if slug not in out:
                    out.append(slug)
            return out
    return []


def _recipients(
    folded: str,
    mentions: list[UnitMention],
    ctx: _Context,
    reporters: list[str],
    report_pos: int,
) -> tuple[str | None, str | None, list[str]]:
    """``(recipient, via, other recipients)`` named after the report verb."""
    recipient: str | None = None
    via: str | None = None
    extra: list[str] = []
    prev_end = -1
    prev_excluded = False
    for m in mentions:
        qua = _inside_qua(folded, m.start)
        if m.start < report_pos and not qua:
            continue
        before = folded[max(0, m.start - 16) : m.start]
        chained = prev_end >= 0 and bool(_CHAIN.match(folded[prev_end : m.start]))
        slug = _slug_for(m, folded, ctx.matcher)
        excluded = bool(re.search(r"(?:của|phối hợp với)\s*$", before)) or (
            chained and prev_excluded
        )
        prev_end, prev_excluded = m.end, excluded
        if qua or _VIA.search(before):
            via = via or slug
            continue
        if excluded or slug in reporters:
            continue
        if recipient is None:
            recipient = slug
        elif slug != recipient and chained:
            extra.append(slug)
    return recipient, via, extra


def _dedupe_id(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def _where_slug(where: str) -> str:
    compact = where.replace("¶", "p").replace("Điều ", "dieu").replace(".", "")
    return slugify(compact) or "p"


def _obligations_of(
    seg: Segment,
    segments: list[Segment],
    ctx: _Context,
    used: set[str],
    doc_cutoffs: list[tuple[CutoffFound, str]],
) -> list[DraftObligation]:
    folded = seg.folded.text
    cadences = find_cadences(folded)
    dues = find_dues(folded)
    attached = {id(c.attached_due) for c in cadences if c.attached_due}
    free_dues = [
        d
        for d in dues
        if not any(c.attached_due and c.attached_due.phrase == d.phrase for c in cadences)
    ]
    del attached
    mentions = ctx.matcher.find(folded)
    verbs = [m.start() for m in (_REPORT.search(folded), _REVIEW_DUTY.search(folded)) if m]
    report_pos = min(verbs or [c.start for c in cadences] or [len(folded)])
    confidence = 0.35
    notes: list[str] = []
    todos: dict[str, str] = {}
    # who reports
    reporters = _actors(folded, mentions, ctx.matcher, limit=report_pos)
    if reporters:
        confidence += 0.25
    else:
        # the subject of the sentence, written before this clause
        earlier = [s for s in segments if s.sentence == seg.sentence and s.order < seg.order]
        for s in reversed(earlier):
            f = s.folded.text
            reporters = _actors(f, ctx.matcher.find(f), ctx.matcher, limit=len(f))
            if reporters:
                break
        if not reporters:
            reporters = _heading_actors(seg.block, ctx)
        if reporters:
            confidence += 0.15
            notes.append("đơn vị báo cáo lấy từ đầu câu/đề mục")
    if not reporters:
        reporters = [TODO_REPORTER]
        todos["reporters"] = "chưa xác định được đơn vị báo cáo; thay todo-reporter"
    # to whom, and through whom
    recipient, via, extra_recipients = _recipients(folded, mentions, ctx, reporters, report_pos)
    clause = seg.raw
    if recipient is None:
        # «…; công tác tiếp cận, hỗ trợ … gửi Sở Lao động-Thương binh và Xã hội.»: the
        # addressee closes the sentence, after the clause's own semicolon
        later = [s for s in segments if s.sentence == seg.sentence and s.order > seg.order]
        for s in later:
            f = s.folded.text
            recipient, via2, more = _recipients(f, ctx.matcher.find(f), ctx, reporters, 0)
            if recipient is not None:
                via = via or via2
                extra_recipients += more
                text = seg.block.paragraph.text
                clause = text[seg.start : s.start + len(s.raw)]
                break
    if recipient is None:
        recipient = TODO_RECIPIENT
        todos["recipient"] = (
            "văn bản không nêu nơi nhận; mặc định Q18: UBND cấp trên qua cơ quan thường trực"
        )
    else:
        confidence += 0.15
    if extra_recipients:
        notes.append("cũng gửi: " + ", ".join(extra_recipients))
    if via == recipient:
        via = None
    # which periods
    periods_found = find_periods(fold(seg.sentence)) or find_periods(folded)
    cutoffs = find_cutoffs(folded) or find_cutoffs(fold(seg.block.paragraph.text))
    kinds: list[tuple[Cadence, bool, DueFound | None]] = []
    for c in cadences:
        if not any(k[0] is c.cadence and k[1] == c.review for k in kinds):
            kinds.append((c.cadence, c.review, c.attached_due))
    if not kinds:
        dated = next((d for d in free_dues if d.date and d.date.year), None)
        if dated is not None:
            kinds.append((Cadence.summary, False, None))
            notes.append("hạn có năm cụ thể: coi là báo cáo một lần (summary)")
        elif find_periods(fold(seg.sentence)) and not _PERIODIC.search(folded):
            kinds.append((Cadence.summary, False, None))
            periods_found = periods_found or find_periods(fold(seg.sentence))
            notes.append("báo cáo kết quả một giai đoạn: coi là báo cáo một lần (summary)")
            confidence -= 0.1
        else:
            kinds.append((Cadence.unscheduled, False, None))
            todos["cadence"] = (
                "«định kỳ» không nêu kỳ: chọn monthly/quarterly/semiannual/annual"
                if _PERIODIC.search(folded)
                else "không nêu kỳ báo cáo: chọn kỳ hoặc để unscheduled"
            )
    else:
        confidence += 0.15
    out: list[DraftObligation] = []
    for cadence, review, own_due in kinds:
        due = own_due or (free_dues[0] if free_dues else None)
        ob_todos = dict(todos)
        ob_notes = list(notes)
        if due is not None and due.rule is None:
            ob_todos["due"] = f"«{due.phrase}»: {due.note}"
        elif due is not None and due.note:
            ob_notes.append(f"«{due.phrase}»: {due.note}")
        if len(free_dues) > 1 and own_due is None:
            ob_notes.append("nhiều hạn trong câu: " + "; ".join(d.phrase for d in free_dues))
        periods = None
        period_label = None
        if cadence is Cadence.summary and periods_found:
            a, b, verbatim = periods_found[0]
            periods = [f"{a}-{b}"]
        elif cadence is Cadence.summary and ctx.header.period:
            a, b = ctx.header.period
            periods = [f"{a}-{b}"]
            ob_notes.append(f"kỳ {a}-{b} lấy từ tên văn bản")
        elif cadence is Cadence.summary:
            ob_notes.append("kỳ tổng kết/sơ kết không nêu năm: điền periods (ví dụ 2021-2025)")
        if len(periods_found) > 1:
            for a, b, verbatim in periods_found[1:]:
                if b - a not in (4, 5, 9, 10) and period_label is None:
                    period_label = verbatim.split("đoạn", 1)[-1].strip()
        cutoff = cutoffs[0] if cutoffs else None
        cutoff_where = seg.block.where
        if cutoff is None and due is not None and due.date and due.date.year:
            same_year = [
                (c, w) for c, w in doc_cutoffs if c.end_date and c.end_date.year == due.date.year
            ]
            if len(same_year) == 1:
                cutoff, cutoff_where = same_year[0]
        suffix = cadence.value + ("-review" if review else "")
        ob = DraftObligation(
            id=_dedupe_id(f"{_where_slug(seg.block.where)}-{suffix}", used),
            reporters=list(reporters),
            recipient=recipient,
            via=via,
            cadence=cadence,
            due=due.rule if due else None,
            due_phrase=due.phrase if due else None,
            clause=clause,
            where=seg.block.where,
            confidence=round(min(confidence + (0.1 if due and due.rule else 0.0), 0.98), 2),
            periods=periods,
            period_label=period_label,
            cutoff_start=cutoff.start_date if cutoff else None,
            cutoff_end=cutoff.end_date if cutoff else None,
            cutoff_phrase=(f"{cutoff.phrase} ({cutoff_where})" if cutoff else None),
            title=("Sơ kết" if review else None),
            todos=ob_todos,
            notes=ob_notes,
        )
        out.append(ob)
    return out


# ---- units ------------------------------------------------------------------------------


def _collect_units(
    segments: list[Segment], ctx: _Context
) -> tuple[dict[str, DraftUnit], dict[str, DraftGroup]]:
    units: dict[str, DraftUnit] = {}
    groups: dict[str, DraftGroup] = {}
    for seg in segments:
        folded = seg.folded.text
        for m in ctx.matcher.find(folded):
            slug = _slug_for(m, folded, ctx.matcher)
            entry = ctx.matcher.entries[slug]
            raw_a, raw_b = seg.folded.source_span(m.start, m.end)
            name = seg.raw[raw_a:raw_b].strip(" ,;:")
            if slug != m.slug:  # «các thành viên Ban Chỉ đạo …»
                name = entry.name
            if entry.group:
                groups.setdefault(
                    slug,
                    DraftGroup(slug=slug, name=name, level=entry.level, where=seg.block.where),
                )
                continue
            unit = units.setdefault(
                slug, DraftUnit(slug=slug, name=name, level=entry.level, where=seg.block.where)
            )
            unit.mentions += 1
            after = folded[m.end : m.end + 30]
            before = folded[max(0, m.start - 60) : m.start]
            if "thường trực" in after or re.search(r"thường trực[^.;]*-\s*$", before):
                unit.role = Role.standing
    # «Đề nghị …» leads: requested units
    for seg in segments:
        lead = seg.folded.text
        asked = re.search(r"\bđề nghị\s+", lead)
        if asked is None:
            continue
        stop = re.search(r"\b(?:và yêu cầu|yêu cầu|:)", lead[asked.end() :])
        span = lead[asked.end() : asked.end() + stop.start() if stop else len(lead)]
        for mention in ctx.matcher.find(span):
            if mention.slug in units and mention.start < 200:
                units[mention.slug].requested = True
    return units, groups


def _finish_units(
    units: dict[str, DraftUnit],
    groups: dict[str, DraftGroup],
    obligations: list[DraftObligation],
    header: Header,
) -> tuple[list[DraftUnit], list[DraftGroup]]:
    if "ubnd-tinh" not in units:
        name = header.issuer.replace("Chủ tịch ", "") if header.issuer else "UBND tỉnh"
        units["ubnd-tinh"] = DraftUnit(slug="ubnd-tinh", name=name, level=Level.province)
    vias = Counter(o.via for o in obligations if o.via)
    if vias:
        top = vias.most_common(1)[0][0]
        if top in units:
            units[top].role = Role.standing
    recipients = {o.recipient for o in obligations}
    reporters = {r for o in obligations for r in o.reporters}
    for unit in units.values():
        if unit.slug == "ubnd-tinh" or unit.level is Level.central:
            unit.role = Role.recipient if unit.slug not in reporters else unit.role
        elif unit.role is Role.member and unit.slug in recipients and unit.slug not in reporters:
            unit.role = Role.member
        if unit.level is Level.province and unit.slug != "ubnd-tinh":
            unit.parent = "ubnd-tinh"
    for group in groups.values():
        if group.level in (Level.province, Level.district):
            group.parent = "ubnd-tinh"
    ordered = sorted(
        units.values(),
        key=lambda u: (
            [Level.central, Level.province, Level.district, Level.commune, Level.body].index(
                u.level
            ),
            u.slug != "ubnd-tinh",
        ),
    )
    return ordered, list(groups.values())


# ---- targets ----------------------------------------------------------------------------

_YEARLY = re.compile(r"\b(?:hằng|hàng|mỗi) năm\b")
_BY_YEAR = re.compile(r"\bđến năm\s+((?:19|20)\d\d)\b")


def _targets_of(blocks: list[Block], used: set[str]) -> list[DraftTarget]:
    out: list[DraftTarget] = []
    for block in blocks:
        if block.annex or block.region not in ("body", "closing"):
            continue
        in_targets_section = any(
            "chỉ tiêu" in fold(h.text) for h in block.headings
        ) or "chỉ tiêu" in fold(block.paragraph.text[:40])
        heading_year = next(
            (int(m.group(1)) for h in block.headings if (m := _BY_YEAR.search(fold(h.text)))),
            None,
        )
        for seg in split_segments(block):
            if seg.order and seg.sentence == out[-1].text if out else False:
                continue
            folded = fold(seg.sentence)
            if out and out[-1].text == seg.sentence and out[-1].where == block.where:
                continue
            found = find_targets(folded)
            for n, t in enumerate(found, start=1):
                year_m = _BY_YEAR.search(folded)
                confidence = 0.85 if in_targets_section else 0.55
                if t.metric == "zero_count":
                    confidence = 0.4
                base = f"t-{_where_slug(block.where)}" + (f"-{n}" if len(found) > 1 else "")
                out.append(
                    DraftTarget(
                        id=_dedupe_id(base, used),
                        text=seg.sentence,
                        where=block.where,
                        metric=t.metric,
                        comparator=t.comparator,
                        value=t.value,
                        value_max=t.value_max,
                        phrase=t.phrase,
                        confidence=confidence,
                        year=int(year_m.group(1)) if year_m else heading_year,
                        yearly=bool(_YEARLY.search(folded)),
                        note=t.note,
                    )
                )
    return out


# ---- the whole draft --------------------------------------------------------------------


def build_draft(source: SourceDocument, *, matcher: UnitMatcher | None = None) -> Draft:
    """Everything the document says that a plan file needs, each part cited and located."""
    blocks, chrome = body_blocks(source)
    header = read_header(blocks, source.paragraphs)
    ctx = _Context(matcher=matcher or default_matcher(header.is_city), header=header)
    main = [b for b in blocks if not b.annex and b.region in ("body", "closing")]
    segments: list[Segment] = []
    for block in main:
        protected = [
            (*_raw_span(block, m.start, m.end),)
            for m in ctx.matcher.find(fold(block.paragraph.text))
        ]
        segments.extend(split_segments(block, protected=protected))
    doc_cutoffs: list[tuple[CutoffFound, str]] = []
    for block in blocks:
        if block.region == "title":
            continue
        for c in find_cutoffs(fold(block.paragraph.text)):
            doc_cutoffs.append((c, block.where))
    used: set[str] = set()
    obligations: list[DraftObligation] = []
    for seg in segments:
        if not _is_report_segment(seg.folded.text):
            continue
        if (
            seg.block.is_heading
            and len(seg.block.paragraph.text) < 60
            and not (find_cadences(seg.folded.text) or find_dues(seg.folded.text))
        ):
            continue  # a section title such as «VI. Chế độ thông tin báo cáo»
        same_block = [s for s in segments if s.block is seg.block]
        obligations.extend(_obligations_of(seg, same_block, ctx, used, doc_cutoffs))
    unit_segments = segments + [
        s
        for b in blocks
        if b.region == "preamble"
        and not b.annex
        and not re.match(r"^\s*(?:Căn cứ|Thực hiện|Theo đề nghị)", b.paragraph.text)
        and b.paragraph.text.strip() != b.paragraph.text.strip().upper()
        for s in split_segments(b)
    ]
    units, groups = _collect_units(unit_segments, ctx)
    for ob in obligations:  # units an obligation names are declared even if only implied
        for slug in [*ob.reporters, ob.recipient, *([ob.via] if ob.via else [])]:
            entry = ctx.matcher.entries.get(slug)
            if entry is None or slug in units or slug in groups:
                continue
            if entry.group:
                groups[slug] = DraftGroup(slug=slug, name=entry.name, level=entry.level)
            else:
                units[slug] = DraftUnit(slug=slug, name=entry.name, level=entry.level)
    unit_list, group_list = _finish_units(units, groups, obligations, header)
    targets = _targets_of(main, set())
    todos: dict[str, str] = {}
    if header.number is None:
        todos["number"] = "không tìm thấy số văn bản («Số: …»)"
    if header.doc_type is None:
        todos["type"] = "không xác định được loại văn bản (Kế hoạch/Quyết định/Chỉ thị/Công văn)"
    if header.issued is None:
        todos["issued"] = "không tìm thấy ngày ban hành («…, ngày … tháng … năm …»)"
    if header.issuer is None:
        todos["issuer"] = "không xác định được cơ quan ban hành"
    if header.place is None:
        todos["jurisdiction"] = "không xác định được địa phương (tỉnh/thành phố)"
    if header.title is None:
        todos["title"] = "không tìm thấy trích yếu (tên) văn bản"
    year = header.issued.year if header.issued else None
    plan_id = "-".join(
        x
        for x in (
            header.jurisdiction or "todo",
            slugify(header.number) if header.number else "todo",
            str(year) if year else None,
        )
        if x
    )
    return Draft(
        source=source,
        header=header,
        plan_id=plan_id,
        units=unit_list,
        groups=group_list,
        obligations=obligations,
        targets=targets,
        cutoffs=doc_cutoffs,
        todos=todos,
        chrome_paragraphs=len(chrome),
    )


def _raw_span(block: Block, start: int, end: int) -> tuple[int, int]:
    from pcmd_workflow.intake.matching import fold_mapped

    folded = fold_mapped(block.paragraph.text)
    return folded.source_span(start, end)
