"""The authorisation matrix: every route of the application × seven visitors, generated from
``app.routes`` with the rule each route declares (``pcmd_workflow.web.access``).

Visitors: anonymous; the portal token of unit A (Văn Bàn, province X = Lào Cai); the token of
unit B (Bắc Hà, same plan); an expired token of A; the coordinator of province X; the
coordinator of province Y (Hà Nội); an administrator. Every resource a path names belongs to
A and X. Outcomes:

- ``ok``: let through (the page or data, a redirect elsewhere than the login page, or a
  validation answer 400/409/422 for a POST with an empty body);
- ``refused``: 401/403, or a redirect to the login page;
- ``hidden``: 403 or 404 — a resource of another unit or province is neither shown nor
  confirmed; a list that such a visitor may see must not contain A's or X's data.

A route without a rule, or with a path parameter this file cannot fill, fails the test.
Signed, expiring tokens are checked too: tampered, foreign-key and expired tokens are refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from security_support import (
    ADMIN,
    HN_USER,
    LAO_CAI_PLAN,
    LC_USER,
    NOW,
    OBLIGATION,
    PERIOD,
    VAN_BAN,
    World,
    build_world,
    csrf_of,
    new_client,
    tokens,
)

from pcmd_workflow.clock import FixedClock
from pcmd_workflow.services.tokens import make_unit_token
from pcmd_workflow.settings import reset_settings
from pcmd_workflow.store import db
from pcmd_workflow.web import create_app
from pcmd_workflow.web.access import Access, routes_of, rule_of

VISITORS = ("anonymous", "agency_a", "agency_b", "agency_expired", "coord_x", "coord_y", "admin")
USERS = {"coord_x": LC_USER, "coord_y": HN_USER, "admin": ADMIN}
#: path parameters naming a resource that belongs to one unit or province
SCOPED = {"task_id", "version", "plan_id", "obligation", "period", "compilation_id", "receipt_no"}
#: well-formed bodies, so that a refusal comes from the rule or the scope, not the body's shape
BODIES = {
    "return": {"reason": "Thiếu số liệu"},
    "extend": {"to": "2020-07-20", "reason": "Lũ quét"},
    "excuse": {"reason": "Đơn vị sáp nhập"},
    "check": {"values": {"B.1.1.a": 1}},
    "submit": {"values": {"B.1.1.a": 1}},
}
#: texts that only A's (or X's) data contains
A_MARKS = (VAN_BAN, "Văn Bàn")
X_MARKS = (LAO_CAI_PLAN, "Lào Cai", *A_MARKS)


def expected(rule: Access, visitor: str, *, scoped: bool) -> str:
    """The outcome the rule calls for (see the module docstring)."""
    if rule is Access.anonymous:
        return "ok"
    if rule is Access.agency:
        return {"agency_a": "ok", "agency_b": "hidden" if scoped else "ok"}.get(visitor, "refused")
    if rule is Access.coordinator:
        if visitor in ("coord_x", "admin"):
            return "ok"
        if visitor == "coord_y":
            return "hidden" if scoped else "ok"
        return "refused"
    return "ok" if visitor == "admin" else "refused"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("security"))


@pytest.fixture
def app(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The application on a copy of the world's database and on its data directory (the
    compiled files are recorded with their absolute paths)."""
    source = Path(world.url.removeprefix("sqlite:///"))
    copy = tmp_path / "world.sqlite3"
    shutil.copyfile(source, copy)
    monkeypatch.setenv("PCMD_DATA_DIR", str(source.parent / "data"))
    reset_settings()
    engine = db.make_engine(f"sqlite:///{copy}")
    yield create_app(engine=engine, clock=FixedClock(NOW))
    engine.dispose()


def _endpoints(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    for route in routes_of(app):
        if isinstance(route, APIRoute):
            found += [(m, route.path, route) for m in sorted(route.methods - {"HEAD"})]
    return found


def _fill(path: str, *, world: World, token: str) -> str:
    values = {
        "task_id": world.task_a,
        "token": token,
        "version": 1,
        "plan_id": LAO_CAI_PLAN,
        "obligation": OBLIGATION,
        "period": PERIOD,
        "compilation_id": world.compilation_id,
        "kind": "xlsx",
        "receipt_no": world.receipt_a,
    }
    for name, value in values.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, f"{path}: a path parameter this test cannot fill"
    return path


def _outcome(template: str, status: int, location: str) -> str:
    if status in (401, 403) and template != "/login":
        return "refused"
    if status == 303 and location.startswith("/login") and template not in ("/", "/logout"):
        return "refused"
    if status == 404:
        return "hidden"
    return "ok"


def test_every_route_has_a_rule_and_known_parameters(app: FastAPI) -> None:
    for route in routes_of(app):
        assert rule_of(route) is not None, f"{getattr(route, 'path', route)} has no rule"
    for _method, path, route in _endpoints(app):
        names = {p.name for p in route.dependant.path_params}
        assert names <= SCOPED | {"token", "kind"}, f"{path}: describe {names} here"


@pytest.mark.parametrize("visitor", VISITORS)
def test_matrix(app: FastAPI, world: World, visitor: str) -> None:
    client = new_client(app, user=USERS.get(visitor))
    csrf = csrf_of(client)
    token = tokens(NOW).get(visitor, "jeton-khong-hop-le")
    wrong: list[str] = []
    # logging out ends the visit: last
    for method, template, route in sorted(_endpoints(app), key=lambda e: e[1] == "/logout"):
        rule = rule_of(route)
        assert rule is not None
        names = {p.name for p in route.dependant.path_params}
        want = expected(rule, visitor, scoped=bool(names & SCOPED))
        path = _fill(template, world=world, token=token)
        if method == "GET":
            answer = client.get(path, follow_redirects=False)
        else:
            answer = client.request(
                method,
                path,
                headers={"x-csrf-token": csrf},
                json=BODIES.get(template.rsplit("/", 1)[-1], {}),
                follow_redirects=False,
            )
        assert answer.status_code < 500, f"{method} {template}: {answer.status_code}"
        got = _outcome(template, answer.status_code, answer.headers.get("location", ""))
        if want == "hidden":
            ok = got in ("hidden", "refused")
        elif want == "ok" and got == "hidden":
            ok = False
        else:
            ok = got == want
        # a list shown to another unit or province must not carry A's or X's data
        if ok and got == "ok" and visitor in ("agency_b", "coord_y") and method == "GET":
            marks = A_MARKS if visitor == "agency_b" else X_MARKS
            body = answer.text if "text" in answer.headers.get("content-type", "") else ""
            body += answer.text if "json" in answer.headers.get("content-type", "") else ""
            leaked = [m for m in marks if m in body and template not in ("/", "/login")]
            ok = not leaked
        if not ok:
            wrong.append(f"{method} {template}: {answer.status_code} ({got}), want {want}")
    assert wrong == [], f"{visitor} ({len(wrong)} routes):\n" + "\n".join(wrong)


def test_tokens_are_signed_scoped_and_expiring(app: FastAPI, world: World) -> None:
    client = new_client(app)
    good = tokens(NOW)["agency_a"]
    page = f"/api/portal/{{}}/tasks/{world.task_a}"
    assert client.get(page.format(good)).status_code == 200
    # tampered: one character inside the signature (the last one may only carry padding
    # bits that base64 ignores), or of the payload
    flipped = good[:-5] + ("A" if good[-5] != "A" else "B") + good[-4:]
    for bad in (flipped, "x" + good[1:]):
        assert client.get(page.format(bad)).status_code == 403
    # signed with another key
    other = make_unit_token(plan_id=LAO_CAI_PLAN, unit=VAN_BAN, expires_at=NOW)
    assert client.get(page.format(other)).status_code == 403  # expires exactly now
    # a token of a plan of another province names no task of X
    foreign = make_unit_token(plan_id="ha-noi-255-kh-ubnd-2021", unit="cong-an-tp",
                              expires_at=NOW.replace(year=2021))  # fmt: skip
    assert client.get(page.format(foreign)).status_code in (403, 404)
    expired = tokens(NOW)["agency_expired"]
    answer = client.get(page.format(expired))
    assert answer.status_code == 403
    assert "hết hạn" in answer.json()["detail"]


def test_ids_beyond_64_bits_are_not_found(app: FastAPI) -> None:
    """A task id no database integer can hold was a server error (OverflowError in the
    driver); it is "not found" like any other unknown id."""
    client = new_client(app, user=ADMIN)
    token = tokens(NOW)["agency_a"]
    for path in (
        "/api/tasks/9223372036854775808",
        "/tasks/99999999999999999999999999",
        f"/api/portal/{token}/tasks/9223372036854775808",
        f"/portal/{token}/tasks/{'9' * 5000}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/tasks/9223372036854775807").status_code == 404  # the largest id
