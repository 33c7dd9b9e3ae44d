"""Operations: ``pcmd doctor`` (is the installation ready?), ``pcmd backup --out FILE`` and
``pcmd restore FILE`` (SQLite online backup; ``pg_dump -Fc`` / ``pg_restore`` for PostgreSQL).

``PCMD_PG_BIN`` names the directory of ``pg_dump``/``pg_restore`` when they are not on PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, app, emit, parse_day
from pcmd_workflow.clock import FixedClock, SystemClock, as_of_instant
from pcmd_workflow.services.backup import backup_database, restore_database
from pcmd_workflow.services.doctor import run_doctor
from pcmd_workflow.settings import get_settings

__all__ = ["backup_cmd", "doctor_cmd", "restore_cmd"]


def _pg_bin() -> Path | None:
    value = os.environ.get("PCMD_PG_BIN", "").strip()
    return Path(value) if value else None


@app.command("doctor")
def doctor_cmd(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Check the calendar as on this day (YYYY-MM-DD)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds for each network probe.", min=0.1)
    ] = 5.0,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default) or json.")
    ] = OutputFormat.table,
) -> None:
    """Check the configuration: database, data directory, secrets, channels, calendar, plans.

    Exit 0 when all is well, 2 when something must be fixed (each problem says how)."""
    clock = (
        FixedClock(as_of_instant(parse_day(as_of, option="--as-of"))) if as_of else SystemClock()
    )
    report = run_doctor(clock=clock, timeout=timeout)
    if fmt is OutputFormat.table:
        for check in report.checks:
            print(check.line())
        print(report.summary(), file=sys.stderr)
    else:
        emit([c.as_row() for c in report.checks], fmt)
    raise typer.Exit(report.exit_code)


@app.command("backup")
def backup_cmd(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default) or json.")
    ] = OutputFormat.table,
) -> None:
    """Back the database up into one file (consistent while pcmd keeps running)."""
    result = backup_database(get_settings().effective_database_url, out=out, pg_bin=_pg_bin())
    row = result.as_row()
    if fmt is OutputFormat.json:
        emit(row, fmt)
        return
    print(
        f"đã sao lưu {row['rows']} dòng ({len(result.tables)} bảng, lược đồ {result.revision}) "
        f"vào {result.path} ({result.size} byte, {result.engine})"
    )


@app.command("restore")
def restore_cmd(
    source: Annotated[Path, typer.Argument(help="A file written by `pcmd backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace a database that already holds data.")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="table (default) or json.")
    ] = OutputFormat.table,
) -> None:
    """Replace the database with a backup (refused into a non-empty database without --yes)."""
    settings = get_settings()
    if settings.database_url is None:
        settings.ensure_data_dir()
    result = restore_database(
        settings.effective_database_url, source=source, replace=yes, pg_bin=_pg_bin()
    )
    row = result.as_row()
    if fmt is OutputFormat.json:
        emit(row, fmt)
        return
    print(
        f"đã khôi phục {row['rows']} dòng ({len(result.tables)} bảng, lược đồ "
        f"{result.revision}) từ {result.source} ({result.engine})"
    )
