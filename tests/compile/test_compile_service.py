"""``compile_period`` and ``pcmd compile`` on a real database (SQLite, and PostgreSQL in CI).

The hand-made province of tests/compile/province.yaml is loaded as a plan, its figures are
submitted and accepted through the submission service (xa-b3's set, whose «Trong đó» row
exceeds its parent, is written directly, as figures accepted before a form change would
be), then compiled. Expected cells are literals in tests/compile/answers/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from compile_support import ANSWERS, HERE, ROOT, fresh_pg_database, load_yaml
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from pcmd_workflow.cli import main
from pcmd_workflow.clock import LOCAL_TZ, FixedClock
from pcmd_workflow.domain.indicators import TaskEntry, UnitValues
from pcmd_workflow.domain.plan import Plan
from pcmd_workflow.errors import CompilationError
from pcmd_workflow.services.compile import (
    CompilationResult,
    build_report,
    compile_period,
    load_layout,
    render_html,
    write_docx,
)
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.submissions import review, submit
from pcmd_workflow.services.tasks import list_tasks
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.compilations import Compilation
from pcmd_workflow.store.models import Submission

PLAN = "tinh-mau-1-kh-ubnd-2024"
LAYOUTS = HERE / "layouts"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def _task_ids(session: Any) -> dict[str, int]:
    views = list_tasks(session, as_of=date(2024, 12, 10), plan_id=PLAN)
    return {v.reporter: v.task_id for v in views if v.obligation == "bao-cao-nam"}


def _load_province(url: str, tmp_path: Path, data: dict[str, Any]) -> None:
    plan_file = tmp_path / f"{PLAN}.yaml"
    plan_file.write_text(
        yaml.safe_dump(data["plan"], allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    engine = db.make_engine(url)
    clock = FixedClock(local("2024-12-20T10:00:00"))
    late = {"xa-a2": "2024-12-19T09:00:00"}
    with db.session_scope(engine) as session:
        load_plans(session, [plan_file], clock=FixedClock(local("2024-12-01T08:00:00")))
    with db.session_scope(engine) as session:
        ids = _task_ids(session)
        for unit, values in data["submissions"].items():
            when = local(late.get(unit, "2024-12-16T09:00:00"))
            if unit == "xa-b3":
                session.add(
                    Submission(
                        task_id=ids[unit],
                        version=1,
                        received_at=local("2024-12-18T09:00:00"),
                        submitted_by="nhập từ hệ thống cũ",
                        channel="import",
                        values=values,
                        checksum="0" * 64,
                        review_state="accepted",
                        reviewed_at=local("2024-12-18T10:00:00"),
                        reviewed_by="test",
                        receipt_no="TEST-XA-B3",
                    )
                )
                continue
            submit(session, task_id=ids[unit], clock=clock, values=values, at=when, by="test")
            review(session, task_id=ids[unit], accept=True, clock=clock, at=when, by="test")
    engine.dispose()


def _compile(url: str, out: Path, *, at: datetime, as_of: date | datetime) -> CompilationResult:
    engine = db.make_engine(url)
    try:
        with db.session_scope(engine) as session:
            return compile_period(
                session,
                plan_id=PLAN,
                obligation="bao-cao-nam",
                period="2024",
                as_of=as_of,
                out_dir=out,
                clock=FixedClock(at),
                layouts_dir=LAYOUTS,
            )
    finally:
        engine.dispose()


@pytest.fixture
def province_db(database_url: str, tmp_path: Path, province_data: dict[str, Any]) -> str:
    _load_province(database_url, tmp_path, province_data)
    return database_url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def first(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    province_data: dict[str, Any],
) -> Iterator[CompilationResult]:
    """One compilation at 07:00 on 20/12/2024, shared by the read-only tests of a module."""
    tmp = tmp_path_factory.mktemp("first")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PCMD_DATA_DIR", str(tmp / "pcmd-data"))
        reset_settings()
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'first.sqlite3'}"
        else:
            url = fresh_pg_database(request.getfixturevalue("pg_url"))
        db.upgrade(url).dispose()
        _load_province(url, tmp, province_data)
        yield _compile(url, tmp / "out", at=local("2024-12-20T10:00:00"), as_of=date(2024, 12, 20))
    reset_settings()


def _grid(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_summary_counts_and_targets(first: CompilationResult) -> None:
    s = first.summary()
    assert {k: s[k] for k in ("expected", "submitted", "on_time", "late", "missing")} == {
        "expected": 9,
        "submitted": 8,
        "on_time": 6,
        "late": 2,
        "missing": 1,
    }
    assert s["missing_units"] == ["huyen-c"]
    assert s["rejected_units"] == ["xa-b3"]
    assert (s["targets"], s["targets_met"], s["targets_not_met"], s["targets_no_data"]) == (
        4,
        1,
        2,
        1,
    )
    assert s["compiled_units"] == 7 and s["errors"] == 1
    assert s["changes"] == 0 and s["unchanged"] is False


def test_xlsx_cell_by_cell(first: CompilationResult) -> None:
    expected = load_yaml(ANSWERS / "province_xlsx.yaml")
    path = first.files["xlsx"]
    assert path.name == f"{PLAN}_bao-cao-nam_2024.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames == expected["sheets"]
    assert _grid(wb["Toàn tỉnh"]) == expected["Toàn tỉnh"]
    for sheet, column in expected["values"].items():
        ws = wb[sheet]
        assert [ws.cell(row=r, column=3).value for r in range(9, 26)] == column, sheet
    ws = wb["Toàn tỉnh"]
    assert ws["C14"].data_type == "n" and ws["C14"].number_format == "#,##0"
    assert ws["C23"].data_type == "n" and ws["C23"].number_format == "#,##0.00"
    # a label starting with «-» or «+» is explicit text, never a formula
    assert ws["A14"].data_type == "s" and ws["A14"].quotePrefix
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_json_export(first: CompilationResult) -> None:
    data = json.loads(first.files["json"].read_text(encoding="utf-8"))
    assert data["plan"] == PLAN and data["period"] == "2024"
    assert data["as_of"] == "2024-12-20T07:00:00+07:00"
    assert data["values"]["ubnd-tinh"]["B.2.2.a"] == 31
    assert data["values"]["ubnd-tinh"]["A.2"] == "3/4"
    assert data["completeness"]["missing_units"] == ["huyen-c"]
    assert [t["status"] for t in data["targets"]] == ["met", "not_met", "not_met", "no_data"]
    root = data["rollup"]["nodes"][0]
    rows = {r["row"]: r for r in root["rows"]}
    assert rows["B.2.2.a"]["sources"] == [
        {"unit": "so-ldtbxh", "value": 10, "own": False},
        {"unit": "cong-an-tinh", "value": 5, "own": False},
        {"unit": "huyen-a", "value": 9, "own": False},
        {"unit": "huyen-b", "value": 7, "own": False},
    ]


def test_docx_headings_and_tables(first: CompilationResult) -> None:
    doc = Document(str(first.files["docx"]))
    texts = [p.text for p in doc.paragraphs if p.text]
    expected = load_yaml(ANSWERS / "province_docx.yaml")
    assert texts == expected["paragraphs"]
    header, completeness, targets, footer = doc.tables
    left, right = (c.text.split("\n") for c in header.rows[0].cells)
    assert [t for t in left if t] == ["ỦY BAN NHÂN DÂN", "TỈNH MẪU", "Số: .../BC-UBND"]
    assert [t for t in right if t] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Mẫu Sơn, ngày … tháng … năm 2024",
    ]
    assert [[c.text for c in r.cells] for r in completeness.rows] == expected["completeness"]
    assert [[c.text for c in r.cells] for r in targets.rows] == expected["targets"]
    notes, signature = (c.text.split("\n") for c in footer.rows[0].cells)
    assert notes == ["Nơi nhận:", "- Sở Lao động - Thương binh và Xã hội;", "- Lưu: VT."]
    assert [t for t in signature if t] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text}
    assert fonts == {"Times New Roman"}
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)


def test_html_fragment_escapes_free_text(first: CompilationResult) -> None:
    html = render_html(first.report)
    assert "<script>" not in html
    assert "Công an tỉnh &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Kiến nghị" not in html  # prompts are not part of the dashboard view
    assert '<td class="num" title="Sở Lao động - Thương binh và Xã hội: 10;' in html
    assert '<th data-unit="ubnd-tinh">UBND tỉnh Mẫu</th>' in html
    assert ">Có: 3/4<" in html and ">84,44%<" in html


def test_changed_totals_are_highlighted(province_db: str, tmp_path: Path) -> None:
    first = _compile(
        province_db, tmp_path / "out", at=local("2024-12-20T10:00:00"), as_of=date(2024, 12, 20)
    )
    engine = db.make_engine(province_db)
    clock = FixedClock(local("2024-12-20T11:30:00"))
    with db.session_scope(engine) as session:
        task = _task_ids(session)["xa-b2"]
        values = {"B.1.1.a": 5, "B.1.1.a.1": 2, "B.1.1.a.2": 3, "B.1.1.b": 5, "B.2.2.a": 3}
        values |= {"B.2.2.b": 1, "B.2.2.b.1": 1, "B.2.2.b.1.i": 2}
        submit(session, task_id=task, clock=clock, values=values, at=local("2024-12-20T11:00:00"))
        review(session, task_id=task, accept=True, clock=clock, at=local("2024-12-20T11:10:00"))
    engine.dispose()
    second = _compile(
        province_db,
        tmp_path / "out2",
        at=local("2024-12-20T12:00:00"),
        as_of=local("2024-12-20T12:00:00"),
    )
    got = [(c.unit, c.row, c.before, c.after) for c in second.report.changes]
    assert got == [
        ("ubnd-tinh", "B.2.2.a", 31, 33),
        ("huyen-b", "B.2.2.a", 7, 9),
        ("xa-b2", "B.2.2.a", 1, 3),
    ]
    assert second.summary()["targets_met"] == 1
    assert second.report.targets[0].actual == 73.33
    ws = load_workbook(second.files["xlsx"])["Toàn tỉnh"]
    assert ws["C20"].value == 33
    assert ws["C20"].fill.fgColor.rgb == "00FFF2CC"
    assert ws["D20"].value == "Lần tổng hợp trước: 31"
    assert ws["C14"].fill.fill_type is None
    notes = [p.text for p in Document(str(second.files["docx"])).paragraphs]
    assert (
        "UBND tỉnh Mẫu, dòng B.2.2.a «Tổng số cơ sở kiểm tra trong kỳ»: 31 → 33 "
        "(so với lần tổng hợp lúc 10:00 ngày 20/12/2024)"
    ) in notes
    # compiled again with nothing new: same checksum, nothing changed
    third = _compile(
        province_db,
        tmp_path / "out3",
        at=local("2024-12-20T12:05:00"),
        as_of=local("2024-12-20T12:00:00"),
    )
    assert third.report.changes == [] and third.unchanged is True
    assert third.checksum == second.checksum != first.checksum
    engine = db.make_engine(province_db)
    with db.session_scope(engine) as session:
        rows = session.exec(select(Compilation).order_by(Compilation.id)).all()  # type: ignore[arg-type]
        assert [r.checksum for r in rows] == [first.checksum, second.checksum, third.checksum]
        assert rows[0].result["values"]["ubnd-tinh"]["B.2.2.a"] == 31
        assert rows[1].files["xlsx"].endswith(f"{PLAN}_bao-cao-nam_2024.xlsx")
    engine.dispose()


def test_as_of_before_the_submissions(province_db: str, tmp_path: Path) -> None:
    early = _compile(
        province_db, tmp_path / "early", at=local("2024-12-20T10:00:00"), as_of=date(2024, 12, 16)
    )
    s = early.summary()
    assert (s["submitted"], s["compiled_units"], s["missing"]) == (0, 0, 9)
    assert early.report.rollup.root_totals.rows == {}


def test_unknown_obligation_period_and_plan(province_db: str, tmp_path: Path) -> None:
    engine = db.make_engine(province_db)
    with db.session_scope(engine) as session:
        with pytest.raises(CompilationError, match="không có nhiệm vụ nào"):
            compile_period(
                session,
                plan_id=PLAN,
                obligation="bao-cao-nam",
                period="2030",
                as_of=date(2024, 12, 20),
                out_dir=tmp_path,
            )
        with pytest.raises(CompilationError, match="chưa được nạp"):
            compile_period(
                session,
                plan_id="khong-co",
                obligation="x",
                period="2024",
                as_of=date(2024, 12, 20),
                out_dir=tmp_path,
            )
    engine.dispose()


def test_cli_compile(
    province_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PCMD_DATABASE_URL", province_db)
    reset_settings()
    out = tmp_path / "cli"
    args = ["compile", "--plan", PLAN, "--obligation", "bao-cao-nam", "--period", "2024"]
    code = main([*args, "--as-of", "2024-12-20", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:5] == [
        f"Tổng hợp {PLAN} / bao-cao-nam / kỳ 2024 (tính đến 2024-12-20T07:00:00+07:00)",
        "Đơn vị phải báo cáo: 9; đã gửi: 8 (đúng hạn: 6, muộn: 2); chưa gửi: 1 (huyen-c)",
        "Đã tổng hợp số liệu của 7 đơn vị; loại do lỗi: xa-b3",
        "Chỉ tiêu đạt: 1/4 (chưa đạt: 2, chưa có số liệu: 1)",
        "Thay đổi so với lần tổng hợp trước: 0",
    ]
    for suffix in ("xlsx", "docx", "json"):
        assert (out / f"{PLAN}_bao-cao-nam_2024.{suffix}").is_file()
    code = main([*args, "--as-of", "2024-12-20", "--out", str(out), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert (summary["submitted"], summary["on_time"], summary["targets_met"]) == (8, 6, 1)
    assert summary["unchanged"] is True
    assert main([*args, "--as-of", "20/12/2024", "--out", str(out)]) == 2
    assert "--as-of: '20/12/2024' is not a date" in capsys.readouterr().err
    assert (
        main(
            [
                "compile",
                "--plan",
                PLAN,
                "--obligation",
                "khong-co",
                "--period",
                "2024",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert "không có nhiệm vụ nào" in capsys.readouterr().err


@pytest.mark.slow
def test_docx_renders_to_pdf_with_libreoffice(
    province_plan: Plan,
    province_submissions: list[UnitValues],
    province_tasks: list[TaskEntry],
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    report = build_report(
        plan=province_plan,
        obligation="bao-cao-nam",
        period="2024",
        entries=province_tasks,
        submissions=province_submissions,
        as_of=local("2024-12-20T07:00:00"),
        layout=load_layout(PLAN, directory=LAYOUTS),
    )
    docx_path = tmp_path / f"{PLAN}_bao-cao-nam_2024.docx"
    write_docx(report, docx_path)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    ROOT.require(soffice is not None, "LibreOffice (soffice) is not installed")
    assert soffice is not None
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(docx_path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / f"{PLAN}_bao-cao-nam_2024.pdf"
    from pypdf import PdfReader

    assert len(PdfReader(str(pdf)).pages) >= 2
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:  # poppler extracts Vietnamese text faithfully
        text = subprocess.run(
            [pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        for phrase in ("BÁO CÁO", "Độc lập - Tự do - Hạnh phúc", "Nơi nhận:", "<script>"):
            assert phrase in text
    shutil.copy(pdf, artifacts_dir / "compile-report.pdf")
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: PDF checked, no PNG")
    target = artifacts_dir / "compile-report-page1"
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)],
        check=True,
        timeout=120,
    )
    assert (artifacts_dir / "compile-report-page1.png").stat().st_size > 10_000
