"""Coordinator login: Argon2 passwords, signed session cookies with the right flags, CSRF on
every form, throttling, and sessions that end with logout or a password change."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_support import ADMIN, LC_USER, PASSWORDS, count, csrf_of, login, new_client

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.store.db import session_scope
from pcmd_workflow.store.users import find_user, set_password
from pcmd_workflow.web.security import SESSION_COOKIE


def test_stored_password_is_an_argon2_hash(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = find_user(session, LC_USER)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORDS[LC_USER] not in user.password_hash
    assert count(engine, "SELECT count(*) FROM audit_log WHERE entity = 'user'") == 3
    assert count(engine, "SELECT count(*) FROM audit_log WHERE after LIKE '%mat-khau%'") == 0


def test_login_sets_a_protected_session_cookie(app: FastAPI) -> None:
    client = new_client(app)
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": LC_USER, "password": PASSWORDS[LC_USER], "csrf_token": token,
              "next": "/overdue?year=2020"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/overdue?year=2020"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http (loopback)
    assert client.get("/api/me").json() == {
        "username": LC_USER,
        "province": "lao-cai",
        "admin": False,
    }


def test_session_cookie_is_secure_over_https(app: FastAPI) -> None:
    client = new_client(app, https=True)
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": ADMIN, "password": PASSWORDS[ADMIN], "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]
    assert "HttpOnly" in answer.headers["set-cookie"]


def test_wrong_password_and_unknown_user_are_refused_alike(app: FastAPI) -> None:
    client = new_client(app)
    token = csrf_of(client)
    for username, password in ((LC_USER, "sai-mat-khau-roi"), ("khong-ai", "sai-mat-khau-roi")):
        answer = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        assert answer.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert client.get("/api/me").status_code == 401


def test_login_is_throttled_after_five_failures(app: FastAPI) -> None:
    client = new_client(app)
    token = csrf_of(client)
    for _ in range(5):
        client.post("/login", data={"username": LC_USER, "password": "x" * 12, "csrf_token": token})
    answer = client.post(
        "/login", data={"username": LC_USER, "password": PASSWORDS[LC_USER], "csrf_token": token}
    )
    assert answer.status_code == 429
    assert "thử lại sau 15 phút" in answer.text


def test_login_form_needs_its_csrf_token(app: FastAPI) -> None:
    client = new_client(app)
    answer = client.post("/login", data={"username": LC_USER, "password": PASSWORDS[LC_USER]})
    assert answer.status_code == 403
    assert "CSRF" in answer.text
    other = new_client(app)  # a token made for another client's cookie does not work
    answer = client.post(
        "/login",
        data={"username": LC_USER, "password": PASSWORDS[LC_USER], "csrf_token": csrf_of(other)},
    )
    assert answer.status_code == 403


def test_next_never_leaves_the_site(app: FastAPI) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        client = new_client(app)
        answer = client.post(
            "/login",
            data={"username": LC_USER, "password": PASSWORDS[LC_USER],
                  "csrf_token": csrf_of(client), "next": target},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.headers["location"] == "/dashboard"


def test_pages_redirect_to_login_and_api_answers_401(client: TestClient) -> None:
    answer = client.get("/overdue?plan=x", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Foverdue%3Fplan%3Dx"
    assert client.get("/api/tasks").status_code == 401
    assert client.get("/api/tasks").json()["detail"] == "cần đăng nhập để xem trang này"


def test_tampered_session_cookie_is_ignored(app: FastAPI) -> None:
    client = login(new_client(app), LC_USER)
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("xx" if not value.endswith("xx") else "yy"))
    assert client.get("/api/me").status_code == 401


def test_logout_ends_the_session(app: FastAPI) -> None:
    client = login(new_client(app), LC_USER)
    other_device = login(new_client(app), LC_USER)
    stolen = client.cookies[SESSION_COOKIE]
    time.sleep(1.05)  # sessions are stamped to the second
    answer = client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert answer.status_code == 303
    assert f'{SESSION_COOKIE}=""' in answer.headers["set-cookie"]
    assert client.get("/api/me").status_code == 401
    # the cookie is refused even if replayed, and so are the user's other open sessions
    replay = new_client(app)
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/api/me").status_code == 401
    assert other_device.get("/api/me").status_code == 401
    assert login(new_client(app), LC_USER).get("/api/me").status_code == 200


def test_password_change_ends_open_sessions(
    app: FastAPI, engine: Engine, clock: FixedClock
) -> None:
    client = login(new_client(app), LC_USER)
    assert client.get("/api/me").status_code == 200
    with session_scope(engine) as session:
        set_password(
            session, username=LC_USER, password="mat-khau-moi-2020", clock=clock, actor="test"
        )
    time.sleep(app.state.pcmd.users.seconds)  # a resolved session is trusted that long
    assert client.get("/api/me").status_code == 401
