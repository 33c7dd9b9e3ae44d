"""The identity of a plan document: number, type, issuer, place, date, title, legal bases.

The letterhead of an administrative document (Decree 30/2020/NĐ-CP, Annex I) carries the
issuer («ỦY BAN NHÂN DÂN / TỈNH LÀO CAI»), the number («Số: 142/KH-UBND»), the place and
date («Lào Cai, ngày 14 tháng 05 năm 2020»), the type and the title. Scraped copies lose
parts of it; an annex subtitle («(Ban hành kèm theo Quyết định số 1736/QĐ-UBND ngày
05/11/2021 của Chủ tịch UBND tỉnh Quảng Ngãi)») still names the number, date and issuer.
Legal bases are the preamble's «Căn cứ …», «Thực hiện …» and «Theo đề nghị …» clauses;
lists of related documents from the web page are not the document and never count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pcmd_workflow.domain.plan import DocType
from pcmd_workflow.intake.matching import slugify
from pcmd_workflow.intake.phrases import find_dates
from pcmd_workflow.intake.reading import Paragraph
from pcmd_workflow.intake.structure import Block

__all__ = ["Header", "LegalBasis", "read_header"]

_NUMBER = re.compile(
    r"\bSố\s*:?\s*(?P<n>\d{1,5}\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐa-zđ][\w&.\s-]*?[\wĐđ])(?=\s*(?:\||$|,|\s+ngày))"
)
_DOC_REF = re.compile(
    r"(?P<type>Kế hoạch|Quyết định|Chỉ thị|Công văn|Nghị quyết)\s+số\s*:?\s*"
    r"(?P<n>\d{1,5}\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ][A-ZĐ0-9&-]*(?:\s*-\s*[A-ZĐ][A-ZĐ0-9&]*)*)"
    r"\s+ngày\s+(?P<date>[0-9/]+|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4})"
    r"(?:\s+của\s+(?P<issuer>[^)]*?))?\s*\)"
)
_PLACE_DATE = re.compile(
    r"^\s*(?P<place>[A-ZĐÀ-Ỹ][\w\sÀ-ỹ.]{1,40}?),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+"
    r"(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
)
_TYPE_TITLE = {
    "KẾ HOẠCH": DocType.ke_hoach,
    "QUYẾT ĐỊNH": DocType.quyet_dinh,
    "CHỈ THỊ": DocType.chi_thi,
    "CÔNG VĂN": DocType.cong_van,
}
_TYPE_CODE = {"KH": DocType.ke_hoach, "QĐ": DocType.quyet_dinh, "CT": DocType.chi_thi}
_ISSUER_LINE = re.compile(r"^\s*(?:CHỦ TỊCH\s+)?(?:ỦY|UỶ) BAN NHÂN DÂN\b(?P<rest>[^|]*)")
_PLACE_LINE = re.compile(
    r"^\s*(?P<kind>TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG)\s+(?P<name>[^|]+?)\s*\|?\s*$"
)
_SIGN = re.compile(r"^\s*(?:KT\.?\s*)?(?:PHÓ\s+)?CHỦ TỊCH\s*$")
_BASIS_START = re.compile(r"^\s*(?:Căn cứ|Thực hiện|Theo đề nghị)\b")
_REF_START = re.compile(
    r"(?:(?<=^)|(?<=Căn cứ )|(?<=Thực hiện )|(?<=; )|(?<=;)|(?<= và )|(?<=, )|(?<=tại ))"
    r"(?P<type>Luật|Pháp lệnh|Nghị định|Nghị quyết|Quyết định|Chỉ thị|Công văn|Kế hoạch|Thông tư"
    r"|Tờ trình|Chương trình|Văn bản)\b"
)
_REF_NUMBER = re.compile(
    r"\bsố\s*:?\s*(?P<n>\d{1,5}\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ][\w&-]*(?:\s*-\s*[A-ZĐ][\w&]*)*)"
)
_REF_ISSUER = re.compile(
    r"\bcủa\s+(?P<issuer>.+?)(?=\s+(?:về|phê duyệt|quy định|Quy định|ban hành|hướng dẫn)\b|[,;]|$)"
)
_REF_TAIL = re.compile(
    r",\s*(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Chủ tịch)\b.*$|\s*\.\s*$|[;,.\s]+$"
)
_CENTRAL_CITY_NAMES = {"Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"}


@dataclass(frozen=True, kw_only=True)
class LegalBasis:
    title: str  # verbatim reference
    number: str | None
    date: date | None
    issuer: str | None
    where: str


@dataclass(kw_only=True)
class Header:
    number: str | None = None
    number_where: str | None = None
    doc_type: DocType | None = None
    title: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued: date | None = None
    issued_where: str | None = None
    signer: str | None = None
    legal_basis: list[LegalBasis] = field(default_factory=list)
    #: «giai đoạn 2021-2025» in the title: the plan's period
    period: tuple[int, int] | None = None

    @property
    def jurisdiction(self) -> str | None:
        return slugify(self.place) if self.place else None

    @property
    def is_city(self) -> bool:
        return bool(self.place and self.place in _CENTRAL_CITY_NAMES) or bool(
            self.issuer and "thành phố" in self.issuer.lower() and self.place in _CENTRAL_CITY_NAMES
        )


def _clean_number(text: str) -> str:
    return re.sub(r"\s+", "", text).strip("|.,;")


def _type_from_number(number: str) -> DocType | None:
    parts = number.split("/")
    code = parts[-1].split("-")[0].upper() if parts else ""
    return _TYPE_CODE.get(code, DocType.cong_van if code else None)


def _title_case_place(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split())


def _parse_refs(text: str, *, where: str) -> list[LegalBasis]:
    body = re.sub(r"^\s*(?:Căn cứ|Thực hiện|Theo đề nghị của [^.;]*?tại)\s+", "", text)
    starts = []
    for m in _REF_START.finditer(body):
        before = body[: m.start()].rstrip()
        numbered = re.match(r"\s+số\b", body[m.end() : m.end() + 8]) is not None
        if not before or before.endswith(";") or numbered:
            starts.append(m.start())
    if not starts:
        return []
    out: list[LegalBasis] = []
    for a, b in zip(starts, [*starts[1:], len(body)], strict=False):
        ref = body[a:b]
        ref = _REF_TAIL.sub("", ref).strip()
        ref = re.sub(r"\s+và$", "", ref).strip(" ;,")
        if len(ref) < 6:
            continue
        number = _REF_NUMBER.search(ref)
        dates = find_dates(ref)
        day = next((d.as_date() for d in dates if d.year is not None), None)
        issuer_m = _REF_ISSUER.search(ref)
        out.append(
            LegalBasis(
                title=ref,
                number=_clean_number(number["n"]) if number else None,
                date=day,
                issuer=issuer_m["issuer"].strip()
                if issuer_m and not _REF_START.match(issuer_m["issuer"])
                else None,
                where=where,
            )
        )
    return out


def read_header(blocks: list[Block], paragraphs: tuple[Paragraph, ...] = ()) -> Header:
    """Everything the letterhead, the preamble and annex subtitles say about the document."""
    header = Header()
    issuer_parts: list[str] = []
    letterhead_issuer: str | None = None
    seen_title = False
    for i, block in enumerate(blocks):
        text = block.paragraph.text
        plain = text.strip().strip("|").strip()
        where = f"¶{block.paragraph.index}"
        if block.region == "title" and not seen_title:
            key = re.sub(r"[:\s]+$", "", plain)
            if key in _TYPE_TITLE and header.doc_type is None:
                header.doc_type = _TYPE_TITLE[key]
            seen_title = True
            # the next non-reference, upper-case paragraph is the title
            for nxt in blocks[i + 1 : i + 4]:
                t = nxt.paragraph.text.strip()
                if t and t == t.upper() and not t.startswith("("):
                    header.title = t
                    break
            continue
        if header.number is None and (m := _NUMBER.search(text)) and block.region != "body":
            header.number = _clean_number(m["n"])
            header.number_where = where
        if header.issued is None and (m := _PLACE_DATE.match(plain)):
            try:
                header.issued = date(int(m["y"]), int(m["m"]), int(m["d"]))
                header.issued_where = where
                header.place = m["place"].strip()
            except ValueError:
                pass
        if (
            letterhead_issuer is None
            and block.region in ("preamble", "title")
            and (m := _ISSUER_LINE.match(plain))
        ):
            letterhead_issuer = plain
            rest = m["rest"].strip()
            if rest:
                issuer_parts.append(rest)
            elif i + 1 < len(blocks) and (pm := _PLACE_LINE.match(blocks[i + 1].paragraph.text)):
                issuer_parts.append(f"{pm['kind']} {pm['name']}")
        if (
            (m := _DOC_REF.search(text))
            and text.strip().startswith("(")
            and "kèm theo" in text.lower()
        ):
            # annex subtitle: the document this annex belongs to
            if header.number is None:
                header.number = _clean_number(m["n"])
                header.number_where = where
                header.doc_type = header.doc_type or _TYPE_TITLE.get(m["type"].upper())
            if header.issued is None:
                dates = find_dates(m["date"])
                if dates and dates[0].year:
                    header.issued = dates[0].as_date()
                    header.issued_where = where
            if m["issuer"] and not letterhead_issuer:
                letterhead_issuer = m["issuer"].strip()
        if block.region == "preamble" and _BASIS_START.match(plain):
            for ref in _parse_refs(plain, where=where):
                if ref.number and any(r.number == ref.number for r in header.legal_basis):
                    continue
                if not ref.number and any(r.title == ref.title for r in header.legal_basis):
                    continue
                header.legal_basis.append(ref)
    header.signer = _signer(paragraphs)
    if header.doc_type is None and header.number:
        header.doc_type = _type_from_number(header.number)
    issuer = letterhead_issuer
    if issuer and issuer_parts:
        head = "Chủ tịch UBND" if issuer.upper().startswith("CHỦ TỊCH") else "UBND"
        kind, _, name = issuer_parts[0].partition(" ")
        if kind in ("THÀNH", "TỈNH") and name.startswith("PHỐ "):
            kind, name = "THÀNH PHỐ", name[4:]
        header.issuer = f"{head} {kind.lower()} {_title_case_place(name)}".replace(
            "thành phố", "Thành phố"
        )
        if header.place is None:
            header.place = _title_case_place(name)
    elif issuer and issuer.upper() == issuer:
        header.issuer = None
    elif issuer:
        header.issuer = issuer
    if header.issuer is None and header.place:
        city = header.place in _CENTRAL_CITY_NAMES
        header.issuer = f"UBND {'Thành phố' if city else 'tỉnh'} {header.place}"
    if header.issuer and header.place is None:
        m = re.search(r"(?:tỉnh|Thành phố|thành phố|TỈNH|THÀNH PHỐ)\s+(.+)$", header.issuer)
        if m:
            header.place = _title_case_place(m.group(1))
    if header.title:
        m = re.search(r"GIAI ĐOẠN\s+((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)", header.title.upper())
        if m:
            header.period = (int(m.group(1)), int(m.group(2)))
    return header


def _signer(paragraphs: tuple[Paragraph, ...]) -> str | None:
    """The name under «CHỦ TỊCH»/«PHÓ CHỦ TỊCH» in the signature block."""
    for i, p in enumerate(paragraphs):
        if _SIGN.match(p.text.strip().strip("|").strip()):
            for nxt in paragraphs[i + 1 : i + 4]:
                words = nxt.text.split()
                if (
                    2 <= len(words) <= 5
                    and all(w[:1].isupper() for w in words)
                    and (nxt.text.upper() != nxt.text)
                ):
                    return nxt.text.strip()
    return None
