"""Text folded for matching; the raw text stays untouched for verbatim citations.

Scraped and converted plan texts spell the same words several ways (DOMAIN §8.1):
composed and decomposed diacritics, the old and new placement of the tone mark in open
syllables («Uỷ»/«Ủy», «hoá»/«hóa»), «qui»/«quy», non-breaking spaces and tabs, hyphens
with and without spaces («Lao động-Thương binh», «Lao động - Thương binh»), and words that
lost a letter in scraping («phòng, chng», «tổng hp», «phù hp», «n định»). :func:`fold`
maps all of them to one form. It only ever serves to *find* things: what a draft cites is
the raw text, character for character.

Folding keeps the string's length roughly but not exactly, so callers match on folded
segments and cite the raw segment that the fold came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Folded", "fold", "fold_mapped", "fold_name", "slugify", "strip_tones"]

_TONED = {
    "a": "àáảãạ",
    "e": "èéẻẽẹ",
    "o": "òóỏõọ",
    "u": "ùúủũụ",
    "y": "ỳýỷỹỵ",
}
# Open syllables «oa», «oe», «uy» take the tone on the first vowel in the old style («hóa»,
# «Ủy») and on the second in the new one («hoá», «Uỷ»); fold to the second.
_OLD_TONE = re.compile(r"(?:([òóỏõọ])([ae])|([ùúủũụ])(y))(?!\w)")
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below

_SPACES = re.compile(r"[\u00a0\u2007\u202f\t\r\f\v ]+")
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014]")
_QUI = re.compile(r"\bqui\b")

#: Words that lost a letter in scraping (DOMAIN §8.2), repaired for matching only.
_REPAIRS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bchng\b"), "chống"),
    (re.compile(r"\b(tổng|phù|phối|thích) hp\b"), "\\1 hợp"),
    (re.compile(r"(?<!\w)n định\b"), "ổn định"),
    (re.compile(r"\bphối hợp vi\b"), "phối hợp với"),
    (re.compile(r"\btt đẹp\b"), "tốt đẹp"),
    (re.compile(r"\bđoàn thở\b"), "đoàn thể"),
    (re.compile(r"\bintenet\b"), "internet"),
    (re.compile(r"\bcập nhập\b"), "cập nhật"),
)

#: Abbreviations expanded so that long and short names fold alike.
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![\w/-])ubnd(?![\w/-])"), "uỷ ban nhân dân"),
    (re.compile(r"(?<![\w/-])hđnd(?![\w/-])"), "hội đồng nhân dân"),
    (re.compile(r"(?<![\w/-])mttq(?![\w/-])"), "mặt trận tổ quốc"),
    (re.compile(r"(?<![\w/-])bcđ(?![\w/-])"), "ban chỉ đạo"),
    (
        re.compile(r"(?<![\w/-])s?lđtb ?(?:&|và)? ?xh(?![\w/-])"),
        "lao động thương binh và xã hội",
    ),
    (re.compile(r"(?<![\w/-])tp\. ?"), "thành phố "),
)


@dataclass(frozen=True)
class Folded:
    """Folded text and, for each of its characters, the index of the source character."""

    text: str
    origin: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the source text that ``text[start:end]`` came from."""
        if start >= end:
            pos = (
                self.origin[start]
                if start < len(self.origin)
                else (self.origin[-1] + 1 if self.origin else 0)
            )
            return pos, pos
        return self.origin[start], self.origin[end - 1] + 1


def _sub(
    pattern: re.Pattern[str],
    repl: str | Callable[[re.Match[str]], str],
    text: str,
    origin: list[int],
) -> tuple[str, list[int]]:
    out: list[str] = []
    out_origin: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        out_origin.extend(origin[pos : m.start()])
        new = m.expand(repl) if isinstance(repl, str) else repl(m)
        out.append(new)
        span = m.end() - m.start()
        last = origin[m.end() - 1] if span else (origin[m.start()] if origin else 0)
        # characters kept in place map to their own source; extra ones to the match's end
        out_origin.extend(origin[m.start() + i] if i < span else last for i in range(len(new)))
        pos = m.end()
    out.append(text[pos:])
    out_origin.extend(origin[pos:])
    return "".join(out), out_origin


def _new_place(m: re.Match[str]) -> str:
    first, second = (m[1], m[2]) if m[1] else (m[3], m[4])
    base = next(k for k, v in _TONED.items() if first in v)
    tone = _TONED[base].index(first)
    return base + _TONED[second][tone]


def fold_mapped(text: str) -> Folded:
    """:func:`fold`, keeping where each folded character came from."""
    text = unicodedata.normalize("NFC", text)
    chars: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        low = c.lower()
        chars.append(low)
        origin.extend([i] * len(low))
    out = "".join(chars)
    out, origin = _sub(_SPACES, " ", out, origin)
    out, origin = _sub(_DASHES, "-", out, origin)
    out, origin = _sub(_QUI, "quy", out, origin)
    for pattern, repl in _REPAIRS:
        out, origin = _sub(pattern, repl, out, origin)
    for pattern, repl in _ABBREVIATIONS:
        out, origin = _sub(pattern, repl, out, origin)
    out, origin = _sub(_OLD_TONE, _new_place, out, origin)
    # strip
    lead = len(out) - len(out.lstrip())
    trail = len(out.rstrip())
    return Folded(out[lead:trail], tuple(origin[lead:trail]))


def fold(text: str) -> str:
    """Lower-case NFC text with one tone placement, plain spaces and known breaks repaired.

    Punctuation stays, so regular expressions can still see list separators and brackets.
    """
    return fold_mapped(text).text


def strip_tones(text: str) -> str:
    """Remove tone marks only (vowel quality marks such as ư, ơ, â stay)."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


_NAME_PUNCT = re.compile(r"[\s,;:\-&()“”\"'.]+")


def fold_name(text: str) -> str:
    """:func:`fold` without punctuation: the key names are compared by."""
    return _NAME_PUNCT.sub(" ", fold(text)).strip()


def slugify(text: str) -> str:
    """``Hà Nội`` → ``ha-noi``; ``255/KH-UBND`` → ``255-kh-ubnd``."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
