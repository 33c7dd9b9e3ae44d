"""Jinja2 pages: one autoescaping environment and the context every page shares.

Every page extends ``base.html`` (``<html lang="vi">``, ``<meta charset="utf-8">``, a skip
link, the product name «pcmd» and the plan shown). All free text is autoescaped; the only
pre-rendered HTML pages include is the compilation fragment and the SVG charts, both built
by autoescaping code.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pcmd_workflow.domain.vn_dates import format_long_vi
from pcmd_workflow.web.access import optional_user
from pcmd_workflow.web.labels import (
    ACTION_VI,
    CADENCE_VI,
    CHANNEL_VI,
    LEVEL_VI,
    NOTICE_STATUS_VI,
    REVIEW_VI,
    STATUS_ORDER,
    STATUS_SYMBOL,
    STATUS_VI,
    day_vi,
    instant_vi,
    long_day_vi,
)
from pcmd_workflow.web.security import csrf_token_for
from pcmd_workflow.web.state import web_state

__all__ = [
    "CSRF_PLACEHOLDER",
    "PRODUCT",
    "TEMPLATES_DIR",
    "make_environment",
    "page_response",
    "render",
    "render_cached",
    "render_text",
]

PRODUCT = "pcmd"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def _kv(value: Any) -> str:
    """An audit ``before``/``after`` mapping as ``key: value; …`` (long values cut)."""
    if not value:
        return ""
    if not isinstance(value, dict):
        return str(value)[:300]
    parts = []
    for key, item in value.items():
        text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False)
        parts.append(f"{key}: {text}")
    joined = "; ".join(parts)
    return joined if len(joined) <= 400 else joined[:399] + "…"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        day=day_vi,
        longday=long_day_vi,
        instant=instant_vi,
        longdate=lambda d: "" if d is None else format_long_vi(d),
        number=_number,
        kv=_kv,
        status_vi=lambda s: STATUS_VI.get(str(s), str(s)),
        review_vi=lambda s: "" if s is None else REVIEW_VI.get(str(s), str(s)),
        cadence_vi=lambda s: CADENCE_VI.get(str(s), str(s)),
        level_vi=lambda s: LEVEL_VI.get(str(s), str(s)),
        action_vi=lambda s: ACTION_VI.get(str(s), str(s)),
        channel_vi=lambda s: CHANNEL_VI.get(str(s), str(s)),
        notice_status_vi=lambda s: NOTICE_STATUS_VI.get(str(s), str(s)),
    )
    env.globals.update(
        PRODUCT=PRODUCT,
        STATUS_ORDER=STATUS_ORDER,
        STATUS_VI=STATUS_VI,
        STATUS_SYMBOL=STATUS_SYMBOL,
        CADENCE_VI=CADENCE_VI,
        LEVEL_VI=LEVEL_VI,
    )
    return env


_GZIP_MIN = 8192
#: Stands for the client's CSRF token in a page kept in the page cache.
CSRF_PLACEHOLDER = "__pcmd_csrf_token__"


def _csrf(request: Request) -> str:
    state = web_state(request)
    nonce = str(getattr(request.state, "csrf_nonce", "") or "")
    return csrf_token_for(nonce, secret=state.secret) if nonce else ""


def render_text(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    csrf_token: str | None = None,
) -> str:
    """The page as text (``csrf_token`` defaults to this client's)."""
    state = web_state(request)
    page: dict[str, Any] = {
        "request_path": request.url.path,
        "user": optional_user(request),
        "csrf_token": _csrf(request) if csrf_token is None else csrf_token,
        "now": state.clock.now(),
        "plan_shown": None,
        "nav": "",
        "title": PRODUCT,
    }
    page.update(context or {})
    return state.templates.get_template(template).render(page)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the shared context (user, CSRF token, clock, plan shown)."""
    return HTMLResponse(render_text(request, template, context), status_code=status_code)


def render_cached(
    request: Request,
    cache: Any,
    key: Any,
    build: Callable[[], tuple[str, dict[str, Any]]],
) -> Response:
    """A page kept in ``cache`` (a snapshot's memo) under ``key``, rendered once per snapshot
    with a placeholder for the CSRF token, which is put in for each client."""

    def make() -> str:
        template, context = build()
        return render_text(request, template, context, csrf_token=CSRF_PLACEHOLDER)

    html: str = cache.memo(key, make)
    return page_response(request, cache, key, html)


def page_response(request: Request, cache: Any, key: Any, html: str) -> Response:
    """A cached page with this client's CSRF token put in; gzipped (and the compressed bytes
    kept per client) when the client accepts it and the page is large."""
    token = _csrf(request)
    if "gzip" not in request.headers.get("accept-encoding", "") or len(html) < _GZIP_MIN:
        return HTMLResponse(html.replace(CSRF_PLACEHOLDER, token))

    def compress() -> bytes:
        data = html.replace(CSRF_PLACEHOLDER, token).encode("utf-8")
        return gzip.compress(data, compresslevel=1, mtime=0)

    body: bytes = cache.memo((*key, "gzip", token), compress)
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={"content-encoding": "gzip", "vary": "Accept-Encoding"},
    )
