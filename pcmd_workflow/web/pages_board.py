"""The coordinator's dashboard: overview, matrix, task list and overdue list, with exports.

Every list takes the same filters (plan, cadence, level, status, period, year, unit, search)
and ``?format=csv`` or ``?format=xlsx`` gives the list as a file. A coordinator sees the
plans of their province only; a plan of another province is "not found".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pcmd_workflow.errors import NotFound, PcmdError
from pcmd_workflow.services.tasks import TaskView
from pcmd_workflow.web.access import Access, Coordinator, GuardedRoute, allow, current_user
from pcmd_workflow.web.board import (
    Filters,
    Snapshot,
    build_matrix,
    counts_of,
    overview_by_period,
    overview_by_plan,
    timeliness_by_unit,
    timeliness_over_time,
)
from pcmd_workflow.web.charts import rate_by_unit_svg, rate_over_time_svg
from pcmd_workflow.web.exports import XLSX_TYPE, Column, csv_bytes, download, xlsx_bytes
from pcmd_workflow.web.labels import CADENCE_VI, LEVEL_VI, REVIEW_VI, STATUS_ORDER, STATUS_VI
from pcmd_workflow.web.overdue import overdue_rows
from pcmd_workflow.web.rendering import page_response, render, render_cached
from pcmd_workflow.web.state import web_state

__all__ = [
    "OVERDUE_COLUMNS",
    "OVERVIEW_COLUMNS",
    "TASK_COLUMNS",
    "board_filters",
    "router",
    "task_rows",
]

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)
PAGE_SIZE = 100
#: With more plans than this and no plan chosen, the overview lists plans, not their periods.
MAX_PLANS_BY_PERIOD = 3

TASK_COLUMNS = (
    Column(key="task_id", title="Mã nhiệm vụ", width=10),
    Column(key="plan", title="Kế hoạch", width=22),
    Column(key="unit", title="Đơn vị", width=36),
    Column(key="level", title="Cấp", width=12),
    Column(key="report", title="Báo cáo", width=40),
    Column(key="cadence", title="Định kỳ", width=14),
    Column(key="period", title="Kỳ", width=10),
    Column(key="due_date", title="Hạn nộp", width=12),
    Column(key="status", title="Tình trạng", width=20),
    Column(key="submitted_at", title="Nhận lúc", width=18),
    Column(key="days_late", title="Số ngày làm việc chậm", width=12),
    Column(key="review", title="Duyệt", width=14),
    Column(key="source", title="Nguồn hạn nộp", width=16),
)
OVERVIEW_COLUMNS = (
    Column(key="plan", title="Kế hoạch", width=24),
    Column(key="jurisdiction", title="Địa bàn", width=14),
    Column(key="period", title="Kỳ", width=10),
    Column(key="cadence", title="Định kỳ", width=16),
    Column(key="due_date", title="Hạn nộp", width=12),
    *(Column(key=s, title=STATUS_VI[s], width=12) for s in STATUS_ORDER),
    Column(key="total", title="Tổng số", width=10),
    Column(key="rate", title="Tỷ lệ đúng hạn (%)", width=12),
)
OVERDUE_COLUMNS = (
    Column(key="task_id", title="Mã nhiệm vụ", width=10),
    Column(key="unit", title="Đơn vị", width=36),
    Column(key="report", title="Báo cáo", width=40),
    Column(key="period", title="Kỳ", width=10),
    Column(key="due_date", title="Hạn nộp", width=12),
    Column(key="days_late", title="Số ngày làm việc chậm", width=12),
    Column(key="status", title="Tình trạng", width=20),
    Column(key="rung", title="Mốc nhắc đã đến", width=30),
    Column(key="next", title="Thông báo tiếp theo", width=50),
)


def board_filters(request: Request, snapshot: Snapshot) -> Filters:
    """The filters of the request; the year defaults to the year closest to today."""
    filters = Filters.parse(request.query_params)
    if filters.plan is not None and filters.plan not in snapshot.plans:
        raise NotFound(f"không có kế hoạch «{filters.plan}» trong phạm vi theo dõi của bạn")
    year_param = request.query_params.get("year")
    if year_param is None:
        filters = filters.with_(year=snapshot.default_year(filters.plan))
    return filters


def _export_format(request: Request) -> str | None:
    value = request.query_params.get("format")
    if value in (None, "", "html"):
        return None
    if value not in ("csv", "xlsx"):
        raise PcmdError(f"định dạng «{value[:20]}» không hỗ trợ; chọn csv hoặc xlsx")
    return value


def _export(
    fmt: str,
    *,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
    stem: str,
    heading: str,
    sheet: str,
) -> Response:
    if fmt == "csv":
        return download(
            csv_bytes(columns, rows), filename=f"{stem}.csv", media_type="text/csv; charset=utf-8"
        )
    return download(
        xlsx_bytes(columns, rows, sheet_title=sheet, heading=heading),
        filename=f"{stem}.xlsx",
        media_type=XLSX_TYPE,
    )


def task_rows(snapshot: Snapshot, views: Sequence[TaskView]) -> list[dict[str, Any]]:
    out = []
    for v in views:
        unit = snapshot.unit(v.plan, v.reporter)
        plan = snapshot.plans.get(v.plan)
        out.append(
            {
                "task_id": v.task_id,
                "plan": plan.label if plan else v.plan,
                "unit": unit.name if unit else v.reporter,
                "level": LEVEL_VI.get(unit.level, unit.level) if unit else "",
                "report": snapshot.report_label(v.plan, v.obligation),
                "cadence": CADENCE_VI.get(v.cadence, v.cadence),
                "period": v.period,
                "due_date": v.due_date,
                "status": STATUS_VI[str(v.status)],
                "submitted_at": v.submitted_at,
                "days_late": v.days_late,
                "review": REVIEW_VI.get(str(v.review), "") if v.review else "",
                "source": "mặc định quốc gia" if v.source == "default" else "kế hoạch",
            }
        )
    return out


def _page_key(request: Request, user: Coordinator) -> tuple[Any, ...]:
    """A rendered page is kept per path, query and user, for the life of the snapshot."""
    return (
        "page",
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        user.username,
    )


async def _fast(
    request: Request, user: Coordinator, slow: Callable[[Request, Coordinator], Response]
) -> Response:
    """Serve the page from the snapshot's page cache without a worker thread or a query when
    the snapshot is known fresh; otherwise run ``slow`` (queries, rendering) in a thread."""
    state = web_state(request)
    snapshot = state.board.cached(user.scope)
    if snapshot is not None and _export_format(request) is None:
        key = _page_key(request, user)
        html = snapshot.peek(key)
        if html is not None:
            return page_response(request, snapshot, key, html)
    return await run_in_threadpool(slow, request, user)


def _common(snapshot: Snapshot, filters: Filters, nav: str) -> dict[str, Any]:
    plan = snapshot.plans.get(filters.plan) if filters.plan else None
    if plan is None and len(snapshot.plans) == 1:
        plan = next(iter(snapshot.plans.values()))
    return {
        "nav": nav,
        "snapshot": snapshot,
        "filters": filters,
        "plans": snapshot.plan_list(),
        "years": snapshot.years(filters.plan),
        "periods": snapshot.periods_of(filters.plan, filters.cadence),
        "plan_shown": plan,
        "now": snapshot.as_of,
    }


@router.get("/dashboard", **allow(Access.coordinator))
async def dashboard(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    return await _fast(request, user, _dashboard)


def _dashboard(request: Request, user: Coordinator) -> Response:
    state = web_state(request)
    snapshot = state.board.snapshot(user.scope)
    filters = board_filters(request, snapshot)
    rows = overview_by_period(snapshot, filters)
    fmt = _export_format(request)
    if fmt is not None:
        data = [
            {
                "plan": r.plan.label,
                "jurisdiction": r.plan.jurisdiction,
                "period": r.period,
                "cadence": ", ".join(CADENCE_VI.get(c, c) for c in r.cadences),
                "due_date": r.due_date,
                **r.counts.by_status,
                "total": r.counts.total,
                "rate": None if r.counts.rate is None else round(r.counts.rate * 100, 1),
            }
            for r in rows
        ]
        return _export(
            fmt,
            columns=OVERVIEW_COLUMNS,
            rows=data,
            stem=f"pcmd-tong-quan-{snapshot.today.isoformat()}",
            heading="Tổng quan tình hình nộp báo cáo theo kế hoạch và kỳ",
            sheet="Tổng quan",
        )

    def build() -> tuple[str, dict[str, Any]]:
        many = len(snapshot.plans) > MAX_PLANS_BY_PERIOD and filters.plan is None
        return "dashboard.html", {
            **_common(snapshot, filters, "dashboard"),
            "title": "Tổng quan",
            "totals": counts_of(snapshot.select(filters)),
            "by_plan": overview_by_plan(snapshot, filters) if len(snapshot.plans) > 1 else [],
            "rows": [] if many else rows,
            "rows_hidden": many,
            "chart_units": rate_by_unit_svg(
                timeliness_by_unit(snapshot, filters),
                title="Tỷ lệ nộp đúng hạn theo đơn vị (thấp nhất trước)",
            ),
            "chart_time": rate_over_time_svg(
                timeliness_over_time(snapshot, filters),
                title="Tỷ lệ nộp đúng hạn theo tháng đến hạn",
            ),
        }

    return render_cached(request, snapshot, _page_key(request, user), build)


@router.get("/matrix", **allow(Access.coordinator))
async def matrix(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    return await _fast(request, user, _matrix)


def _matrix(request: Request, user: Coordinator) -> Response:
    state = web_state(request)
    snapshot = state.board.snapshot(user.scope)
    filters = board_filters(request, snapshot)
    if filters.plan is None and snapshot.plans:
        first = snapshot.plan_list()[0].id
        filters = filters.with_(plan=first)
        if request.query_params.get("year") is None:
            filters = filters.with_(year=snapshot.default_year(first))
    fmt = _export_format(request)
    if fmt is not None:
        return _export(
            fmt,
            columns=TASK_COLUMNS,
            rows=task_rows(snapshot, snapshot.select(filters)),
            stem=f"pcmd-ma-tran-{filters.plan or 'tat-ca'}-{snapshot.today.isoformat()}",
            heading="Danh sách nhiệm vụ báo cáo theo bộ lọc của ma trận",
            sheet="Nhiệm vụ",
        )

    def build() -> tuple[str, dict[str, Any]]:
        return "matrix.html", {
            **_common(snapshot, filters, "matrix"),
            "title": "Ma trận đơn vị × kỳ báo cáo",
            "matrix": build_matrix(snapshot, filters),
            "totals": counts_of(snapshot.select(filters)),
        }

    return render_cached(request, snapshot, _page_key(request, user), build)


@router.get("/tasks", **allow(Access.coordinator))
async def tasks(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    return await _fast(request, user, _tasks)


def _tasks(request: Request, user: Coordinator) -> Response:
    state = web_state(request)
    snapshot = state.board.snapshot(user.scope)
    filters = board_filters(request, snapshot)
    views = snapshot.select(filters)
    fmt = _export_format(request)
    if fmt is not None:
        return _export(
            fmt,
            columns=TASK_COLUMNS,
            rows=task_rows(snapshot, views),
            stem=f"pcmd-nhiem-vu-{snapshot.today.isoformat()}",
            heading="Danh sách nhiệm vụ báo cáo",
            sheet="Nhiệm vụ",
        )
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise PcmdError("tham số «page» phải là số trang") from None
    pages = max(1, -(-len(views) // PAGE_SIZE))
    page = min(page, pages)
    shown = views[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def build() -> tuple[str, dict[str, Any]]:
        return "tasks.html", {
            **_common(snapshot, filters, "tasks"),
            "title": "Danh sách nhiệm vụ",
            "rows": list(zip(shown, task_rows(snapshot, shown), strict=True)),
            "total": len(views),
            "page": page,
            "pages": pages,
        }

    return render_cached(request, snapshot, _page_key(request, user), build)


@router.get("/overdue", **allow(Access.coordinator))
def overdue(request: Request, user: Coordinator = Depends(current_user)) -> Response:
    state = web_state(request)
    snapshot = state.board.snapshot(user.scope)
    filters = board_filters(request, snapshot)
    fmt = _export_format(request)
    with state.session() as session:
        rows, total = overdue_rows(session, snapshot, filters, limit=100_000 if fmt else 500)
    if fmt is not None:
        data = [
            {
                "task_id": r.view.task_id,
                "unit": r.unit_name,
                "report": r.report,
                "period": r.view.period,
                "due_date": r.view.due_date,
                "days_late": r.view.days_late,
                "status": STATUS_VI[str(r.view.status)],
                "rung": r.rung_text,
                "next": r.next_text,
            }
            for r in rows
        ]
        return _export(
            fmt,
            columns=OVERDUE_COLUMNS,
            rows=data,
            stem=f"pcmd-qua-han-{snapshot.today.isoformat()}",
            heading="Danh sách báo cáo quá hạn",
            sheet="Quá hạn",
        )
    return render(
        request,
        "overdue.html",
        {
            **_common(snapshot, filters, "overdue"),
            "title": "Báo cáo quá hạn",
            "rows": rows,
            "total": total,
        },
    )
