"""Hostile free text is shown as text everywhere: web pages, e-mails (HTML part), the
compiled XLSX and DOCX, and the exports.

A plan (plans/tinh-doc-1-kh-ubnd-2024.yaml) puts a script, HTML and quotes in its title, a
unit name and a clause, and a spreadsheet formula in another unit name; the actions put the
same script in the submitter («by») and the reasons of a return, an extension and an
excusal. Expected: no page or e-mail carries the markup raw (it appears escaped), the XLSX
and DOCX carry the exact characters as text, and no spreadsheet cell is a formula.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import Message
from pathlib import Path

import pytest
from docx import Document
from fakes.smtp_server import SmtpServer
from fault_support import local, task_id
from openpyxl import load_workbook
from security_support import ADMIN, PASSWORDS, new_client, portal_token

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services import submissions
from pcmd_workflow.services.compile import compile_period
from pcmd_workflow.services.dispatch import dispatch
from pcmd_workflow.services.plans import load_plans
from pcmd_workflow.services.sweep import run_sweep
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.store.users import add_user
from pcmd_workflow.web import create_app

PLAN = Path(__file__).resolve().parent / "plans" / "tinh-doc-1-kh-ubnd-2024.yaml"
PLAN_ID = "tinh-doc-1-kh-ubnd-2024"
HOSTILE = "<script>alert('pcmd')</script> & <b>\"Đậm\"</b>"
POLICE = f"Công an tỉnh {HOSTILE}"
FORMULA = '=HYPERLINK("http://example.invalid","Huyện A")'
RAW = ("<script>alert(", '<b>"Đậm', "<b>&#34;Đậm")  # markup that must never reach a page
ESCAPED = "&lt;script&gt;alert("


@dataclass
class Hostile:
    engine_url: str
    data_dir: Path
    tasks: dict[str, int]
    smtp: SmtpServer
    out: Path


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    smtp = SmtpServer().start()
    data_dir = tmp_path / "data"
    url = f"sqlite:///{tmp_path / 'hostile.sqlite3'}"
    monkeypatch.setenv("PCMD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PCMD_EMAIL_URL", smtp.url())
    monkeypatch.setenv("PCMD_PORTAL_URL", "https://baocao.doc.gov.vn")
    reset_settings()
    engine = db.upgrade(url)
    loaded = FixedClock(local("2024-01-10T09:00:00"))
    with db.session_scope(engine) as session:
        load_plans(session, [PLAN], clock=loaded)
        add_user(session, username=ADMIN, password=PASSWORDS[ADMIN], admin=True, clock=loaded)
    q1 = {"obligation": "quarterly", "period": "2024-Q1"}
    tasks = {
        "police": task_id(engine, reporter="cong-an-tinh", **q1),
        "district_a": task_id(engine, reporter="ubnd-huyen-a", **q1),
        "district_b": task_id(engine, reporter="ubnd-huyen-b", **q1),
        "monthly": task_id(engine, obligation="monthly", reporter="cong-an-tinh", period="2024-03"),
    }
    at = FixedClock(local("2024-04-12T10:00:00"))
    figures = {"A.1": 12, "A.1.1": 5, "A.1.2": 7, "A.2": 80.5, "A.3": True, "A.4": 120}
    with db.session_scope(engine) as session:
        for name in ("police", "district_a"):
            submissions.submit(session, task_id=tasks[name], clock=at, values=figures, by=HOSTILE)
    with db.session_scope(engine) as session:
        submissions.review(session, task_id=tasks["police"], accept=True, clock=at, by=HOSTILE)
        submissions.review(
            session, task_id=tasks["district_a"], accept=False, reason=HOSTILE, clock=at
        )
        submissions.extend(
            session, task_id=tasks["district_b"], to=date(2024, 4, 30), reason=HOSTILE,
            clock=at, by=HOSTILE,
        )  # fmt: skip
        submissions.excuse(session, task_id=tasks["monthly"], reason=HOSTILE, clock=at)
    for day in (date(2024, 4, 8), date(2024, 4, 22)):
        with db.session_scope(engine) as session:
            run_sweep(session, as_of=day, clock=FixedClock(local(f"{day}T07:00:00")))
        with db.session_scope(engine) as session:
            dispatch(session, clock=FixedClock(local(f"{day}T08:00:00")))
    out = data_dir / "compilations"
    with db.session_scope(engine) as session:
        compile_period(
            session,
            plan_id=PLAN_ID,
            obligation="quarterly",
            period="2024-Q1",
            as_of=date(2024, 4, 25),
            out_dir=out,
            clock=FixedClock(local("2024-04-25T08:00:00")),
        )
    engine.dispose()
    try:
        yield Hostile(engine_url=url, data_dir=data_dir, tasks=tasks, smtp=smtp, out=out)
    finally:
        smtp.stop()


def _html_parts(message: Message) -> list[str]:
    return [
        part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        for part in message.walk()
        if part.get_content_type() == "text/html"
    ]


def _assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: raw markup {raw!r}"


def test_emails_escape_free_text(hostile: Hostile) -> None:
    messages: list[Message] = list(hostile.smtp.messages)
    assert messages, "no e-mail was sent"
    shown = 0
    for message in messages:
        parts = _html_parts(message)
        assert parts, f"{message['Subject']}: no HTML part"
        for html in parts:
            _assert_escaped(html, f"e-mail to {message['To']}")
            shown += html.count(ESCAPED)
    assert shown > 0, "the hostile names never appeared in an e-mail"


def _all_cells(path: Path) -> list[tuple[str, object, str]]:
    book = load_workbook(path)
    return [
        (f"{sheet.title}!{cell.coordinate}", cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_compiled_xlsx_and_docx_keep_text_as_text(hostile: Hostile) -> None:
    (xlsx,) = hostile.out.glob("*.xlsx")
    cells = _all_cells(xlsx)
    formulas = [c for c in cells if c[2] == "f"]
    assert formulas == [], f"formula cells in the compiled report: {formulas[:3]}"
    texts = [str(v) for _, v, _ in cells]
    assert any(POLICE in t for t in texts), "the unit name is not in the XLSX as written"
    (docx,) = hostile.out.glob("*.docx")
    with zipfile.ZipFile(docx) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert "<script>" not in xml  # escaped inside the XML, or the file would be broken
    document = Document(str(docx))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert HOSTILE in text, "the hostile text is not in the DOCX as written"


def test_web_pages_and_exports_escape_free_text(hostile: Hostile) -> None:
    engine = db.make_engine(hostile.engine_url)
    app = create_app(engine=engine, clock=FixedClock(local("2024-04-25T09:00:00")))
    client = new_client(app, user=ADMIN)
    t = hostile.tasks
    pages = [
        "/dashboard",
        "/matrix",
        "/tasks",
        "/overdue",
        *(f"/tasks/{t[name]}" for name in ("police", "district_a", "district_b", "monthly")),
        f"/compilations/{PLAN_ID}/quarterly/2024-Q1",
    ]
    token = portal_token("cong-an-tinh", now=local("2024-04-25T09:00:00"), plan=PLAN_ID)
    pages += [f"/portal/{token}", f"/portal/{token}/tasks/{t['police']}"]
    shown = 0
    for page in pages:
        answer = client.get(page)
        assert answer.status_code == 200, f"{page}: {answer.status_code}"
        _assert_escaped(answer.text, page)
        shown += answer.text.count(ESCAPED)
    assert shown >= len(pages) // 2, "the hostile text was not shown (escaped) on the pages"

    exported = client.get("/tasks", params={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    cells = [c for r in rows for c in r]
    assert any(c == "'" + FORMULA for c in cells)
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    workbook = client.get("/tasks", params={"format": "xlsx"})
    assert workbook.status_code == 200
    path = hostile.data_dir / "export.xlsx"
    path.write_bytes(workbook.content)
    assert [c for c in _all_cells(path) if c[2] == "f"] == []
    engine.dispose()
