"""Helpers shared by the web tests (importable as ``web_support``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from pcmd_workflow.clock import LOCAL_TZ
from pcmd_workflow.services.tokens import make_unit_token

LAO_CAI_PLAN = "lao-cai-142-kh-ubnd-2020"
HA_NOI_PLAN = "ha-noi-255-kh-ubnd-2021"
LC_USER = "canbo.laocai"
HN_USER = "canbo.hanoi"
ADMIN = "quantri"
PASSWORDS = {
    LC_USER: "mat-khau-lao-cai-2020",
    HN_USER: "mat-khau-ha-noi-2021",
    ADMIN: "mat-khau-quan-tri-vien",
}
VAN_BAN = "ubnd-huyen-van-ban"
BAC_HA = "ubnd-huyen-bac-ha"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def local(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=LOCAL_TZ)


def task_id(engine: Engine, key: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT task_id FROM tasks WHERE key = :k"), {"k": key}).scalar()
    assert found is not None, key
    return int(found)


def lao_cai_task(engine: Engine, obligation: str, unit: str) -> int:
    return task_id(engine, f"{LAO_CAI_PLAN}/{obligation}/{unit}/2016-2020")


def csrf_of(client: TestClient) -> str:
    """The CSRF token of this client (its cookie), from the API."""
    return str(client.get("/api/csrf").json()["csrf_token"])


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, username: str) -> TestClient:
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORDS[username], "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def new_client(app: FastAPI, *, user: str | None = None, https: bool = False) -> TestClient:
    client = TestClient(
        app,
        raise_server_exceptions=False,
        base_url="https://testserver" if https else "http://testserver",
    )
    if user is not None:
        login(client, user)
    return client


def portal_token(unit: str, *, now: datetime, plan: str = LAO_CAI_PLAN, days: int = 30) -> str:
    return make_unit_token(plan_id=plan, unit=unit, expires_at=now + timedelta(days=days))


def count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar() or 0)
