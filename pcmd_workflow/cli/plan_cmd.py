"""``pcmd plan check|show|deadlines``: plans as code, read, explained and dated.

- ``check FILE...``: every problem of every file as ``FILE:LINE: field.path: …`` on stderr
  and exit 2; else one summary line per file and its warnings, exit 0.
- ``show FILE``: who reports what to whom and when, in Vietnamese.
- ``deadlines FILE... --from D --to D``: one row per obligation × reporter × period whose
  due date falls in the range (CONTRACTS; columns :data:`DEADLINE_COLUMNS`).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from pcmd_workflow.cli.app import OutputFormat, emit, parse_day, plan_app
from pcmd_workflow.domain.deadlines import DEADLINE_COLUMNS, DeadlineRow, plan_deadlines
from pcmd_workflow.domain.defaults import national_defaults
from pcmd_workflow.domain.due_rules import parse_due_rule
from pcmd_workflow.domain.periods import Cadence, parse_period
from pcmd_workflow.domain.plan import Obligation, Plan, Target
from pcmd_workflow.domain.plan_loader import CheckResult, check_plan_file
from pcmd_workflow.domain.vn_dates import format_short
from pcmd_workflow.errors import CalendarError, Located, PlanValidationError

__all__ = ["CADENCE_VI", "describe_due", "plan_check", "plan_deadlines_cmd", "plan_show"]

#: How a cadence is said in Vietnamese administrative texts.
CADENCE_VI: dict[Cadence, str] = {
    Cadence.monthly: "hằng tháng",
    Cadence.quarterly: "hằng quý",
    Cadence.semiannual: "6 tháng",
    Cadence.ninemonth: "9 tháng",
    Cadence.annual: "hằng năm",
    Cadence.summary: "sơ kết, tổng kết (một lần)",
    Cadence.adhoc: "đột xuất",
    Cadence.flash: "báo cáo nhanh",
    Cadence.unscheduled: "không định kỳ (kế hoạch không nêu kỳ, hạn)",
}
_POLICY_VI = {
    "next_working_day": "trùng ngày nghỉ thì chuyển sang ngày làm việc kế tiếp",
    "previous_working_day": "trùng ngày nghỉ thì lùi về ngày làm việc liền trước",
    "none": "không dời khi trùng ngày nghỉ",
}
_COMPARATOR = {">=": "≥", ">": ">", "=": "=", "<=": "≤"}


# ---- check ----------------------------------------------------------------------------------


def _summary(result: CheckResult) -> str:
    plan = result.plan
    assert plan is not None
    rows = sum(len(f.rows) for f in plan.forms)
    return (
        f"{result.path}: hợp lệ — {len(plan.units)} đơn vị, {len(plan.obligations)} nghĩa vụ "
        f"báo cáo, {len(plan.targets)} chỉ tiêu, {rows} dòng biểu mẫu"
    )


def _warning_line(warning: Located) -> str:
    where = f"{warning.file}:{warning.line}" if warning.line is not None else warning.file
    field = f" {warning.field}:" if warning.field else ""
    return f"{where}:{field} cảnh báo: {warning.message}"


@plan_app.command("check")
def plan_check(
    files: Annotated[list[Path], typer.Argument(help="Plan files (calendars/*.yaml).")],
) -> None:
    """Validate plan files: every error with its line, or a summary line and warnings."""
    problems: list[Located] = []
    for path in files:
        result = check_plan_file(path)
        if not result.ok:
            problems.extend(result.problems)
            continue
        sys.stdout.write(_summary(result) + "\n")
        for warning in result.warnings:
            sys.stdout.write(_warning_line(warning) + "\n")
    if problems:
        raise PlanValidationError(problems)


def _load(path: Path) -> Plan:
    result = check_plan_file(path)
    if result.plan is None:
        raise PlanValidationError(result.problems)
    return result.plan


# ---- show -----------------------------------------------------------------------------------


def _day_month(day: int, month: int, year: int | None) -> str:
    return f"{day}/{month}" + (f"/{year}" if year is not None else "")


def describe_due(plan: Plan, obligation: Obligation) -> str:
    """The obligation's due rule in Vietnamese words, with its source and day-off policy."""
    cadence = obligation.cadence
    if cadence is Cadence.adhoc:
        return "theo văn bản yêu cầu báo cáo đột xuất (hạn ghi trong yêu cầu)"
    if cadence is Cadence.flash:
        hours = national_defaults().flash_due_hours
        return f"{hours} giờ sau khi có yêu cầu (mặc định)"
    if cadence is Cadence.unscheduled:
        return "chưa có hạn — cần quyết định của cơ quan thường trực"
    text = obligation.due or national_defaults().for_cadence(cadence).due_rule
    if text is None:  # pragma: no cover - every recurring cadence has a national default
        return "chưa có hạn"
    rule = parse_due_rule(text)
    inclusive = obligation.inclusive or plan.defaults.inclusive
    if rule.kind in ("before", "by") and rule.day and rule.month:
        named = _day_month(rule.day, rule.month, rule.year)
        if rule.kind == "before" and not inclusive:
            last = date(rule.year or 2000, rule.month, rule.day) - timedelta(days=1)
            words = f"trước ngày {named} (ngày cuối: {_day_month(last.day, last.month, None)})"
        elif rule.kind == "before":
            words = f"trước ngày {named}, tính cả ngày {named}"
        else:
            words = f"chậm nhất ngày {named}"
    elif rule.kind == "fixed" and rule.day and rule.month and rule.year:
        words = f"ngày {_day_month(rule.day, rule.month, rule.year)}"
    else:
        unit = "ngày làm việc" if rule.working_days else "ngày"
        words = f"{rule.offset} {unit} sau ngày chốt số liệu"
    if obligation.due is None:
        source = f"mặc định quốc gia — {national_defaults().for_cadence(cadence).due_source}"
    elif obligation.due_source == "default":
        source = "mặc định, kế hoạch không nêu hạn này"
    else:
        source = "theo kế hoạch"
    policy = _POLICY_VI[obligation.policy or plan.defaults.policy]
    return f"{words}; {policy} ({source})"


def _names(plan: Plan, slugs: list[str]) -> str:
    out = []
    for slug in slugs:
        unit, group = plan.unit(slug), plan.group(slug)
        out.append(unit.name if unit else group.name if group else slug)
    return "; ".join(out)


def _party(plan: Plan, slug: str, obligation: str) -> str:
    """A recipient or via unit, with the successors that take it over."""
    name = _names(plan, [slug])
    unit = plan.unit(slug)
    steps = [
        f"từ {format_short(step.from_)}: {_names(plan, step.to)}"
        for step in (unit.succeeded if unit else [])
        if step.obligations is None or obligation in step.obligations
    ]
    return name + (f" ({'; '.join(steps)})" if steps else "")


def _reporter_lines(plan: Plan, obligation: Obligation) -> list[str]:
    day = max(plan.validity.start, obligation.starts or plan.validity.start)
    units = {
        u.slug: u
        for entry in obligation.reporters
        for u in plan.expand(entry, on=day, obligation=obligation.id)
    }
    lines = [f"  Đơn vị báo cáo: {_names(plan, obligation.reporters)}"]
    if units and list(units) != obligation.reporters:
        listed = "; ".join(u.name for u in units.values())
        lines.append(f"    gồm {len(units)} đơn vị ngày {format_short(day)}: {listed}")
    elif not units:
        lines.append(f"    chưa có đơn vị nào ngày {format_short(day)} (nhóm chưa liệt kê đơn vị)")
    changes: list[str] = []
    ending: dict[date, int] = {}
    for unit in units.values():
        for step in unit.succeeded:
            if step.obligations is None or obligation.id in step.obligations:
                changes.append(
                    f"từ {format_short(step.from_)}: {unit.name} → {_names(plan, step.to)}"
                )
        if unit.active_until is not None:
            ending[unit.active_until] = ending.get(unit.active_until, 0) + 1
    for until, count in sorted(ending.items()):
        changes.append(f"{count} đơn vị thôi hoạt động sau {format_short(until)}")
    if changes:
        lines.append(f"    thay đổi: {'; '.join(changes)}")
    return lines


def _obligation_block(plan: Plan, obligation: Obligation) -> list[str]:
    title = obligation.title or "Nghĩa vụ báo cáo"
    lines = [f"[{obligation.id}] {title} ({obligation.where})"]
    lines.extend(_reporter_lines(plan, obligation))
    recipient = _party(plan, obligation.recipient, obligation.id)
    via = f", qua {_party(plan, obligation.via, obligation.id)}" if obligation.via else ""
    lines.append(f"  Gửi: {recipient}{via}")
    cadence = CADENCE_VI[obligation.cadence]
    if obligation.cadence is Cadence.semiannual:
        halves = obligation.halves or ["H1"]
        cadence += (
            " ("
            + ", ".join("6 tháng đầu năm" if h == "H1" else "6 tháng cuối năm" for h in halves)
            + ")"
        )
    lines.append(f"  Kỳ báo cáo: {cadence}")
    for label in obligation.periods or []:
        period = parse_period(label)
        start = obligation.cutoff_start or period.cutoff.start
        end = obligation.cutoff_end or period.cutoff.end
        lines.append(
            f"    kỳ {period.label}: số liệu từ {format_short(start)} đến {format_short(end)}"
        )
    lines.append(f"  Hạn: {describe_due(plan, obligation)}")
    lines.append(f"  Trích dẫn ({obligation.where}): «{obligation.clause}»")
    return lines


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def _target_line(plan: Plan, target: Target) -> str:
    suffix = {"percent": "%", "increase_rate": "%", "frequency": " lần"}.get(target.metric, "")
    if target.comparator == "range":
        value = f"từ {_number(target.value)} đến {_number(target.value_max)}{suffix}"
    else:
        value = f"{_COMPARATOR[target.comparator]} {_number(target.value)}{suffix}"
    when = "hằng năm" if target.yearly else (f"đến {target.year}" if target.year else "")
    who = f"; phụ trách: {_names(plan, target.responsible)}" if target.responsible else ""
    head = " ".join(part for part in (f"[{target.id}]", value, when) if part)
    return f"{head} ({target.where}){who}\n  «{target.text}»"


@plan_app.command("show")
def plan_show(file: Annotated[Path, typer.Argument(help="A plan file.")]) -> None:
    """A readable Vietnamese summary: who reports what to whom and when, and the targets."""
    plan = _load(file)
    end = format_short(plan.validity.end) if plan.validity.end else "không xác định"
    outside = sum(1 for u in plan.units if u.outside_seeds)
    rows = sum(len(f.rows) for f in plan.forms)
    out = [
        f"{plan.type} {plan.number} ngày {format_short(plan.issued)} — {plan.issuer}",
        plan.title,
        f"Hiệu lực: từ {format_short(plan.validity.start)} đến {end}",
        f"Mã kế hoạch: {plan.id}" + (f"; văn bản gốc: {plan.source}" if plan.source else ""),
        f"{len(plan.units)} đơn vị ({outside} bổ sung ngoài văn bản), {len(plan.groups)} nhóm, "
        f"{len(plan.obligations)} nghĩa vụ báo cáo, {len(plan.targets)} chỉ tiêu, "
        f"{rows} dòng biểu mẫu",
        "",
        "NGHĨA VỤ BÁO CÁO",
    ]
    for obligation in plan.obligations:
        out.append("")
        out.extend(_obligation_block(plan, obligation))
    if plan.targets:
        out.extend(["", "CHỈ TIÊU"])
        out.extend(_target_line(plan, t) for t in plan.targets)
    if plan.forms:
        out.extend(["", "BIỂU MẪU"])
        out.extend(f"[{f.id}] {f.title}: {len(f.rows)} dòng" for f in plan.forms)
    sys.stdout.write("\n".join(out) + "\n")


# ---- deadlines ------------------------------------------------------------------------------


@plan_app.command("deadlines")
def plan_deadlines_cmd(
    files: Annotated[list[Path], typer.Argument(help="Plan files (calendars/*.yaml).")],
    date_from: Annotated[str, typer.Option("--from", help="First due date, YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last due date, YYYY-MM-DD.")],
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
    until_year: Annotated[
        int | None, typer.Option("--until-year", help="Last year of an open-ended plan.")
    ] = None,
) -> None:
    """Every deadline (obligation × reporter × period) whose due date is in the range."""
    start = parse_day(date_from, option="--from")
    end = parse_day(date_to, option="--to")
    if end < start:
        raise CalendarError(f"--to {end} is before --from {start}")
    problems: list[Located] = []
    plans: list[Plan] = []
    for path in files:
        result = check_plan_file(path)
        if result.plan is None:
            problems.extend(result.problems)
        else:
            plans.append(result.plan)
    if problems:
        raise PlanValidationError(problems)
    rows: list[DeadlineRow] = []
    for plan in plans:
        rows.extend(plan_deadlines(plan, start=start, end=end, until_year=until_year))
    rows.sort(key=lambda r: (r.due_date, r.reporter, r.plan_id, r.obligation, r.period_start))
    unverified = sorted({r.due_date.year for r in rows if not r.verified})
    for year in unverified:
        print(
            f"pcmd: cảnh báo: lịch ngày làm việc năm {year} chưa được rà soát; hạn có thể "
            f"thay đổi khi có thông báo hoán đổi ngày làm việc (warning: calendar data for "
            f"{year} not reviewed)",
            file=sys.stderr,
        )
    # CONTRACTS: JSON outputs carry "verified" (false for a year without reviewed swap data).
    as_json = OutputFormat(fmt) is OutputFormat.json
    emit(
        [{**r.as_dict(), "verified": r.verified} if as_json else r.as_dict() for r in rows],
        fmt,
        columns=DEADLINE_COLUMNS,
    )
