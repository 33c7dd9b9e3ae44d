"""Every page: Vietnamese, UTF-8, accessible (labels, skip link, focus styles), the product
name and the plan shown; security headers; errors as Vietnamese pages; no CDN; the API
schema."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_support import LC_USER, VAN_BAN, csrf_of, lao_cai_task, new_client, portal_token

WEB = Path(__file__).resolve().parents[2] / "pcmd_workflow" / "web"


class _Form(HTMLParser):
    """Collects the controls of a page and the ``for`` of its labels."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)


def _pages(app: FastAPI, engine: Engine, now: datetime) -> dict[str, tuple[TestClient, str]]:
    anon = new_client(app)
    lc = new_client(app, user=LC_USER)
    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    token = portal_token(VAN_BAN, now=now)
    return {
        "login": (anon, "/login"),
        "dashboard": (lc, "/dashboard"),
        "matrix": (lc, "/matrix"),
        "tasks": (lc, "/tasks"),
        "overdue": (lc, "/overdue"),
        "task": (lc, f"/tasks/{task}"),
        "compilation": (lc, "/compilations/lao-cai-142-kh-ubnd-2020/iii2-summary/2016-2020"),
        "portal": (anon, f"/portal/{token}"),
        "portal-task": (anon, f"/portal/{token}/tasks/{task}"),
        "not-found": (lc, "/khong-co-trang-nay"),
        "bad-token": (anon, "/portal/abc/tasks/1"),
    }


def test_every_page_is_vietnamese_utf8_and_accessible(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    for name, (client, path) in _pages(app, engine, now).items():
        answer = client.get(path)
        html = answer.text
        assert answer.headers["content-type"] == "text/html; charset=utf-8", name
        assert html.startswith('<!doctype html>\n<html lang="vi">'), name
        assert '<meta charset="utf-8">' in html, name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert '<a class="skip-link" href="#main">Bỏ qua, đến nội dung chính</a>' in html, name
        assert '<main id="main" tabindex="-1">' in html, name
        assert re.search(r"<title>[^<]+ — pcmd</title>", html), name
        assert '<span class="product">pcmd</span>' in html or ">pcmd</a>" in html, name
        assert "Traceback" not in html and 'File "' not in html, name
        parser = _Form()
        parser.feed(html)
        unlabelled = [c for c in parser.controls if c.get("id") not in parser.labels]
        assert unlabelled == [], (name, unlabelled)
        assert len(parser.ids) == len(set(parser.ids)), (name, "duplicate ids")


def test_pages_show_the_plan(app: FastAPI, engine: Engine, now: datetime) -> None:
    for name in ("dashboard", "matrix", "task", "portal", "portal-task"):
        client, path = _pages(app, engine, now)[name]
        html = client.get(path).text
        assert "<strong>Kế hoạch số 142/KH-UBND</strong>" in html, name
        assert "Kế hoạch tổng kết 05 năm thực hiện Chương trình phòng, chống tệ nạn mại dâm" in html


def test_security_headers(app: FastAPI) -> None:
    answer = new_client(app).get("/login")
    headers = answer.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    cookie = headers["set-cookie"]
    assert cookie.startswith("pcmd_csrf=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_errors_are_vietnamese_pages(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client = new_client(app, user=LC_USER)
    missing = client.get("/khong-co-trang-nay")
    assert missing.status_code == 404
    assert "<title>Không tìm thấy — pcmd</title>" in missing.text
    assert "Không có trang này" in missing.text
    assert client.get("/api/khong-co").json() == {"detail": "không có trang này"}
    wrong = client.delete("/dashboard")
    assert wrong.status_code == 405
    assert "Phương thức này không dùng được ở đường dẫn này" in wrong.text

    def explode(scope: str | None) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app.state.pcmd.board, "snapshot", explode)
    broken = client.get("/dashboard")
    assert broken.status_code == 500
    assert "<title>Lỗi hệ thống — pcmd</title>" in broken.text
    assert "Đã xảy ra lỗi không mong đợi" in broken.text
    assert "secret internal detail" not in broken.text
    assert "RuntimeError" not in broken.text
    api = client.get("/api/overview")
    assert api.status_code == 500
    assert "secret" not in api.text


def test_free_text_is_escaped_everywhere(
    app: FastAPI, engine: Engine, now: datetime, clock: object
) -> None:
    from pcmd_workflow.services.submissions import extend
    from pcmd_workflow.store.db import session_scope

    task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    evil = '<img src=x onerror="alert(1)">'
    with session_scope(engine) as session:
        extend(session, task_id=task, to=now.date().replace(day=20), reason=evil,
               clock=clock, by=f"cán bộ {evil}")  # type: ignore[arg-type]  # fmt: skip
    client = new_client(app, user=LC_USER)
    for path in (f"/tasks/{task}", f"/tasks?q={evil}", f"/matrix?q={evil}"):
        html = client.get(path).text
        assert "<img src=x" not in html, path
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in client.get(f"/tasks/{task}").text


def test_oversize_body_is_refused_early(app: FastAPI) -> None:
    client = new_client(app)
    answer = client.post(
        "/login",
        content=b"x" * (11 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "Tệp quá lớn" in answer.text


def test_openapi_schema_documents_the_api_only(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = set(schema["paths"])
    assert "/api/overview" in paths and "/api/portal/{token}/tasks/{task_id}/submit" in paths
    assert all(p.startswith("/api/") for p in paths)
    assert schema["info"]["title"].startswith("pcmd")
    assert client.get("/docs").status_code == 404  # no page that would load a CDN script


def test_nothing_is_loaded_from_another_site() -> None:
    for path in [*(WEB / "templates").glob("*.html"), *(WEB / "static").iterdir()]:
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:src|href)=["'](https?:)?//""", text):
            pytest.fail(f"{path.name}: external resource {url}")
        assert "cdn" not in text.lower(), path.name


def test_static_files_and_focus_styles(client: TestClient) -> None:
    css = client.get("/static/pcmd.css")
    assert css.status_code == 200
    assert ":focus-visible" in css.text and ".skip-link:focus" in css.text
    assert "@media (min-width: 40rem)" in css.text  # phone first, wider screens after
    js = client.get("/static/portal.js")
    assert js.status_code == 200
    assert "tỷ lệ phần trăm phải trong khoảng 0–100" in js.text


def test_health_and_csrf_endpoints(client: TestClient) -> None:
    assert client.get("/api/health").json() == {
        "status": "ok",
        "product": "pcmd",
        "now": "2020-07-08T09:00:00+07:00",
    }
    assert len(csrf_of(client)) == 40
