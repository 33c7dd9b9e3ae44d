"""Who may use each route: one rule per route, declared where the route is declared.

Every route of the application states its audience with :func:`allow`:

- ``anonymous``: anyone (the login page, static files, the health check, the API schema);
- ``agency``: whoever holds a valid portal token (the link in a reminder,
  :mod:`pcmd_workflow.services.tokens`) — the token's unit and plan only;
- ``coordinator``: a logged-in coordinator (the plans of their province) or administrator;
- ``admin``: an administrator.

The rule is enforced centrally by :class:`GuardedRoute` before the endpoint runs (and before
its body is parsed), together with the CSRF check of every POST. A route without a rule is
refused (deny by default), and ``tests/web/test_access_rules.py`` walks ``app.routes`` so
that a new route without a rule fails the test suite. The rule also appears in the OpenAPI
schema as ``x-pcmd-access``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from pcmd_workflow.errors import AuthError, NotFound, PcmdError
from pcmd_workflow.services.tokens import read_unit_token
from pcmd_workflow.store.users import users_table
from pcmd_workflow.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    csrf_valid,
    hash_fingerprint,
)
from pcmd_workflow.web.state import WebState, web_state

__all__ = [
    "ACCESS_KEY",
    "NON_API_RULES",
    "Access",
    "Agency",
    "Coordinator",
    "CsrfRejected",
    "GuardedRoute",
    "LoginRequired",
    "RouteWithoutRule",
    "allow",
    "current_agency",
    "current_user",
    "optional_user",
    "routes_of",
    "rule_of",
]

ACCESS_KEY = "x-pcmd-access"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Access(StrEnum):
    anonymous = "anonymous"
    agency = "agency"
    coordinator = "coordinator"
    admin = "admin"


#: Rules of the routes that are not API routes (mounted files, FastAPI's schema).
NON_API_RULES: dict[str, Access] = {"static": Access.anonymous, "openapi": Access.anonymous}


class LoginRequired(AuthError):
    """A coordinator page asked without a valid session."""


class CsrfRejected(AuthError):
    """A POST without the CSRF token of its client."""


class RouteWithoutRule(PcmdError):
    """A route that declares no audience (refused: deny by default)."""


@dataclass(frozen=True, kw_only=True)
class Coordinator:
    """A logged-in coordinator: one province (a plan ``jurisdiction``), or every one."""

    username: str
    province: str | None
    is_admin: bool

    @property
    def scope(self) -> str | None:
        """The jurisdiction to filter by (None: every plan)."""
        return None if self.is_admin else self.province

    def sees(self, province: str | None) -> bool:
        return self.is_admin or (province is not None and province == self.province)


@dataclass(frozen=True, kw_only=True)
class Agency:
    """The holder of a portal token: one unit of one plan."""

    plan_id: str
    unit: str
    token: str


def allow(access: Access) -> dict[str, Any]:
    """Route keyword arguments declaring who may use it: ``@router.get(path, **allow(...))``."""
    return {"openapi_extra": {ACCESS_KEY: access.value}}


def routes_of(app: FastAPI) -> list[BaseRoute]:
    """Every route of ``app``, flattened: FastAPI 0.150 keeps included routers as
    ``_IncludedRouter`` entries in ``app.routes``; this gives the routes inside them."""
    return [context.original_route for context in iter_route_contexts(app.routes)]


def rule_of(route: BaseRoute) -> Access | None:
    """The declared audience of ``route`` (None: no rule)."""
    route = getattr(route, "original_route", route)
    if isinstance(route, APIRoute):
        value = (route.openapi_extra or {}).get(ACCESS_KEY)
        try:
            return Access(value) if value is not None else None
        except ValueError:
            return None
    return NON_API_RULES.get(getattr(route, "name", "") or "")


_USER_COLUMNS = (
    users_table.c.username,
    users_table.c.password_hash,
    users_table.c.province,
    users_table.c.is_admin,
    users_table.c.disabled,
    users_table.c.sessions_after,
)


def _session_user(request: Request, state: WebState) -> Coordinator | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    found = state.sessions.loads(raw)
    if found is None:
        return None
    username, fingerprint, issued_at = found
    with state.engine.connect() as conn:  # Core, not the ORM: this runs on every request
        row = conn.execute(select(*_USER_COLUMNS).where(users_table.c.username == username)).first()
    if row is None or row.disabled or hash_fingerprint(row.password_hash) != fingerprint:
        return None
    if row.sessions_after is not None and issued_at < row.sessions_after:
        return None  # logged out since
    user = Coordinator(username=row.username, province=row.province, is_admin=bool(row.is_admin))
    state.users.put(raw, user)
    return user


async def _check_csrf(request: Request, state: WebState) -> None:
    nonce = getattr(request.state, "csrf_nonce", None)
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    if not csrf_valid(nonce, token, secret=state.secret):
        raise CsrfRejected(
            "biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo CSRF); "
            "hãy tải lại trang rồi gửi lại"
        )


def _resolve(request: Request, state: WebState, access: Access) -> None:
    if access is Access.agency:
        token = str(request.path_params.get("token", ""))
        plan_id, unit = read_unit_token(token, now=state.clock.now())
        request.state.agency = Agency(plan_id=plan_id, unit=unit, token=token)
        return
    user = _session_user(request, state)
    request.state.user = user
    _require(access, user)


def _require(access: Access, user: Coordinator | None) -> None:
    if access is Access.anonymous:
        return
    if user is None:
        raise LoginRequired("cần đăng nhập để xem trang này")
    if access is Access.admin and not user.is_admin:
        raise AuthError("trang này chỉ dành cho quản trị viên")


#: the largest id pcmd's integer key columns hold on every engine: they are ``Integer``,
#: 32 bits on PostgreSQL (a larger value makes psycopg raise NumericValueOutOfRange)
_MAX_ID = 2**31 - 1


def _check_numbers(request: Request) -> None:
    """A numeric path segment no database id can have is "not found", not a server error
    (the drivers raise for integers beyond the column's range)."""
    for value in request.path_params.values():
        digits = value.lstrip("-") if isinstance(value, str) else ""
        if digits.isdigit() and (len(digits) > 10 or int(digits) > _MAX_ID):
            raise NotFound(f"không có mục số {value[:24]}")


async def enforce(request: Request, access: Access | None) -> None:
    """Check the route's rule (and the CSRF token of a POST) before the endpoint runs."""
    if access is None:
        raise RouteWithoutRule(f"đường dẫn {request.url.path} chưa khai báo quyền truy cập")
    _check_numbers(request)
    state = web_state(request)
    if request.method not in _SAFE_METHODS:
        await _check_csrf(request, state)
    if access is not Access.agency:
        raw = request.cookies.get(SESSION_COOKIE)
        known = state.users.get(raw) if raw else None
        if known is not None or (access is Access.anonymous and not raw):
            # seen within the freshness interval, or nothing to look up: no worker thread
            request.state.user = known
            _require(access, known)
            return
    await run_in_threadpool(_resolve, request, state, access)


class GuardedRoute(APIRoute):
    """An API route whose declared rule is enforced before its endpoint (see module doc)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        access = rule_of(self)

        async def guarded(request: Request) -> Response:
            await enforce(request, access)
            return await handler(request)

        return guarded


async def current_user(request: Request) -> Coordinator:
    """The coordinator of a ``coordinator``/``admin`` route (set by the guard)."""
    user = getattr(request.state, "user", None)
    if not isinstance(user, Coordinator):
        raise LoginRequired("cần đăng nhập để xem trang này")
    return user


def optional_user(request: Request) -> Coordinator | None:
    user = getattr(request.state, "user", None)
    return user if isinstance(user, Coordinator) else None


async def current_agency(request: Request) -> Agency:
    """The token holder of an ``agency`` route (set by the guard)."""
    agency = getattr(request.state, "agency", None)
    if not isinstance(agency, Agency):
        raise AuthError("liên kết không hợp lệ")
    return agency
