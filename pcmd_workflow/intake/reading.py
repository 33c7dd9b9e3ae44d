"""Reading a plan document (plain text, DOCX, text-based PDF) into numbered paragraphs.

Whatever the format, a document becomes the same list of non-blank paragraphs in reading
order, each in NFC: text lines; DOCX paragraphs and table cells in document order; PDF
lines joined back into paragraphs where the vertical gap or the indentation says a new
one begins. Paragraph numbers count non-blank paragraphs from 1, so a location such as
``¶54`` means the same paragraph in the text, DOCX and PDF forms of one document.
"""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcmd_workflow.errors import IntakeError
from pcmd_workflow.intake.encodings import decode_text

__all__ = ["Paragraph", "SourceDocument", "read_document", "read_document_bytes"]

_BLANK = re.compile(r"^[\s\u00a0\u200b\ufeff|]*$")


@dataclass(frozen=True, kw_only=True)
class Paragraph:
    index: int  # 1-based among non-blank paragraphs
    text: str  # raw (NFC), as in the source
    line: int | None = None  # source line (plain text only)


@dataclass(frozen=True, kw_only=True)
class SourceDocument:
    name: str
    kind: str  # text | docx | pdf
    encoding: str | None
    paragraphs: tuple[Paragraph, ...]


def _paragraphs(texts: Sequence[tuple[str, int | None]]) -> tuple[Paragraph, ...]:
    out: list[Paragraph] = []
    for text, line in texts:
        text = unicodedata.normalize("NFC", text).rstrip("\r\n")
        if _BLANK.match(text):
            continue
        out.append(Paragraph(index=len(out) + 1, text=text, line=line))
    return tuple(out)


def _read_text(data: bytes, name: str) -> SourceDocument:
    text, encoding = decode_text(data, name=name)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return SourceDocument(
        name=name,
        kind="text",
        encoding=encoding,
        paragraphs=_paragraphs([(t, i) for i, t in enumerate(lines, start=1)]),
    )


def _docx_blocks(parent: Any, doc: Any) -> Iterator[str]:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            yield from DocxParagraph(child, doc).text.split("\n")
        elif child.tag == qn("w:tbl"):
            table = Table(child, doc)
            for row in table.rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    yield from _docx_blocks(cell._tc, doc)


def _read_docx(data: bytes, name: str) -> SourceDocument:
    try:
        import docx
    except ImportError:  # pragma: no cover - declared dependency
        raise IntakeError(f"{name}: python-docx is not installed") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise IntakeError(
            f"{name}: không đọc được tệp DOCX; not a readable DOCX file ({exc})"
        ) from None
    texts = [(t, None) for t in _docx_blocks(document.element.body, document)]
    return SourceDocument(name=name, kind="docx", encoding=None, paragraphs=_paragraphs(texts))


@dataclass
class _Line:
    y: float
    x: float
    size: float
    parts: list[tuple[float, str]]

    @property
    def text(self) -> str:
        return "".join(t for _, t in sorted(self.parts, key=lambda p: p[0]))


def _pdf_page_lines(page: Any) -> list[_Line]:
    lines: list[_Line] = []

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: float) -> None:
        if not text or not text.strip("\n"):
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = abs(font_size * (tm[3] or 1) * (cm[3] or 1)) or 10.0
        for chunk in text.split("\n"):
            if not chunk:
                continue
            for line in lines:
                if abs(line.y - y) < size * 0.3:
                    line.parts.append((x, chunk))
                    line.x = min(line.x, x)
                    break
            else:
                lines.append(_Line(y=y, x=x, size=size, parts=[(x, chunk)]))

    page.extract_text(visitor_text=visit)
    return sorted(lines, key=lambda ln: -ln.y)


_ENDS = (".", ":", ";", "!", "?", "…")


def _read_pdf(data: bytes, name: str) -> SourceDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [_pdf_page_lines(page) for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IntakeError(f"{name}: không đọc được tệp PDF; not a readable PDF ({exc})") from None
    texts: list[str] = []
    # the line step: the smallest gap between lines of one paragraph, over the whole file
    gaps = [
        a.y - b.y
        for lines in pages
        for a, b in itertools.pairwise(lines)
        if a.y - b.y > a.size * 0.5
    ]
    step = min(gaps) if gaps else 0.0
    for lines in pages:
        if not lines:
            continue
        left = min(ln.x for ln in lines)
        current: list[str] = []
        prev: _Line | None = None
        first = lines[0].text.strip()
        if texts and first[:1].islower() and not texts[-1].rstrip().endswith(_ENDS):
            # a paragraph running on from the previous page
            current = [texts.pop()]
            prev = lines[0]
        for line in lines:
            text = line.text.strip()
            new = (
                prev is None
                or (step and (prev.y - line.y) > step * 1.35)
                or line.x - left > line.size * 1.5
            )
            if new and current:
                texts.append(" ".join(current))
                current = []
            current.append(text)
            prev = line
        if current:
            texts.append(" ".join(current))
    if not any(t.strip() for t in texts):
        raise IntakeError(
            f"{name}: PDF không có lớp chữ (bản quét?); the PDF has no text layer (a scan?): "
            "run OCR first or supply the text, DOCX or a text-based PDF"
        )
    return SourceDocument(
        name=name, kind="pdf", encoding=None, paragraphs=_paragraphs([(t, None) for t in texts])
    )


def read_document_bytes(data: bytes, *, name: str) -> SourceDocument:
    """Read a document given as bytes; the kind comes from its signature, then its name."""
    if data.startswith(b"%PDF"):
        return _read_pdf(data, name)
    if data.startswith(b"PK\x03\x04"):
        return _read_docx(data, name)
    suffix = Path(name).suffix.lower()
    if suffix in (".doc", ".rtf", ".odt"):
        raise IntakeError(
            f"{name}: định dạng {suffix} chưa hỗ trợ; {suffix} is not supported: save it as "
            "DOCX, PDF or plain text"
        )
    return _read_text(data, name)


def read_document(path: Path | str) -> SourceDocument:
    """Read a plan document from disk; IntakeError names the file when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(
            f"{path}: không mở được tệp; cannot read the file ({exc.strerror})"
        ) from None
    if not data.strip():
        raise IntakeError(f"{path}: tệp rỗng; the file is empty")
    return read_document_bytes(data, name=str(path))
