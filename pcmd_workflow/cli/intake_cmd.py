"""``pcmd plan draft``: a new plan document (text, DOCX, PDF) → a draft plan file to review.

The draft is written to ``--out`` (default ``<plan id>.yaml`` in the current directory,
the name ``pcmd plan check`` expects); the report of what was found goes to stdout.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from pcmd_workflow.cli.app import emit, plan_app
from pcmd_workflow.errors import IntakeError
from pcmd_workflow.intake import build_draft, draft_report, read_document, render_draft

__all__ = ["plan_draft"]


class ReportFormat(StrEnum):
    table = "table"
    json = "json"


def _table_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    header = report["header"]
    for key in ("id", "number", "type", "issuer", "place", "issued", "signer", "title"):
        rows.append({"mục": "văn bản", "khóa": key, "giá trị": header.get(key) or "—"})
    for ref in header["legal_basis"]:
        rows.append({"mục": "căn cứ", "khóa": "", "giá trị": ref})
    rows.append(
        {"mục": "đơn vị", "khóa": str(len(report["units"])), "giá trị": ", ".join(report["units"])}
    )
    rows.append(
        {"mục": "nhóm", "khóa": str(len(report["groups"])), "giá trị": ", ".join(report["groups"])}
    )
    for cadence, n in report["obligations_by_cadence"].items():
        rows.append({"mục": "nghĩa vụ theo kỳ", "khóa": cadence, "giá trị": n})
    for due in report["due_clauses"]:
        rows.append(
            {"mục": "hạn", "khóa": due["where"], "giá trị": f"{due['due']} ← «{due['phrase']}»"}
        )
    for cut in report["cutoffs"]:
        rows.append(
            {
                "mục": "mốc số liệu",
                "khóa": cut["where"],
                "giá trị": f"{cut['end']} ← «{cut['phrase']}»",
            }
        )
    for t in report["targets"]:
        value = t["value"] if t["value_max"] is None else f"{t['value']}–{t['value_max']}"
        rows.append(
            {
                "mục": "chỉ tiêu",
                "khóa": t["where"],
                "giá trị": f"{t['metric']} {t['comparator']} {value}",
            }
        )
    for todo in report["todos"]:
        rows.append(
            {"mục": "TODO", "khóa": f"{todo['item']}.{todo['field']}", "giá trị": todo["todo"]}
        )
    return rows


@plan_app.command("draft")
def plan_draft(
    document: Annotated[Path, typer.Argument(help="The plan document: .txt, .docx or .pdf.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the draft (default: <plan id>.yaml here)."),
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = (
        ReportFormat.table
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Draft a plan file from a plan document, every duty and target cited, for review."""
    source = read_document(document)
    draft = build_draft(source)
    target = out if out is not None else Path(f"{draft.plan_id}.yaml")
    if target.exists() and not force:
        raise IntakeError(
            f"{target}: tệp đã có, dùng --force để ghi đè; "
            "already exists (use --force to overwrite)"
        )
    try:
        target.write_text(render_draft(draft), encoding="utf-8")
    except OSError as exc:
        raise IntakeError(f"{target}: không ghi được; cannot write ({exc.strerror})") from None
    report = draft_report(draft)
    report["draft"] = str(target)
    if fmt is ReportFormat.json:
        emit(report, "json")
    else:
        emit(_table_rows(report), "table", columns=["mục", "khóa", "giá trị"])
        typer.echo(f"Bản nháp: {target}  (kiểm tra: pcmd plan check {target})")
