"""The same document as UTF-16, Windows-1258, NFD, DOCX and PDF gives the same draft; legacy
encodings are refused with a clear message."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from pcmd_workflow.cli import main
from pcmd_workflow.errors import IntakeError
from pcmd_workflow.intake import Draft, build_draft, read_document_bytes

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
SEED = "001_eb3d0628f4023f8b.txt"  # Hà Nội: dated dues, cadence lists, web chrome
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _seed_text(name: str = SEED) -> str:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"seed document {path} is absent")
    return path.read_text(encoding="utf-8")


def _essence(draft: Draft) -> dict[str, Any]:
    """Everything a draft says, minus the file it came from."""
    h = draft.header
    return {
        "id": draft.plan_id,
        "header": (h.number, h.doc_type, h.issued, h.place, h.issuer, h.title),
        "basis": [(r.number, r.date) for r in h.legal_basis],
        "units": [(u.slug, u.name, u.role, u.requested) for u in draft.units],
        "groups": [g.slug for g in draft.groups],
        "obligations": [
            (
                o.id,
                o.cadence,
                o.due,
                o.reporters,
                o.recipient,
                o.via,
                " ".join(o.clause.split()),
                o.where,
            )
            for o in draft.obligations
        ],
        "targets": [
            (t.id, t.metric, t.value, " ".join(t.text.split()), t.where) for t in draft.targets
        ],
    }


def _cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tones combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258", errors="replace")


def test_utf16_cp1258_and_nfd_give_the_same_draft() -> None:
    text = _seed_text()
    reference = _essence(build_draft(read_document_bytes(text.encode("utf-8"), name=SEED)))
    assert reference["obligations"], "the reference draft must find duties"
    variants = {
        "utf-16": text.encode("utf-16"),
        "utf-8-bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "nfd": unicodedata.normalize("NFD", text).encode("utf-8"),
        "cp1258": _cp1258_bytes(text),
    }
    for label, data in variants.items():
        source = read_document_bytes(data, name=SEED)
        assert _essence(build_draft(source)) == reference, label


#: «Uỷ ban nhân dân tỉnh Lào Cai … Kế hoạch … báo cáo … các … và …» in TCVN3 (ABC) bytes
TCVN3_SAMPLE = (
    "Uû ban nh©n d©n tØnh Lµo Cai\nKÕ ho¹ch tæng kÕt c«ng t¸c phßng, chèng m¹i d©m\n"
    "C¸c së, ban, ngµnh vµ Uû ban nh©n d©n c¸c huyÖn b¸o c¸o kÕt qu¶ tr­íc ngµy 05/7/2020.\n"
).encode("latin-1")
#: the same in VNI bytes
VNI_SAMPLE = (
    "UÛy ban nhaân daân tænh Laøo Cai\nKeá hoaïch toång keát coâng taùc phoøng, choáng maïi daâm\n"
    "Caùc sôû vaø UÛy ban nhaân daân caùc huyeän baùo caùo keát quaû.\n"
).encode("latin-1")


@pytest.mark.parametrize(
    ("data", "encoding"), [(TCVN3_SAMPLE, "TCVN3"), (VNI_SAMPLE, "VNI")], ids=["tcvn3", "vni"]
)
def test_legacy_encodings_are_refused_with_what_to_do(data: bytes, encoding: str) -> None:
    with pytest.raises(IntakeError) as info:
        read_document_bytes(data, name="ke-hoach.txt")
    message = str(info.value)
    assert "ke-hoach.txt" in message and encoding in message
    assert "Unicode" in message and "UTF-8" in message


def test_legacy_text_shown_through_a_western_code_page_is_refused() -> None:
    mojibake = TCVN3_SAMPLE.decode("latin-1").encode("utf-8")
    with pytest.raises(IntakeError, match="TCVN3"):
        read_document_bytes(mojibake, name="x.txt")


def test_cli_refuses_a_legacy_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tcvn3.txt"
    path.write_bytes(TCVN3_SAMPLE)
    assert main(["plan", "draft", str(path), "--out", str(tmp_path / "d.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TCVN3" in err[0]


def _docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    lines = text.split("\n")
    header, body = lines[:30], lines[30:]
    table = document.add_table(rows=0, cols=1)  # the letterhead as a table, as Word files do
    for line in header:
        if line.strip():
            table.add_row().cells[0].text = line
    for line in body:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_gives_the_same_draft() -> None:
    text = _seed_text()
    reference = _essence(build_draft(read_document_bytes(text.encode("utf-8"), name=SEED)))
    source = read_document_bytes(_docx_bytes(text), name="ke-hoach.docx")
    assert source.kind == "docx"
    assert _essence(build_draft(source)) == reference


def _pdf_bytes(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    size, left, top, bottom = 10, 56, height - 56, 56
    y = top

    def line(words: str) -> None:
        nonlocal y
        if y < bottom:
            pdf.showPage()
            y = top
        pdf.setFont("DejaVu", size)
        pdf.drawString(left, y, words)
        y -= size * 1.25

    for paragraph in text.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        current = ""
        for word in paragraph.split(" "):
            trial = f"{current} {word}" if current else word
            if pdfmetrics.stringWidth(trial, "DejaVu", size) > width - 2 * left and current:
                line(current)
                current = word
            else:
                current = trial
        line(current)
        y -= size * 0.8  # paragraph spacing
    pdf.save()
    return buf.getvalue()


def test_text_pdf_gives_the_same_draft() -> None:
    pytest.importorskip("reportlab", reason="reportlab (test extra) is needed to make a text PDF")
    if not FONT.exists():
        pytest.skip(f"no DejaVu font at {FONT} (Debian package fonts-dejavu-core)")
    text = _seed_text()
    reference = _essence(build_draft(read_document_bytes(text.encode("utf-8"), name=SEED)))
    source = read_document_bytes(_pdf_bytes(text), name="ke-hoach.pdf")
    assert source.kind == "pdf"
    assert _essence(build_draft(source)) == reference


def test_cli_writes_the_draft_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    _seed_text()
    out = tmp_path / "draft.yaml"
    assert main(["plan", "draft", str(SEEDS / SEED), "--out", str(out), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["header"]["number"] == "255/KH-UBND"
    assert report["obligations_by_cadence"]["semiannual"] >= 1
    assert {d["due"] for d in report["due_clauses"]} == {"before 17/06", "before 17/12"}
    assert out.read_text(encoding="utf-8").count("độ tin cậy") >= len(report["obligations"])
    # an existing file is not overwritten without --force
    assert main(["plan", "draft", str(SEEDS / SEED), "--out", str(out)]) == 2
    assert main(["plan", "draft", str(SEEDS / SEED), "--out", str(out), "--force"]) == 0
    assert "hạn" in capsys.readouterr().out
