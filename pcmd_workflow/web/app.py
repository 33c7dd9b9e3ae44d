"""The web application: the coordinator's dashboard and the agencies' portal, in Vietnamese.

``create_app()`` builds one FastAPI application (``pcmd serve`` runs it next to the flows,
``pcmd web`` alone). Pages are Jinja2 templates rendered on the server; the JSON API behind
them lives under ``/api`` and is described at ``/api/openapi.json``. No page loads anything
from another site: CSS and the small form-checking script are vendored in ``static/``.

Errors become Vietnamese pages (or ``{"detail": ...}`` under ``/api``) with the matching
status; an unexpected error is logged with its traceback and shown as a plain apology.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from pcmd_workflow.clock import Clock, SystemClock
from pcmd_workflow.errors import (
    AuthError,
    Conflict,
    NotFound,
    PcmdError,
    SubmissionRejected,
)
from pcmd_workflow.services.tokens import secret_key
from pcmd_workflow.settings import Settings, get_settings
from pcmd_workflow.store import outbox as _outbox  # noqa: F401  (tables on the metadata)
from pcmd_workflow.store import users as _users  # noqa: F401
from pcmd_workflow.store.db import get_engine, make_engine, ready_engine
from pcmd_workflow.web import api, pages_auth, pages_board, pages_portal, pages_task
from pcmd_workflow.web.access import CsrfRejected, LoginRequired, RouteWithoutRule
from pcmd_workflow.web.board import Board
from pcmd_workflow.web.rendering import make_environment, render
from pcmd_workflow.web.security import BodyTooLarge, SecurityHeadersMiddleware, SessionCodec
from pcmd_workflow.web.state import WebState

__all__ = ["STATIC_DIR", "create_app"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_log = logging.getLogger("pcmd.web")

_STATUS_TITLE = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Không thực hiện được",
    413: "Tệp quá lớn",
    422: "Dữ liệu không hợp lệ",
    429: "Thử lại sau",
    500: "Lỗi hệ thống",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _error(
    request: Request, status: int, message: str, *, problems: list[str] | None = None
) -> Response:
    if _is_api(request):
        body: dict[str, Any] = {"detail": message}
        if problems:
            body["problems"] = problems
        return JSONResponse(body, status_code=status)
    try:
        return render(
            request,
            "error.html",
            {
                "title": _STATUS_TITLE.get(status, "Lỗi"),
                "status": status,
                "message": message,
                "problems": problems or [],
            },
            status_code=status,
        )
    except Exception:  # the error page itself failed: plain text, still Vietnamese
        _log.exception("không dựng được trang báo lỗi")
        return Response(
            f"{status} — {message}", status_code=status, media_type="text/plain; charset=utf-8"
        )


def _status_of(exc: PcmdError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AuthError):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, SubmissionRejected):
        return 422
    return 400


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(RouteWithoutRule)
    async def _norule(request: Request, exc: RouteWithoutRule) -> Response:
        _log.error("route without an access rule: %s", request.url.path)
        return _error(request, 403, "đường dẫn này chưa được cấp quyền truy cập")

    @app.exception_handler(PcmdError)
    async def _pcmd(request: Request, exc: PcmdError) -> Response:
        problems = exc.problems if isinstance(exc, SubmissionRejected) else None
        message = "báo cáo chưa được nhận vì có lỗi" if problems else str(exc)
        return _error(request, _status_of(exc), message, problems=problems)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        limit = request.app.state.pcmd.settings.max_upload_bytes
        return _error(request, 413, f"dữ liệu gửi lên vượt giới hạn {limit} byte")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, BodyTooLarge):
            return await _too_large(request, exc.__cause__)
        messages = {
            404: "không có trang này",
            405: "phương thức này không dùng được ở đường dẫn này",
        }
        message = messages.get(exc.status_code, "yêu cầu không hợp lệ")
        return _error(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for err in exc.errors()[:20]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
            problems.append(f"{where or 'dữ liệu'}: {_validation_vi(err)}")
        return _error(request, 422, "dữ liệu gửi lên không hợp lệ", problems=problems)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("lỗi không mong đợi tại %s %s", request.method, request.url.path)
        return _error(
            request,
            500,
            "đã xảy ra lỗi không mong đợi; sự cố đã được ghi lại, xin thử lại sau",
        )


def _validation_vi(err: dict[str, Any]) -> str:
    kind = str(err.get("type", ""))
    if kind == "missing":
        return "thiếu giá trị bắt buộc"
    if kind.startswith(("int", "float")):
        return "phải là số"
    if kind.startswith("date"):
        return "phải là ngày dạng YYYY-MM-DD"
    if kind.startswith("string_too"):
        return "độ dài không hợp lệ"
    if kind == "extra_forbidden":
        return "trường không được phép"
    if kind.startswith(("dict", "model", "json")):
        return "không đúng cấu trúc JSON"
    return "giá trị không hợp lệ"


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The pcmd web application (dashboard, portal, JSON API).

    ``settings`` default to the environment's; ``engine`` to the configured database (its
    schema is created when empty, refused when behind: ``pcmd db upgrade``); ``clock`` to
    the system clock (tests and replays pass a fixed one).
    """
    settings = settings or get_settings()
    if engine is None:
        engine = make_engine(settings.database_url) if settings.database_url else get_engine()
    if migrate:
        ready_engine(engine)
    clock = clock or SystemClock()
    app = FastAPI(
        title="pcmd — API theo dõi chế độ báo cáo phòng, chống mại dâm",
        description=(
            "API JSON của bảng điều khiển và cổng nộp báo cáo. Quyền truy cập của mỗi đường "
            "dẫn ghi ở `x-pcmd-access` (anonymous, agency, coordinator, admin). Mọi yêu cầu "
            "POST cần tiêu đề `X-CSRF-Token` (lấy từ `GET /api/csrf`)."
        ),
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    secret = secret_key()
    app.state.pcmd = WebState(
        settings=settings,
        engine=engine,
        clock=clock,
        secret=secret,
        sessions=SessionCodec(secret),
        templates=make_environment(),
        board=Board(engine=engine, clock=clock),
    )
    app.include_router(pages_auth.router)
    app.include_router(pages_board.router)
    app.include_router(pages_task.router)
    app.include_router(pages_portal.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _install_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware, max_body=settings.max_upload_bytes + 512 * 1024)
    return app
