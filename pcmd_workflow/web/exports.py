"""Lists as CSV (UTF-8 with BOM, so that Excel reads the diacritics) and XLSX (openpyxl).

Text that a spreadsheet would take for a formula («=», «+», «-», «@» first) is neutralised:
CSV cells get a leading apostrophe (OWASP "CSV Injection"), XLSX cells are written as
explicit strings. Numbers stay numbers, dates stay dates.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pcmd_workflow.clock import LOCAL_TZ

__all__ = ["Column", "csv_bytes", "download", "xlsx_bytes"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, kw_only=True)
class Column:
    key: str
    title: str
    width: int = 18


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_bytes(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for row in rows:
        out = []
        for c in columns:
            value = _plain(row.get(c.key))
            if value is None:
                value = ""
            elif isinstance(value, str) and value.startswith(_FORMULA_START):
                value = "'" + value
            out.append(value)
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    sheet_title: str,
    heading: str,
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title[:31]
    ws.cell(row=1, column=1, value=heading).font = Font(bold=True, size=12)
    for j, c in enumerate(columns, start=1):
        cell = ws.cell(row=3, column=j, value=c.title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = c.width
    for i, row in enumerate(rows, start=4):
        for j, c in enumerate(columns, start=1):
            value = row.get(c.key)
            if isinstance(value, datetime):
                value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
            cell = ws.cell(row=i, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def download(data: bytes, *, filename: str, media_type: str) -> Response:
    """An attachment answer; ``filename`` is ASCII (a UTF-8 form is added for browsers)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in filename)
    return Response(
        content=data,
        media_type=media_type,
        headers={
            "content-disposition": (
                f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"
            )
        },
    )
