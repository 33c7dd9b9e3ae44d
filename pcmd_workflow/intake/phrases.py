"""The small grammar of plan documents: dates, due phrases, data cut-offs, cadences, targets.

Every function here reads text already passed through :func:`~pcmd_workflow.intake.matching.fold`
(lower case, one tone placement, plain spaces) and returns what it found with its span, so
the caller can tell which cadence a parenthesised due phrase belongs to.

Only phrases that *say* a deadline become due rules: «trước ngày 17/6», «chậm nhất ngày
10/01», «trong vòng 02 ngày làm việc». A bare date is never a deadline: the dates of legal
bases («Quyết định số 1629/QĐ-TTg ngày 28/9/2021»), the issue date and periods such as
«giai đoạn 2021-2025» are left alone. Conventions of the reading (DOMAIN §0.1): «trước ngày
X» is ``before`` (X−1 is the last on-time day, Q1); «chậm nhất ngày X» is ``by``; «ít nhất»
is ≥, «trên» is >, a bare percentage is ≥ (Q19).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pcmd_workflow.domain.periods import Cadence

__all__ = [
    "CadenceFound",
    "CutoffFound",
    "DateFound",
    "DueFound",
    "TargetFound",
    "find_cadences",
    "find_cutoffs",
    "find_dates",
    "find_dues",
    "find_periods",
    "find_targets",
]

_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_MONTH_WORDS = {
    "một": 1,
    "giêng": 1,
    "hai": 2,
    "ba": 3,
    "tư": 4,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười một": 11,
    "mười hai": 12,
    "chạp": 12,
}
_MONTH_WORD_RE = "|".join(sorted((re.escape(w) for w in _MONTH_WORDS), key=len, reverse=True))

#: «17/6», «05/7/2020», «05-7-2020» (dashes and dots only with a year: «3-5%» is a range)
_NUMERIC = (
    r"(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?(?![\d/])"
    r"|(?P<d2>\d{1,2})(?:-(?P<m2>\d{1,2})-|\.(?P<m4>\d{1,2})\.)(?P<y2>\d{4})(?!\d)"
)
#: «20 tháng 11 năm 2013», «05 tháng 7», «20 tháng mười một năm 2013»
_WORDS = (
    rf"(?P<d3>\d{{1,2}})\s+tháng\s+(?P<m3>\d{{1,2}}|{_MONTH_WORD_RE})"
    r"(?:\s*,?\s*năm\s+(?P<y3>\d{4}))?(?![\d/])"
)
_DATE_RE = re.compile(rf"(?<![\d/])(?:{_NUMERIC}|{_WORDS})")
#: the same forms without groups, to embed in larger patterns (re-read with _DATE_RE)
_DATE = re.sub(r"\(\?P<\w+>", "(?:", rf"(?:{_NUMERIC}|{_WORDS})")


@dataclass(frozen=True, kw_only=True)
class DateFound:
    day: int
    month: int
    year: int | None
    start: int
    end: int

    def as_date(self) -> date | None:
        return None if self.year is None else date(self.year, self.month, self.day)

    def dm(self) -> str:
        """``17/06`` or ``05/07/2020``: the date part of a due rule."""
        text = f"{self.day:02d}/{self.month:02d}"
        return text if self.year is None else f"{text}/{self.year:04d}"


def _date_from(m: re.Match[str], offset: int = 0) -> DateFound | None:
    if m["d"]:
        d, mo, y = m["d"], m["m"], m["y"]
    elif m["d2"]:
        d, mo, y = m["d2"], m["m2"] or m["m4"], m["y2"]
    else:
        d, mo, y = m["d3"], m["m3"], m["y3"]
    day = int(d)
    month = int(mo) if mo.isdigit() else _MONTH_WORDS[mo]
    year = int(y) if y else None
    if not 1 <= month <= 12 or not 1 <= day <= _MAX_DAYS[month - 1]:
        return None
    if year is not None:
        if not 1990 <= year <= 2099:
            return None
        try:
            date(year, month, day)
        except ValueError:
            return None
    return DateFound(
        day=day, month=month, year=year, start=m.start() + offset, end=m.end() + offset
    )


def find_dates(text: str) -> list[DateFound]:
    """Every calendar date written in the text (whatever its role)."""
    out = []
    for m in _DATE_RE.finditer(text):
        found = _date_from(m)
        if found is not None:
            out.append(found)
    return out


# ---- due phrases ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DueFound:
    """A phrase that sets a deadline, and its rule in the due-rule grammar (None: no rule)."""

    phrase: str
    rule: str | None
    kind: str  # before | by | within | day_only
    date: DateFound | None
    start: int
    end: int
    note: str | None = None


_BEFORE = re.compile(rf"\btrước\s+(?:ngày\s+)?(?P<date>{_DATE})")
_BY = re.compile(
    rf"\b(?:chậm\s+nhất|hạn\s+chót|không\s+muộn\s+hơn|muộn\s+nhất)\s+(?:là\s+)?(?:vào\s+)?"
    rf"(?:ngày\s+)?(?P<date>{_DATE})"
)
_WITHIN = re.compile(
    r"\btrong\s+(?:vòng|thời\s+hạn|thời\s+gian)\s+(?P<n>\d{1,3})\s+ngày(?P<wd>\s+làm\s+việc)?"
)
#: «trước ngày 15 hằng tháng», «trước ngày 20 của tháng cuối quý»: a day without a month
_DAY_ONLY = re.compile(
    r"\b(?:trước|chậm\s+nhất(?:\s+là)?(?:\s+vào)?)\s+ngày\s+(?P<d>\d{1,2})"
    r"(?P<rest>\s+(?:hằng|hàng|mỗi|của)\s+(?:tháng|quý)[^,;.)]*)"
)


def find_dues(text: str) -> list[DueFound]:
    """Due phrases in order of appearance."""
    found: list[DueFound] = []
    for pattern, kind in ((_BEFORE, "before"), (_BY, "by")):
        for m in pattern.finditer(text):
            inner = _DATE_RE.match(text, m.start("date"))
            day = _date_from(inner) if inner else None
            if day is None:
                continue
            found.append(
                DueFound(
                    phrase=m.group(0),
                    rule=f"{kind} {day.dm()}",
                    kind=kind,
                    date=day,
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in _WITHIN.finditer(text):
        n = int(m["n"])
        unit = "working-days" if m["wd"] else "days"
        found.append(
            DueFound(
                phrase=m.group(0),
                rule=f"after-cutoff {n} {unit}",
                kind="within",
                date=None,
                start=m.start(),
                end=m.end(),
                note="thời hạn tính từ mốc nào? kiểm tra lại (mặc định: từ hết kỳ số liệu)",
            )
        )
    for m in _DAY_ONLY.finditer(text):
        if any(f.start <= m.start() < f.end for f in found):
            continue
        found.append(
            DueFound(
                phrase=m.group(0),
                rule=None,
                kind="day_only",
                date=None,
                start=m.start(),
                end=m.end(),
                note="ngày trong tháng/quý: ngữ pháp hạn chưa diễn đạt được, cần ghi tay",
            )
        )
    return sorted(found, key=lambda f: f.start)


# ---- data cut-offs ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CutoffFound:
    phrase: str
    start_date: date | None
    end_date: date | None  # None: the text gives no year
    start: int
    end: int


_CUTOFF = re.compile(
    rf"\btính\s+(?:từ\s+(?:ngày\s+)?(?P<from>{_DATE})\s+)?đến\s+(?:hết\s+)?(?:ngày\s+)?"
    rf"(?P<to>{_DATE})"
)


def find_cutoffs(text: str) -> list[CutoffFound]:
    """«số liệu ... tính đến hết ngày 30/6/2020», «tính từ ngày 15/12/2019 đến ngày 14/6/2020»."""
    out = []
    for m in _CUTOFF.finditer(text):
        to_m = _DATE_RE.match(text, m.start("to"))
        to = _date_from(to_m) if to_m else None
        if to is None:
            continue
        frm = None
        if m["from"]:
            from_m = _DATE_RE.match(text, m.start("from"))
            frm = _date_from(from_m) if from_m else None
        out.append(
            CutoffFound(
                phrase=m.group(0),
                start_date=frm.as_date() if frm else None,
                end_date=to.as_date(),
                start=m.start(),
                end=m.end(),
            )
        )
    return out


# ---- periods ----------------------------------------------------------------------------

_PERIOD = re.compile(r"\bgiai\s+đoạn\s+(?P<a>(?:19|20)\d\d)\s*-\s*(?P<b>(?:19|20)\d\d)\b")


def find_periods(text: str) -> list[tuple[int, int, str]]:
    """«giai đoạn 2016 - 2020» → ``(2016, 2020, verbatim)``; never a date."""
    return [(int(m["a"]), int(m["b"]), m.group(0)) for m in _PERIOD.finditer(text)]


# ---- cadences ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CadenceFound:
    cadence: Cadence
    term: str  # the words as folded
    start: int
    end: int
    #: a due phrase written right after the term, in brackets: «6 tháng (trước ngày 17/6)»
    attached_due: DueFound | None = None
    review: bool = False  # «sơ kết» (interim review) rather than «tổng kết»


_ITEM = (
    r"(?:(?:hằng|hàng|mỗi)\s+)?"
    r"(?:0?6\s+tháng|sáu\s+tháng|0?9\s+tháng|chín\s+tháng|tháng(?!\s*\d)|quý(?!\s*\d)"
    r"|0?1\s+năm(?!\s*\d)|một\s+năm(?!\s+(?:một|hai|ba|\d+)\s+lần)|năm(?!\s*\d)|cả\s+năm"
    r"|đột\s+xuất|nhanh|tổng\s+kết|sơ\s+kết)"
)
_LIST_ANCHOR = re.compile(
    r"\b(?:định\s+kỳ|(?:chế\s+độ\s+)?báo\s+cáo(?:\s+định\s+kỳ)?|thông\s+tin\s+báo\s+cáo)\s+"
)
_LIST_ITEM = re.compile(
    rf"\s*(?:(?:,|và|hoặc)\s*)?(?:báo\s+cáo\s+)?(?:định\s+kỳ\s+)?(?P<item>{_ITEM})"
    r"(?P<paren>\s*\((?P<inner>[^()]*)\))?"
)
#: terms that name a cadence wherever they stand
_STANDALONE = re.compile(
    r"\b(?:(?:hằng|hàng|mỗi)\s+(?:tháng|quý|năm)|0?6\s+tháng|sáu\s+tháng|0?9\s+tháng"
    r"|01\s+năm(?!\s*\d)|đột\s+xuất|báo\s+cáo\s+nhanh|tổng\s+kết|sơ\s+kết|nửa\s+năm)\b"
)


def _cadence_of(term: str) -> tuple[Cadence, bool] | None:
    t = re.sub(r"\s+", " ", term)
    t = re.sub(r"^(?:hằng|hàng|mỗi) ", "", t)
    if re.fullmatch(r"0?6 tháng|sáu tháng|nửa năm", t):
        return Cadence.semiannual, False
    if re.fullmatch(r"0?9 tháng|chín tháng", t):
        return Cadence.ninemonth, False
    if t == "tháng":
        return Cadence.monthly, False
    if t == "quý":
        return Cadence.quarterly, False
    if re.fullmatch(r"0?1 năm|một năm|năm|cả năm", t):
        return Cadence.annual, False
    if t == "đột xuất":
        return Cadence.adhoc, False
    if t in ("nhanh", "báo cáo nhanh"):
        return Cadence.flash, False
    if t == "tổng kết":
        return Cadence.summary, False
    if t == "sơ kết":
        return Cadence.summary, True
    return None


def find_cadences(text: str) -> list[CadenceFound]:
    """Cadence words, one entry per term; lists after «định kỳ»/«báo cáo» read bare words.

    «định kỳ tháng, quý, 6 tháng, năm» gives four; «tổng kết 05 năm» gives only ``summary``
    (five years is not a year); «năm 2020» and «tháng 11» are dates, not cadences.
    """
    found: dict[tuple[int, int], CadenceFound] = {}
    for anchor in _LIST_ANCHOR.finditer(text):
        pos = anchor.end()
        first = True
        while True:
            m = _LIST_ITEM.match(text, pos)
            if m is None or (first and m.group(0)[:1] in ",") or not m["item"]:
                break
            kind = _cadence_of(m["item"])
            if kind is None:
                break
            attached = None
            if m["inner"]:
                dues = find_dues(m["inner"])
                if dues:
                    attached = dues[0]
            key = (m.start("item"), m.end("item"))
            found[key] = CadenceFound(
                cadence=kind[0],
                term=m["item"],
                start=key[0],
                end=key[1],
                attached_due=attached,
                review=kind[1],
            )
            pos = m.end()
            first = False
    for m in _STANDALONE.finditer(text):
        if any(s < m.end() and m.start() < e for (s, e) in found):
            continue
        kind = _cadence_of(m.group(0))
        if kind is None:
            continue
        attached = None
        paren = re.match(r"\s*\(([^()]*)\)", text[m.end() :])
        if paren:
            dues = find_dues(paren.group(1))
            attached = dues[0] if dues else None
        found[(m.start(), m.end())] = CadenceFound(
            cadence=kind[0],
            term=m.group(0),
            start=m.start(),
            end=m.end(),
            attached_due=attached,
            review=kind[1],
        )
    return [found[k] for k in sorted(found)]


# ---- quantitative targets ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TargetFound:
    metric: str  # percent | count | frequency | increase_rate | zero_count
    comparator: str  # >= | > | = | <= | range
    value: float | None
    value_max: float | None
    phrase: str
    start: int
    end: int
    note: str | None = None


_NUM = r"\d{1,3}(?:[.,]\d{1,2})?"
_INCREASE = re.compile(
    rf"\btăng\s+(?:từ\s+)?(?P<a>{_NUM})\s*%?\s*(?:-|đến)\s*(?P<b>{_NUM})\s*%"
    rf"|\btăng\s+(?P<q>ít\s+nhất\s+|tối\s+thiểu\s+|trên\s+)?(?P<c>{_NUM})\s*%"
)
_PERCENT = re.compile(
    r"(?:(?P<q>ít\s+nhất|tối\s+thiểu|không\s+dưới|trên|hơn|vượt|không\s+quá|tối\s+đa|đạt)\s+)?"
    rf"(?<![\d])(?P<v>{_NUM})\s*%"
)
_COUNT_RANGE = re.compile(
    r"\btừ\s+(?P<a>\d{1,3})\s+(?:đến|-)\s+(?P<b>\d{1,3})\s+(?P<what>(?!ngày|tháng|năm|giờ|%)\w+)"
)
_NUMBER_WORDS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "01": 1, "02": 2, "03": 3, "04": 4}
_FREQUENCY = re.compile(
    r"\b(?:ít\s+nhất\s+)?(?:một|01|1)\s+(?P<per>tháng|quý|năm)\s+"
    r"(?P<n>một|hai|ba|bốn|\d{1,2})\s+lần\b"
)
_ZERO = re.compile(
    r"\bkhông\s+(?:để\s+)?(?:phát\s+sinh|tái\s+(?:hoạt\s+động|phát|diễn))[^,.;]{0,60}"
)
_COMPARATORS = {
    "ít nhất": ">=",
    "tối thiểu": ">=",
    "không dưới": ">=",
    "đạt": ">=",
    "trên": ">",
    "hơn": ">",
    "vượt": ">",
    "không quá": "<=",
    "tối đa": "<=",
}


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def find_targets(text: str) -> list[TargetFound]:
    """Quantities a plan sets as targets, in order of appearance."""
    out: list[TargetFound] = []
    taken: list[tuple[int, int]] = []
    for m in _INCREASE.finditer(text):
        if m["a"]:
            out.append(
                TargetFound(
                    metric="increase_rate",
                    comparator="range",
                    value=_num(m["a"]),
                    value_max=_num(m["b"]),
                    phrase=m.group(0),
                    start=m.start(),
                    end=m.end(),
                )
            )
        else:
            q = re.sub(r"\s+", " ", (m["q"] or "").strip())
            out.append(
                TargetFound(
                    metric="increase_rate",
                    comparator=_COMPARATORS.get(q, ">="),
                    value=_num(m["c"]),
                    value_max=None,
                    phrase=m.group(0),
                    start=m.start(),
                    end=m.end(),
                )
            )
        taken.append((m.start(), m.end()))
    for m in _PERCENT.finditer(text):
        if any(s <= m.start("v") < e for s, e in taken):
            continue
        q = re.sub(r"\s+", " ", m["q"] or "")
        out.append(
            TargetFound(
                metric="percent",
                comparator=_COMPARATORS.get(q, ">="),
                value=_num(m["v"]),
                value_max=None,
                phrase=m.group(0),
                start=m.start(),
                end=m.end(),
            )
        )
    for m in _COUNT_RANGE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if a > b:
            continue
        out.append(
            TargetFound(
                metric="count",
                comparator="range",
                value=float(a),
                value_max=float(b),
                phrase=m.group(0),
                start=m.start(),
                end=m.end(),
            )
        )
    for m in _FREQUENCY.finditer(text):
        n = m["n"]
        times = _NUMBER_WORDS.get(n) if not n.isdigit() else int(n)
        out.append(
            TargetFound(
                metric="frequency",
                comparator=">=",
                value=float(times or 1),
                value_max=None,
                phrase=m.group(0),
                start=m.start(),
                end=m.end(),
                note=f"số lần mỗi {m['per']}",
            )
        )
    for m in _ZERO.finditer(text):
        out.append(
            TargetFound(
                metric="zero_count",
                comparator="=",
                value=0.0,
                value_max=None,
                phrase=m.group(0).strip(),
                start=m.start(),
                end=m.end(),
            )
        )
    return sorted(out, key=lambda t: t.start)
