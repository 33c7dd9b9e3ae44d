"""The Typer application and its sub-groups; command modules attach their commands here."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any

import typer

from pcmd_workflow.errors import CalendarError

__all__ = [
    "OutputFormat",
    "app",
    "calendar_app",
    "db_app",
    "emit",
    "notices_app",
    "parse_day",
    "plan_app",
    "run_app",
    "tasks_app",
]

app = typer.Typer(
    name="pcmd",
    help="pcmd: deadlines, reminders and compilation for the PCMD reporting duties.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
calendar_app = typer.Typer(help="The Vietnamese working-day calendar.", no_args_is_help=True)
plan_app = typer.Typer(
    help="Plans as code: check, show, deadlines, load, draft.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Tasks in the tracking store.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
notices_app = typer.Typer(help="The notification outbox.", no_args_is_help=True)
run_app = typer.Typer(help="Run one flow now.", no_args_is_help=True)

app.add_typer(calendar_app, name="calendar")
app.add_typer(plan_app, name="plan")
app.add_typer(tasks_app, name="tasks")
app.add_typer(db_app, name="db")
app.add_typer(notices_app, name="notices")
app.add_typer(run_app, name="run")


class OutputFormat(StrEnum):
    json = "json"
    table = "table"
    csv = "csv"


def parse_day(value: str, *, option: str = "date") -> date:
    """An ISO date from the command line, or a CalendarError naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CalendarError(f"{option}: '{value}' is not a date; expected YYYY-MM-DD") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def emit(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    fmt: OutputFormat | str,
    *,
    columns: Iterable[str] | None = None,
) -> None:
    """Print rows (or one object) as JSON, CSV or an aligned table on stdout."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=_cell) + "\n")
        return
    items: list[Mapping[str, Any]] = [rows] if isinstance(rows, Mapping) else list(rows)
    cols = list(columns) if columns is not None else (list(items[0]) if items else [])
    if fmt is OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for row in items:
            writer.writerow([_cell(row.get(c)) for c in cols])
        sys.stdout.write(buf.getvalue())
        return
    table = [[_cell(row.get(c)) for c in cols] for row in items]
    widths = [max([len(c), *(len(r[i]) for r in table)]) for i, c in enumerate(cols)]
    sys.stdout.write(
        "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n"
    )
    for r in table:
        sys.stdout.write(
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n"
        )
