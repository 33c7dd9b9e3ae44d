"""Regenerate ``bao-cao-tong-hop.docx``, the docxtpl template of the compiled draft report.

Run: ``.venv/bin/python notifications/templates/reports/build_docx_template.py``

The layout follows the administrative format of Decree 30/2020/NĐ-CP (Appendix I): A4,
margins 20/20/30/15 mm, Times New Roman; issuing body top left (bold capitals, a short
rule under it) with «Số: .../BC-UBND» below; national motto top right («CỘNG HÒA XÃ HỘI
CHỦ NGHĨA VIỆT NAM» bold 12-13 pt, «Độc lập - Tự do - Hạnh phúc» bold 13-14 pt with a rule
under it) and the place and date in italics; the document type «BÁO CÁO» and its subject
centred in bold; the body at 14 pt justified with a first-line indent; «Nơi nhận:» bold
italic 12 pt with 11 pt items at the bottom left, the signature block bold at the bottom
right. The Jinja tags are filled by :mod:`pcmd_workflow.services.compile` (context
documented there); docxtpl escapes every value.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

TEMPLATE = Path(__file__).resolve().parent / "bao-cao-tong-hop.docx"
FONT = "Times New Roman"


def _font(run_or_style: object, *, size: float | None = None) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = FONT
    if size is not None:
        font.size = Pt(size)
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _para(
    container: object,
    text: str,
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align: int | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    after: float = 6,
) -> Paragraph:
    p: Paragraph = container.add_paragraph()  # type: ignore[attr-defined]
    run = p.add_run(text)
    run.bold = bold
    run.italic = italic
    _font(run, size=size)
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(after)
    if indent:
        fmt.first_line_indent = Cm(1)
    return p


def _tag(container: object, tag: str) -> None:
    """A paragraph holding only a docxtpl block tag (removed at render time)."""
    _para(container, tag, size=2, after=0, align=None)


def _rule(paragraph: Paragraph, *, left: float, right: float) -> None:
    """A short horizontal rule under a paragraph (bottom border within indents)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)
    paragraph.paragraph_format.left_indent = Cm(left)
    paragraph.paragraph_format.right_indent = Cm(right)


def _no_borders(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table: Table, widths: list[float]) -> None:
    """Fixed column widths (Word reads the cells, LibreOffice the grid)."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _clear(cell: object) -> None:
    for p in list(cell.paragraphs):  # type: ignore[attr-defined]
        p._element.getparent().remove(p._element)


def _loop_table(
    doc: object, *, headers: list[str], cells: list[str], loop: str, widths: list[float]
) -> None:
    table = doc.add_table(rows=4, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # docxtpl row tags: the loop row sits between a {%tr for %} row and a {%tr endfor %} row
    header, opening, body, closing = table.rows
    _widths(table, widths)
    for i, head in enumerate(headers):
        for row in table.rows:
            _clear(row.cells[i])
        _para(header.cells[i], head, size=12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
        align = WD_ALIGN_PARAGRAPH.CENTER if i == 0 else WD_ALIGN_PARAGRAPH.LEFT
        _para(body.cells[i], cells[i], size=12, align=align, after=0)
        for row in (opening, closing):
            if i:
                _para(row.cells[i], "", size=2, after=0)
    _para(opening.cells[0], "{%tr " + loop + " %}", size=2, after=0)
    _para(closing.cells[0], "{%tr endfor %}", size=2, after=0)


def build(path: Path = TEMPLATE) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    _font(normal, size=14)
    doc.core_properties.title = "Báo cáo tổng hợp số liệu"
    doc.core_properties.author = "pcmd"
    doc.core_properties.language = "vi-VN"

    # ---- header: issuing body | national motto (Decree 30/2020, Appendix I, items 1-5)
    head = doc.add_table(rows=1, cols=2)
    _no_borders(head)
    _widths(head, [6.0, 10.5])
    left, right = head.rows[0].cells
    _clear(left)
    _clear(right)
    _tag(left, "{%p for line in issuer_lines %}")
    _para(left, "{{ line }}", size=13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _tag(left, "{%p endfor %}")
    _rule(_para(left, "", size=6, align=WD_ALIGN_PARAGRAPH.CENTER, after=6), left=2.2, right=2.2)
    _para(left, "{{ number_line }}", size=13, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(
        right,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        size=12,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=0,
    )
    _para(
        right,
        "Độc lập - Tự do - Hạnh phúc",
        size=13,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=0,
    )
    _rule(_para(right, "", size=4, align=WD_ALIGN_PARAGRAPH.CENTER, after=6), left=2.6, right=2.6)
    _para(right, "{{ place_date }}", size=14, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    # ---- document type and subject (items 6-7)
    _para(doc, "{{ draft_mark }}", size=12, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ doc_type }}", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, "{{ subject }}", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=12)

    # ---- body (item 8)
    _tag(doc, "{%p for text in intro %}")
    _para(doc, "{{ text }}", indent=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p for s in sections %}")
    _tag(doc, "{%p if s.level == 1 %}")
    _para(doc, "{{ s.heading }}", bold=True, indent=True)
    _tag(doc, "{%p elif s.level == 2 %}")
    _para(doc, "{{ s.heading }}", bold=True, indent=True)
    _tag(doc, "{%p else %}")
    _para(doc, "{{ s.heading }}", bold=True, italic=True, indent=True)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p for text in s.lines %}")
    _para(doc, "{{ text }}", indent=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p for text in s.prompts %}")
    _para(doc, "{{ text }}", italic=True, indent=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if s.completeness %}")
    _tag(doc, "{%p for text in completeness.lines %}")
    _para(doc, "{{ text }}", indent=True)
    _tag(doc, "{%p endfor %}")
    _loop_table(
        doc,
        headers=["STT", "Đơn vị", "Hạn nộp", "Ngày nhận", "Tình trạng"],
        cells=["{{ r.stt }}", "{{ r.name }}", "{{ r.due }}", "{{ r.received }}", "{{ r.status }}"],
        loop="for r in completeness.rows",
        widths=[1.4, 5.8, 2.6, 2.6, 4.1],
    )
    _para(doc, "", size=6, after=0)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if s.targets %}")
    _para(doc, "{{ targets_intro }}", indent=True)
    _loop_table(
        doc,
        headers=["STT", "Chỉ tiêu", "Mức kế hoạch", "Kết quả", "Đánh giá"],
        cells=["{{ t.stt }}", "{{ t.text }}", "{{ t.goal }}", "{{ t.actual }}", "{{ t.status }}"],
        loop="for t in targets",
        widths=[1.4, 6.6, 2.6, 3.2, 2.7],
    )
    _para(doc, "", size=6, after=0)
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p if notes %}")
    _para(doc, "{{ notes_heading }}", bold=True, indent=True)
    _tag(doc, "{%p for text in notes %}")
    _para(doc, "{{ text }}", indent=True)
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")
    _para(doc, "{{ closing }}", indent=True, after=12)

    # ---- recipients | signature (items 9-10)
    foot = doc.add_table(rows=1, cols=2)
    _no_borders(foot)
    _widths(foot, [8.0, 8.5])
    left, right = foot.rows[0].cells
    _clear(left)
    _clear(right)
    _para(
        left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, after=0
    )
    _tag(left, "{%p for r in recipients %}")
    _para(left, "- {{ r }}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    _tag(left, "{%p endfor %}")
    _tag(right, "{%p for line in signature %}")
    _para(right, "{{ line }}", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _tag(right, "{%p endfor %}")
    for _ in range(4):
        _para(right, "", size=14, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(right, "{{ signer }}", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
