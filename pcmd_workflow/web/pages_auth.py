"""Logging in and out (coordinators only; agencies use the link of their reminder)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import update
from sqlmodel import Session

from pcmd_workflow.clock import SystemClock
from pcmd_workflow.store.users import check_password, find_user, users_table
from pcmd_workflow.web.access import Access, GuardedRoute, allow, optional_user
from pcmd_workflow.web.rendering import render
from pcmd_workflow.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    hash_fingerprint,
)
from pcmd_workflow.web.state import web_state

__all__ = ["router", "safe_next"]

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)


def safe_next(value: str | None) -> str:
    """A local path to go back to after login (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/dashboard"
    if any(ord(ch) < 32 for ch in value):
        return "/dashboard"
    return value


@router.get("/", **allow(Access.anonymous))
def home(request: Request) -> Response:
    target = "/dashboard" if optional_user(request) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", **allow(Access.anonymous))
def login_page(request: Request, next: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        {"title": "Đăng nhập", "next": safe_next(next), "error": None, "username": ""},
    )


@router.post("/login", **allow(Access.anonymous))
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/dashboard",
) -> Response:
    state = web_state(request)
    client = request.client.host if request.client else "?"
    keys = (f"u:{username.strip().lower()}", f"c:{client}")
    context = {"title": "Đăng nhập", "next": safe_next(next), "username": username}
    if state.throttle.blocked(*keys):
        return render(
            request,
            "login.html",
            {**context, "error": "Đăng nhập sai quá nhiều lần; hãy thử lại sau 15 phút."},
            status_code=429,
        )
    with Session(state.engine) as session:
        user = find_user(session, username) if username.strip() else None
        ok = check_password(user, password)
        if ok and user is not None:
            user.last_login_at = state.clock.now()
            session.add(user)
            session.commit()
            cookie = state.sessions.dumps(
                username=user.username, fingerprint=hash_fingerprint(user.password_hash)
            )
    if not ok:
        state.throttle.failed(*keys)
        return render(
            request,
            "login.html",
            {**context, "error": "Tên đăng nhập hoặc mật khẩu không đúng."},
            status_code=401,
        )
    state.throttle.succeeded(keys[0])
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", **allow(Access.anonymous))
def logout(request: Request) -> Response:
    """End the session: this cookie, and every session of the user opened before now."""
    state = web_state(request)
    raw = request.cookies.get(SESSION_COOKIE)
    found = state.sessions.loads(raw) if raw else None
    if found is not None:
        with state.engine.begin() as conn:
            conn.execute(
                update(users_table)
                .where(users_table.c.username == found[0])
                .values(
                    sessions_after=SystemClock().now().replace(microsecond=0)
                )  # sessions: wall time
            )
        state.users.clear()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response
