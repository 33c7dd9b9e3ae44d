"""Which character encoding a plain-text plan document is in.

Vietnamese administrative texts come as UTF-8 (with or without BOM), UTF-16 (Word's
"Unicode text"), Windows-1258 (whose tone marks are often combining characters, hence NFC
after decoding) and, in older files, the legacy 8-bit encodings TCVN3 (ABC, TCVN 5712:1993)
and VNI. No maintained Python codec reads the last two, so they are recognised by the byte
patterns of the commonest Vietnamese words and refused with a message saying how to
convert (Unikey's converter, «Công cụ chuyển mã», does it). The same patterns are looked for
in text that decoded fine but is legacy text shown through a Western code page
(«Uû ban nh©n d©n», «UÛy ban nhaân daân»).
"""

from __future__ import annotations

import codecs
import unicodedata

from pcmd_workflow.errors import IntakeError

__all__ = ["decode_text"]

#: common words as TCVN3 (ABC) bytes, read as Latin-1: nhân, dân, các, và, được, tỉnh,
#: kế hoạch, báo cáo, tháng, năm, định, của, phòng, chống, mại dâm, Uỷ ban, xã hội
_TCVN3_WORDS = (
    "nh©n",
    "d©n",
    "c¸c",
    "vµ",
    "®\xadîc",
    "tØnh",
    "kÕ ho¹ch",
    "b¸o c¸o",
    "th¸ng",
    "n¨m",
    "®Þnh",
    "cña",
    "phßng",
    "chèng",
    "m¹i d©m",
    "Uû ban",
    "x· héi",
)
#: the same words as VNI bytes, read as Latin-1
_VNI_WORDS = (
    "nhaân",
    "daân",
    "caùc",
    "vaø",
    "ñöôïc",
    "keá hoaïch",
    "baùo caùo",
    "thaùng",
    "naêm",
    "ñònh",
    "cuûa",
    "phoøng",
    "choáng",
    "maïi daâm",
    "UÛy ban",
    "xaõ hoäi",
)
_UNICODE_WORDS = (
    "nhân",
    "dân",
    "các",
    "và",
    "được",
    "kế hoạch",
    "báo cáo",
    "tháng",
    "năm",
    "định",
    "của",
    "phòng",
    "chống",
    "mại dâm",
    "xã hội",
)

_HOW_TO = (
    "hãy chuyển sang Unicode (UTF-8) trước, ví dụ bằng Unikey «Công cụ chuyển mã» "
    "(nguồn {enc}, đích Unicode) hoặc mở trong Word và lưu dạng «Unicode (UTF-8)»; "
    "convert it to Unicode (UTF-8) first, e.g. with Unikey's converter ({enc} → Unicode) "
    "or by saving from Word as Unicode text"
)


def _score(text: str, words: tuple[str, ...]) -> int:
    return sum(text.count(w) for w in words)


def _legacy_name(text: str) -> str | None:
    """'TCVN3 (ABC)' or 'VNI' when the text reads as one of them, else None."""
    unicode_hits = _score(text.lower(), _UNICODE_WORDS)
    tcvn3 = _score(text, _TCVN3_WORDS)
    vni = _score(text, _VNI_WORDS)
    best = max(tcvn3, vni)
    if best >= 3 and best > unicode_hits:
        return "TCVN3 (ABC)" if tcvn3 >= vni else "VNI"
    return None


def _refuse(name: str, encoding: str) -> IntakeError:
    return IntakeError(
        f"{name}: văn bản dùng bảng mã cũ {encoding}, pcmd không đọc được; "
        f"the text is in the legacy Vietnamese encoding {encoding}, which pcmd cannot read; "
        + _HOW_TO.format(enc=encoding)
    )


def decode_text(data: bytes, *, name: str) -> tuple[str, str]:
    """``(text in NFC, encoding name)``; IntakeError for legacy or unknown encodings."""
    encoding: str | None = None
    text: str | None = None
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text, encoding = data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise IntakeError(
                    f"{name}: bắt đầu bằng BOM {enc} nhưng không giải mã được; "
                    f"starts with a {enc} byte-order mark but does not decode ({exc.reason} "
                    f"at byte {exc.start})"
                ) from None
            break
    if text is None and data[1:200:2].count(0) > 40 and data.count(0) > len(data) // 4:
        # UTF-16 without BOM: every other byte of ASCII text is zero
        enc = "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be"
        try:
            text, encoding = data.decode(enc), enc
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text = None
    if text is not None:
        legacy = _legacy_name(text)
        if legacy is not None:
            raise _refuse(name, legacy)
        assert encoding is not None
        return unicodedata.normalize("NFC", text), encoding
    latin = data.decode("latin-1")
    legacy = _legacy_name(latin)
    if legacy is not None:
        raise _refuse(name, legacy)
    cp1258 = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
    if _score(cp1258.lower(), _UNICODE_WORDS) >= 3 and "\ufffd" not in cp1258:
        return cp1258, "cp1258"
    raise IntakeError(
        f"{name}: không nhận ra bảng mã của văn bản; cannot tell the character encoding "
        "(not UTF-8, UTF-16, Windows-1258, TCVN3 or VNI); " + _HOW_TO.format(enc="…")
    )
