"""The XLSX template of an indicator form, and the safe reading of a filled one.

The template (openpyxl) has one sheet «Biểu mẫu»: the form's rows with their row ids in
column A, the number, label and unit of measure as printed, and the value in column E, with
the spreadsheet's own validation of each value cell (whole number, number, 0–100 %, có/không)
and «Trong đó» rows indented. A hidden sheet «pcmd» names the plan, form and task.

Reading an upload is defensive, because the file comes from outside:

- the name must be a plain file name ending in ``.xlsx`` (no directory part, no ``..``, no
  control character), and the size within ``max_upload_bytes``;
- the ZIP container is inspected *before* openpyxl opens it: member count, declared
  uncompressed size (in total and per member ratio, against zip bombs), encrypted or
  absolute/parent member names;
- then: the sheet must be there, no cell may hold a formula, no merged cell may cover the
  value column, a number row may not hold text, a row id must belong to the form.

Every problem is listed (Vietnamese, with the cell reference) and nothing is written; the
figures that pass then go through the domain validator like any other submission.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.domain.plan import IndicatorForm, RowKind
from pcmd_workflow.errors import SubmissionRejected
from pcmd_workflow.web.form_view import form_rows

__all__ = [
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_UNCOMPRESSED",
    "META_SHEET",
    "SHEET",
    "name_problems",
    "read_filled_template",
    "template_bytes",
    "zip_problems",
]

SHEET = "Biểu mẫu"
META_SHEET = "pcmd"
HEADER = ("Mã dòng", "STT", "Nội dung", "Đơn vị tính", "Số liệu")
VALUE_COLUMN = 5
#: A filled template is small: refuse containers that would inflate beyond these.
MAX_UNCOMPRESSED = 40 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 500
MAX_ROWS = 5000
_RATIO_FLOOR = 1024 * 1024  # ratios only matter for members larger than this

_GREY = PatternFill("solid", fgColor="DDDDDD")
_INPUT = PatternFill("solid", fgColor="FFF8DC")


def template_bytes(
    form: IndicatorForm,
    *,
    plan_ref: str,
    unit_name: str,
    period: str,
    task_key: str,
    due_text: str,
    values: Mapping[str, Any] | None = None,
    generated_at: datetime,
) -> bytes:
    """The template workbook of ``form`` for one task, prefilled with ``values``."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.cell(row=1, column=1, value=form.title).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=f"{plan_ref} — {unit_name} — kỳ báo cáo {period}")
    ws.cell(row=3, column=1, value=f"Hạn nộp: {due_text}. {form.cutoff_note or ''}".strip())
    ws.cell(
        row=4,
        column=1,
        value=(
            "Chỉ điền số liệu vào cột E «Số liệu». Không thêm, xóa, gộp dòng; không dùng công "
            "thức; để trống nếu không có số liệu."
        ),
    ).font = Font(italic=True)
    header_row = 6
    for j, title in enumerate(HEADER, start=1):
        cell = ws.cell(row=header_row, column=j, value=title)
        cell.font = Font(bold=True)
        cell.fill = _GREY
    validations = {
        RowKind.count: DataValidation(
            type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
            error="Cần số nguyên không âm", errorTitle="Số liệu không hợp lệ",
        ),
        RowKind.amount: DataValidation(
            type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
            error="Cần số không âm", errorTitle="Số liệu không hợp lệ",
        ),
        RowKind.percent: DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
            error="Tỷ lệ phần trăm từ 0 đến 100", errorTitle="Số liệu không hợp lệ",
        ),
        RowKind.boolean: DataValidation(
            type="list", formula1='"có,không"', allow_blank=True,
            error="Chọn «có» hoặc «không»", errorTitle="Số liệu không hợp lệ",
        ),
    }  # fmt: skip
    for dv in validations.values():
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
    r = header_row
    for row in form_rows(form, values):
        if row.of_which_intro:
            r += 1
            intro = ws.cell(row=r, column=3, value="Trong đó:")
            intro.font = Font(italic=True)
            intro.alignment = Alignment(indent=row.depth * 2)
        r += 1
        ws.cell(row=r, column=1, value=row.id).data_type = "s"
        ws.cell(row=r, column=2, value=row.number).data_type = "s"
        label = ws.cell(row=r, column=3, value=row.label)
        label.data_type = "s"
        label.alignment = Alignment(wrap_text=True, indent=row.depth * 2)
        if not row.has_value:
            label.font = Font(bold=True)
        ws.cell(row=r, column=4, value=row.unit).data_type = "s"
        value_cell = ws.cell(row=r, column=VALUE_COLUMN)
        if row.has_value:
            value_cell.fill = _INPUT
            kind = RowKind(row.kind)
            if row.value != "":
                value_cell.value = _typed(kind, row.value)
            validations[kind].add(value_cell)
        else:
            value_cell.fill = _GREY
    for letter, width in zip("ABCDE", (12, 6, 80, 14, 14), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    meta = wb.create_sheet(META_SHEET)
    for i, (key, value) in enumerate(
        (
            ("form", form.id),
            ("task", task_key),
            ("generated_at", generated_at.astimezone(LOCAL_TZ).isoformat()),
        ),
        start=1,
    ):
        meta.cell(row=i, column=1, value=key).data_type = "s"
        meta.cell(row=i, column=2, value=value).data_type = "s"
    meta.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(kind: RowKind, text: str) -> Any:
    if kind is RowKind.boolean:
        return text
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


# ---- reading ----------------------------------------------------------------------------


def name_problems(name: str, *, allowed: tuple[str, ...]) -> list[str]:
    """Problems of an uploaded file's name: directory parts, ``..``, control characters."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in name)[:120]
    if not name or len(name) > 200:
        return [f"tên tệp «{shown}» không hợp lệ (rỗng hoặc quá dài)"]
    if "/" in name or "\\" in name or name in (".", "..") or ".." in PurePosixPath(name).parts:
        return [f"tên tệp «{shown}» không hợp lệ: không được chứa đường dẫn thư mục"]
    if any(not ch.isprintable() for ch in name) or name.startswith("."):
        return [f"tên tệp «{shown}» không hợp lệ: có ký tự điều khiển hoặc bắt đầu bằng dấu chấm"]
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in allowed:
        return [f"tệp «{shown}»: chỉ nhận tệp {', '.join(allowed)}"]
    return []


def zip_problems(data: bytes, *, name: str) -> list[str]:
    """Problems of the ZIP container of an XLSX/DOCX, found without decompressing it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return [f"{name}: không phải tệp Office hợp lệ (cấu trúc ZIP hỏng)"]
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            return [f"{name}: tệp có {len(infos)} thành phần, vượt giới hạn {MAX_MEMBERS}"]
        problems: list[str] = []
        total = 0
        for info in infos:
            total += info.file_size
            member = info.filename
            if member.startswith(("/", "\\")) or ".." in member.replace("\\", "/").split("/"):
                problems.append(f"{name}: thành phần «{member[:80]}» có đường dẫn không hợp lệ")
            if info.flag_bits & 0x1:
                problems.append(f"{name}: tệp được mã hóa hoặc đặt mật khẩu, không đọc được")
                break
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                problems.append(
                    f"{name}: thành phần «{member[:80]}» nén bất thường (tỷ lệ "
                    f"{info.file_size // max(info.compress_size, 1)}:1), nghi là bom nén"
                )
                break
        if total > MAX_UNCOMPRESSED:
            problems.append(
                f"{name}: dữ liệu sau giải nén {total} byte vượt giới hạn {MAX_UNCOMPRESSED} byte"
            )
        return problems


def _cell_problem(ref: str, row_id: str, text: str) -> str:
    return f"ô {ref} (dòng {row_id}): {text}"


def read_filled_template(
    data: bytes, *, form: IndicatorForm, name: str, max_bytes: int
) -> dict[str, Any]:
    """The figures of a filled template (row id → raw value); SubmissionRejected otherwise."""
    problems = name_problems(name, allowed=(".xlsx",))
    if len(data) > max_bytes:
        problems.append(f"{name}: tệp {len(data)} byte vượt giới hạn {max_bytes} byte")
    if problems:
        raise SubmissionRejected(problems)
    problems = zip_problems(data, name=name)
    if problems:
        raise SubmissionRejected(problems)
    try:
        wb = load_workbook(io.BytesIO(data), data_only=False, keep_vba=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise SubmissionRejected([f"{name}: không đọc được tệp XLSX (tệp hỏng?)"]) from None
    if SHEET not in wb.sheetnames:
        raise SubmissionRejected(
            [f"{name}: không có trang tính «{SHEET}»; hãy dùng tệp mẫu tải từ cổng nộp báo cáo"]
        )
    if META_SHEET in wb.sheetnames:
        meta = wb[META_SHEET]
        recorded = {
            str(meta.cell(row=i, column=1).value): meta.cell(row=i, column=2).value
            for i in range(1, 6)
        }
        if recorded.get("form") not in (None, form.id):
            raise SubmissionRejected(
                [f"{name}: tệp mẫu của biểu «{recorded.get('form')}», không phải «{form.id}»"]
            )
    ws = wb[SHEET]
    if ws.max_row > MAX_ROWS or ws.max_column > 50:
        raise SubmissionRejected([f"{name}: trang tính quá lớn ({ws.max_row} dòng)"])
    problems = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                problems.append(f"ô {cell.coordinate}: có công thức; chỉ nhận số liệu đã tính")
    header_row = None
    for r in range(1, min(ws.max_row, 30) + 1):
        if str(ws.cell(row=r, column=1).value or "").strip() == HEADER[0]:
            header_row = r
            break
    if header_row is None:
        problems.append(f"trang «{SHEET}»: không tìm thấy dòng tiêu đề «{HEADER[0]}»")
        raise SubmissionRejected(problems)
    value_letter = get_column_letter(VALUE_COLUMN)
    for merged in ws.merged_cells.ranges:
        if merged.min_col <= VALUE_COLUMN <= merged.max_col and merged.max_row > header_row:
            problems.append(
                f"vùng ô gộp {merged.coord} chứa cột {value_letter} «Số liệu»: không được gộp ô"
            )
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for r in range(header_row + 1, ws.max_row + 1):
        raw_id = ws.cell(row=r, column=1).value
        row_id = str(raw_id).strip() if raw_id is not None else ""
        cell = ws.cell(row=r, column=VALUE_COLUMN)
        value = cell.value
        if not row_id:
            if value not in (None, ""):
                problems.append(f"ô {cell.coordinate}: có số liệu nhưng dòng không có mã dòng")
            continue
        form_row = form.row(row_id)
        if form_row is None:
            problems.append(f"ô A{r}: mã dòng «{row_id[:40]}» không có trong biểu mẫu «{form.id}»")
            continue
        if row_id in seen:
            problems.append(f"ô A{r}: mã dòng «{row_id}» xuất hiện hai lần")
            continue
        seen.add(row_id)
        if cell.data_type == "f" or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not form_row.has_value:
            problems.append(
                _cell_problem(cell.coordinate, row_id, "dòng tiêu đề, không nhận số liệu")
            )
            continue
        if form_row.kind is RowKind.boolean:
            if isinstance(value, bool | int | str):
                values[row_id] = value
            else:
                problems.append(_cell_problem(cell.coordinate, row_id, "cần «có» hoặc «không»"))
            continue
        if isinstance(value, bool | str):
            shown = str(value)[:40]
            problems.append(
                _cell_problem(cell.coordinate, row_id, f"«{shown}» là chữ, cần nhập số")
            )
            continue
        if isinstance(value, int | float):
            values[row_id] = value
        else:
            problems.append(
                _cell_problem(cell.coordinate, row_id, "kiểu dữ liệu không phải số (ngày, giờ…)")
            )
    if problems:
        raise SubmissionRejected(problems)
    return values
