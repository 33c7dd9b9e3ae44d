"""The shape of a plan document: where it starts and ends, its numbering, its clauses.

Scraped plans are wrapped in web pages (DOMAIN §8.1): site menus and metadata before the
document, and after it lists of "related documents" («Chỉ thị 22/CT-TTg năm 2020 …
Ban hành: 26/05/2020 | Cập nhật: …»), login prompts and counters. None of that is the
document: the body starts at its letterhead and ends at the first line of web chrome.

Inside, administrative documents number their parts I., 1., a), then bullets «-» and «+»
(Decree 30/2020/NĐ-CP, Annex I, on the layout of administrative documents). A location
such as ``IV.24.b-4`` is the fourth bullet under item b) of item 24 of part IV; annexes
(«ĐỀ CƯƠNG», «PHỤ LỤC») restart the numbering under a prefix. When the numbering cannot
be followed a location is the paragraph number, ``¶54``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from pcmd_workflow.intake.matching import Folded, fold_mapped
from pcmd_workflow.intake.reading import Paragraph, SourceDocument

__all__ = ["Block", "Segment", "body_blocks", "split_segments"]

#: lines that belong to the web page around a document, not to the document
_CHROME = re.compile(
    r"Ban hành:\s*\d{1,2}/\d{1,2}/\d{4}\s*\|\s*Cập nhật"
    r"|^\s*(?:Số hiệu|Loại văn bản|Nơi ban hành|Ngày ban hành|Ngày hiệu lực|Ngày công báo"
    r"|Số công báo|Tình trạng|Ngày hết hiệu lực|Lĩnh vực|Người ký)\s*:"
    r"|^\s*(?:Từ khoá|Từ khóa)\s*:|^\s*Đăng nhập\s*$|Đang tải văn bản|Văn bản này chưa cập nhật"
    r"|Bạn Chưa Đăng Nhập|Nếu chưa là Thành Viên|^\s*HIỆU LỰC VĂN BẢN\s*$|^\s*Tải văn bản\s*$"
    r"|^\s*Lượt xem\s*:|^\s*Thống kê truy cập\s*$|^\s*Tin tức\s*$|DMCA|^\s*IP:\s*\d"
    r"|Hãy để chúng tôi hỗ trợ|^\s*Hệ thống pháp luật\s*$|^\s*•\s*(?:Số hiệu|Loại văn bản)",
    re.IGNORECASE,
)
_LETTERHEAD = re.compile(
    r"^\s*(?:(?:CHỦ TỊCH\s+)?(?:ỦY|UỶ) BAN NHÂN DÂN|CỘNG HÒA XÃ HỘI CHỦ NGHĨA|CỘNG HOÀ XÃ HỘI"
    r"|QUYẾT ĐỊNH\s*$|KẾ HOẠCH\s*$|CHỈ THỊ\s*$|Số\s*:\s*\d)"
)
_ANNEX = re.compile(
    r"^\s*(?P<kind>ĐỀ CƯƠNG|PHỤ LỤC|BIỂU|KẾ HOẠCH|QUY CHẾ|HƯỚNG DẪN|QUYẾT ĐỊNH)\b(?P<rest>.*)$"
)
_ANNEX_PREFIX = {
    "ĐỀ CƯƠNG": "ĐC",
    "PHỤ LỤC": "PL",
    "BIỂU": "PL",
    "QUY CHẾ": "QC",
    "HƯỚNG DẪN": "HD",
}
_SIGNOFF = re.compile(
    r"^\s*(?:Nơi nhận\s*:|TM\.?\s|KT\.?\s*CHỦ TỊCH|PHÓ CHỦ TỊCH\s*$|CHỦ TỊCH\s*$|\(Ký,|\(Ký tên)"
)
_ROMAN = re.compile(r"^\s*(?P<n>(?:X{0,3})(?:IX|IV|V?I{0,3}))\.\s+(?=\S)")
_ARABIC = re.compile(r"^\s*(?P<n>\d{1,2}(?:\.\d{1,2})*)\.?\s+(?=[^\d\s/])")
_LETTER = re.compile(r"^\s*(?P<n>[a-zđ])\)\s*")
_BULLET = re.compile(r"^\s*(?P<b>[-–•+*])\s*")
_ARTICLE = re.compile(r"^\s*Điều\s+(?P<n>\d{1,2})\.\s*")
_CLOSING = re.compile(
    r"^\s*(?:Trên đây là|Yêu cầu Thủ trưởng|Trong quá trình (?:thực hiện|triển khai))"
)


@dataclass(frozen=True, kw_only=True)
class Block:
    """One paragraph of the document body with its location."""

    paragraph: Paragraph
    where: str
    annex: str | None  # None: the main text; "ĐC", "PL": an annex
    #: the heading paragraphs above this one, outermost first (not including itself)
    headings: tuple[Paragraph, ...]
    #: text after the numbering marker («1. », «a) », «- »)
    content_start: int
    is_heading: bool
    region: str  # "preamble" (before the first numbered part) | "body" | "closing"


def _is_title_case_signer(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 5 and all(w[:1].isupper() for w in words)


def body_blocks(doc: SourceDocument) -> tuple[list[Block], list[Paragraph]]:
    """The document body as located blocks, and the paragraphs left out as web chrome."""
    paras = list(doc.paragraphs)
    start = 0
    for i, p in enumerate(paras[:80]):
        if _LETTERHEAD.match(p.text):
            start = i
            break
    else:
        while start < len(paras) and _CHROME.search(paras[start].text):
            start += 1
    end = len(paras)
    content = 0
    dropped: list[Paragraph] = []
    for i in range(start, len(paras)):
        if _CHROME.search(paras[i].text):
            if content >= 3:  # the page around the document resumes: the rest is chrome
                end = i
                break
            dropped.append(paras[i])
        else:
            content += 1
    chrome = paras[:start] + dropped + paras[end:]
    skip = {p.index for p in dropped}
    blocks: list[Block] = []
    # numbering state
    roman: str | None = None
    arabic: str | None = None
    letter: str | None = None
    article: str | None = None
    bullets: list[int] = []  # [count of "-", count of "+"]
    headings: dict[str, Paragraph] = {}
    annex: str | None = None
    in_signoff = False
    seen_numbered = False
    region = "preamble"
    last_kind = "none"
    for p in paras[start:end]:
        if p.index in skip:
            continue
        text = p.text
        annex_m = _ANNEX.match(text)
        if annex_m and text.strip() == text.strip().upper():
            kind = annex_m["kind"]
            annex = _ANNEX_PREFIX.get(kind)
            roman = arabic = letter = article = None
            bullets = []
            headings = {}
            in_signoff = False
            region = "preamble"
            seen_numbered = False
            blocks.append(
                Block(
                    paragraph=p,
                    where=f"¶{p.index}",
                    annex=annex,
                    headings=(),
                    content_start=0,
                    is_heading=True,
                    region="title",
                )
            )
            last_kind = "title"
            continue
        if _SIGNOFF.match(text):
            in_signoff = True
        if in_signoff:
            if text.strip().startswith("(") and "kèm theo" in text.lower():
                in_signoff = False
            else:
                continue
        content_start = 0
        is_heading = False
        bullet_where: str | None = None
        if m := _ARTICLE.match(text):
            article = f"Điều {m['n']}"
            roman = arabic = letter = None
            bullets = []
            headings = {"article": p}
            content_start, is_heading = m.end(), True
            seen_numbered = True
        elif (m := _ROMAN.match(text)) and m["n"]:
            roman, arabic, letter, bullets = m["n"], None, None, []
            headings = {"roman": p}
            content_start, is_heading = m.end(), True
            seen_numbered = True
        elif m := _ARABIC.match(text):
            arabic, letter, bullets = m["n"], None, []
            headings = {k: v for k, v in headings.items() if k in ("roman", "article")}
            headings["arabic"] = p
            content_start, is_heading = m.end(), True
            seen_numbered = True
        elif (m := _LETTER.match(text)) and (arabic or roman):
            letter, bullets = m["n"], []
            headings = {k: v for k, v in headings.items() if k != "letter"}
            headings["letter"] = p
            content_start, is_heading = m.end(), True
        elif (m := _BULLET.match(text)) and seen_numbered:
            if m["b"] == "+":
                if not bullets:
                    bullets = [0]
                bullets = [bullets[0], (bullets[1] if len(bullets) > 1 else 0) + 1]
                bullet_where = f"-{bullets[0]}+{bullets[1]}"
            else:
                bullets = [(bullets[0] if bullets else 0) + 1]
                bullet_where = f"-{bullets[0]}"
            content_start = m.end()
        if _CLOSING.match(text) and seen_numbered:
            region = "closing"
        elif seen_numbered and region == "preamble":
            region = "body"
        path = [x for x in (article, roman, arabic, letter) if x]
        if annex:
            path.insert(0, annex)
        where = ".".join(path)
        if region == "closing" or not path:
            where = f"¶{p.index}"
        elif bullet_where:
            where += bullet_where
        elif not is_heading and last_kind in ("bullet", "text-after-bullet"):
            where = f"¶{p.index}"
        own = tuple(v for k, v in headings.items() if v is not p)
        blocks.append(
            Block(
                paragraph=p,
                where=where,
                annex=annex,
                headings=own,
                content_start=content_start,
                is_heading=is_heading,
                region=region,
            )
        )
        if is_heading:
            last_kind = "heading"
        elif bullet_where:
            last_kind = "bullet"
        elif last_kind in ("bullet", "text-after-bullet"):
            last_kind = "text-after-bullet"
        else:
            last_kind = "text"
    return blocks, chrome


@dataclass(frozen=True, kw_only=True)
class Segment:
    """A clause: a sentence, or a part of it between semicolons, with its folded form."""

    block: Block
    raw: str  # verbatim (NFC) text of the clause
    folded: Folded
    sentence: str  # the whole sentence it belongs to (verbatim)
    start: int  # offset of ``raw`` in the paragraph text
    order: int  # position among the paragraph's segments


_SENTENCE_END = re.compile(r"(?<=[.!?…])(?:/\.)?[\"”»]?\s+(?=[\"“«(]?[A-ZĐÀ-Ỹ\-–•+])")
_NOT_END = re.compile(r"(?:\b(?:TP|KT|TM|TT|Tp|TS|ThS|Ths|PGS|GS|St|v\.v)|\b[A-ZĐ]|\d)\.$")


def _sentence_spans(text: str, begin: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = begin
    for m in _SENTENCE_END.finditer(text, begin):
        if _NOT_END.search(text[max(begin, m.start() - 6) : m.start()]):
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _inside_brackets(text: str, pos: int) -> bool:
    return text.count("(", 0, pos) > text.count(")", 0, pos)


def split_segments(
    block: Block, *, protected: list[tuple[int, int]] | None = None
) -> list[Segment]:
    """Sentences of a block, each cut at semicolons that are not inside brackets or names.

    ``protected`` lists spans of the paragraph text (agency names such as «Ban Chỉ đạo
    phòng, chống AIDS; phòng, chống tội phạm; …») that a cut must not fall into.
    """
    text = block.paragraph.text
    protected = protected or []
    out: list[Segment] = []
    for s_start, s_end in _sentence_spans(text, block.content_start):
        sentence = text[s_start:s_end].strip()
        cuts = [s_start]
        for m in re.finditer(r";\s*", text[s_start:s_end]):
            pos = s_start + m.start()
            if _inside_brackets(text[s_start:s_end], m.start()):
                continue
            if any(a < pos < b for a, b in protected):
                continue
            cuts.append(s_start + m.end())
        cuts.append(s_end)
        for a, b in itertools.pairwise(cuts):
            raw_full = text[a:b]
            lead = len(raw_full) - len(raw_full.lstrip())
            raw = raw_full.strip()
            if not raw or not re.search(r"\w", raw):
                continue
            out.append(
                Segment(
                    block=block,
                    raw=raw,
                    folded=fold_mapped(raw),
                    sentence=sentence,
                    start=a + lead,
                    order=len(out),
                )
            )
    return out
