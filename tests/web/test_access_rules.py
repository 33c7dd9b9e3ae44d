"""Every route declares who may use it, and the rule holds for every kind of visitor.

The cases are generated from ``app.routes``: a new route without a rule, or with a path
parameter this file does not know how to fill, fails here until it is described.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from web_support import (
    ADMIN,
    BAC_HA,
    HN_USER,
    LC_USER,
    VAN_BAN,
    csrf_of,
    lao_cai_task,
    new_client,
    portal_token,
)

from pcmd_workflow.web.access import Access, routes_of, rule_of

#: The rule each route must have (method, path) → audience: a new route must be added here.
EXPECTED_RULES: dict[tuple[str, str], Access] = {
    ("GET", "/"): Access.anonymous,
    ("GET", "/login"): Access.anonymous,
    ("POST", "/login"): Access.anonymous,
    ("POST", "/logout"): Access.anonymous,
    ("GET", "/dashboard"): Access.coordinator,
    ("GET", "/matrix"): Access.coordinator,
    ("GET", "/tasks"): Access.coordinator,
    ("GET", "/overdue"): Access.coordinator,
    ("GET", "/tasks/{task_id}"): Access.coordinator,
    ("POST", "/tasks/{task_id}/accept"): Access.coordinator,
    ("POST", "/tasks/{task_id}/return"): Access.coordinator,
    ("POST", "/tasks/{task_id}/extend"): Access.coordinator,
    ("POST", "/tasks/{task_id}/excuse"): Access.coordinator,
    ("POST", "/tasks/{task_id}/remind"): Access.coordinator,
    ("GET", "/tasks/{task_id}/versions/{version}"): Access.coordinator,
    ("GET", "/compilations/{plan_id}/{obligation}/{period}"): Access.coordinator,
    ("POST", "/compilations/{plan_id}/{obligation}/{period}/save"): Access.coordinator,
    (
        "GET",
        "/compilations/{plan_id}/{obligation}/{period}/files/{compilation_id}/{kind}",
    ): Access.coordinator,
    ("GET", "/admin/users"): Access.admin,
    ("GET", "/portal/{token}"): Access.agency,
    ("GET", "/portal/{token}/tasks/{task_id}"): Access.agency,
    ("POST", "/portal/{token}/tasks/{task_id}/values"): Access.agency,
    ("POST", "/portal/{token}/tasks/{task_id}/upload"): Access.agency,
    ("GET", "/portal/{token}/tasks/{task_id}/template.xlsx"): Access.agency,
    ("GET", "/portal/{token}/receipts/{receipt_no}"): Access.agency,
    ("GET", "/api/health"): Access.anonymous,
    ("GET", "/api/csrf"): Access.anonymous,
    ("GET", "/api/me"): Access.coordinator,
    ("GET", "/api/plans"): Access.coordinator,
    ("GET", "/api/overview"): Access.coordinator,
    ("GET", "/api/tasks"): Access.coordinator,
    ("GET", "/api/matrix"): Access.coordinator,
    ("GET", "/api/overdue"): Access.coordinator,
    ("GET", "/api/tasks/{task_id}"): Access.coordinator,
    ("POST", "/api/tasks/{task_id}/accept"): Access.coordinator,
    ("POST", "/api/tasks/{task_id}/return"): Access.coordinator,
    ("POST", "/api/tasks/{task_id}/extend"): Access.coordinator,
    ("POST", "/api/tasks/{task_id}/excuse"): Access.coordinator,
    ("POST", "/api/tasks/{task_id}/remind"): Access.coordinator,
    ("GET", "/api/users"): Access.admin,
    ("GET", "/api/portal/{token}/tasks"): Access.agency,
    ("GET", "/api/portal/{token}/tasks/{task_id}"): Access.agency,
    ("POST", "/api/portal/{token}/tasks/{task_id}/check"): Access.agency,
    ("POST", "/api/portal/{token}/tasks/{task_id}/submit"): Access.agency,
}
#: Path parameters the cases know how to fill (see ``_fill``).
KNOWN_PARAMS = {
    "task_id",
    "token",
    "version",
    "plan_id",
    "obligation",
    "period",
    "compilation_id",
    "kind",
    "receipt_no",
}
VISITORS = (
    "anonymous",
    "agency_a",
    "agency_tampered",
    "agency_expired",
    "lao_cai",
    "ha_noi",
    "admin",
)


def _endpoints(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for route in routes_of(app):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path, route


def test_every_route_has_a_rule(app: FastAPI) -> None:
    missing = []
    routes = routes_of(app)
    assert len(routes) > len(EXPECTED_RULES)  # the API routes, the static files, the schema
    for route in routes:
        if rule_of(route) is None:
            missing.append(getattr(route, "path", repr(route)))
    assert missing == [], f"routes without an access rule: {missing}"


def test_rules_are_the_expected_ones(app: FastAPI) -> None:
    found = {(m, p): rule_of(r) for m, p, r in _endpoints(app)}
    assert found == EXPECTED_RULES


def test_every_path_parameter_is_known(app: FastAPI) -> None:
    for _method, path, route in _endpoints(app):
        params = {p.name for p in route.dependant.path_params}
        assert params <= KNOWN_PARAMS, f"{path}: describe {params - KNOWN_PARAMS} in this test"


def test_rules_are_documented_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        assert path.startswith("/api/")
        for method, operation in item.items():
            assert EXPECTED_RULES[(method.upper(), path)].value == operation["x-pcmd-access"]


def _fill(path: str, *, engine: Engine, now: datetime, visitor: str) -> str:
    van_ban_task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    token = {
        "agency_a": portal_token(VAN_BAN, now=now),
        "agency_expired": portal_token(VAN_BAN, now=now - timedelta(days=40)),
    }.get(visitor)
    if visitor == "agency_tampered":
        good = portal_token(VAN_BAN, now=now)
        token = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    values: dict[str, Any] = {
        "task_id": van_ban_task,
        "token": token or portal_token(VAN_BAN, now=now - timedelta(days=40)),
        "version": 1,
        "plan_id": "lao-cai-142-kh-ubnd-2020",
        "obligation": "iii2-summary",
        "period": "2016-2020",
        "compilation_id": 1,
        "kind": "xlsx",
        "receipt_no": "PCMD-00000000-0-0",
    }
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    return path


def _visitor(app: FastAPI, visitor: str) -> TestClient:
    user = {"lao_cai": LC_USER, "ha_noi": HN_USER, "admin": ADMIN}.get(visitor)
    return new_client(app, user=user)


def _allowed(rule: Access, visitor: str) -> bool:
    if rule is Access.anonymous:
        return True
    if rule is Access.agency:
        return visitor == "agency_a"
    if rule is Access.coordinator:
        return visitor in ("lao_cai", "ha_noi", "admin")
    return visitor == "admin"


@pytest.mark.parametrize("visitor", VISITORS)
def test_access_matrix(app: FastAPI, engine: Engine, now: datetime, visitor: str) -> None:
    """Each route answers each visitor as its rule says: refused (401/403 or the login page)
    or let through (any other answer: the page, a redirect, "not found" for another
    province's task, a validation error)."""
    client = _visitor(app, visitor)
    token = csrf_of(client)
    failures = []
    # logging out ends the visit: last
    for method, template, _route in sorted(_endpoints(app), key=lambda e: e[1] == "/logout"):
        rule = EXPECTED_RULES[(method, template)]
        path = _fill(template, engine=engine, now=now, visitor=visitor)
        if method == "GET":
            answer = client.get(path, follow_redirects=False)
        else:
            answer = client.request(
                method, path, headers={"x-csrf-token": token}, json={}, follow_redirects=False
            )
        # (a failed login answers 401 by design: that is the page's own result, see test_auth)
        refused = (template != "/login" and answer.status_code in (401, 403)) or (
            answer.status_code == 303
            and answer.headers["location"].startswith("/login")
            and template not in ("/", "/logout")
        )
        if refused == _allowed(rule, visitor):
            failures.append(f"{method} {template}: {answer.status_code} for {visitor} ({rule})")
    assert failures == []


def test_every_post_needs_the_csrf_token(app: FastAPI, engine: Engine, now: datetime) -> None:
    client = new_client(app, user=ADMIN)
    for method, template, _route in _endpoints(app):
        if method != "POST":
            continue
        path = _fill(template, engine=engine, now=now, visitor="agency_a")
        for headers in ({}, {"x-csrf-token": "0" * 40}):
            answer = client.post(path, headers=headers, data={"csrf_token": "bad"})
            assert answer.status_code == 403, f"{template}: {answer.status_code}"
            assert "CSRF" in answer.text


def test_agency_b_token_reads_nothing_of_unit_a(
    app: FastAPI, engine: Engine, now: datetime
) -> None:
    client = new_client(app)
    van_ban_task = lao_cai_task(engine, "iii2-summary", VAN_BAN)
    b = portal_token(BAC_HA, now=now)
    assert client.get(f"/portal/{b}/tasks/{van_ban_task}").status_code == 404
    assert client.get(f"/api/portal/{b}/tasks/{van_ban_task}").status_code == 404
    assert client.get(f"/portal/{b}/tasks/{van_ban_task}/template.xlsx").status_code == 404
    listed = client.get(f"/api/portal/{b}/tasks").json()["tasks"]
    assert {t["reporter"] for t in listed} == {BAC_HA}
