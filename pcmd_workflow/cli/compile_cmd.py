"""``pcmd compile``: roll the accepted figures of one obligation and period up into the
official report (XLSX form, DOCX draft, JSON) and print a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit, parse_day
from pcmd_workflow.clock import SystemClock
from pcmd_workflow.services.compile import compile_period
from pcmd_workflow.store import db

__all__ = ["compile_cmd"]


@app.command("compile")
def compile_cmd(
    plan_id: Annotated[str, typer.Option("--plan", help="Plan id (file stem).")],
    obligation: Annotated[str, typer.Option("--obligation", help="Obligation id.")],
    period: Annotated[str, typer.Option("--period", help="Period label, e.g. 2016-2020.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the .xlsx, .docx, .json.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Figures as known during day D at 07:00 local (YYYY-MM-DD)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default) or json.")
    ] = OutputFormat.table,
) -> None:
    """Compile the accepted submissions into the report, with completeness and targets."""
    day = parse_day(as_of, option="--as-of") if as_of else None
    engine = db.ready_engine()
    with db.session_scope(engine) as session:
        result = compile_period(
            session,
            plan_id=plan_id,
            obligation=obligation,
            period=period,
            as_of=day,
            out_dir=out,
            clock=SystemClock(),
        )
    summary = result.summary()
    if fmt is not OutputFormat.table:
        emit(summary, fmt)
        return
    s = summary
    lines = [
        f"Tổng hợp {s['plan']} / {s['obligation']} / kỳ {s['period']} (tính đến {s['as_of']})",
        f"Đơn vị phải báo cáo: {s['expected']}; đã gửi: {s['submitted']} "
        f"(đúng hạn: {s['on_time']}, muộn: {s['late']}); chưa gửi: {s['missing']}"
        + (f" ({', '.join(s['missing_units'])})" if s["missing_units"] else ""),
        f"Đã tổng hợp số liệu của {s['compiled_units']} đơn vị"
        + (f"; loại do lỗi: {', '.join(s['rejected_units'])}" if s["rejected_units"] else ""),
        f"Chỉ tiêu đạt: {s['targets_met']}/{s['targets']} (chưa đạt: {s['targets_not_met']}, "
        f"chưa có số liệu: {s['targets_no_data']})",
        f"Thay đổi so với lần tổng hợp trước: {s['changes']}"
        + (" (không đổi)" if s["unchanged"] else ""),
    ]
    lines += [f"Tệp {kind}: {path}" for kind, path in s["files"].items()]
    typer.echo("\n".join(lines))
